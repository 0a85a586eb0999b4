"""OpenTelemetry tracing, imported only when `GATEWAY_OTEL=1` and the OpenTelemetry SDK is installed.

Strawberry's `OpenTelemetryExtension` opens a span per operation, parse and validation step, and one per
resolved field. The per-field spans are switched off (they would sit on every field's hot path and record
arguments, e.g. addresses), and so is the query text the operation span would carry.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from strawberry.extensions import LifecycleStep, SchemaExtension
from strawberry.extensions.tracing import OpenTelemetryExtension

log = logging.getLogger("gateway.tracing")
SERVICE_NAME = "checkout-shipping-gateway"


class GatewayTracing(OpenTelemetryExtension):
    """Operation, parsing and validation spans only; no query text, no arguments, no per-field spans."""

    # Not overriding `resolve` keeps strawberry from installing this extension as a field middleware.
    resolve = SchemaExtension.resolve  # type: ignore[assignment]

    def on_operation(self) -> Generator[None, None, None]:
        ctx = self.execution_context
        self._operation_name = ctx.operation_name
        span = self._tracer.start_span(
            f"GraphQL Operation: {self._operation_name}" if self._operation_name else "GraphQL Operation",
            kind=SpanKind.SERVER,
        )
        span.set_attribute("component", "graphql")
        request_id = getattr(ctx.context, "request_id", None)
        if request_id:
            span.set_attribute("gateway.request_id", request_id)
        self._span_holder[LifecycleStep.OPERATION] = span
        try:
            yield
        finally:
            name = ctx.operation_name
            if name:
                span.update_name(f"GraphQL Operation: {name}")
                span.set_attribute("graphql.operation.name", name)
            try:
                span.set_attribute("graphql.operation.type", ctx.operation_type.value)
            except Exception:  # noqa: BLE001 - no parsed document: no type
                pass
            errors = getattr(ctx.result, "errors", None)
            if errors:
                codes = sorted({str((error.extensions or {}).get("code", "UNKNOWN")) for error in errors})
                span.set_attribute("graphql.error_codes", codes)
                span.set_status(Status(StatusCode.ERROR, ",".join(codes)))
            span.end()


def ensure_tracer_provider() -> Any:
    """The global tracer provider; if none was configured (e.g. by `opentelemetry-instrument`), an SDK one
    that exports over OTLP when `opentelemetry-exporter-otlp` is installed (honouring the usual
    `OTEL_EXPORTER_OTLP_*` variables)."""
    current = trace.get_tracer_provider()
    if not isinstance(current, trace.ProxyTracerProvider):
        return current
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        log.warning("tracing on, but no OTLP exporter is installed (pip install opentelemetry-exporter-otlp)")
    else:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
