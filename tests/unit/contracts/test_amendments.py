"""Amendments: a coordinator changes the terms (date, time, duration, place or remote, fee) before delivery; the
contract gets a new version of its document with its own hash, which both parties sign again; the fee arithmetic
uses the amended terms, and every earlier version stays readable as it was signed. Bad input names its field and
records nothing. The amended documents are kept under test-output/contracts/ for a person to look at."""

import datetime as dt
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.contracts import document, handlers as h, messages as m
from services.contracts.events import ContractDrafted
from services.orders import events as orders
from shared.errors import Conflict, Forbidden, Invalid
from tests.unit.calls import call
from tests.unit.contracts.scenario import COORDINATOR, EXPERT, ORDERER, contract, deliver, recorded, sign_both

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "contracts"
TASK_DAY = dt.date(2026, 4, 1)


async def signed(deps, orders_store, sign=True):
    engagement_id = uuid.uuid4()
    await deliver(deps, orders_store, orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
        orderer_id="school-1", task_type=orders.TaskType.lecture, topic="Toipuminen", date=TASK_DAY,
        duration_hours=D("2"), remote=False, place="Turun lyseo", start_time=dt.time(13),
        fee=orders.FeeTerms(mode=orders.FeeMode.recommended)), engagement_id)
    if sign:
        await sign_both(deps, engagement_id)
    return engagement_id


async def amend(deps, engagement_id, actor=COORDINATOR, **changes):
    return await call(h.amend_contract, m.AmendContract(engagement_id=engagement_id, **changes), actor, deps)


async def read(deps, engagement_id, language="fi", version=None, actor=EXPERT):
    return await call(h.contract_document, m.ContractDocument(engagement_id=engagement_id, language=language,
                                                              version=version), actor, deps)


async def sign(deps, engagement_id, actor, party, document_hash):
    return await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party=party,
                                                      document_hash=document_hash), actor, deps)


async def test_an_amendment_is_a_new_version_both_sign_again_and_the_first_stays_readable(deps, orders_store):
    engagement_id = await signed(deps, orders_store)
    first = await read(deps, engagement_id)
    assert "Kellonaika</dt><dd>13.00" in first["html"] and "Muutos" not in first["html"]
    view = await amend(deps, engagement_id, task_date="2026-04-08", start_time="09:30", duration_hours="3",
                       remote=True, fixed_fee="240.00")
    assert (view["document_version"], view["version_signed"], view["fully_signed"]) == (2, False, True)
    wanted = {"task_date": "2026-04-08", "start_time": "09:30", "duration_hours": "3", "remote": True,
              "fee_basis": "orderer", "fixed_fee": "240.00", "hourly_fee": None}
    assert {name: view["terms"][name] for name in wanted} == wanted
    second = {language: await read(deps, engagement_id, language) for language in ("fi", "sv")}
    for language, parts in (("fi", ["Versio 2", "muuttaa sopimuksen version 1 ehtoja: päivämäärä, kellonaika, kesto, "
                                    "etä- tai lähitehtävä, palkkio", "8.4.2026", "9.30", "Etätehtävä",
                                    "240,00\u00a0€ koko tehtävästä", "eli 120,00\u00a0€"]),
                            ("sv", ["Version 2", "ändrar villkoren i version 1", "Distansuppdrag",
                                    "240,00\u00a0€ för hela uppdraget"])):
        for part in parts:
            assert part in second[language]["html"], (language, part)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / f"amended-contract-v2-{language}.html").write_text(second[language]["html"])
    # The first version reads as it was signed, hash and all; signing it now is signing a stale version.
    again = await read(deps, engagement_id, version=1)
    assert (again["html"], again["sha256"], again["to_sign"]) == (first["html"], first["sha256"], False)
    assert (await contract(deps, engagement_id))["signed_documents"] == {}
    with pytest.raises(Conflict, match="stale"):
        await sign(deps, engagement_id, EXPERT, "expert", first["sha256"])
    await sign(deps, engagement_id, EXPERT, "expert", second["fi"]["sha256"])
    view = await sign(deps, engagement_id, ORDERER, "orderer", second["sv"]["sha256"])
    assert view["version_signed"] is True
    assert view["versions"] == [
        {"version": 1, "signed_by": {"expert": "maija", "orderer": "school-1"}, "changed": []},
        {"version": 2, "signed_by": {"expert": "maija", "orderer": "school-1"},
         "changed": ["duration_hours", "fixed_fee", "remote", "start_time", "task_date"]}]
    assert view["signed_documents"]["orderer"] == {"version": 2, "language": "sv", "sha256": second["sv"]["sha256"]}
    assert len(recorded(deps, "ContractFullySigned")) == 1  # the engagement was confirmed once, at version 1
    assert [e["payload"]["version"] for e in recorded(deps, "ContractAmendmentSigned")] == [2]


