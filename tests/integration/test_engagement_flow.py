"""One engagement end to end across all five services, through the same NATS commands any client sends, with
every state change, the cross-service rules, the audit trail and its verification; and a cancellation on each
side of the signatures."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from shared.messaging.rpc import RemoteError
from tests.conftest import eventually, every_service
from tests.integration.engagement_steps import (
    AUDITOR,
    COORDINATOR,
    EXPERT,
    ORDERER,
    OTHER_EXPERT,
    TODAY,
    ask,
    reaches,
    refused,
    set_up_registry,
    status_of,
    tamper,
    verify_all_from,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def system(environment):
    async with every_service(environment) as nc:
        yield nc


async def test_one_engagement_from_listing_to_closing_with_its_audit_trail(system, environment):
    nc = system
    await set_up_registry(nc)
    order_body = {
        "actor": ORDERER,
        "task_type": "lecture",
        "topic": "Recovery",
        "date": str(TODAY + dt.timedelta(days=20)),
        "duration_hours": "3",
        "place": "Turku",
        "experts_wanted": 1,
        "county_service": True,
        "fee": {"mode": "recommended"},
    }
    await refused(nc, "orders.cmd.place_order", {**order_body, "actor": EXPERT}, "forbidden")

    async def place():  # orders learns of the credentials from registry's events
        try:
            return await ask(nc, "orders.cmd.place_order", order_body)
        except RemoteError as error:
            assert error.code == "forbidden"
    order_id = (await eventually(place))["order_id"]

    async def offer_to(expert_id):
        return await ask(nc, "orders.cmd.make_offer", {"actor": ORDERER, "order_id": order_id, "expert_id": expert_id})

    error = await refused(
        nc, "orders.cmd.make_offer", {"actor": ORDERER, "order_id": order_id, "expert_id": "pekka"}, "validation"
    )
    assert error.fields[0]["field"] == "expert_id" and "not listed" in error.fields[0]["reason"]

    async def offered():
        try:
            return await offer_to("maija")
        except RemoteError as error:
            assert error.code == "validation"  # until orders has seen the listing
    offer_id = (await eventually(offered))["offer_id"]

    accept = {"actor": EXPERT, "order_id": order_id, "offer_id": offer_id}
    await refused(nc, "orders.cmd.accept_offer", {**accept, "actor": OTHER_EXPERT}, "forbidden")
    engagement_id = (await ask(nc, "orders.cmd.accept_offer", accept))["engagement_id"]
    await refused(nc, "orders.cmd.accept_offer", accept, "conflict")  # a second accept of the same offer
    assert await status_of(nc, engagement_id) == "opened"

    delivery = {
        "actor": ORDERER,
        "engagement_id": engagement_id,
        "actual_hours": "3",
        "kilometres": "40",
        "other_expenses": "5",
    }
    await refused(nc, "orders.cmd.confirm_delivery", delivery, "conflict")  # nothing is signed yet

    async def drafted():
        try:
            return await ask(nc, "contracts.query.get_contract", {"actor": EXPERT, "engagement_id": engagement_id})
        except RemoteError as error:
            assert error.code == "not_found"
    contract = await eventually(drafted)
    assert contract["terms"]["fee_basis"] == "recommended" and contract["terms"]["hourly_fee"] == "30.00"

    sign = {"engagement_id": engagement_id}
    await refused(nc, "contracts.cmd.sign_contract", {**sign, "actor": EXPERT, "party": "orderer"}, "forbidden")
    await ask(nc, "contracts.cmd.sign_contract", {**sign, "actor": EXPERT, "party": "expert"})
    await refused(nc, "orders.cmd.confirm_delivery", delivery, "conflict")  # one signature is not enough
    await refused(nc, "orders.cmd.confirm_delivery", {**delivery, "actor": EXPERT}, "forbidden")
    await ask(nc, "contracts.cmd.sign_contract", {**sign, "actor": ORDERER, "party": "orderer"})
    await reaches(nc, engagement_id, "confirmed")

    close = {"actor": COORDINATOR, "engagement_id": engagement_id}
    await refused(nc, "orders.cmd.close_engagement", close, "conflict")  # no fee approved, no feedback
    await ask(nc, "orders.cmd.confirm_delivery", delivery)
    await reaches(nc, engagement_id, "fee_approved")
    fee = (await ask(nc, "contracts.query.get_contract", {"actor": COORDINATOR, "engagement_id": engagement_id}))["fee"]
    # 40 km at the tax-free rate in force on the task's date (0.55 €/km from 2026)
    assert fee == {"fee": "90.00", "mileage": "22.00", "other_expenses": "5.00", "total": "117.00"}
    error = await refused(nc, "orders.cmd.close_engagement", close, "conflict")  # the feedback is not complete
    assert "feedback" in error.message

    self_assessment = {"actor": EXPERT, "engagement_id": engagement_id, "form": "self_assessment",
                       "ratings": {"preparation": 5, "own_wellbeing": 4, "experience_heard": 5, "would_do_again": 5},
                       "free_text": "It went well."}

    async def submitted():
        try:
            return await ask(nc, "feedback.cmd.submit_feedback", self_assessment)
        except RemoteError as error:
            assert error.code in {"conflict", "not_found"}  # until feedback has seen the delivery
    await eventually(submitted)
    await refused(nc, "feedback.cmd.submit_feedback", {**self_assessment, "form": "orderer_feedback"}, "forbidden")
    await ask(nc, "feedback.cmd.submit_feedback", {
        "actor": ORDERER, "engagement_id": engagement_id, "form": "orderer_feedback",
        "ratings": {"usefulness": 5, "expert_preparation": 4, "cooperation": 5, "would_order_again": 5}})
    await reaches(nc, engagement_id, "closed")

    expected = {"ExpertRegistered", "TrainingCompleted", "ConsentGiven", "ExpertListed", "OrderPlaced", "OfferMade",
                "OfferAccepted", "EngagementOpened", "ContractDrafted", "ContractSigned", "ContractFullySigned",
                "EngagementConfirmed", "DeliveryConfirmed", "FeeApproved", "FeedbackRequested", "FeedbackSubmitted",
                "FeedbackCompleted", "EngagementClosed"}

    async def full_trail():  # the audit consumes the four streams independently: wait for all of them
        history = await ask(nc, "audit.query.history", {"actor": AUDITOR, "engagement_id": engagement_id})
        return history if expected <= {entry["event_type"] for entry in history["entries"]} else None
    entries = (await eventually(full_trail))["entries"]
    kinds = [entry["event_type"] for entry in entries]
    assert {entry["service"] for entry in entries} == {"registry", "orders", "contracts", "feedback"}
    assert "pekka" not in str(entries), "another expert's events are not in this trail"
    assert len({entry["event_id"] for entry in entries}) == len(entries)
    place_of = {entry["event_id"]: n for n, entry in enumerate(entries)}
    for n, entry in enumerate(entries):
        cause = entry.get("causation_id")
        if cause in place_of:
            assert place_of[cause] < n, f"{entry['event_type']} comes before its cause"
    assert kinds.index("ExpertListed") < kinds.index("OfferMade") < kinds.index("EngagementOpened") \
        < kinds.index("ContractDrafted") < kinds.index("FeeApproved") < kinds.index("EngagementClosed")
    assert all(entry["trace_id"] for entry in entries)

    report = await verify_all_from(environment)
    assert report["intact"], report

    # Someone with superuser rights edits the approved fee in the contracts service's table by hand.
    await tamper(environment, "contracts", "FeeApproved")
    report = await verify_all_from(environment)
    assert not report["intact"]
    [store] = [store for store in report["stores"] if not store["intact"]]
    [broken] = store["breaks"]
    fee_event = next(entry for entry in entries if entry["event_type"] == "FeeApproved")
    assert store["store"] == "contracts" and broken["event_id"] == fee_event["event_id"]


async def test_cancelling_before_signing_owes_nothing_and_after_signing_owes_half(system):
    nc = system
    await set_up_registry(nc)
    engagements = []
    for _ in range(2):
        async def place():
            try:
                return await ask(
                    nc,
                    "orders.cmd.place_order",
                    {
                        "actor": ORDERER,
                        "task_type": "co_teaching",
                        "topic": "Co-teaching",
                        "date": str(TODAY + dt.timedelta(days=9)),
                        "duration_hours": "2",
                        "remote": True,
                        "experts_wanted": 1,
                        "county_service": False,
                        "fee": {"mode": "orderer", "hourly_fee": "40"},
                    },
                )
            except RemoteError as error:
                assert error.code == "forbidden"
        order_id = (await eventually(place))["order_id"]

        async def offered(order_id=order_id):  # type: ignore[no-untyped-def]
            try:
                return await ask(
                    nc, "orders.cmd.make_offer", {"actor": ORDERER, "order_id": order_id, "expert_id": "maija"}
                )
            except RemoteError as error:
                assert error.code == "validation"
        offer_id = (await eventually(offered))["offer_id"]
        accepted = await ask(
            nc, "orders.cmd.accept_offer", {"actor": EXPERT, "order_id": order_id, "offer_id": offer_id}
        )
        engagements.append(accepted["engagement_id"])
    unsigned, signed = engagements

    async def contract_of(engagement_id):
        try:
            return await ask(nc, "contracts.query.get_contract", {"actor": COORDINATOR, "engagement_id": engagement_id})
        except RemoteError as error:
            assert error.code == "not_found"
    await eventually(lambda: contract_of(signed))
    for actor, party in ((EXPERT, "expert"), (ORDERER, "orderer")):
        await ask(nc, "contracts.cmd.sign_contract", {"actor": actor, "engagement_id": signed, "party": party})
    await reaches(nc, signed, "confirmed")

    await ask(nc, "orders.cmd.cancel_engagement", {"actor": EXPERT, "engagement_id": unsigned, "reason": "ill"})
    await ask(
        nc, "orders.cmd.cancel_engagement", {"actor": ORDERER, "engagement_id": signed, "reason": "school closed"}
    )
    await refused(
        nc, "orders.cmd.confirm_delivery", {"actor": ORDERER, "engagement_id": signed, "actual_hours": "2"}, "conflict"
    )

    async def owed(engagement_id):
        contract = await contract_of(engagement_id)
        return contract and contract["cancellation"] and contract["cancellation"]["fee_owed"]
    assert await eventually(lambda: owed(signed)) == "40.00"  # half of 2 h x 40 €
    await eventually(lambda: contract_of(unsigned))
    assert (await asyncio.wait_for(owed(unsigned), 5)) in (None, "0.00")
