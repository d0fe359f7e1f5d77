"""The contract's rules and the fee arithmetic, on the aggregates alone."""

import datetime as dt
import uuid
from decimal import Decimal as D

import pytest

from services.contracts.domain import (
    DEFAULT_RATE_TABLE,
    Contract,
    ContractStatus,
    OrdererFee,
    Party,
    RateTables,
)
from services.contracts.events import ContractDrafted, ContractFullySigned, ContractSigned, FeeApproved, FeePaid
from services.contracts.expenses import ClaimedLine, ExpenseKind
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import Actor, Role

TODAY = dt.date(2026, 3, 2)
EXPERT = Actor(id="maija", role=Role.expert)
ORDERER = Actor(id="school-1", role=Role.orderer)


NO_ORDERER_FEE = OrdererFee()


def drafted(orderer_fee=NO_ORDERER_FEE, expenses_reimbursed=True, duration_hours=D("2"), rates=DEFAULT_RATE_TABLE):
    contract = Contract(str(uuid.uuid4()))
    contract.draft("maija", "school-1", orderer_fee, expenses_reimbursed, duration_hours, rates, TODAY)
    return contract


def approved(contract, hours, km="0", other="0"):
    fees = contract.approve_fee(D(hours), D(km), D(other))
    return fees.fee, fees.mileage, fees.other_expenses, fees.total


# -- the fee ---------------------------------------------------------------------------------------------

def test_an_orderer_hourly_fee_is_paid_by_the_hour_with_no_minimum():
    assert approved(drafted(OrdererFee(hourly_fee=D("40.00"))), "2.5") == (D("100.00"), 0, 0, D("100.00"))
    # The table's 50 € minimum is for the recommended fee: an orderer's own fee is what was agreed.
    assert approved(drafted(OrdererFee(hourly_fee=D("20.00"))), "1") == (D("20.00"), 0, 0, D("20.00"))


def test_an_orderer_fixed_fee_does_not_depend_on_the_hours():
    assert approved(drafted(OrdererFee(fixed_fee=D("150.00"))), "7") == (D("150.00"), 0, 0, D("150.00"))
    assert approved(drafted(OrdererFee(hourly_fee=D("40"), fixed_fee=D("150.00"))), "7")[0] == D("150.00")


def test_the_recommended_fee_is_never_below_the_tables_minimum():
    assert approved(drafted(), "1")[0] == D("50.00")  # 30.00 € for the hour, raised to the minimum
    assert approved(drafted(), "3")[0] == D("90.00")


def test_mileage_and_other_expenses_are_added_when_reimbursed():
    fee, mileage, other, total = approved(drafted(), "2", km="42", other="8.60")
    assert (fee, mileage, other, total) == (D("60.00"), D("24.78"), D("8.60"), D("93.38"))


def test_expenses_cannot_be_switched_off_the_expert_never_pays_to_work():
    contract = drafted(OrdererFee(fixed_fee=D("120")), expenses_reimbursed=False)
    assert contract.terms.expenses_reimbursed is True
    assert approved(contract, "2", km="42", other="8.60") == (D("120.00"), D("24.78"), D("8.60"), D("153.38"))


def test_each_amount_is_rounded_half_up_to_cents_and_the_total_is_their_sum():
    contract = drafted(OrdererFee(hourly_fee=D("30.25")))
    # 30.25 × 2.5 = 75.625 and 12.345 would round down to even; half-up is what an invoice shows.
    fee, mileage, other, total = approved(contract, "2.5", km="12.5", other="12.345")
    assert (fee, mileage, other) == (D("75.63"), D("7.38"), D("12.35"))
    assert total == fee + mileage + other == D("95.36")


def test_the_fee_is_approved_once():
    contract = drafted()
    contract.approve_fee(D("2"), D("0"), D("0"))
    with pytest.raises(Conflict):
        contract.approve_fee(D("2"), D("0"), D("0"))


# -- drafting --------------------------------------------------------------------------------------------

def test_an_orderer_mode_without_a_fee_falls_back_to_the_recommended_table():
    terms = drafted(OrdererFee()).terms
    assert (terms.fee_basis, terms.hourly_fee, terms.fixed_fee) == ("recommended", D("30.00"), None)
    assert terms.rate_table_id == "default-2024"


