"""Commands and queries the contracts service answers on ``kokemus.contracts.cmd.*`` and
``kokemus.contracts.query.*``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.contracts.domain import ContractStatus, Party
from services.contracts.expenses import MAX_HOURS_AWAY, MAX_KILOMETRES, MAX_LINE_AMOUNT, ExpenseKind
from services.contracts.receipts import MAX_RECEIPT_BASE64
from shared.commands import Command, Request
from shared.fields import Day, Euros, Identifier, Name, Reason

MAX_LINES = 20  # lines in one claim
Route = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Rate = Annotated[Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=2)]


class PublishRateTable(Command):
    rate_table_id: Identifier
    effective_from: Day
    hourly_fee: Euros
    minimum_fee: Euros
    mileage_per_km: Euros


class SignContract(Command):
    engagement_id: uuid.UUID
    party: Party
    # The SHA-256 of the contract document the signer read (contract_document); a stale one is refused.
    document_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")


class RecordPayment(Command):
    engagement_id: uuid.UUID
    paid_on: Day | None = None  # today when not given


class ListRateTables(Request):
    pass


class RateInForce(Request):
    on: Day | None = None  # today when not given


class GetContract(Request):
    engagement_id: uuid.UUID


class ListContracts(Request):
    status: ContractStatus | None = None


class PublishExpenseRates(Command):
    rates_id: Identifier
    effective_from: Day
    car_per_km: Rate
    per_diem_partial: Rate
    per_diem_full: Rate
    meal_allowance: Rate


class ClaimLine(BaseModel):
    """One line of a claim; which fields a kind takes: car (kilometres, route), public_transport and parking
    (amount, description), per_diem (hours_away), meal_allowance (none)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ExpenseKind
    kilometres: Decimal | None = Field(None, ge=0, le=MAX_KILOMETRES, max_digits=5, decimal_places=1)
    route: Route | None = None
    amount: Decimal | None = Field(None, ge=0, le=MAX_LINE_AMOUNT, max_digits=7, decimal_places=2)
    hours_away: Decimal | None = Field(None, ge=0, le=MAX_HOURS_AWAY, max_digits=4, decimal_places=2)
    description: Description | None = None


class ClaimExpenses(Command):
    engagement_id: uuid.UUID
    lines: list[ClaimLine] = Field(min_length=1, max_length=MAX_LINES)


class ApproveExpenseLine(Command):
    engagement_id: uuid.UUID
    line_no: int = Field(ge=1, le=10000)


class ReturnExpenseLine(ApproveExpenseLine):
    reason: Reason


class ListExpenseRates(Request):
    pass


class ContractDocument(Request):
    engagement_id: uuid.UUID
    language: Literal["fi", "sv"] = "fi"
    version: int | None = Field(None, ge=1, le=1000)  # the version in force when not given


class ContractPdf(ContractDocument):
    pass


class AmendContract(Command):
    """The terms that change (at least one); a fee given replaces the fee (hourly or fixed, not both)."""

    engagement_id: uuid.UUID
    task_date: Day | None = None
    start_time: dt.time | None = None  # Finnish time
    duration_hours: Decimal | None = Field(None, gt=0, le=24, max_digits=4, decimal_places=2)
    remote: bool | None = None
    place: Name | None = None
    hourly_fee: Euros | None = None
    fixed_fee: Euros | None = None


class PaymentBatch(Request):
    paid_on: Day | None = None  # the payment day payroll will pay on; today when not given


class RecordPaymentBatch(Command):
    # The batch as listed (payment_batch): its id names exactly those payments on that day.
    batch_id: str = Field(pattern=r"^batch-[0-9a-f]{16}$")
    paid_on: Day


Limit = Annotated[Decimal, Field(gt=0, le=1_000_000, max_digits=9, decimal_places=2)]


class SetIncomeLimit(Command):
    """A yearly limit, a monthly one, or both (at least one)."""

    expert_id: Identifier
    annual_limit: Limit | None = None  # euros of fees a year
    monthly_limit: Limit | None = None  # euros of fees a calendar month


class ClearIncomeLimit(Command):
    expert_id: Identifier


class LegalHolds(Request):
    """What the contracts service must keep of the expert whatever an erasure asks, under which rule, until when."""

    expert_id: Identifier


class IncomeSummary(Request):
    expert_id: Identifier
    year: int | None = Field(None, ge=2000, le=2100)  # this year when not given


class AttachReceipt(Command):
    """A receipt file (a PDF or an image, by its first bytes) for an expense line, as base64: at most 640 KiB of
    file, so that the command fits in one NATS message (services/contracts/receipts.py says why)."""

    # A NATS message is at most 1 MiB: the file's base64, the envelope and the token fit in this.
    max_request_bytes: ClassVar[int] = MAX_RECEIPT_BASE64 + 64 * 1024

    engagement_id: uuid.UUID
    line_no: int = Field(ge=1, le=10000)
    # Not capped here: a file over the limit is refused by the handler, naming ``data`` and the limit.
    data: str = Field(min_length=1, max_length=MAX_RECEIPT_BASE64 + 1024)


class Receipt(Request):
    engagement_id: uuid.UUID
    receipt_id: uuid.UUID


class DeclineFee(Command):
    """The expert declines the fee: the engagement is volunteering (expense compensation only)."""

    engagement_id: uuid.UUID


class IncomeCheck(Request):
    """Would an offer's fee pass the expert's limits? The fee as the offer sets it: a fixed fee, an hourly fee for
    the hours, or (neither given) the recommended table in force on the task's day."""

    expert_id: Identifier
    on: Day  # the task's day
    duration_hours: Decimal = Field(gt=0, le=24, max_digits=4, decimal_places=2)
    hourly_fee: Euros | None = None
    fixed_fee: Euros | None = None
