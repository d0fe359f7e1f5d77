"""An engagement: one expert's part in one order, from the accepted offer to its close. No I/O here."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from services.orders.domain.changes import ChangingTerms
from services.orders.events import (
    CancellationTermsNoted,
    CountyAgreementLapsed,
    CountyAgreementRestored,
    DeliveryConfirmed,
    EngagementCancelled,
    EngagementChangeDeclined,
    EngagementClosed,
    EngagementConfirmed,
    EngagementOpened,
    FeeApprovalNoted,
    FeedbackCompletionNoted,
    FeedbackFormNoted,
    FeeMode,
    FeeTerms,
    OwedFeePaidNoted,
    TaskType,
)
from shared.errors import Conflict, invalid
from shared.events import DomainEvent

if TYPE_CHECKING:
    from services.orders.domain.offer import Offer
    from services.orders.domain.order import Order

MAX_HOURS = Decimal(24)
MAX_KILOMETRES = Decimal(2000)
# How long after delivery the two feedback forms may be answered: then an engagement whose fee is approved closes
# with the unanswered forms named, so that one missing form never keeps it open for ever.
FEEDBACK_ANSWER_PERIOD = dt.timedelta(days=30)
FORMS = ("self_assessment", "orderer_feedback")

class EngagementStatus(enum.StrEnum):
    opened = "opened"
    confirmed = "confirmed"
    delivered = "delivered"
    fee_approved = "fee_approved"
    feedback_complete = "feedback_complete"
    closed = "closed"
    cancelled = "cancelled"


def engagement_status(*, confirmed: bool, delivered: bool, fee_approved: bool, feedback_complete: bool,
                      closed: bool, cancelled: bool) -> EngagementStatus:
    """The furthest step reached; the read tables use the same function as the aggregate."""
    steps = [
        (closed, EngagementStatus.closed),  # a cancelled engagement closes once what it owed is settled
        (cancelled, EngagementStatus.cancelled),
        (feedback_complete, EngagementStatus.feedback_complete),
        (fee_approved, EngagementStatus.fee_approved),
        (delivered, EngagementStatus.delivered),
        (confirmed, EngagementStatus.confirmed),
    ]
    return next((status for reached, status in steps if reached), EngagementStatus.opened)


class Engagement(ChangingTerms):
    stream_prefix = "engagement"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.order_id: uuid.UUID | None = None
        self.offer_id: uuid.UUID | None = None
        self.expert_id = ""
        self.orderer_id = ""
        self.task_type = TaskType.other
        self.topic: str | None = ""  # None once the orderer's key is shredded
        self.date = dt.date.min
        self.start_time: dt.time | None = None
        self.duration_hours = Decimal(0)
        self.remote = False
        self.fee = FeeTerms(mode=FeeMode.recommended)
        self.contract_id: uuid.UUID | None = None
        self.confirmed = self.delivered = self.fee_approved = self.feedback_complete = False
        self.closed = self.cancelled = False
        self.cancelled_after_signing = False
        self.delivered_on: dt.date | None = None
        self.forms_in: set[str] = set()
        self.feedback_missing: list[str] = []
        self.fee_owed: Decimal | None = None  # once cancelled: what its contract's cancellation terms left owed
        self.owed_fee_paid = False
        self.agreement_lapsed = False  # the county's agreement with the expert's NGO no longer covers the date

    @classmethod
    def open(cls, engagement_id: uuid.UUID, order: Order, offer: Offer) -> Engagement:
        engagement = cls(str(engagement_id))
        engagement.record(EngagementOpened(
            engagement_id=engagement_id, order_id=order.order_id, offer_id=offer.offer_id, expert_id=offer.expert_id,
            orderer_id=order.orderer_id, task_type=order.task_type, topic=order.topic, date=order.date,
            duration_hours=order.duration_hours, remote=order.remote, fee=order.fee, place=order.place,
            start_time=order.start_time,
        ))
        return engagement

    @property
    def ended(self) -> bool:
        return self.closed or self.cancelled

    @property
    def status(self) -> EngagementStatus:
        return engagement_status(confirmed=self.confirmed, delivered=self.delivered, fee_approved=self.fee_approved,
                                 feedback_complete=self.feedback_complete, closed=self.closed, cancelled=self.cancelled)

    def confirm(self, contract_id: uuid.UUID) -> None:
        """Both parties signed. Nothing changes when already confirmed, or when the engagement was cancelled
        while the last signature was on its way (the contracts service settles that contract)."""
        if self.confirmed or self.ended:
            return
        self.record(EngagementConfirmed(engagement_id=self.engagement_id, contract_id=contract_id))

    def confirm_delivery(self, actual_hours: Decimal, kilometres: Decimal, other_expenses: Decimal,
                         today: dt.date | None = None) -> None:
        if self.cancelled:
            raise Conflict(f"engagement {self.id} is cancelled")
        if self.delivered:
            raise Conflict(f"the delivery of engagement {self.id} is already confirmed")
        if not self.confirmed:
            raise Conflict(f"the contract is not signed by both: engagement {self.id} cannot be delivered yet")
        if not 0 < actual_hours <= MAX_HOURS:
            raise invalid("actual_hours", "is out of range", f"> 0 and <= {MAX_HOURS}")
        if not 0 <= kilometres <= MAX_KILOMETRES:
            raise invalid("kilometres", "is out of range", f"0 to {MAX_KILOMETRES}")
        if other_expenses < 0:
            raise invalid("other_expenses", "is negative", "0 or more euros")
        self.record(DeliveryConfirmed(engagement_id=self.engagement_id, actual_hours=actual_hours,
                                      kilometres=kilometres, other_expenses=other_expenses, delivered_on=today))

    def cancel(self, cancelled_by: str, reason: str) -> None:
        """Either side may cancel before delivery; after signing, the contract may still owe a fee."""
        if self.cancelled:
            raise Conflict(f"engagement {self.id} is already cancelled")
        if self.delivered or self.closed:
            raise Conflict(f"engagement {self.id} is already delivered: it can no longer be cancelled")
        self.record(EngagementCancelled(engagement_id=self.engagement_id, cancelled_by=cancelled_by, reason=reason,
                                        after_signing=self.confirmed))

    def note_fee_approved(self, contract_id: uuid.UUID) -> None:
        if self.fee_approved or self.ended:
            return
        self.record(FeeApprovalNoted(engagement_id=self.engagement_id, contract_id=contract_id))
        self._close_when_complete()

    def note_feedback_complete(self) -> None:
        if self.feedback_complete or self.ended:
            return
        self.record(FeedbackCompletionNoted(engagement_id=self.engagement_id))
        self._close_when_complete()

    def note_cancellation_terms(self, contract_id: uuid.UUID, fee_owed: Decimal) -> None:
        """The contract's cancellation terms decided what is owed: with nothing owed, the engagement closes."""
        if not self.cancelled or self.closed or self.fee_owed is not None:
            return
        self.record(CancellationTermsNoted(engagement_id=self.engagement_id, contract_id=contract_id,
                                           fee_owed=fee_owed))
        self._close_when_settled()

    def note_owed_fee_paid(self, contract_id: uuid.UUID, paid_on: dt.date) -> None:
        """The fee a cancellation left owed is paid: the engagement closes."""
        if not self.cancelled or self.closed or not self.fee_owed or self.owed_fee_paid:
            return
        self.record(OwedFeePaidNoted(engagement_id=self.engagement_id, contract_id=contract_id, paid_on=paid_on))
        self._close_when_settled()

    def _close_when_settled(self) -> None:
        if self.fee_owed is not None and (self.fee_owed == 0 or self.owed_fee_paid):
            self.record(EngagementClosed(engagement_id=self.engagement_id))

    def note_form_in(self, form: str) -> None:
        if form in self.forms_in or self.ended:
            return
        self.record(FeedbackFormNoted(engagement_id=self.engagement_id, form=form))

    @property
    def answers_due_by(self) -> dt.date | None:
        """The last day the feedback forms may be answered, once delivered (from the task's day when the delivery
        was confirmed before its day was recorded)."""
        if not self.delivered:
            return None
        return (self.delivered_on or self.date) + FEEDBACK_ANSWER_PERIOD

    def note_county_agreement(self, covered: bool) -> bool:
        """Whether an organization agreement still covers the task's date (for a task in the county's services):
        flag the engagement to the coordinator when none does, and clear the flag when one does again, while the
        task is still to be done. Returns whether anything was recorded."""
        if self.ended or self.delivered or covered is not self.agreement_lapsed:
            return False
        if covered:
            self.record(CountyAgreementRestored(engagement_id=self.engagement_id))
        else:
            self.record(CountyAgreementLapsed(engagement_id=self.engagement_id, expert_id=self.expert_id,
                                              date=self.date))
        return True

    def close_unanswered(self, today: dt.date) -> bool:
        """Close the engagement whose fee is approved once the feedback forms' answer period has ended, naming
        the forms that never came. Nothing happens before then, or while the fee is not approved (what the
        expert is owed keeps the engagement open)."""
        due_by = self.answers_due_by
        if self.ended or self.feedback_complete or not self.fee_approved or due_by is None or today <= due_by:
            return False
        missing = [form for form in FORMS if form not in self.forms_in]
        self.record(EngagementClosed(engagement_id=self.engagement_id, feedback_missing=missing))
        return True

    def close(self) -> None:
        if self.closed:
            raise Conflict(f"engagement {self.id} is already closed")
        if self.cancelled:
            raise Conflict(f"engagement {self.id} is cancelled")
        missing = [what for done, what in ((self.fee_approved, "the fee is not approved"),
                                           (self.feedback_complete, "the feedback forms are not all in")) if not done]
        if missing:
            raise Conflict(f"engagement {self.id} cannot close yet: {' and '.join(missing)}")
        self.record(EngagementClosed(engagement_id=self.engagement_id))

    def _close_when_complete(self) -> None:
        if self.fee_approved and self.feedback_complete:
            self.record(EngagementClosed(engagement_id=self.engagement_id))

    def subject_of(self, event: DomainEvent) -> str | None:
        """A cancellation's reason is its canceller's, a declined change's the expert's; the topic, the place and
        everything else, the orderer's."""
        if isinstance(event, EngagementChangeDeclined) or (
                isinstance(event, EngagementCancelled) and event.cancelled_by == "expert"):
            return self.expert_id
        return self.orderer_id

    def when_EngagementOpened(self, e: EngagementOpened) -> None:
        self.order_id, self.offer_id, self.expert_id, self.orderer_id = (
            e.order_id,
            e.offer_id,
            e.expert_id,
            e.orderer_id,
        )
        self.task_type, self.topic, self.date = e.task_type, e.topic, e.date
        self.duration_hours, self.remote, self.fee, self.start_time = e.duration_hours, e.remote, e.fee, e.start_time
        self.place = e.place

    def when_EngagementConfirmed(self, e: EngagementConfirmed) -> None:
        self.confirmed, self.contract_id = True, e.contract_id

    def when_DeliveryConfirmed(self, e: DeliveryConfirmed) -> None:
        self.delivered, self.delivered_on = True, e.delivered_on

    def when_CancellationTermsNoted(self, e: CancellationTermsNoted) -> None:
        self.fee_owed = e.fee_owed

    def when_OwedFeePaidNoted(self, _: OwedFeePaidNoted) -> None:
        self.owed_fee_paid = True

    def when_FeedbackFormNoted(self, e: FeedbackFormNoted) -> None:
        self.forms_in.add(e.form)

    def when_FeeApprovalNoted(self, _: FeeApprovalNoted) -> None:
        self.fee_approved = True

    def when_FeedbackCompletionNoted(self, _: FeedbackCompletionNoted) -> None:
        self.feedback_complete = True

    def when_EngagementClosed(self, e: EngagementClosed) -> None:
        self.closed, self.feedback_missing = True, list(e.feedback_missing)

    def when_CountyAgreementLapsed(self, _: CountyAgreementLapsed) -> None:
        self.agreement_lapsed = True

    def when_CountyAgreementRestored(self, _: CountyAgreementRestored) -> None:
        self.agreement_lapsed = False

    def when_EngagementCancelled(self, e: EngagementCancelled) -> None:
        self.cancelled, self.cancelled_after_signing = True, e.after_signing
