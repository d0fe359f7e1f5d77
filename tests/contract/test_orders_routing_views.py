"""The views contract for the routes of an order: who is a trained, active member of which organization (from the
registry's events), an organization's incoming orders and the coordinator's queue of orders to route."""

from __future__ import annotations

import datetime as dt
import uuid

from services.orders import events as orders
from services.orders.domain import ListedExpert, Membership
from services.orders.events import OrderRoute
from services.registry import events as registry
from services.registry.events import OrganizationKind, TrainingKind
from tests.contract.feed import ids, opened
from tests.contract.test_orders_views import placed


async def test_orders_trained_members_listed_or_not(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        for organization_id, kind in (("varha", OrganizationKind.county), ("mieli", OrganizationKind.ngo)):
            await feed.follow(f"organization-{organization_id}", registry.OrganizationRegistered(
                organization_id=organization_id, name=organization_id.title(), kind=kind))
        day = dt.date(2025, 4, 1)

        def trained(expert_id: str, by: str, kind: TrainingKind = TrainingKind.basic) -> registry.TrainingCompleted:
            return registry.TrainingCompleted(expert_id=expert_id, training="basic", completed_on=day, trained_by=by,
                                              by_county=by == "varha", kind=kind)

        for expert_id in ("aino", "eero", "olga", "ville"):
            await feed.follow(f"expert-{expert_id}", registry.ExpertRegistered(
                expert_id=expert_id, organization_id="mieli", name=expert_id.title(), email=f"{expert_id}@x.fi"))
        await feed.follow("expert-aino", trained("aino", "mieli"))
        await feed.follow("expert-aino", registry.ExpertJoinedOrganization(expert_id="aino", organization_id="other"))
        await feed.follow("expert-aino", registry.ExpertLeftOrganization(expert_id="aino", organization_id="other"))
        await feed.follow("expert-eero", trained("eero", "mieli", TrainingKind.further))  # not a basic training
        await feed.follow("expert-olga", trained("olga", "varha"))  # the county trained her: she belongs to it
        await feed.follow("expert-ville", trained("ville", "mieli"))
        await feed.follow("expert-ville", registry.ExpertDeactivated(expert_id="ville", reason="moved away"))
        await feed.follow("expert-erased", trained("erased", "mieli"))
        await feed.follow("expert-erased", registry.ExpertErased(expert_id="erased"))

        assert await views.trained_member("aino") == ListedExpert("aino", False, (Membership("mieli", is_ngo=True),))
        assert await views.trained_member("olga") == ListedExpert("olga", True, (
            Membership("mieli", is_ngo=True), Membership("varha", is_ngo=False)))
        for not_one in ("eero", "ville", "erased", "stranger"):
            assert await views.trained_member(not_one) is None, not_one
        assert await views.organization_kind("mieli") == "ngo"
        assert await views.organization_kind("unknown") is None


async def test_orders_incoming_to_an_organization_and_to_route(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        to_mieli, taken, declined, ran_out, cancelled, from_bank = ids(6)

        async def place(order_id: uuid.UUID, route: OrderRoute, organization_id: str | None = None) -> None:
            await feed.follow(f"order-{order_id}", placed(order_id, "school-1").model_copy(
                update={"route": route, "organization_id": organization_id}))

        await place(to_mieli, OrderRoute.organization, "mieli")
        await place(taken, OrderRoute.coordinator)
        await place(declined, OrderRoute.organization, "mieli")
        await feed.follow(f"order-{declined}", orders.OrderDeclinedByOrganization(
            order_id=declined, organization_id="mieli", reason="nobody free"))
        await place(ran_out, OrderRoute.coordinator)
        await feed.follow(f"order-{ran_out}", orders.CandidatesRanked(order_id=ran_out, candidates=["maija"]))
        await feed.follow(f"order-{ran_out}", orders.NoCandidatesLeft(order_id=ran_out, still_wanted=1))
        await place(cancelled, OrderRoute.coordinator)
        await feed.follow(f"order-{cancelled}", orders.OrderCancelled(order_id=cancelled, reason="not needed"))
        await place(from_bank, OrderRoute.bank)
        await feed.follow(f"order-{from_bank}", orders.NoCandidatesLeft(order_id=from_bank, still_wanted=1))

        assert await views.incoming_orders("mieli") == [to_mieli]
        assert await views.orders_to_route() == [taken, declined, ran_out]

        await feed.follow(f"order-{taken}", orders.OrderRoutedToOrganization(order_id=taken, organization_id="mieli"))
        await feed.follow(f"order-{to_mieli}", orders.ExpertsProposed(
            order_id=to_mieli, organization_id="mieli", candidates=["aino"]))
        await feed.follow(f"order-{to_mieli}", orders.NoCandidatesLeft(order_id=to_mieli, still_wanted=1))

        assert await views.incoming_orders("mieli") == [to_mieli, taken]
        assert await views.incoming_orders("other") == []
        assert await views.orders_to_route() == [declined, ran_out]


async def test_orders_engagements_in_the_county_s_services_and_those_needing_attention(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        day = dt.date(2026, 3, 20)
        county_order, school_order = ids(2)
        await feed.follow(f"order-{county_order}", placed(county_order, "ward-1").model_copy(
            update={"county_service": True}))
        await feed.follow(f"order-{school_order}", placed(school_order, "school-1"))
        soon, later, past, delivered, of_the_school = ids(5)
        for engagement_id, order_id, expert_id, when in (
                (later, county_order, "aino", day + dt.timedelta(days=1)), (soon, county_order, "olga", day),
                (past, county_order, "eero", day - dt.timedelta(days=1)),
                (delivered, county_order, "ville", day), (of_the_school, school_order, "aino", day)):
            e = opened(engagement_id, expert_id, "ward-1", when).model_copy(update={"order_id": order_id})
            await feed.follow(f"engagement-{engagement_id}", e, engagement_id=engagement_id)
        await feed.follow(f"engagement-{delivered}", orders.DeliveryConfirmed(
            engagement_id=delivered, actual_hours=2, kilometres=0), engagement_id=delivered)

        ahead = await views.county_engagements_ahead(day)
        assert [(r["engagement_id"], r["expert_id"], r["date"], r["agreement_lapsed"]) for r in ahead] == [
            (soon, "olga", day, False), (later, "aino", day + dt.timedelta(days=1), False)]

        for engagement_id in (later, delivered):
            await feed.follow(f"engagement-{engagement_id}", orders.CountyAgreementLapsed(
                engagement_id=engagement_id, expert_id="x", date=day), engagement_id=engagement_id)
        [needing] = await views.engagements_needing_attention()
        assert (needing["engagement_id"], needing["expert_id"], needing["status"], needing["attention"]) == (
            later, "aino", "opened", "county_agreement")
        assert [r["agreement_lapsed"] for r in await views.county_engagements_ahead(day)] == [False, True]

        await feed.follow(f"engagement-{later}", orders.CountyAgreementRestored(engagement_id=later),
                          engagement_id=later)
        assert await views.engagements_needing_attention() == []
