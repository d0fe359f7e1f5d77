"""The four ways an order reaches its experts (the POPSTER model): from the bank, through an organization, directly
to an expert the orderer knows, or through the regional coordinator. No I/O here.

Who must act next on an order follows from its route: an order addressed to an organization waits for its contact
person to propose experts (or decline); an order the coordinator took, or one an organization declined, waits for
the coordinator to route it; an order whose candidates ran out goes back to whoever named them.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping

from services.orders.domain.candidates import check_ranking
from services.orders.domain.facts import ListedExpert
from services.orders.events import (
    CandidatesRanked,
    ExpertsProposed,
    NoCandidatesLeft,
    OrderDeclinedByOrganization,
    OrderPlaced,
    OrderRoute,
    OrderRoutedToOrganization,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict, Forbidden, invalid


class Awaiting(enum.StrEnum):
    """Who must act on an order next, besides the experts offered it."""

    organization = "organization"  # its contact person proposes experts or declines
    coordinator = "coordinator"  # the coordinator routes it (to an organization, or to candidates)


def awaiting_after(event: object, route: OrderRoute, organization_id: str | None,
                   current: Awaiting | None) -> Awaiting | None:
    """Who an order awaits after ``event`` (``current`` if the event changes nothing of it). The aggregate and the
    read tables use this same rule."""
    match event:
        case OrderPlaced():
            return {OrderRoute.organization: Awaiting.organization,
                    OrderRoute.coordinator: Awaiting.coordinator}.get(route)
        case OrderRoutedToOrganization():
            return Awaiting.organization
        case OrderDeclinedByOrganization():
            return Awaiting.coordinator
        case ExpertsProposed() | CandidatesRanked():
            return None
        case NoCandidatesLeft():
            if organization_id is not None:
                return Awaiting.organization
            return Awaiting.coordinator if route is OrderRoute.coordinator else None
    return current


class RoutedAggregate(Aggregate):
    """An order's route, and what the organization and the coordinator do with it."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.route = OrderRoute.bank
        self.organization_id: str | None = None  # addressed to
        self.taken_by: str | None = None
        self.taken_via: str | None = None
        self.declined_by: list[str] = []  # organizations that declined the order
        self.awaiting: Awaiting | None = None
        self.cancelled = False

    @property
    def order_id(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    def route_to_organization(self, organization_id: str, kind: str | None) -> None:
        """The coordinator routes the order to an organization (an NGO the registry knows, or the county)."""
        self._still_open()
        if kind is None:
            raise invalid("organization_id", f"names no organization the registry knows ({organization_id})",
                          "the id of a registered organization")
        if organization_id in self.declined_by:
            raise Conflict(f"organization {organization_id} already declined order {self.id}: route it elsewhere")
        self.record(OrderRoutedToOrganization(order_id=self.order_id, organization_id=organization_id))

    def propose_experts(self, organization_id: str | None, candidates: list[str],
                        members: Mapping[str, ListedExpert | None]) -> None:
        """The addressed organization's contact person proposes experts: each a trained, active member of it."""
        self._addressed_to(organization_id)
        check_ranking(candidates)
        if not candidates:
            raise invalid("candidates", "is empty", "one or more expert ids, in order of preference")
        for expert_id in candidates:
            member = members.get(expert_id)
            if member is None or all(m.organization_id != organization_id for m in member.memberships):
                raise invalid("candidates", f"names {expert_id}, who is not a trained, active member of "
                              f"organization {organization_id}", "your organization's trained, active experts")
        assert organization_id is not None
        self.record(ExpertsProposed(order_id=self.order_id, organization_id=organization_id, candidates=candidates))

    def decline_by_organization(self, organization_id: str | None, reason: str) -> None:
        """The addressed organization declines the order, with a reason: the coordinator routes it onwards."""
        self._addressed_to(organization_id)
        assert organization_id is not None
        self.record(OrderDeclinedByOrganization(order_id=self.order_id, organization_id=organization_id,
                                                reason=reason))

    def _addressed_to(self, organization_id: str | None) -> None:
        self._still_open()
        if organization_id is None or organization_id != self.organization_id or organization_id in self.declined_by:
            raise Forbidden(f"order {self.id} is not addressed to your organization")
        if self.awaiting is not Awaiting.organization:
            raise Conflict(f"order {self.id} already has its experts proposed: it waits for their answers")

    def _still_open(self) -> None:
        if self.cancelled:
            raise Conflict(f"order {self.id} is cancelled")

    def _await(self, event: object) -> None:
        self.awaiting = awaiting_after(event, self.route, self.organization_id, self.awaiting)

    def when_OrderRoutedToOrganization(self, e: OrderRoutedToOrganization) -> None:
        self.organization_id = e.organization_id
        self._await(e)

    def when_ExpertsProposed(self, e: ExpertsProposed) -> None:
        self._ranked(list(e.candidates))
        self._await(e)

    def when_OrderDeclinedByOrganization(self, e: OrderDeclinedByOrganization) -> None:
        self.declined_by.append(e.organization_id)
        self.organization_id = None
        self._await(e)

    def _ranked(self, candidates: list[str]) -> None:
        raise NotImplementedError  # the order keeps its candidates
