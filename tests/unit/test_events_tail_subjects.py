"""Which services' streams ``kokemus events tail SUBJECT`` reads: those whose events the filter can match."""

from __future__ import annotations

import pytest
import typer

from kokemus.events import streams_carrying

EVERY_STREAM = [
    "KOKEMUS_REGISTRY", "KOKEMUS_ORDERS", "KOKEMUS_CONTRACTS", "KOKEMUS_FEEDBACK", "KOKEMUS_AUDIT", "KOKEMUS_IDENTITY",
    "KOKEMUS_NOTIFICATIONS",
]


@pytest.mark.parametrize(("subject", "streams"), [
    ("kokemus.*.events.>", EVERY_STREAM),
    (">", EVERY_STREAM),
    ("*.*.*.*", EVERY_STREAM),
    ("kokemus.orders.events.>", ["KOKEMUS_ORDERS"]),
    ("kokemus.orders.events.OrderPlaced", ["KOKEMUS_ORDERS"]),
    ("kokemus.*.events.EngagementOpened", EVERY_STREAM),
    ("kokemus.orders.events", []),  # an event's subject has its type after "events"
    ("kokemus.orders.cmd.>", []),  # commands are requests, kept in no stream
    ("kokemus.nosuch.events.>", []),
    ("*.*.*", []),
])
def test_a_filter_reads_the_streams_whose_events_it_can_match(subject: str, streams: list[str]) -> None:
    assert streams_carrying(subject) == streams


@pytest.mark.parametrize("subject", ["kokemus..events", "kokemus.>.events", ""])
def test_a_malformed_filter_is_refused(subject: str) -> None:
    with pytest.raises(typer.BadParameter):
        streams_carrying(subject)
