"""The registry's retention rule, applied by a background job: an expert deactivated and with nothing of their own
or assigned to them for RETENTION_YEARS is erased, as if on request, the rule named in the erasure's record."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from services.registry.domain import Expert
from services.registry.events import ErasureGround
from shared.aggregate import Metadata
from shared.events import SYSTEM
from shared.eventstore.port import ConcurrencyConflict

if TYPE_CHECKING:
    from services.registry.service import Deps

# Long enough to cover the follow-up, complaints and audits of the last engagements; the county may shorten it.
RETENTION_YEARS = 5
RETENTION = dt.timedelta(days=365 * RETENTION_YEARS + 2)  # the leap days of five years included
RULE = f"deactivated and inactive for {RETENTION_YEARS} years"


async def apply_retention(deps: Deps) -> int:
    """Erase every expert the rule covers today; how many were (a background job)."""
    erased = 0
    for expert_id in await deps.views.retention_due(deps.clock.now() - RETENTION):
        try:
            async with deps.uow.begin() as session:
                expert = await session.load(Expert, expert_id, what="expert")
                if expert.erased:
                    continue
                # Every replica runs this job: the same expert at the same version gets the same event ids.
                meta = Metadata(actor=SYSTEM, command_id=uuid.uuid5(uuid.NAMESPACE_URL,
                                                                    f"retention:{expert_id}@{expert.version}"))
                expert.erase(ErasureGround.no_longer_necessary, rule=RULE)
                await session.save(expert, meta)
                await session.shred(expert_id)
            erased += 1
        except ConcurrencyConflict:
            continue  # another replica erased them meanwhile
    return erased
