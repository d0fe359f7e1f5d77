"""Events the contracts service publishes on ``kokemus.contracts.events.<EventType>`` (its public contract)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from shared.events import DomainEvent


class RateTablePublished(DomainEvent):
    """The recommended fee and expense table, in force from ``effective_from`` until a later one."""

    rate_table_id: str
    effective_from: dt.date
    hourly_fee: Decimal  # euros per hour
    minimum_fee: Decimal  # euros per assignment
    mileage_per_km: Decimal  # euros per kilometre (kilometrikorvaus)


class ContractDrafted(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    expert_id: str
    orderer_id: str
    fee_basis: str  # "orderer" or "recommended"
    rate_table_id: str | None
    hourly_fee: Decimal | None
    fixed_fee: Decimal | None
    minimum_fee: Decimal
    mileage_per_km: Decimal
    expenses_reimbursed: bool
    cancellation_fee_share: Decimal  # share of the agreed fee owed when cancelled after signing
    # The engagement's planned hours, so that a cancellation can price the expected fee from the contract
    # alone; optional, as an addition to the published contract.
    duration_hours: Decimal | None = None


class ContractSigned(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    party: str  # "expert" or "orderer"
    signer_id: str


class ContractFullySigned(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID


class ContractCancelled(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    fee_owed: Decimal


class FeeApproved(DomainEvent):
    """The fee and expenses computed from the contract's terms and the delivered facts."""

    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    fee: Decimal
    mileage: Decimal
    other_expenses: Decimal
    total: Decimal


class FeePaid(DomainEvent):
    contract_id: uuid.UUID
    engagement_id: uuid.UUID
    total: Decimal
    paid_on: dt.date
