"""Commands and queries the contracts service answers on ``kokemus.contracts.cmd.*`` and
``kokemus.contracts.query.*``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import Field

from services.contracts.domain import ContractStatus, Party
from shared.commands import Command, Request

Identifier = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
Euros = Field(max_digits=10, decimal_places=2)


class PublishRateTable(Command):
    rate_table_id: str = Identifier
    effective_from: dt.date
    hourly_fee: Decimal = Euros
    minimum_fee: Decimal = Euros
    mileage_per_km: Decimal = Euros


class SignContract(Command):
    engagement_id: uuid.UUID
    party: Party


class RecordPayment(Command):
    engagement_id: uuid.UUID
    paid_on: dt.date | None = None  # today when not given


class ListRateTables(Request):
    pass


class RateInForce(Request):
    on: dt.date | None = None  # today when not given


class GetContract(Request):
    engagement_id: uuid.UUID


class ListContracts(Request):
    status: ContractStatus | None = None
