"""The expert's wellbeing after an assignment: a low own-wellbeing answer raises a follow-up task for each of
the expert's organizations, whose contact person supports the expert (the POPSTER model). No I/O here."""

from __future__ import annotations

import datetime as dt
import uuid

from services.feedback.events import Dimension, Form, WellbeingFollowUpHandled, WellbeingFollowUpRaised
from shared.aggregate import Aggregate
from shared.errors import Conflict, Forbidden

LOW_WELLBEING = frozenset({1, 2})  # on the scale of 1 (not at all) to 5 (fully)


def is_low(form: Form, ratings: dict[str, int]) -> bool:
    """The expert's own answer on their wellbeing is low (the orderer's view of it raises nothing)."""
    return form is Form.self_assessment and ratings.get(Dimension.own_wellbeing.value) in LOW_WELLBEING


def sealing_subject(follow_up: uuid.UUID) -> str:
    """Whose key seals a follow-up: its own, not the expert's, since an envelope names its subject in clear and
    the expert's id beside this event would tell of their health. Erasing the expert shreds these keys too."""
    return f"wellbeing-{follow_up}"


def follow_up_id(engagement_id: uuid.UUID, organization_id: str) -> uuid.UUID:
    """One follow-up for each engagement and organization, however often the answer is handled."""
    return uuid.uuid5(engagement_id, f"wellbeing-follow-up:{organization_id}")


class WellbeingFollowUp(Aggregate):
    stream_prefix = "wellbeing"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.raised = False
        self.organization_id: str | None = None
        self.handled = False

    def raise_for(self, organization_id: str, expert_id: str, engagement_id: uuid.UUID, now: dt.datetime) -> None:
        if self.raised:
            return
        self.record(WellbeingFollowUpRaised(follow_up_id=uuid.UUID(self.id), organization_id=organization_id,
                                            expert_id=expert_id, engagement_id=str(engagement_id), raised_at=now))

    def handle(self, organization_id: str | None, now: dt.datetime) -> None:
        """Mark the follow-up handled, for the organization it was raised for."""
        if organization_id is None or organization_id != self.organization_id:
            raise Forbidden("only a contact person of the organization the follow-up is for may handle it")
        if self.handled:
            raise Conflict(f"the wellbeing follow-up {self.id} is already handled")
        self.record(WellbeingFollowUpHandled(follow_up_id=uuid.UUID(self.id), organization_id=organization_id,
                                             handled_at=now))

    def when_WellbeingFollowUpRaised(self, event: WellbeingFollowUpRaised) -> None:
        self.raised = True
        self.organization_id = event.organization_id

    def when_WellbeingFollowUpHandled(self, _: WellbeingFollowUpHandled) -> None:
        self.handled = True
