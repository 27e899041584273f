"""Spans are recorded only when something exports them; trace ids flow either way."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from rounds.infra.settings import PlatformSettings
from rounds.infra.telemetry import _sampler


def _span(settings: PlatformSettings) -> tuple[bool, dict[str, str]]:
    tracer = TracerProvider(sampler=_sampler(settings)).get_tracer("test")
    carrier: dict[str, str] = {}
    with tracer.start_as_current_span("request") as span:
        TraceContextTextMapPropagator().inject(carrier)
        return span.is_recording(), carrier


def test_without_an_exporter_nothing_is_recorded_but_the_trace_id_still_travels() -> None:
    recording, carrier = _span(PlatformSettings())
    assert not recording
    _, trace_id, _, flags = carrier["traceparent"].split("-")
    assert int(trace_id, 16) != 0
    assert int(flags, 16) & 1 == 0  # not sampled: downstream does not record it either


def test_with_an_exporter_spans_are_recorded(tmp_path: Path) -> None:
    assert _span(PlatformSettings(ROUNDS_TRACE_FILE=tmp_path / "spans.jsonl"))[0]
    assert _span(PlatformSettings(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318"))[0]
