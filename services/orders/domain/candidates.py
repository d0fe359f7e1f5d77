"""Who may get an offer, and why not: the rules an offer to an expert must pass, whether the orderer chose the
expert by hand or the expert's turn came in the ranked list. No I/O here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NoReturn

from services.orders.domain.facts import Candidate
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
            county_service: bool) -> tuple[SkipReason, str] | None:
    """Why the expert cannot be offered the task (the reason, and the words that explain it), or None."""
    if candidate.listed is None:
        return SkipReason.not_listed, "is not listed in the experience bank"
    if county_service and not candidate.listed.may_serve_the_county_on(date):
        return SkipReason.county_agreement, (
            f"is not county-trained, and none of the expert's NGOs has an organization agreement with the county "
            f"valid on {date} (the county's rule for NGO-trained experts)")
    for booking in candidate.bookings:
        if booking.overlaps(date, start_time, duration_hours):
            return SkipReason.double_booked, f"is already engaged at an overlapping time on {date} ({booking.when})"
    return None


ALLOWED = {
    SkipReason.not_listed: "an expert listed in the bank",
    SkipReason.county_agreement: "a county-trained expert, or one whose NGO has an organization agreement valid on "
                                 "the order's date",
}


def refuse(expert_id: str, reason: SkipReason, words: str) -> NoReturn:
    """Refuse an offer to the expert the orderer chose: a double booking is a conflict with the expert's other
    engagement; otherwise the expert_id names someone who may not be offered the task."""
    if reason is SkipReason.double_booked:
        raise Conflict(f"expert {expert_id} {words}")
    raise invalid("expert_id", words, ALLOWED[reason])
