"""Commands and queries the audit service answers on ``kokemus.audit.cmd.*`` and ``kokemus.audit.query.*``."""

from __future__ import annotations

import uuid
from typing import Literal

from shared.commands import Command, Request


class History(Request):
    engagement_id: uuid.UUID


class VerifyTrail(Request):
    pass


class CopyHeads(Request):
    service: Literal["registry", "orders", "contracts", "feedback"]


class LatestCheckpoint(Request):
    pass


class SignCheckpoint(Command):
    pass


class CheckpointHeads(Request):
    checkpoint_id: uuid.UUID
    service: Literal["registry", "orders", "contracts", "feedback", "audit"]


class CountEvents(Request):
    engagement_id: uuid.UUID | None = None
