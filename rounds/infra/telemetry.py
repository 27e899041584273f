"""OpenTelemetry traces and metrics, and JSON logs that carry the trace id.

Spans go to an OTLP collector when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and to a JSON-lines file
when ``ROUNDS_TRACE_FILE`` is set (the embedded default and the end-to-end tests read that file).
W3C ``traceparent`` crosses HTTP through the instrumentations and Kafka through message headers, so
one trace runs from an API call through the outbox and the broker to every consumer.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opentelemetry import metrics, propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler

from rounds.infra.settings import PlatformSettings

KafkaHeaders = Sequence[tuple[str, bytes]]


class JsonLinesSpanExporter(SpanExporter):
    """Appends each finished span to a file as one JSON object per line."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(_span_record(span)) + "\n" for span in spans]
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.writelines(lines)
        return SpanExportResult.SUCCESS


def _span_record(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    parent = span.parent
    return {
        "service": span.resource.attributes.get("service.name"),
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": format(context.trace_id, "032x") if context else None,
        "span_id": format(context.span_id, "016x") if context else None,
        "parent_span_id": format(parent.span_id, "016x") if parent else None,
        "start": span.start_time,
        "end": span.end_time,
        "attributes": {key: str(value) for key, value in (span.attributes or {}).items()},
    }


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log line, with the current trace and span ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(service: str, level: str) -> None:
    """Send every log record to stderr as JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every failed connection attempt at ERROR while the broker is down; the
    # platform reports that once itself, so keep the library quieter.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def setup_telemetry(service: str, settings: PlatformSettings) -> TracerProvider:
    """Install the tracer and meter providers for this process and configure JSON logs.

    Once per process: OpenTelemetry's global providers cannot be replaced, so a second call (tests
    that build several apps in one process) keeps the first.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    configure_logging(service, settings.log_level)
    resource = Resource.create({"service.name": f"rounds-{service}", "service.namespace": "rounds"})
    tracer_provider = TracerProvider(resource=resource, sampler=_sampler(settings))
    readers: list[MetricReader] = []
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    if settings.trace_file:
        # Simple (synchronous) so that a test reading the file right after a request sees the span.
        tracer_provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(settings.trace_file)))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
    return tracer_provider


def spans_exported(settings: PlatformSettings) -> bool:
    """Whether finished spans go anywhere (an OTLP collector or the trace file)."""
    return bool(settings.otel_exporter_otlp_endpoint or settings.trace_file)


def _sampler(settings: PlatformSettings) -> Sampler | None:
    """Record spans only when something exports them.

    With an exporter, ``None`` lets the SDK read ``OTEL_TRACES_SAMPLER`` (default: parent-based,
    always on). Without one, recording spans that nobody reads cost a tenth of a request's CPU;
    unrecorded spans still carry trace ids, so logs and ``traceparent`` headers keep them.
    """
    return None if spans_exported(settings) else ALWAYS_OFF


def inject_traceparent() -> dict[str, str]:
    """The current trace context as W3C headers (``traceparent``, maybe ``tracestate``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def kafka_headers_to_carrier(headers: KafkaHeaders) -> dict[str, str]:
    """Kafka's byte headers as a text carrier for the propagator."""
    return {key: value.decode("utf-8", "replace") for key, value in headers if value is not None}


def context_from_carrier(carrier: Mapping[str, str]) -> Any:
    """The trace context held in ``carrier`` (a traceparent header), for a child span."""
    return propagate.extract(carrier)
