"""Forms as data: the fields of a command, how a posted form becomes the command's body, and how a service's
error reply is shown next to the fields it names, in the person's language (GOV.UK's pattern: a summary at
the top linking to each field, the message above the field, tied to it with aria-describedby)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from services.web.i18n import N_, gettext as _
from shared.messaging.rpc import RemoteError


@dataclass(frozen=True)
class Field:
    name: str  # the command's field; dotted for a nested one (fee.hourly_fee)
    label: str  # a catalogue message id: translated where shown
    kind: str = "text"  # text email tel date number textarea select radios checkbox list rating hidden file
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label message id)
    required: bool = True
    autocomplete: str | None = None
    width: str | None = None  # "short" for dates and numbers
    default: str | None = None

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")

    @property
    def shown_hint(self) -> str | None:
        return self.hint or (DATE_HINT if self.kind == "date" else None)


# A date is three fields, day, month and year (GOV.UK's pattern): the same in every browser and language.
DATE_PARTS = ("day", "month", "year")
DATE_HINT = N_("For example 20 3 2026")


@dataclass(frozen=True)
class Form:
    fields: tuple[Field, ...]
    submit: str
    # The service's field names that differ from the form's: (service field, form field).
    aliases: tuple[tuple[str, str], ...] = ()

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def body(self, data: FormData | dict[str, Any]) -> dict[str, Any]:
        """The command's body: empty optional fields left out, so the service's defaults apply."""
        body: dict[str, Any] = {}
        for f in self.fields:
            value = _value(f, data)
            if value is None:
                continue
            target = body
            *parents, last = f.name.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[last] = value
        return body

    def target(self, service_field: str) -> str | None:
        """The form field a service's error names, or None if the form has no such field."""
        name = dict(self.aliases).get(service_field, service_field)
        while name:
            if self.field(name) is not None:
                return name
            name = name.rpartition(".")[0]  # fee.hourly_fee.x -> fee.hourly_fee -> fee
        return None


def _value(f: Field, data: FormData | dict[str, Any]) -> Any:
    if f.kind == "date":
        return _date(f, data)
    raw = data.get(f.name)
    if f.kind == "file":  # a file goes by a command of its own, never in the form's body
        return None
    if f.kind == "checkbox":
        return raw is not None
    text = raw.strip() if isinstance(raw, str) else None
    if not text:
        return None
    if f.kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if f.kind == "rating":
        return int(text) if text.isdigit() else text  # not a number: the service says what is allowed
    return text


def _date(f: Field, data: FormData | dict[str, Any]) -> str | None:
    return date_from_parts(f.name, data)


def date_from_parts(name: str, data: FormData | Mapping[str, Any]) -> str | None:
    """The ISO date a three-part date field (``name``-day, -month, -year) gives, None if all are empty; what is
    not a date goes to the service as typed, which names the field and what is allowed."""
    day, month, year = (str(data.get(f"{name}-{part}") or "").strip() for part in DATE_PARTS)
    if not (day or month or year):
        return None
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{month}-{day}"  # not a date: the service says so, and the person sees it at the field


@dataclass
class Problems:
    """What went wrong with a posted form, ready to show: per form field, and the rest."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)

    def add(self, form: Form, service_field: str | None, message: str) -> None:
        name = form.target(service_field) if service_field else None
        if name:
            self.by_field.setdefault(name, []).append(message)
        else:
            self.general.append(message)


GENERIC = {
    "forbidden": N_("You may not do this."),
    "not_found": N_("It was not found. It may not be ready yet: try again in a moment."),
    "conflict": N_("This cannot be done now."),
    "unavailable": N_("The service did not answer. Nothing was saved: try again in a moment."),
    "unauthenticated": N_("Your sign-in has ended. Sign in again."),
    "validation": N_("Check this information."),
}


def explain(problem: dict[str, Any]) -> str:
    """A field problem in the person's language: the generic part translated, what is allowed, and the
    service's own reason (in English, as it gave it)."""
    reason = str(problem.get("reason") or "")
    allowed = problem.get("allowed")
    lowered = reason.lower()
    if "give an email, a staff_role" in lowered:
        text = _("Give an e-mail address, or choose a staff role.")
    elif allowed == "a value is required" or lowered == "field required":
        text = _("Enter this information.")
    elif "not a valid email" in lowered or "email address" in lowered:
        text = _("Enter an e-mail address in the right form, like name@example.com.")
    elif "valid date" in lowered or "date format" in lowered:
        text = _("Enter a real date.")
    elif "decimal" in lowered or "number" in lowered or "integer" in lowered:
        text = _("Enter a number.")
    elif "in the past" in lowered or "in the future" in lowered or "before" in lowered:
        text = _("Check the date.")
    else:
        text = _("Check this information.")
    if allowed and allowed != "a value is required":
        text += " " + _("Allowed: %(allowed)s.", allowed=allowed)
    return text + " " + _("(The service said: %(reason)s)", reason=reason) if reason else text


def problems_of(form: Form, error: RemoteError) -> Problems:
    problems = Problems()
    for problem in error.fields:
        problems.add(form, str(problem.get("field") or ""), explain(problem))
    if not error.fields:
        problems.general.append(_(GENERIC.get(error.code, GENERIC["validation"])) + " " +
                                _("(The service said: %(reason)s)", reason=error.message))
    return problems
