"""Ratios, targets and the printed table."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.workload import Measurement

RAW, KOKEMUS, LIBRARY = "raw asyncpg", "kokemus", "eventsourcing"
JUDGED = (KOKEMUS,)  # the contender the targets apply to
WORKLOADS = {
    "single": "single-event appends",
    "batched": "20-event appends",
    "read": "read the global log",
}


@dataclass(frozen=True)
class Target:
    """What the kokemus store must reach in one workload: a rate, or a ratio to a baseline."""

    workload: str
    measure: str  # "events/s", "× raw" or "× eventsourcing"
    at_least: float

    def describe(self) -> str:
        if self.measure == "events/s":
            return f">= {self.at_least:,.0f} events/s"
        return f">= {self.at_least:g} {self.measure}"


TARGETS = (
    Target("single", "× raw", 0.75),
    Target("single", "× eventsourcing", 4.0),
    Target("batched", "events/s", 50_000),
    Target("batched", "× raw", 0.5),
    Target("read", "events/s", 100_000),
)


@dataclass(frozen=True)
class Row:
    measurement: Measurement
    to_raw: float | None
    to_library: float | None

    def value(self, measure: str) -> float | None:
        values = {"events/s": self.measurement.per_second, "× raw": self.to_raw, "× eventsourcing": self.to_library}
        return values[measure]


@dataclass(frozen=True)
class Verdict:
    contender: str
    target: Target
    value: float | None

    @property
    def met(self) -> bool:
        return self.value is not None and self.value >= self.target.at_least


def rows(measurements: list[Measurement]) -> list[Row]:
    rate = {(m.workload, m.contender): m.per_second for m in measurements}

    def ratio(m: Measurement, baseline: str) -> float | None:
        base = rate.get((m.workload, baseline))
        return m.per_second / base if base else None

    return [Row(m, ratio(m, RAW), ratio(m, LIBRARY)) for m in measurements]


def verdicts(table: list[Row]) -> list[Verdict]:
    judged = {(row.measurement.contender, row.measurement.workload): row for row in table
              if row.measurement.contender in JUDGED}
    return [
        Verdict(contender, target, judged[contender, target.workload].value(target.measure))
        for contender in JUDGED for target in TARGETS if (contender, target.workload) in judged
    ]


def render(table: list[Row], results: list[Verdict]) -> str:
    lines = [f"{'workload':<22}{'contender':<19}{'events':>8}{'seconds':>9}{'events/s':>11}{'× raw':>7}"
             f"{'× eventsourcing':>17}{'client µs/event':>17}  target"]
    for row in table:
        m = row.measurement
        marks = [f"{v.target.describe()}: {'PASS' if v.met else 'MISS'}" for v in results
                 if v.contender == m.contender and v.target.workload == m.workload]
        lines.append(
            f"{WORKLOADS[m.workload]:<22}{m.contender:<19}{m.events:>8}{m.seconds:>9.2f}{m.per_second:>11,.0f}"
            f"{ratio_text(row.to_raw):>7}{ratio_text(row.to_library):>17}{m.client_cpu_per_event * 1e6:>17.0f}  "
            f"{'; '.join(marks)}".rstrip()
        )
    return "\n".join(lines)


def as_json(table: list[Row], results: list[Verdict], settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "settings": settings,
        "results": [
            {"workload": row.measurement.workload, "contender": row.measurement.contender,
             "events": row.measurement.events, "seconds": round(row.measurement.seconds, 4),
             "events_per_second": round(row.measurement.per_second, 1),
             "client_cpu_us_per_event": round(row.measurement.client_cpu_per_event * 1e6, 1),
             "ratio_to_raw": _round(row.to_raw), "ratio_to_eventsourcing": _round(row.to_library)}
            for row in table
        ],
        "targets": [
            {"contender": v.contender, "workload": v.target.workload, "target": v.target.describe(),
             "value": _round(v.value), "met": v.met}
            for v in results
        ],
    }


def ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of them at or below it (so the p99 of fewer
    than 100 is the largest); NaN of none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
