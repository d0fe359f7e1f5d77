"""A change of the task after acceptance, across the services through NATS: the orderer changes the order, the
change is proposed to the engaged expert, who accepts it (the contracts service amends the contract: a new version
both parties sign again) or declines it (the engagement keeps its terms, the orderer sees why). Bad input gets
``validation`` naming the field."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.messaging.rpc import RemoteError
from tests.conftest import eventually, every_service
from tests.integration.engagement_steps import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    OTHER_EXPERT,
    TODAY,
    ask,
    reaches,
    refused,
    set_up_registry,
)

pytestmark = pytest.mark.integration

TASK_DAY = TODAY + dt.timedelta(days=9)
NEW_DAY = TODAY + dt.timedelta(days=12)


@pytest.fixture
async def system(environment):
    async with every_service(environment) as nc:
        yield nc


async def engaged(nc) -> tuple[str, str]:
    """An order placed, offered to maija and accepted, its contract signed by both: (order id, engagement id)."""
    async def place():
        try:
            return await ask(nc, "orders.cmd.place_order", {
                "actor": ORDERER, "task_type": "lecture", "topic": "Recovery", "date": str(TASK_DAY),
                "start_time": "10:00", "duration_hours": "2", "place": "Turun lyseo", "experts_wanted": 1,
                "fee": {"mode": "orderer", "hourly_fee": "40"}})
        except RemoteError as error:
            assert error.code == "forbidden"  # orders has not yet learnt of the credentials
    order_id = (await eventually(place))["order_id"]

    async def offered():
        try:
            return await ask(nc, "orders.cmd.make_offer", {"actor": ORDERER, "order_id": order_id,
                                                           "expert_id": "maija"})
        except RemoteError as error:
            assert error.code == "validation"  # nor of the listing
    offer_id = (await eventually(offered))["offer_id"]
    accepted = await ask(nc, "orders.cmd.accept_offer", {"actor": EXPERT, "order_id": order_id, "offer_id": offer_id})
    engagement_id = accepted["engagement_id"]
    await eventually(lambda: contract_of(nc, engagement_id))
    for actor, party in ((EXPERT, "expert"), (ORDERER, "orderer")):
        await ask(nc, "contracts.cmd.sign_contract", {"actor": actor, "engagement_id": engagement_id, "party": party})
    await reaches(nc, engagement_id, "confirmed")
    return order_id, engagement_id


async def contract_of(nc, engagement_id):
    try:
        return await ask(nc, "contracts.query.get_contract", {"actor": COORDINATOR, "engagement_id": engagement_id})
    except RemoteError as error:
        assert error.code == "not_found"
        return None


async def engagement_of(nc, engagement_id, actor=ORDERER):
    return await ask(nc, "orders.query.get_engagement", {"actor": actor, "engagement_id": engagement_id})


async def test_an_accepted_change_amends_the_contract_and_a_declined_one_leaves_it(system):
    nc = system
    await set_up_registry(nc)
    order_id, engagement_id = await engaged(nc)

    error = await refused(nc, "orders.cmd.change_order", {"actor": ORDERER, "order_id": order_id,
                                                          "duration_hours": "-1"}, "validation")
    assert [f["field"] for f in error.fields] == ["duration_hours"]
    changed = await ask(nc, "orders.cmd.change_order", {"actor": ORDERER, "order_id": order_id,
                                                        "date": str(NEW_DAY), "duration_hours": "3"})
    assert changed["proposed_to"] == [engagement_id]
    seen = await engagement_of(nc, engagement_id, EXPERT)
    assert seen["date"] == str(TASK_DAY) and seen["proposed_change"] == {"date": str(NEW_DAY), "duration_hours": "3"}
    await refused(nc, "orders.cmd.accept_change", {"actor": OTHER_EXPERT, "engagement_id": engagement_id}, "forbidden")
    error = await refused(nc, "orders.cmd.accept_change", {"actor": EXPERT, "engagement_id": "not-an-id"},
                          "validation")
    assert [f["field"] for f in error.fields] == ["engagement_id"]

    await ask(nc, "orders.cmd.accept_change", {"actor": EXPERT, "engagement_id": engagement_id})

    async def amended():
        contract = await contract_of(nc, engagement_id)
        return contract if contract["document_version"] == 2 else None
    contract = await eventually(amended, timeout=30)
    assert (contract["version_signed"], contract["terms"]["task_date"], contract["terms"]["duration_hours"]) == (
        False, str(NEW_DAY), "3")
    assert contract["versions"][1]["changed"] == ["duration_hours", "task_date"]
    assert contract["signed_by"] == {"expert": None, "orderer": None}  # both sign the new version again
    for actor, party in ((EXPERT, "expert"), (ORDERER, "orderer")):
        await ask(nc, "contracts.cmd.sign_contract", {"actor": actor, "engagement_id": engagement_id, "party": party})
    assert (await contract_of(nc, engagement_id))["version_signed"] is True
    assert (await engagement_of(nc, engagement_id))["date"] == str(NEW_DAY)

    # A second change, declined: the engagement keeps its terms, and its orderer sees the change and why.
    await ask(nc, "orders.cmd.change_order", {"actor": ORDERER, "order_id": order_id, "start_time": "14:00"})
    error = await refused(nc, "orders.cmd.decline_change", {"actor": EXPERT, "engagement_id": engagement_id,
                                                            "reason": ""}, "validation")
    assert [f["field"] for f in error.fields] == ["reason"]
    await ask(nc, "orders.cmd.decline_change", {"actor": EXPERT, "engagement_id": engagement_id,
                                                "reason": "I teach in the afternoon"})
    seen = await engagement_of(nc, engagement_id)
    assert (seen["start_time"], seen["proposed_change"]) == ("10:00:00", None)
    assert seen["declined_change"] == {"start_time": "14:00:00", "reason": "I teach in the afternoon"}
    await refused(nc, "orders.cmd.accept_change", {"actor": EXPERT, "engagement_id": engagement_id}, "conflict")
    contract = await contract_of(nc, engagement_id)
    assert (contract["document_version"], contract["version_signed"]) == (2, True)
