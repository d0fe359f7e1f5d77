"""Events the contracts service publishes on ``kokemus.contracts.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.events import DomainEvent, Personal
from shared.upcasting import sealed_since


class RateTablePublished(DomainEvent):
    """The recommended fee and expense table, in force from ``effective_from`` until a later one."""

    rate_table_id: str
    effective_from: dt.date
    hourly_fee: Decimal  # euros per hour
    minimum_fee: Decimal  # euros per assignment
    mileage_per_km: Decimal  # euros per kilometre (kilometrikorvaus)


class ContractDrafted(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    expert_id: str
    orderer_id: str
    fee_basis: str  # "orderer" or "recommended"
    rate_table_id: str | None
    hourly_fee: Decimal | None
    fixed_fee: Decimal | None
    minimum_fee: Decimal
    mileage_per_km: Decimal
    expenses_reimbursed: bool
    cancellation_fee_share: Decimal  # share of the agreed fee owed when cancelled after signing
    # The engagement's planned hours, so that a cancellation can price the expected fee from the contract
    # alone; optional, as an addition to the published contract.
    duration_hours: Decimal | None = None
    # Additions, optional so that contracts drafted before them still read: the task as the engagement
    # opened it, and the expense rates in force on the task's date, frozen into the contract.
    task_date: dt.date | None = None
    task_type: str | None = None
    topic: Personal = None  # the orderer's, sealed by orders: None while contracts cannot open it
    remote: bool | None = None
    place: Personal = None
    expense_rates_id: str | None = None
    per_diem_partial: Decimal | None = None  # euros, over 6 hours away
    per_diem_full: Decimal | None = None  # euros, over 10 hours away
    meal_allowance: Decimal | None = None  # euros
    start_time: dt.time | None = None  # Finnish time, as the engagement opened it; None: some time that day


class ContractAmended(DomainEvent):
    """The terms changed: a new version of the contract's document, which both parties sign again. Each field given
    replaces the one before; one left out (None) stays as it was. A fee given replaces the fee and its basis (the
    parties agreed it)."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    version: int  # the document's new version: 2, 3, …
    task_date: dt.date | None = None
    start_time: dt.time | None = None
    duration_hours: Decimal | None = None
    remote: bool | None = None
    place: Personal = None  # the orderer's, like the draft's
    hourly_fee: Decimal | None = None
    fixed_fee: Decimal | None = None
    # The place changed to one contracts cannot read (the order's, as the expert accepted its change): the
    # contract's place is "as ordered" from this version on. An addition, false in amendments made before it.
    place_changed: bool = False


class ContractAmendmentSigned(DomainEvent):
    """Both parties signed the amended version of a contract both had signed before."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    version: int


class ContractSigned(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    party: str  # "expert" or "orderer"
    signer_id: str
    # The document the signer saw: its version, language and SHA-256 (absent from signatures made without it).
    document_version: int | None = None
    document_language: str | None = None
    document_hash: str | None = None


class FeeDeclined(DomainEvent):
    """The expert declined the fee: the engagement is volunteering. Only expense compensation is paid, tax-free
    within the yearly caps for volunteers; the contract records the tax character and the rule it came from."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    tax_character: str  # "volunteering"
    rule: str


