"""The county's rule from the records: a task is in the county's services when its orderer's organization is the
county's (not on the orderer's word); an NGO-trained expert then needs their NGO's organization agreement with the
county on the task's date when offered, when accepting and when the date changes; an agreement ending before the
date flags the engagement to the coordinator."""

import datetime as dt

import pytest

from services.orders import handlers as h, messages as m
from services.orders.domain import Agreement
from shared.errors import Conflict, Invalid
from shared.events import SYSTEM
from tests.unit.calls import call
from tests.unit.orders.fakes import COORDINATOR, EXPERT, ORDERER, TASK_DAY, WARD, World

NGO_EXPERT = EXPERT.model_copy(update={"id": "ngo-expert"})
UNTIL_THE_DAY = Agreement(dt.date(2026, 1, 1), valid_until=TASK_DAY)


@pytest.fixture
def world():
    world = World()
    world.list_expert("ngo-expert", agreements=(UNTIL_THE_DAY,))
    return world


async def recorded(world):
    return len(await world.store.read_all())


async def attention(world):
    return await call(h.list_engagements_needing_attention, m.ListEngagementsNeedingAttention(), COORDINATOR,
                      world.deps)


async def test_the_orderer_s_organization_decides_whether_a_task_is_in_the_county_s_services(world):
    await world.order(WARD)
    await world.order(ORDERER, county_service=True)  # the school's word no longer makes it the county's
    assert [e.payload.county_service for e in await world.events("OrderPlaced")] == [True, False]


async def test_acceptance_is_refused_once_the_agreement_no_longer_covers_the_day(world):
    order_id = await world.order(WARD)
    offer_id = await world.offer(order_id, NGO_EXPERT, WARD)
    world.list_expert("ngo-expert", agreements=(Agreement(dt.date(2026, 1, 1), TASK_DAY, ended_on=TASK_DAY
                                                          - dt.timedelta(days=1)),))
    before = await recorded(world)
    with pytest.raises(Conflict) as refused:
        await world.accept(order_id, offer_id, NGO_EXPERT)
    assert "organization agreement" in str(refused.value)
    assert await recorded(world) == before


async def test_the_date_may_not_move_past_the_agreement_of_an_expert_offered_the_task(world):
    order_id = await world.order(WARD)
    await world.offer(order_id, NGO_EXPERT, WARD)
    before = await recorded(world)
    with pytest.raises(Invalid) as refused:
        await call(h.change_order, m.ChangeOrder(order_id=order_id, date=TASK_DAY + dt.timedelta(days=1)), WARD,
                   world.deps)
    assert [p.field for p in refused.value.fields] == ["date"] and "ngo-expert" in refused.value.fields[0].reason
    assert await recorded(world) == before
    await call(h.change_order, m.ChangeOrder(order_id=order_id, date=TASK_DAY - dt.timedelta(days=1)), WARD,
               world.deps)


async def test_an_agreement_ending_before_the_day_flags_the_engagement_to_the_coordinator_until_one_covers_it(world):
    order_id = await world.order(WARD)
    engagement_id = await world.accept(order_id, await world.offer(order_id, NGO_EXPERT, WARD), NGO_EXPERT)
    _, school_engagement = await world.engagement()  # not in the county's services: never flagged
    assert await h.check_county_agreements(world.deps) == 0

    ended_early = Agreement(dt.date(2026, 1, 1), TASK_DAY, ended_on=dt.date(2026, 3, 10))
    world.list_expert("ngo-expert", agreements=(ended_early,))
    assert await h.check_county_agreements(world.deps) == 1
    assert await h.check_county_agreements(world.deps) == 0

    [flagged] = await world.events("CountyAgreementLapsed")
    assert (flagged.payload.expert_id, flagged.payload.date, flagged.actor) == ("ngo-expert", TASK_DAY, SYSTEM)
    [row] = await attention(world)
    assert (row["engagement_id"], row["attention"]) == (str(engagement_id), "county_agreement")
    assert (await world.engagement_state(school_engagement)).agreement_lapsed is False

    world.list_expert("ngo-expert", agreements=(Agreement(dt.date(2026, 3, 11)),))  # a new agreement is signed
    assert await h.check_county_agreements(world.deps) == 1
    assert [e.event_type for e in await world.events("CountyAgreementRestored")] == ["CountyAgreementRestored"]
    assert await attention(world) == []
