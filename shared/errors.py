"""The errors a command or query can end in, as the caller sees them.

Domain code raises these (they carry no I/O); the transport turns each into the one documented error
reply: ``{"ok": false, "error": {"code", "message", "fields": [{"field", "reason", "allowed"}]}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str
    allowed: str | None = None


@dataclass
class KokemusError(Exception):
    message: str
    fields: list[FieldProblem] = field(default_factory=list)
    code = "error"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def to_reply(self) -> dict[str, Any]:
        return {
            "ok": False,
            "error": {
                "code": self.code,
                "message": self.message,
                "fields": [problem.__dict__ for problem in self.fields],
            },
        }


class Invalid(KokemusError):
    """The input breaks a rule: which field, what was wrong, what is allowed."""

    code = "validation"


class NotFound(KokemusError):
    code = "not_found"


class Conflict(KokemusError):
    """The state does not allow this now (already done, wrong step, a concurrent change)."""

    code = "conflict"


class Forbidden(KokemusError):
    code = "forbidden"


class Unauthenticated(KokemusError):
    """The request carries no identity, or one that is expired, wrongly signed or meant for someone else."""

    code = "unauthenticated"


class Unavailable(KokemusError):
    """A dependency did not answer; the command was not recorded and may be retried."""

    code = "unavailable"


ERROR_CODES = {cls.code: cls for cls in (Invalid, NotFound, Conflict, Forbidden, Unauthenticated, Unavailable)}


def invalid(field_name: str, reason: str, allowed: str | None = None) -> Invalid:
    return Invalid(f"{field_name}: {reason}", [FieldProblem(field_name, reason, allowed)])
