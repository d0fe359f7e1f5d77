"""The turn of an order's ranked candidates: offers go to the first ones the order wants, and on to the next as
offers are declined or expire; a candidate who cannot be offered the task is skipped with the reason, and running
out is recorded. No I/O here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from services.orders.domain.candidates import check_ranking
from services.orders.domain.facts import Candidate
from services.orders.domain.offer import OFFER_TIME, Offer, OfferStatus
from services.orders.domain.routes import RoutedAggregate
from services.orders.events import (
    CandidateSkipped,
    CandidatesRanked,
    NoCandidatesLeft,
    OfferMade,
    OfferReason,
    SkipReason,
)
from shared.clock import start_of
from shared.errors import invalid

if TYPE_CHECKING:
    from services.orders.domain.engagement import Engagement


class CandidateTurns(RoutedAggregate):
    """An order's offers and its candidates in order of preference (the order decides who may be offered it)."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.date = dt.date.min
        self.experts_wanted = 0
        self.offers: dict[uuid.UUID, Offer] = {}
        self.candidates: list[str] = []  # in order of preference
        self.skipped: dict[str, SkipReason] = {}  # candidates passed over since the list was last ranked
        self.out_of_candidates = False

    def rank_candidates(self, candidates: list[str]) -> None:
        """Name the experts to offer the task to, in order of preference (replacing an earlier list)."""
        self._still_open()
        check_ranking(candidates)
        if not candidates:
            raise invalid("candidates", "is empty", "one or more expert ids, in order of preference")
        self.record(CandidatesRanked(order_id=self.order_id, candidates=candidates))

    @property
    def next_candidates(self) -> list[str]:
        """The ranked candidates whose turn has not yet come, next first."""
        considered = {offer.expert_id for offer in self.offers.values()} | set(self.skipped)
        return [expert_id for expert_id in self.candidates if expert_id not in considered]

    def offer_to_candidates(self, now: dt.datetime, candidates: Mapping[str, Candidate],
                            engagements: list[Engagement], reason: OfferReason = OfferReason.ranked,
                            after: Sequence[Offer] = ()) -> list[Offer]:
        """Offer the task to the next candidates until the offers open and the engagements fill the order:
        a candidate who cannot be offered it is skipped with the reason. ``candidates`` holds what is known of
        each next candidate; ``after`` are the declined or expired offers these move on from."""
        if self.cancelled or not self.candidates or now >= start_of(self.date):
            return []
        made: list[Offer] = []
        moved_on_from = list(after)
        while (places := self._places_left(engagements)) > 0:
            if not self.next_candidates:
                if not self.out_of_candidates:
                    self.record(NoCandidatesLeft(order_id=self.order_id, still_wanted=places))
                break
            expert_id = self.next_candidates[0]
            refused = self._refusal(candidates.get(expert_id, Candidate(None)))
            if refused is not None:
                self.record(CandidateSkipped(order_id=self.order_id, expert_id=expert_id, reason=refused[0]))
                continue
            offer_id = uuid.uuid5(self.order_id, f"offer:{len(self.offers)}")  # the same on a retry
            self.record(OfferMade(
                order_id=self.order_id, offer_id=offer_id, expert_id=expert_id,
                expires_at=min(now + OFFER_TIME, start_of(self.date)), reason=reason,
                rank=self.candidates.index(expert_id) + 1,
                after_offer_id=moved_on_from.pop(0).offer_id if moved_on_from else None,
            ))
            made.append(self.offers[offer_id])
        return made

    def _places_left(self, engagements: list[Engagement]) -> int:
        open_offers = sum(offer.status is OfferStatus.open for offer in self.offers.values())
        return self.experts_wanted - len(filling(engagements)) - open_offers

    def _refusal(self, candidate: Candidate) -> tuple[SkipReason, str] | None:
        raise NotImplementedError  # the order's rules: see Order

    def when_CandidatesRanked(self, e: CandidatesRanked) -> None:
        self._ranked(list(e.candidates))
        self._await(e)

    def _ranked(self, candidates: list[str]) -> None:
        self.candidates, self.skipped, self.out_of_candidates = candidates, {}, False

    def when_CandidateSkipped(self, e: CandidateSkipped) -> None:
        self.skipped[e.expert_id] = e.reason

    def when_NoCandidatesLeft(self, e: NoCandidatesLeft) -> None:
        self.out_of_candidates = True
        self._await(e)


def filling(engagements: list[Engagement]) -> list[Engagement]:
    """The engagements that fill the order: all but the cancelled ones."""
    return [engagement for engagement in engagements if not engagement.cancelled]
