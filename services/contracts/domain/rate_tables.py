"""The county's recommended fee tables, every one ever published, oldest first. No I/O here."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from services.contracts.events import (
    RateTablePublished,
)
from services.contracts.expenses import (
    in_force,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict, FieldProblem, Invalid, invalid

# Placeholders for the county to set: the source documents name no amounts. A table is published in the
# service (publish_rate_table) the day the county decides its own, and this one stays as the history of 2024.
DEFAULT_RATE_TABLE = RateTablePublished(
    rate_table_id="default-2024",
    effective_from=dt.date(2024, 1, 1),
    hourly_fee=Decimal("30.00"),
    minimum_fee=Decimal("50.00"),
    mileage_per_km=Decimal("0.59"),
)

class RateTables(Aggregate):
    """Every recommended fee and expense table ever published, oldest first.

    One stream for all of them: the version check then orders publications, so two coordinators (or two
    replicas seeding the default) cannot both add "the latest" table.
    """

    stream_prefix = "rate-tables"
    ID = "rate-tables"

    def __init__(self, aggregate_id: str = ID) -> None:
        super().__init__(aggregate_id)
        self.tables: list[RateTablePublished] = []

    @classmethod
    def stream_id(cls, aggregate_id: str | uuid.UUID = ID) -> str:
        return cls.stream_prefix

    @property
    def latest(self) -> RateTablePublished | None:
        return self.tables[-1] if self.tables else None

    def publish(self, rate_table_id: str, effective_from: dt.date, hourly_fee: Decimal, minimum_fee: Decimal,
                mileage_per_km: Decimal) -> RateTablePublished:
        problems = []
        if hourly_fee <= 0:
            problems.append(FieldProblem("hourly_fee", "must be more than zero", "> 0 euros per hour"))
        if minimum_fee < 0:
            problems.append(FieldProblem("minimum_fee", "is negative", ">= 0 euros"))
        if mileage_per_km < 0:
            problems.append(FieldProblem("mileage_per_km", "is negative", ">= 0 euros per kilometre"))
        if problems:
            raise Invalid("the rate table is not valid: " + "; ".join(f"{p.field} {p.reason}" for p in problems),
                          problems)
        latest = self.latest
        # A new table only starts after the latest one: what was in force on a past day never changes.
        if latest is not None and effective_from <= latest.effective_from:
            raise invalid("effective_from", f"must be later than the latest table's ({latest.rate_table_id}, "
                          f"in force from {latest.effective_from})", f"a date after {latest.effective_from}")
        if any(table.rate_table_id == rate_table_id for table in self.tables):
            raise Conflict(f"rate table {rate_table_id} is already published")
        table = RateTablePublished(rate_table_id=rate_table_id, effective_from=effective_from, hourly_fee=hourly_fee,
                                   minimum_fee=minimum_fee, mileage_per_km=mileage_per_km)
        self.record(table)
        return table

    def seed_default(self) -> bool:
        """Publish the placeholder table when there is none; True when it did."""
        if self.exists:
            return False
        self.record(DEFAULT_RATE_TABLE)
        return True

    def in_force(self, day: dt.date) -> RateTablePublished | None:
        return in_force(self.tables, day)

    def when_RateTablePublished(self, event: RateTablePublished) -> None:
        self.tables.append(event)
