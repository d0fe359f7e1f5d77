"""A payment batch as recorded paid: one stream per batch id, so that recording the same batch again finds it
and pays nothing twice. No I/O here."""

from __future__ import annotations

from services.contracts.events import BatchPayment, PaymentBatchRecorded
from services.contracts.payments import Batch
from shared.aggregate import Aggregate
from shared.errors import Conflict


class PaymentBatch(Aggregate):
    stream_prefix = "payment-batch"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.recorded: PaymentBatchRecorded | None = None

    def pay(self, batch: Batch) -> PaymentBatchRecorded:
        if self.recorded is not None:
            raise Conflict(f"payment batch {self.id} is already recorded as paid on {self.recorded.paid_on}")
        if not batch.payments:
            raise Conflict("nothing to pay: no fee or expense line is approved and unpaid")
        event = PaymentBatchRecorded(
            batch_id=batch.batch_id, paid_on=batch.paid_on, report_by=batch.report_by, total=batch.total,
            payments=[BatchPayment(engagement_id=p.engagement_id, total=p.total, taxable=p.taxable)
                      for p in batch.payments])
        self.record(event)
        return event

    def when_PaymentBatchRecorded(self, event: PaymentBatchRecorded) -> None:
        self.recorded = event
