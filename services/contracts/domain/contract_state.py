"""What an assignment contract holds, as its events made it: the terms, signatures, approval, payments and
expense lines, and what follows from them (its status, what is due). No I/O here."""

from __future__ import annotations

import uuid

from services.contracts.domain.terms import (
    CONTRACT_NAMESPACE,
    ContractStatus,
    Party,
)
from services.contracts.events import (
    ContractAmended,
    ContractAmendmentSigned,
    ContractCancelled,
    ContractDrafted,
    ContractFullySigned,
    ContractSigned,
    ExpenseClaimFiled,
    ExpenseLine,
    ExpenseLineApproved,
    ExpenseLineReturned,
    FeeApproved,
    FeeDeclined,
    FeePaid,
    ReceiptAttached,
)
from services.contracts.expenses import (
    LineStatus,
    Rates,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict
from shared.events import DomainEvent


class ContractState(Aggregate):
    """The state of one engagement's contract (its decisions: :class:`~services.contracts.domain.contract.Contract`)."""


    stream_prefix = "contract"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.terms: ContractDrafted | None = None  # as amended: the terms in force
        self.versions: list[ContractDrafted] = []  # the terms of each version of the document, from version 1
        self.amendments: list[ContractAmended] = []
        self.signers: dict[Party, str] = {}  # who signed the version in force
        self.signed_documents: dict[Party, ContractSigned] = {}  # the version in force, as each signed it
        self.signatures: list[tuple[int, ContractSigned]] = []  # every signature, with the version it signed
        self.fully_signed = False  # both signed some version: the contract binds
        self.version_signed = False  # both signed the version in force
        self.cancellation: ContractCancelled | None = None
        self.approval: FeeApproved | None = None
        self.payments: list[FeePaid] = []
        self.claims = 0
        self.lines: dict[int, ExpenseLine] = {}
        self.line_status: dict[int, LineStatus] = {}
        self.returned_because: dict[int, str | None] = {}
        self.route_of_line: dict[int, str | None] = {}
        self.paid_lines: set[int] = set()
        self.fee_paid = False
        self.receipts: dict[int, list[ReceiptAttached]] = {}  # by line
        self.declined: FeeDeclined | None = None  # the expert declined the fee: volunteering

    @property
    def payment(self) -> FeePaid | None:
        return self.payments[-1] if self.payments else None

    @staticmethod
    def id_for(engagement_id: uuid.UUID) -> uuid.UUID:
        return uuid.uuid5(CONTRACT_NAMESPACE, str(engagement_id))

    @property
    def engagement_id(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    @property
    def status(self) -> ContractStatus:
        due = self.fee_due or bool(self.unpaid_lines())
        if self.payments and not due:
            return ContractStatus.paid
        if self.cancellation is not None:
            return ContractStatus.cancelled
        if self.payments and due:  # lines approved after the last payment (or the fee after them) wait
            return ContractStatus.fee_approved
        if self.approval is not None:
            return ContractStatus.fee_approved
        if self.fully_signed:
            return ContractStatus.fully_signed
        return ContractStatus.partly_signed if self.signers else ContractStatus.drafted


    @property
    def rates(self) -> Rates:
        terms = self._terms()
        return Rates(terms.expense_rates_id, terms.mileage_per_km, terms.per_diem_partial, terms.per_diem_full,
                     terms.meal_allowance)

    @property
    def fee_due(self) -> bool:
        """The approved fee, or a cancellation's fee owed, waits to be paid."""
        owed = self.approval is not None or (self.cancellation is not None and self.cancellation.fee_owed > 0)
        return owed and not self.fee_paid

    def unpaid_lines(self) -> list[int]:
        return [number for number, status in self.line_status.items()
                if status is LineStatus.approved and number not in self.paid_lines]

    @property
    def document_version(self) -> int:
        """The version of the document in force (1 until amended)."""
        return len(self.versions)

    def _terms(self) -> ContractDrafted:
        if self.terms is None:
            raise Conflict(f"the contract of engagement {self.id} is not drafted")
        return self.terms

    def subject_of(self, event: DomainEvent) -> str | None:
        """The task's topic and place in the draft are the orderer's; the rest: the metadata's (an expense
        claim's route, its expert's)."""
        if isinstance(event, ContractDrafted):
            return event.orderer_id
        if isinstance(event, ContractAmended) and self.terms is not None:
            return self.terms.orderer_id
        if isinstance(event, ExpenseLineReturned) and self.terms is not None:
            return self.terms.expert_id  # the reason is about the expert's claim
        return None

    # -- applying events ------------------------------------------------------------------------------------

    def when_ContractDrafted(self, event: ContractDrafted) -> None:
        self.terms = event
        self.versions = [event]

    def when_ContractAmended(self, event: ContractAmended) -> None:
        terms = self._terms()
        changes = {name: getattr(event, name) for name in ("task_date", "start_time", "duration_hours", "remote",
                                                           "place") if getattr(event, name) is not None}
        if event.place_changed and event.place is None:
            changes["place"] = None  # the order's place, which contracts cannot read
        if event.fixed_fee is not None or event.hourly_fee is not None:
            changes.update(fee_basis="orderer", fixed_fee=event.fixed_fee, hourly_fee=event.hourly_fee)
        self.terms = terms.model_copy(update=changes)
        self.versions.append(self.terms)
        self.amendments.append(event)
        self.signers, self.signed_documents, self.version_signed = {}, {}, False

    def when_ContractSigned(self, event: ContractSigned) -> None:
        self.signers[Party(event.party)] = event.signer_id
        self.signed_documents[Party(event.party)] = event
        self.signatures.append((self.document_version, event))

    def when_ContractFullySigned(self, _: ContractFullySigned) -> None:
        self.fully_signed = self.version_signed = True

    def when_ContractAmendmentSigned(self, _: ContractAmendmentSigned) -> None:
        self.version_signed = True

    def when_ContractCancelled(self, event: ContractCancelled) -> None:
        self.cancellation = event

    def when_FeeApproved(self, event: FeeApproved) -> None:
        self.approval = event

    def when_FeePaid(self, event: FeePaid) -> None:
        self.payments.append(event)
        self.fee_paid = self.fee_paid or event.includes_fee
        self.paid_lines.update(event.expense_lines)

    def when_ExpenseClaimFiled(self, event: ExpenseClaimFiled) -> None:
        self.claims = event.claim_no
        car = next((line.line_no for line in event.lines if line.kind == "car"), None)
        for line in event.lines:
            self.lines[line.line_no] = line
            self.line_status[line.line_no] = LineStatus.pending
            self.route_of_line[line.line_no] = event.route if line.line_no == car else None

    def when_ExpenseLineApproved(self, event: ExpenseLineApproved) -> None:
        self.line_status[event.line_no] = LineStatus.approved

    def when_ExpenseLineReturned(self, event: ExpenseLineReturned) -> None:
        self.line_status[event.line_no] = LineStatus.returned
        self.returned_because[event.line_no] = event.reason

    @property
    def volunteering(self) -> bool:
        return self.declined is not None

    def when_FeeDeclined(self, event: FeeDeclined) -> None:
        self.declined = event

    def when_ReceiptAttached(self, event: ReceiptAttached) -> None:
        self.receipts.setdefault(event.line_no, []).append(event)

    def receipt(self, receipt_id: str) -> ReceiptAttached | None:
        return next((r for attached in self.receipts.values() for r in attached if str(r.receipt_id) == receipt_id),
                    None)
