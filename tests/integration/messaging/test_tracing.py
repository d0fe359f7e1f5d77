"""The messaging kernel against a real NATS and PostgreSQL: a trace across the store and the bus."""

from __future__ import annotations

import pytest

from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually
from tests.integration.messaging.toy import (
    COORDINATOR,
    Poison,
    beta_definition,
    seen_rows,
    settings_for,
)

pytestmark = pytest.mark.integration


# -- tracing -------------------------------------------------------------------------------------------

async def test_a_commands_trace_follows_it_into_postgres_and_across_the_bus_to_a_consumer(
    servers, databases, alpha, client
):
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from shared.runtime.telemetry import setup_tracing

    exporter = InMemorySpanExporter()
    setup_tracing("test", SimpleSpanProcessor(exporter))
    beta = ServiceRuntime(beta_definition(Poison()), settings_for(servers, databases, "beta"))
    await beta.start(serve_http=False)
    try:
        with trace.get_tracer("test").start_as_current_span("coordinator clicks") as root:
            trace_id = root.get_span_context().trace_id
            await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "t", "n": 3})
        await eventually(lambda: seen_rows(databases["beta"]))
        [event] = await alpha.store.read_stream("note-t")
        assert event.trace_id == format(trace_id, "032x"), "the event remembers the command's trace"

        def spans_of_trace():
            return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]

        async def consumer_span_finished():
            return any(s.name == "kokemus.alpha.events.AlphaNoted process" for s in spans_of_trace())

        await eventually(consumer_span_finished)
        names = [s.name for s in spans_of_trace()]
        assert "kokemus.alpha.cmd.take_note process" in names, names  # the command handler's span
        assert any(s.attributes.get("db.system") == "postgresql" for s in spans_of_trace()), names  # asyncpg
    finally:
        await beta.stop()
        # The provider stays installed for the rest of the run (OpenTelemetry allows one per process): a stopped
        # exporter keeps no more spans, or every later test's spans would pile up in memory.
        exporter.shutdown()
        exporter.clear()