async def test_the_fee_is_priced_from_the_amended_terms(deps, orders_store):
    delivered, cancelled = await signed(deps, orders_store), await signed(deps, orders_store)
    for engagement_id in (delivered, cancelled):
        await amend(deps, engagement_id, duration_hours="3", hourly_fee="40.00")
    await deliver(deps, orders_store, orders.DeliveryConfirmed(
        engagement_id=delivered, actual_hours=D("3"), kilometres=D("10")), delivered)
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=cancelled, cancelled_by="orderer", reason="x", after_signing=True), cancelled)
    # 3 h × 40 € = 120 €, and 10 km × 0.55 € = 5.50 €; half of the expected 3 h × 40 € = 60 €.
    assert (await contract(deps, delivered))["fee"] == {"fee": "120.00", "mileage": "5.50", "other_expenses": "0.00",
                                                         "total": "125.50"}
    assert (await contract(deps, cancelled))["cancellation"]["fee_owed"] == "60.00"


async def test_an_amendment_before_both_signed_waits_for_both_signatures_anew(deps, orders_store):
    engagement_id = await signed(deps, orders_store, sign=False)
    await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="orderer"), ORDERER, deps)
    view = await amend(deps, engagement_id, place="Kupittaan sairaala")
    assert (view["status"], view["signed_by"], view["terms"]["place"]) == (
        "drafted", {"expert": None, "orderer": None}, None)  # the reply is kept, so without the place
    assert (await contract(deps, engagement_id, actor=EXPERT))["terms"]["place"] == "Kupittaan sairaala"
    assert "Kupittaan sairaala" in (await read(deps, engagement_id))["html"]
    view = await sign_both(deps, engagement_id)
    assert (view["status"], view["fully_signed"]) == ("fully_signed", True)
    assert len(recorded(deps, "ContractFullySigned")) == 1 and recorded(deps, "ContractAmendmentSigned") == []


@pytest.mark.parametrize(("changes", "field"), [
    ({}, "(message)"),
    ({"duration_hours": "2", "remote": False}, "(message)"),  # as the contract has them already
    ({"task_date": "2026-03-01"}, "task_date"),  # the clock stands on 2 March 2026
    ({"hourly_fee": "40", "fixed_fee": "200"}, "fixed_fee"),
])
async def test_bad_amendments_name_the_field_and_record_nothing(deps, orders_store, changes, field):
    engagement_id = await signed(deps, orders_store)
    with pytest.raises(Invalid) as refused:
        await amend(deps, engagement_id, **changes)
    assert [problem.field for problem in refused.value.fields] == [field]
    assert recorded(deps, "ContractAmended") == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"duration_hours": "0"}, "duration_hours"), ({"duration_hours": "-1"}, "duration_hours"),
    ({"fixed_fee": "-5"}, "fixed_fee"), ({"place": ""}, "place"), ({"start_time": "25:00"}, "start_time"),
])
def test_malformed_amendments_are_refused_by_field(changes, field):
    with pytest.raises(ValidationError) as refused:
        m.AmendContract(engagement_id=uuid.uuid4(), **changes)
    assert [error["loc"][0] for error in refused.value.errors()] == [field]