def test_the_contract_takes_mileage_and_minimum_from_the_table_even_with_the_orderers_fee():
    terms = drafted(OrdererFee(hourly_fee=D("45"))).terms
    assert (terms.fee_basis, terms.hourly_fee, terms.mileage_per_km, terms.minimum_fee) == (
        "orderer",
        D("45"),
        D("0.59"),
        D("50.00"),
    )


def test_a_contract_is_not_drafted_without_a_table_in_force():
    with pytest.raises(Conflict):
        drafted(rates=None)


def test_the_contract_id_follows_from_the_engagement():
    engagement_id = uuid.uuid4()
    contract = Contract(str(engagement_id))
    contract.draft("maija", "school-1", OrdererFee(), True, D("1"), DEFAULT_RATE_TABLE, TODAY)
    assert contract.terms.contract_id == Contract.id_for(engagement_id) != engagement_id


# -- signatures ------------------------------------------------------------------------------------------

def test_the_second_signature_makes_the_contract_fully_signed():
    contract = drafted()
    contract.sign(Party.expert, EXPERT)
    assert contract.status is ContractStatus.partly_signed and not contract.fully_signed
    contract.sign(Party.orderer, ORDERER)
    assert [type(e) for e in contract.pending[-3:]] == [ContractSigned, ContractSigned, ContractFullySigned]
    assert contract.status is ContractStatus.fully_signed


def test_signing_twice_is_a_conflict():
    contract = drafted()
    contract.sign(Party.orderer, ORDERER)
    with pytest.raises(Conflict):
        contract.sign(Party.orderer, ORDERER)


@pytest.mark.parametrize("party, actor", [
    (Party.expert, Actor(id="someone-else", role=Role.expert)),
    (Party.expert, Actor(id="school-1", role=Role.orderer)),  # the orderer cannot sign for the expert
    (Party.orderer, Actor(id="school-1", role=Role.coordinator)),  # the right id in the wrong role
    (Party.orderer, Actor(id="maija", role=Role.expert)),
])
def test_only_the_named_party_signs(party, actor):
    with pytest.raises(Forbidden):
        drafted().sign(party, actor)


def test_a_cancelled_contract_cannot_be_signed():
    contract = drafted()
    contract.cancel(after_signing=False)
    with pytest.raises(Conflict):
        contract.sign(Party.expert, EXPERT)


# -- cancellation and payment ----------------------------------------------------------------------------

def test_cancelling_after_signing_owes_the_share_of_the_expected_fee():
    contract = drafted(OrdererFee(hourly_fee=D("40.00")), duration_hours=D("3"))
    contract.cancel(after_signing=True)
    assert contract.cancellation.fee_owed == D("60.00")  # half of 3 h × 40 €


def test_the_share_of_a_short_recommended_assignment_is_of_the_minimum_fee():
    contract = drafted(duration_hours=D("1"))
    contract.cancel(after_signing=True)
    assert contract.cancellation.fee_owed == D("25.00")


def test_cancelling_before_signing_owes_nothing():
    contract = drafted(OrdererFee(fixed_fee=D("200")))
    contract.cancel(after_signing=False)
    assert contract.cancellation.fee_owed == D("0.00")
    assert contract.status is ContractStatus.cancelled


def test_a_delivered_contract_cannot_be_cancelled():
    contract = drafted()
    contract.approve_fee(D("1"), D("0"), D("0"))
    with pytest.raises(Conflict):
        contract.cancel(after_signing=True)


def test_payment_waits_for_the_approved_fee():
    contract = drafted()
    with pytest.raises(Conflict):
        contract.record_payment(TODAY)
    contract.approve_fee(D("2"), D("10"), D("0"))
    contract.record_payment(TODAY)
    assert contract.payment.total == D("65.90")
    with pytest.raises(Conflict):
        contract.record_payment(TODAY)


def test_the_fee_a_cancellation_left_owed_can_be_paid():
    contract = drafted(OrdererFee(fixed_fee=D("200")))
    contract.cancel(after_signing=True)
    contract.record_payment(TODAY)
    assert (contract.payment.total, contract.status) == (D("100.00"), ContractStatus.paid)


# -- rate tables -----------------------------------------------------------------------------------------

def tables_with(*effective: dt.date) -> RateTables:
    tables = RateTables()
    for n, day in enumerate(effective):
        tables.publish(f"t{n}", day, D(30 + n), D("50"), D("0.59"))
    return tables


