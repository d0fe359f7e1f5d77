"""The county's rule on a real NATS and PostgreSQL, beside the registry: a ward of the county orders (the registry's
record of its organization makes the task the county's), an NGO-trained expert under her organization's agreement
takes it on, the coordinator ends the agreement in the registry before the task's day, and the job flags the
engagement among those needing the coordinator's attention."""

import datetime as dt

import pytest

from services.orders import service as orders
from services.orders.handlers import check_county_agreements
from services.orders.projections import OrdersTables
from shared.clock import Clock
from shared.unit_of_work import PostgresUnitOfWork
from tests.integration.orders.stack import (
    COORDINATOR,
    EXPERT,
    TASK_DAY,
    TODAY,
    WARD,
    listed_ngo_expert_and_orderer,
    place_order,
)

pytestmark = [pytest.mark.integration, pytest.mark.services("registry", "orders")]

async def test_an_agreement_ended_before_the_day_flags_the_engagement_to_the_coordinator(stack):
    await listed_ngo_expert_and_orderer(stack)
    await stack.registry("register_organization", actor=COORDINATOR, organization_id="varha", name="Varha",
                         kind="county")
    await stack.registry("grant_credentials", actor=COORDINATOR, orderer_id="ward-1", orderer_name="Ward",
                         organization_id="varha")
    await stack.agree("mieli", "2026", TODAY, TASK_DAY)
    await stack.orders_table_has("orderer_credentials WHERE orderer_id = 'ward-1'")
    await stack.orders_table_has("organization_agreements WHERE organization_id = 'mieli'")
    order_id = await place_order(stack, actor=WARD)
    offer = await stack.cmd("make_offer", actor=WARD, order_id=order_id, expert_id="maija")
    engagement_id = (await stack.cmd("accept_offer", actor=EXPERT, order_id=order_id,
                                     offer_id=offer["offer_id"]))["engagement_id"]

    pool = stack.orders.pool
    views = OrdersTables(pool, "orders")
    deps = orders.compose(PostgresUnitOfWork(stack.orders.store, pool, views.project), views,
                          clock=Clock(lambda: dt.datetime.now(dt.UTC)))
    assert await check_county_agreements(deps) == 0
    assert await stack.query("list_engagements_needing_attention", actor=COORDINATOR) == []

    await stack.registry("end_organization_agreement", actor=COORDINATOR, organization_id="mieli",
                         agreement_id="2026", ended_on=str(TODAY), reason="terminated_by_organization")
    await stack.orders_table_has("organization_agreements WHERE agreement_id = '2026' AND ended_on IS NOT NULL")
    assert await check_county_agreements(deps) == 1
    assert await check_county_agreements(deps) == 0

    [flagged] = await stack.query("list_engagements_needing_attention", actor=COORDINATOR)
    assert (flagged["engagement_id"], flagged["expert_id"], flagged["attention"]) == (engagement_id, "maija",
                                                                                      "county_agreement")
    lapsed = await stack.published("CountyAgreementLapsed")
    assert (lapsed["engagement_id"], lapsed["payload"]["date"]) == (engagement_id, str(TASK_DAY))
