"""The contracts service's aggregates: the recommended fee tables, and each engagement's assignment contract
(toimeksiantosopimus) with the arithmetic of its fee. No I/O here."""

from services.contracts.domain.contract import Contract
from services.contracts.domain.rate_tables import DEFAULT_RATE_TABLE, RateTables
from services.contracts.domain.terms import (
    CONTRACT_NAMESPACE,
    DEFAULT_CANCELLATION_FEE_SHARE,
    ZERO,
    ContractStatus,
    FeeBasis,
    Fees,
    OrdererFee,
    Party,
    Task,
    fee_for_hours,
    fees_for_delivery,
)

__all__ = [
    "CONTRACT_NAMESPACE", "DEFAULT_CANCELLATION_FEE_SHARE", "DEFAULT_RATE_TABLE", "ZERO", "Contract",
    "ContractStatus", "FeeBasis", "Fees", "OrdererFee", "Party", "RateTables", "Task", "fee_for_hours",
    "fees_for_delivery",
]
