"""The event store: append-only, hash-chained streams with a commit-safe global log."""

from shared.eventstore.port import (
    ChainBreak,
    ConcurrencyConflict,
    EventStore,
    SubjectErased,
    VerifyReport,
)

__all__ = ["ChainBreak", "ConcurrencyConflict", "EventStore", "SubjectErased", "VerifyReport"]
