"""OpenTelemetry: one tracer provider per process, asyncpg instrumented, OTLP export when configured.

Trace context travels in NATS headers (FastStream's telemetry middleware on both ends, and the relay copies
the recording command's context into each event's headers), so a command's trace follows it across services.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_configured = False


def setup_tracing(service: str, extra_processor: SpanProcessor | None = None) -> TracerProvider:
    global _configured
    provider = trace.get_tracer_provider()
    if not _configured:
        name = os.environ.get("OTEL_SERVICE_NAME", f"kokemus-{service}")
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]  # the package ships no types
        _configured = True
        provider = trace.get_tracer_provider()
    if extra_processor is not None and isinstance(provider, TracerProvider):
        provider.add_span_processor(extra_processor)
    return provider  # type: ignore[return-value]
