"""Who looked at whom: each search of the bank and each view of a profile's personal fields is one record,
in a stream of its own (so that no two readers wait for each other). No I/O here."""

from __future__ import annotations

from services.registry.events import AccessPurpose, BankSearched, ProfileViewed
from shared.aggregate import Aggregate
from shared.events import Actor


class AccessRecord(Aggregate):
    stream_prefix = "access"

    def searched(self, viewer: Actor, purpose: AccessPurpose, expert_ids: list[str]) -> None:
        self.record(BankSearched(viewer_id=viewer.id, viewer_role=viewer.role.value,
                                 viewer_organization_id=viewer.organization_id, purpose=purpose,
                                 expert_ids=expert_ids))

    def viewed(self, viewer: Actor, purpose: AccessPurpose, expert_id: str) -> None:
        self.record(ProfileViewed(viewer_id=viewer.id, viewer_role=viewer.role.value,
                                  viewer_organization_id=viewer.organization_id, purpose=purpose,
                                  expert_id=expert_id))