class ContractFullySigned(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID


class ContractCancelled(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    fee_owed: Decimal
    cancelled_by: str | None = None  # "expert" or "orderer"; absent from cancellations recorded before it was


class FeeApproved(DomainEvent):
    """The fee and expenses computed from the contract's terms and the delivered facts."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    fee: Decimal
    mileage: Decimal
    other_expenses: Decimal
    total: Decimal


class FeePaid(DomainEvent):
    """A payment to the expert: the approved fee (or a cancellation's fee owed) and the expense lines approved
    by then, or only expense lines approved after the fee was paid."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    total: Decimal
    paid_on: dt.date
    includes_fee: bool = True  # payments recorded before expense claims always paid the fee
    expense_lines: list[int] = Field(default_factory=list)  # the expense lines this payment covers
    batch_id: str | None = None  # the payment batch that paid it (absent from payments recorded one by one)


class BatchPayment(BaseModel):
    """One contract's payment in a batch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engagement_id: uuid.UUID
    total: Decimal
    taxable: Decimal  # the part that is fee income; the rest are tax-free reimbursements


class PaymentBatchRecorded(DomainEvent):
    """Payroll paid a batch on ``paid_on``: one ``FeePaid`` per contract follows on each contract's stream. The
    Incomes Register is to be reported to by ``report_by``."""

    batch_id: str
    paid_on: dt.date
    report_by: dt.date
    payments: list[BatchPayment]
    total: Decimal


# -- expenses ----------------------------------------------------------------------------------------------

class ExpenseRatesPublished(DomainEvent):
    """Expense rates (at most the Tax Administration's tax-free amounts), in force from ``effective_from`` until
    a later publication. An engagement is reimbursed at the rates in force on its task's date."""

    rates_id: str
    effective_from: dt.date
    car_per_km: Decimal  # euros per kilometre (kilometrikorvaus)
    per_diem_partial: Decimal  # euros, more than 6 hours away (osapäiväraha)
    per_diem_full: Decimal  # euros, more than 10 hours away (kokopäiväraha)
    meal_allowance: Decimal  # euros (ateriakorvaus)


class ExpenseLine(BaseModel):
    """One line of an expense claim, with the amount the contract's rates give it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int  # numbered across the contract's claims, from 1
    kind: str  # car, public_transport, parking, per_diem, meal_allowance
    amount: Decimal  # euros
    kilometres: Decimal | None = None  # car
    hours_away: Decimal | None = None  # per diem
    description: str | None = None  # a ticket's or a parking's what and where


class ExpenseClaimFiled(DomainEvent):
    """The expert claimed expenses after the task; each line waits for the orderer or a coordinator."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    claim_no: int
    expense_rates_id: str | None
    lines: list[ExpenseLine]
    total: Decimal
    route: Personal = None  # the car journey's route, which may name where the expert lives


class ExpenseLineApproved(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    line_no: int
    amount: Decimal


class ExpenseLineReturned(DomainEvent):
    """A line sent back to the expert with the reason; the expert may claim it again, corrected. Version 2 seals
    the reason with the expert's key: a reason about a claim may tell where the expert was, or why."""

    schema_version: ClassVar[int] = 2

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    line_no: int
    reason: Personal = None


sealed_since(ExpenseLineReturned, from_version=1)


class ReceiptAttached(DomainEvent):
    """A receipt file for an expense line, kept in the receipt store under ``receipt_id``. Only what the file is
    travels here: its bytes are personal data, in the store until the expert is erased."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    line_no: int
    receipt_id: uuid.UUID
    content_type: str  # by the file's magic bytes: application/pdf, image/png, image/jpeg, …
    size: int  # bytes
    sha256: str


# -- the expert's own income limit -------------------------------------------------------------------------

class IncomeLimitSet(DomainEvent):
    """The expert's annual and/or monthly limit of fee income (a benefit or a pension may depend on staying under
    it; ``annual_limit`` None when only a monthly one is set): sealed
    with a key of its own (``income-limit:<expert_id>:<key_no>``), shredded when the expert clears it."""

    expert_id: str
    key_no: int
    annual_limit: Personal  # euros, as a string: that a limit exists tells of the expert's life situation
    # A monthly limit of earnings (a pension's or a benefit's), euros as a string; an addition, optional so
    # that limits set before it still read.
    monthly_limit: Personal = None


class IncomeLimitCleared(DomainEvent):
    """The expert no longer wants a limit: the key that sealed it is shredded with this."""

    expert_id: str
    key_no: int


class PaymentRecordsKept(DomainEvent):
    """The expert was erased, but the law requires their payment records to be kept: the payments (amounts,
    dates, contracts and engagements, by the expert's pseudonymous id) stay in the history until ``kept_until``
    under ``rule``. What was sealed with the expert's key (their expense claims' routes) is erased all the same."""

    expert_id: str
    payments: int
    rule: str
    kept_until: dt.date
