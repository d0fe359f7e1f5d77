"""Upcasters lift an event's stored payload from an old schema version to the next one, on read.

The history is never rewritten: an event recorded as ``ExpertListed`` version 1 stays version 1 in the
store (and its hash covers that form); readers always get the current version. An upcaster is declared
beside its event class, so whoever can decode the class can lift it:

    @upcaster(ExpertListed, from_version=1)
    def _add_languages(payload: dict) -> dict:
        return {**payload, "languages": ["fi"]}
"""

from __future__ import annotations

from collections.abc import Callable

from shared.events import DomainEvent, Payload

Upcaster = Callable[[Payload], Payload]


def upcaster(event: type[DomainEvent], *, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def register(function: Upcaster) -> Upcaster:
        if from_version in event.upcasters:
            raise TypeError(f"two upcasters for {event.event_type()} version {from_version}")
        if not 0 < from_version < event.schema_version:
            raise TypeError(f"{event.event_type()} is at version {event.schema_version}: "
                            f"nothing to lift from version {from_version}")
        event.upcasters[from_version] = function
        return function

    return register


def upcast(event: type[DomainEvent], version: int, payload: Payload) -> Payload:
    while version < event.schema_version:
        step = event.upcasters.get(version)
        if step is None:
            raise LookupError(f"no upcaster lifts {event.event_type()} from version {version} to {version + 1}")
        payload = step(payload)
        version += 1
    return payload


def sealed_since(event: type[DomainEvent], *, from_version: int) -> None:
    """``event`` carried some fields in clear up to ``from_version`` and seals them from the next version on.

    Opened, both forms read the same (a sealed field is opened before upcasting), so the step changes nothing:
    it is declared so that the version says which form travels, and old events still read.
    """
    upcaster(event, from_version=from_version)(_unchanged)


def _unchanged(payload: Payload) -> Payload:
    return payload