async def test_a_delivered_or_cancelled_contract_is_not_amended(deps, orders_store):
    delivered, cancelled = await signed(deps, orders_store), await signed(deps, orders_store)
    await deliver(deps, orders_store, orders.DeliveryConfirmed(
        engagement_id=delivered, actual_hours=D("2"), kilometres=D("0")), delivered)
    await deliver(deps, orders_store, orders.EngagementCancelled(
        engagement_id=cancelled, cancelled_by="expert", reason="x", after_signing=True), cancelled)
    for engagement_id, why in ((delivered, "delivered"), (cancelled, "cancelled")):
        with pytest.raises(Conflict, match=why):
            await amend(deps, engagement_id, duration_hours="3")


@pytest.mark.parametrize("actor", [EXPERT, ORDERER])
async def test_only_a_coordinator_amends(deps, orders_store, actor):
    engagement_id = await signed(deps, orders_store)
    with pytest.raises(Forbidden):
        await amend(deps, engagement_id, actor=actor, duration_hours="3")


async def test_no_such_version_names_the_field(deps, orders_store):
    engagement_id = await signed(deps, orders_store)
    with pytest.raises(Invalid) as refused:
        await read(deps, engagement_id, version=2)
    assert refused.value.fields[0].field == "version"


def test_the_first_version_of_a_contract_reads_byte_for_byte_as_before_amendments_existed():
    # The hash a signature of version 1 names must not change with this code: the same terms, the same text.
    terms = ContractDrafted(
        contract_id=uuid.UUID(int=1), engagement_id=uuid.UUID(int=2), expert_id="maija", orderer_id="s",
        fee_basis="recommended", rate_table_id="default-2024", hourly_fee=D("30.00"), fixed_fee=None,
        minimum_fee=D("50.00"), mileage_per_km=D("0.55"), expenses_reimbursed=True, cancellation_fee_share=D("0.5"),
        duration_hours=D("2"), task_date=TASK_DAY, task_type="lecture", remote=False,
        expense_rates_id="tax-free-2026", per_diem_partial=D("25.00"), per_diem_full=D("54.00"),
        meal_allowance=D("13.50"))
    assert [document.render(terms, D("60.00"), language).sha256 for language in ("fi", "sv")] == [
        "d028a2a804893245c8186db8e3c8fc99b624da98ecc3c9f19236f21ac5f0509d",
        "fe98d68ff30b7261bb5b96a8dc72b66f98835b8a5a16fff4e25e59f20986dc2c"]


async def test_a_change_the_expert_accepted_in_orders_amends_the_contract_the_place_as_ordered(deps, orders_store):
    engagement_id = await signed(deps, orders_store)
    # As contracts reads it: the order's new place sealed by orders, so null, and said to have changed.
    await deliver(deps, orders_store, orders.EngagementChangeAccepted(
        engagement_id=engagement_id, expert_id="maija", date=dt.date(2026, 4, 8), place=None,
        place_changed=True), engagement_id)
    view = await call(h.get_contract, m.GetContract(engagement_id=engagement_id), COORDINATOR, deps)
    assert (view["document_version"], view["version_signed"]) == (2, False)  # both sign the new version again
    assert view["terms"]["task_date"] == "2026-04-08"
    assert view["versions"][1]["changed"] == ["place", "task_date"]
    html = (await read(deps, engagement_id))["html"]
    assert "Paikka</dt><dd>tilauksen mukaan" in html  # not the drafted place: the order's, as changed
    assert "päivämäärä, paikka" in html
    # The place alone changed: still an amendment, though contracts cannot read the new place.
    await deliver(deps, orders_store, orders.EngagementChangeAccepted(
        engagement_id=engagement_id, expert_id="maija", place_changed=True), engagement_id)
    assert (await call(h.get_contract, m.GetContract(engagement_id=engagement_id), COORDINATOR,
                       deps))["document_version"] == 3
