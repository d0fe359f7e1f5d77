"""Commands and queries the contracts service answers on ``kokemus.contracts.cmd.*`` and
``kokemus.contracts.query.*``."""

from __future__ import annotations

import uuid

from services.contracts.domain import ContractStatus, Party
from shared.commands import Command, Request
from shared.fields import Day, Euros, Identifier


class PublishRateTable(Command):
    rate_table_id: Identifier
    effective_from: Day
    hourly_fee: Euros
    minimum_fee: Euros
    mileage_per_km: Euros


class SignContract(Command):
    engagement_id: uuid.UUID
    party: Party


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
