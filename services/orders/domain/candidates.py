"""Who may get an offer, and why not: the rules an offer to an expert must pass, whether the orderer chose the
expert by hand or the expert's turn came in the ranked list. No I/O here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import NoReturn

from services.orders.domain.facts import Candidate, ListedExpert
from services.orders.events import SkipReason
from shared.errors import Conflict, invalid

MAX_CANDIDATES = 30


def check_ranking(candidates: list[str]) -> None:
    if len(candidates) > MAX_CANDIDATES:
        raise invalid("candidates", f"names {len(candidates)} experts", f"at most {MAX_CANDIDATES}")
    seen: set[str] = set()
    for expert_id in candidates:
        if expert_id in seen:
            raise invalid("candidates", f"names expert {expert_id} twice", "each expert once, in order of preference")
        seen.add(expert_id)


def refusal(candidate: Candidate, *, date: dt.date, start_time: dt.time | None, duration_hours: Decimal,
            county_service: bool, from_bank: bool = True) -> tuple[SkipReason, str] | None:
    """Why the expert cannot be offered the task (the reason, and the words that explain it), or None. An order
    from the bank offers to listed experts; the other routes to any trained, active member of an organization
    (``candidate.listed`` then holds what is known of them as one)."""
    if candidate.listed is None:
        if not from_bank:
            return SkipReason.not_trained_member, "is not a trained, active member of an organization"
        return SkipReason.not_listed, "is not listed in the experience bank"
    lapsed = county_rule(county_service, candidate.listed, date)
    if lapsed is not None:
        return SkipReason.county_agreement, lapsed
    if candidate.weekdays is not None and date.isoweekday() not in candidate.weekdays:
        return SkipReason.unavailable, f"takes no assignments on a {date:%A} (the expert's availability)"
    if candidate.away:
        return SkipReason.away, f"is away on {date} (one of the expert's dates away)"
    for booking in candidate.bookings:
        if booking.overlaps(date, start_time, duration_hours):
            return SkipReason.double_booked, f"is already engaged at an overlapping time on {date} ({booking.when})"
    return None


def county_rule(county_service: bool, expert: ListedExpert | None, day: dt.date) -> str | None:
    """Why the expert may not do a task in the county's services on the day (the words), or None: checked when
    offering, on acceptance and on a change of the task's date."""
    if not county_service or expert is None or expert.may_serve_the_county_on(day):
        return None
    return (f"is not county-trained, and none of the expert's NGOs has an organization agreement with the county "
            f"valid on {day} (the county's rule for NGO-trained experts)")


def check_new_date(county_service: bool, day: dt.date, offered: Mapping[str, ListedExpert | None]) -> None:
    """A task in the county's services may not move to a day on which an expert with an open offer may not serve."""
    barred = sorted(expert_id for expert_id, expert in offered.items() if county_rule(county_service, expert, day))
    if barred:
        raise invalid("date", f"is a day on which the county has no organization agreement with the NGO of "
                      f"{', '.join(barred)}, who {'has' if len(barred) == 1 else 'have'} an open offer",
                      "a day the NGO agreements of the experts offered the task cover, or wait for their answers")


ALLOWED = {
    SkipReason.not_listed: "an expert listed in the bank",
    SkipReason.not_trained_member: "an expert who has completed a basic training and is an active member of an "
                                   "organization",
    SkipReason.county_agreement: "a county-trained expert, or one whose NGO has an organization agreement valid on "
                                 "the order's date",
    SkipReason.unavailable: "an expert who takes assignments on the order's day of the week",
    SkipReason.away: "an expert who has not marked the order's date as a date away",
}


def refuse(expert_id: str, reason: SkipReason, words: str) -> NoReturn:
    """Refuse an offer to the expert the orderer chose: a double booking is a conflict with the expert's other
    engagement; otherwise the expert_id names someone who may not be offered the task."""
    if reason is SkipReason.double_booked:
        raise Conflict(f"expert {expert_id} {words}")
    raise invalid("expert_id", words, ALLOWED[reason])
