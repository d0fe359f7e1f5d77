"""Each engagement's assignment contract (toimeksiantosopimus): drafted, signed against its document,
delivered, claimed, approved, paid or cancelled. No I/O here."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import replace
from decimal import Decimal

from services.contracts.document import LANGUAGES, Document, render
from services.contracts.domain.amendment import Amendment, changed_terms
from services.contracts.domain.contract_state import ContractState
from services.contracts.domain.terms import (
    DEFAULT_CANCELLATION_FEE_SHARE,
    VOLUNTEERING,
    VOLUNTEERING_RULE,
    ZERO,
    FeeBasis,
    Fees,
    OrdererFee,
    Party,
    Task,
    fee_for_hours,
    fees_for_delivery,
)
from services.contracts.events import (
    ContractAmended,
    ContractAmendmentSigned,
    ContractCancelled,
    ContractDrafted,
    ContractFullySigned,
    ContractSigned,
    ExpenseClaimFiled,
    ExpenseLineApproved,
    ExpenseLineReturned,
    ExpenseRatesPublished,
    FeeApproved,
    FeeDeclined,
    FeePaid,
    RateTablePublished,
    ReceiptAttached,
)
from services.contracts.expenses import (
    DAILY_ALLOWANCES,
    ClaimedLine,
    ExpenseKind,
    LineStatus,
    cents,
    price_lines,
)
from shared.errors import Conflict, Forbidden, invalid
from shared.events import Actor, Role


class Contract(ContractState):
    """The assignment contract of one engagement; its aggregate id is the engagement id."""

    def draft(self, expert_id: str, orderer_id: str, orderer_fee: OrdererFee, expenses_reimbursed: bool,
              duration_hours: Decimal, rates: RateTablePublished | None, on: dt.date,
              task: Task | None = None, expense_rates: ExpenseRatesPublished | None = None) -> None:
        """Fix the terms: the orderer's fee where it set one, else the recommended table in force ``on``
        (the drafting day), whose minimum applies; the expense rates are those in force on the task's date
        (mileage from the fee table where none are given). The contract keeps these rates, whatever is
        published later. Expenses are always reimbursed: ``expenses_reimbursed`` false is not honoured."""
        if self.exists:
            raise Conflict(f"the contract of engagement {self.id} is already drafted")
        if rates is None:
            raise Conflict(f"no rate table is in force on {on}; a coordinator must publish one")
        if orderer_fee.is_set:  # a fixed fee, where given, is the whole fee
            basis, fixed_fee = FeeBasis.orderer, orderer_fee.fixed_fee
            hourly_fee = orderer_fee.hourly_fee if fixed_fee is None else None
        else:  # where the orderer has not set the fee, the recommended table applies
            basis, hourly_fee, fixed_fee = FeeBasis.recommended, rates.hourly_fee, None
        self.record(ContractDrafted(
            contract_id=self.id_for(self.engagement_id), engagement_id=self.engagement_id, expert_id=expert_id,
            orderer_id=orderer_id, fee_basis=basis.value, rate_table_id=rates.rate_table_id, hourly_fee=hourly_fee,
            fixed_fee=fixed_fee, minimum_fee=rates.minimum_fee,
            mileage_per_km=expense_rates.car_per_km if expense_rates else rates.mileage_per_km,
            expenses_reimbursed=True, cancellation_fee_share=DEFAULT_CANCELLATION_FEE_SHARE,
            duration_hours=duration_hours,
            task_date=task.date if task else None, task_type=task.task_type if task else None,
            topic=task.topic if task else None, remote=task.remote if task else None,
            place=task.place if task else None,
            expense_rates_id=expense_rates.rates_id if expense_rates else None,
            per_diem_partial=expense_rates.per_diem_partial if expense_rates else None,
            per_diem_full=expense_rates.per_diem_full if expense_rates else None,
            meal_allowance=expense_rates.meal_allowance if expense_rates else None,
            start_time=task.start_time if task else None,
        ))

    def documents(self, version: int | None = None) -> dict[str, Document]:
        """The document of ``version`` (the one to sign now when not given), in each language."""
        self._terms()
        version = version or self.document_version
        if not 1 <= version <= self.document_version:
            raise invalid("version", "no such version of this contract", f"1 to {self.document_version}")
        terms = self.versions[version - 1]
        amended = self.amendments[version - 2] if version > 1 else None
        changed = changed_terms(amended) if amended is not None else []
        return {language: render(terms, fee_for_hours(terms, terms.duration_hours or ZERO), language, version,
                                 changed) for language in LANGUAGES}

    def amend(self, amendment: Amendment, today: dt.date) -> ContractAmended:
        """Change the terms before the task is delivered: a new version of the document, which both parties sign
        again; the earlier versions stay as they were signed."""
        terms = self._terms()
        if self.cancellation is not None:
            raise Conflict("the contract is cancelled; it can no longer be amended")
        if self.approval is not None or self.payments:
            raise Conflict("the assignment was delivered and its fee approved; the contract can no longer be amended")
        changes = amendment.changes(terms, today)
        event = ContractAmended(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                                version=self.document_version + 1, **changes)
        self.record(event)
        return event

    def sign(self, party: Party, actor: Actor, document_hash: str | None = None) -> None:
        """Sign as ``party``. With ``document_hash`` (the SHA-256 of the document the signer saw), the signature
        records that document, and is refused if it is not the version to sign now."""
        terms = self._terms()
        signer_role, signer_id = (
            (Role.expert, terms.expert_id) if party is Party.expert else (Role.orderer, terms.orderer_id)
        )
        if actor.role is not signer_role or actor.id != signer_id:
            raise Forbidden(f"only the {party.value} named in the contract may sign as its {party.value}")
        if self.cancellation is not None:
            raise Conflict("the contract is cancelled; it can no longer be signed")
        if party in self.signers:
            raise Conflict(f"the {party.value} has already signed version {self.document_version} of this contract")
        seen = None
        if document_hash is not None:
            seen = next((d for d in self.documents().values() if d.sha256 == document_hash), None)
            if seen is None:
                raise Conflict(f"the document signed (sha256 {document_hash[:12]}…) is stale or altered: it is not "
                               f"version {self.document_version} of the contract, the version to sign now; read "
                               f"version {self.document_version} and sign it")
        self.record(ContractSigned(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                                   party=party.value, signer_id=actor.id,
                                   document_version=seen.version if seen else None,
                                   document_language=seen.language if seen else None,
                                   document_hash=seen.sha256 if seen else None))
        if len(self.signers) == len(Party) and not self.fully_signed:
            self.record(ContractFullySigned(contract_id=terms.contract_id, engagement_id=terms.engagement_id))
        elif len(self.signers) == len(Party):  # an amendment of a contract both had signed: agreed too
            self.record(ContractAmendmentSigned(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                                                version=self.document_version))

    def decline_fee(self, actor: Actor) -> FeeDeclined:
        """The expert declines the fee: the engagement is volunteering, paid only its expenses (tax-free within
        the yearly caps). Possible until the fee is approved."""
        terms = self._terms()
        if actor.role is not Role.expert or actor.id != terms.expert_id:
            raise Forbidden("only the contract's expert may decline its fee")
        if self.volunteering:
            raise Conflict("the fee is already declined")
        if self.cancellation is not None or self.approval is not None:
            raise Conflict("the contract is cancelled, or its fee approved: the fee can no longer be declined")
        event = FeeDeclined(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                            tax_character=VOLUNTEERING, rule=VOLUNTEERING_RULE)
        self.record(event)
        return event

    def expected_fee(self) -> Decimal:
        """The fee for the planned hours: what a cancellation after signing is priced from."""
        terms = self._terms()
        return fee_for_hours(terms, terms.duration_hours or ZERO)

    def cancel(self, after_signing: bool, cancelled_by: str | None = None) -> None:
        """The cancellation terms: before both signed, nothing is owed either way; after, the orderer cancelling
        owes the expert the contract's share of the expected fee; the expert cancelling owes the orderer
        nothing and is owed nothing."""
        terms = self._terms()
        if self.cancellation is not None:
            raise Conflict("the contract is already cancelled")
        if self.approval is not None:
            raise Conflict("the assignment was delivered and its fee approved; it can no longer be cancelled")
        owes = after_signing and cancelled_by != Party.expert.value and not self.volunteering
        fee_owed = cents(terms.cancellation_fee_share * self.expected_fee()) if owes else ZERO
        self.record(ContractCancelled(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                                      fee_owed=fee_owed, cancelled_by=cancelled_by))

    def approve_fee(self, actual_hours: Decimal, kilometres: Decimal, other_expenses: Decimal) -> Fees:
        terms = self._terms()
        for name, value in (
            ("actual_hours", actual_hours),
            ("kilometres", kilometres),
            ("other_expenses", other_expenses),
        ):
            if value < 0:
                raise invalid(name, "is negative", ">= 0")
        if self.cancellation is not None:
            raise Conflict("the contract is cancelled; no delivery fee is approved")
        if self.approval is not None:
            raise Conflict(f"the fee is already approved ({self.approval.total} €)")
        if self._car_claimed():  # the expert's own claim of the journey stands: it is not paid twice
            kilometres = ZERO
        fees = fees_for_delivery(terms, actual_hours, kilometres, other_expenses)
        if self.volunteering:  # the fee declined: the expenses only
            fees = replace(fees, fee=ZERO)
        self.record(FeeApproved(contract_id=terms.contract_id, engagement_id=terms.engagement_id, fee=fees.fee,
                                mileage=fees.mileage, other_expenses=fees.other_expenses, total=fees.total))
        return fees

    def record_payment(self, paid_on: dt.date, batch_id: str | None = None) -> None:
        """Pay what is due: the approved fee, or the fee a cancellation after signing left owed, unless paid
        already; and the expense lines approved and not yet paid."""
        terms = self._terms()
        fee = ZERO
        due_fee = self.fee_due
        if due_fee:
            fee = self.approval.total if self.approval is not None else self.cancellation.fee_owed  # type: ignore[union-attr]
        lines = self.unpaid_lines()
        if not due_fee and not lines:
            if self.payment is not None:
                raise Conflict(f"already paid on {self.payment.paid_on}")
            raise Conflict("nothing to pay yet: the fee is approved when the orderer confirms the delivery, "
                           "expenses when the orderer or a coordinator approves their lines")
        total = fee + sum((self.lines[n].amount for n in lines), ZERO)
        self.record(FeePaid(contract_id=terms.contract_id, engagement_id=terms.engagement_id, total=total,
                            paid_on=paid_on, includes_fee=due_fee, expense_lines=lines, batch_id=batch_id))

    # -- expenses ---------------------------------------------------------------------------------------

    def file_claim(self, actor: Actor, lines: list[ClaimedLine], today: dt.date) -> ExpenseClaimFiled:
        """The expert claims expenses after the task, priced at the contract's rates. A returned line may be
        claimed again, corrected; the per diem (or meal allowance) only once."""
        terms = self._terms()
        if actor.role is not Role.expert or actor.id != terms.expert_id:
            raise Forbidden("only the contract's expert may claim its expenses")
        # The orderer cancelling after both signed leaves the expert's costs so far to be paid (a ticket
        # bought, say), from that day on; any other cancellation leaves nothing to claim.
        cancelled_late = self.cancellation is not None and self.cancellation.fee_owed > 0
        if self.cancellation is not None and not cancelled_late:
            raise Conflict("the engagement was cancelled before both signed, or by the expert: there are no "
                           "expenses to claim")
        if not self.fully_signed:
            raise Conflict("the contract is not signed by both yet: expenses are claimed after the task")
        if not cancelled_late and terms.task_date is not None and today < terms.task_date:
            raise invalid("engagement_id", f"the task is on {terms.task_date}: expenses are claimed after it",
                          f"on or after {terms.task_date}")
        daily_claimed = any(ExpenseKind(line.kind) in DAILY_ALLOWANCES
                            and self.line_status[n] is not LineStatus.returned for n, line in self.lines.items())
        car_paid = self._car_claimed() or (self.approval is not None and self.approval.mileage > 0)
        for index, line in enumerate(lines):
            if line.kind is ExpenseKind.car and car_paid:
                raise invalid(f"lines.{index}.kind", "the car journey is already claimed, or was reimbursed with the "
                              "delivery the orderer confirmed", "another kind of line")
        priced = price_lines(lines, self.rates, len(self.lines) + 1, daily_claimed)
        route = next((line.route for line in lines if line.route), None)
        claim = ExpenseClaimFiled(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                                  claim_no=self.claims + 1, expense_rates_id=terms.expense_rates_id, lines=priced,
                                  total=sum((line.amount for line in priced), ZERO), route=route)
        self.record(claim)
        return claim

    def _car_claimed(self) -> bool:
        return any(line.kind == ExpenseKind.car.value and self.line_status[n] is not LineStatus.returned
                   for n, line in self.lines.items())

    def approve_line(self, line_no: int) -> None:
        terms = self._terms()
        self._pending(line_no)
        self.record(ExpenseLineApproved(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                                        line_no=line_no, amount=self.lines[line_no].amount))

    def return_line(self, line_no: int, reason: str) -> None:
        terms = self._terms()
        self._pending(line_no)
        self.record(ExpenseLineReturned(contract_id=terms.contract_id, engagement_id=terms.engagement_id,
                                        line_no=line_no, reason=reason))

    def _pending(self, line_no: int) -> None:
        if line_no not in self.lines:
            raise invalid("line_no", "no such expense line in this contract",
                          f"1 to {len(self.lines)}" if self.lines else "no lines are claimed yet")
        status = self.line_status[line_no]
        if status is not LineStatus.pending:
            raise Conflict(f"expense line {line_no} is already {status.value}")

    def attach_receipt(self, actor: Actor, line_no: int, receipt_id: uuid.UUID, content_type: str, data: bytes,
                       most: int) -> ReceiptAttached:
        """The expert backs a line of their claim with a receipt file (checked by the caller: a PDF or an image
        within the size limit), while the line waits for review or was returned."""
        terms = self._terms()
        if actor.role is not Role.expert or actor.id != terms.expert_id:
            raise Forbidden("only the contract's expert may attach receipts to its expense lines")
        if line_no not in self.lines:
            raise invalid("line_no", "no such expense line in this contract",
                          f"1 to {len(self.lines)}" if self.lines else "no lines are claimed yet")
        if self.line_status[line_no] is LineStatus.approved:
            raise Conflict(f"expense line {line_no} is already approved")
        if len(self.receipts.get(line_no, [])) >= most:
            raise Conflict(f"expense line {line_no} has its {most} receipts already")
        event = ReceiptAttached(contract_id=terms.contract_id, engagement_id=terms.engagement_id, line_no=line_no,
                                receipt_id=receipt_id, content_type=content_type, size=len(data),
                                sha256=hashlib.sha256(data).hexdigest())
        self.record(event)
        return event