def test_the_table_in_force_is_the_latest_that_has_started():
    tables = tables_with(dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    assert tables.in_force(dt.date(2023, 12, 31)) is None
    assert tables.in_force(dt.date(2024, 12, 31)).rate_table_id == "t0"
    assert tables.in_force(dt.date(2025, 1, 1)).rate_table_id == "t1"


@pytest.mark.parametrize("day", [dt.date(2025, 1, 1), dt.date(2024, 6, 1)])
def test_a_new_table_starts_after_the_latest_so_history_is_not_rewritten(day):
    tables = tables_with(dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    with pytest.raises(Invalid) as error:
        tables.publish("t9", day, D("35"), D("50"), D("0.59"))
    assert [p.field for p in error.value.fields] == ["effective_from"]


def test_rates_must_be_positive_or_zero_and_each_problem_is_named():
    with pytest.raises(Invalid) as error:
        RateTables().publish("t", TODAY, D("0"), D("-1"), D("-0.01"))
    assert [p.field for p in error.value.fields] == ["hourly_fee", "minimum_fee", "mileage_per_km"]
    RateTables().publish("free-minimum", TODAY, D("0.01"), D("0"), D("0"))  # zero is allowed where it says >= 0


def test_a_table_id_is_used_once():
    tables = tables_with(dt.date(2024, 1, 1))
    with pytest.raises(Conflict):
        tables.publish("t0", dt.date(2025, 1, 1), D("35"), D("50"), D("0.59"))


def test_the_default_table_is_seeded_only_when_there_is_none():
    tables = RateTables()
    assert tables.seed_default() is True
    assert tables.seed_default() is False
    assert tables.tables == [DEFAULT_RATE_TABLE]
    assert (DEFAULT_RATE_TABLE.effective_from, DEFAULT_RATE_TABLE.hourly_fee, DEFAULT_RATE_TABLE.minimum_fee,
            DEFAULT_RATE_TABLE.mileage_per_km) == (dt.date(2024, 1, 1), D("30.00"), D("50.00"), D("0.59"))


# -- contracts recorded before expenses, cancellation terms and documents ---------------------------------

def test_a_contract_recorded_before_the_additions_still_reads_pays_and_takes_a_claim():
    """Events in the form they had before: no task date, expense rates, canceller, document or paid lines."""
    engagement_id = uuid.uuid4()
    contract_id = Contract.id_for(engagement_id)
    old = [
        ContractDrafted.model_validate({
            "contract_id": str(contract_id), "engagement_id": str(engagement_id), "expert_id": "maija",
            "orderer_id": "school-1", "fee_basis": "recommended", "rate_table_id": "default-2024",
            "hourly_fee": "30.00", "fixed_fee": None, "minimum_fee": "50.00", "mileage_per_km": "0.59",
            "expenses_reimbursed": False, "cancellation_fee_share": "0.5"}),
        *(ContractSigned.model_validate({"contract_id": str(contract_id), "engagement_id": str(engagement_id),
                                         "party": party, "signer_id": signer})
          for party, signer in (("expert", "maija"), ("orderer", "school-1"))),
        ContractFullySigned(contract_id=contract_id, engagement_id=engagement_id),
        FeeApproved.model_validate({"contract_id": str(contract_id), "engagement_id": str(engagement_id),
                                    "fee": "60.00", "mileage": "0.00", "other_expenses": "0.00", "total": "60.00"}),
        FeePaid.model_validate({"contract_id": str(contract_id), "engagement_id": str(engagement_id),
                                "total": "60.00", "paid_on": "2025-05-02"}),
    ]
    contract = Contract(str(engagement_id))
    for event in old:
        contract.apply(event)
    assert contract.status is ContractStatus.paid and contract.fee_paid
    assert contract.signed_documents[Party.expert].document_hash is None
    assert contract.documents()["fi"].sha256  # its document renders from what it has
    # Expenses were never the expert's to pay: the old contract takes a claim, at the mileage it kept.
    claim = contract.file_claim(EXPERT, [ClaimedLine(kind=ExpenseKind.car, kilometres=D("10"), route="A – B")], TODAY)
    assert claim.lines[0].amount == D("5.90")
    with pytest.raises(Conflict):  # but it has no per diem rate: a coordinator settles that by hand
        contract.file_claim(EXPERT, [ClaimedLine(kind=ExpenseKind.per_diem, hours_away=D("8"))], TODAY)
