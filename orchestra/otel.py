"""Export a run's trace as OpenTelemetry spans (used by the tests today; chapter 10 will send them to a trace UI).

The engine's trace is plain data; this exporter replays it into an OpenTelemetry
``TracerProvider`` after the run, keeping the original times and the parent/child tree. LLM
spans carry the GenAI semantic-convention attributes (``gen_ai.operation.name``,
``gen_ai.provider.name`` / ``gen_ai.system``, ``gen_ai.request.model``,
``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``), so any OTLP backend that
understands them (Jaeger, Tempo, Langfuse, Phoenix...) shows tokens per call.

    >>> from opentelemetry.sdk.trace import TracerProvider
    >>> from opentelemetry.sdk.trace.export import BatchSpanProcessor
    >>> from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    >>> provider = TracerProvider()
    >>> provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    >>> export(result.trace, provider)

Chapter 10 sends them to a local Phoenix over OTLP: ``otlp_provider(url, project=...)``.
What leaves the process is redacted (``redact_pii``: keys, e-mails, card and phone numbers in
the previews and errors), and ``attributes`` stamps every span with what produced it, e.g.
the prompt and model versions, so a trace UI can filter a regression by release:

    >>> export(result.trace, provider, attributes={"app.prompt_version": "draft-3f2a9c1e"})
"""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import trace as otel
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode

from orchestra.redact import redact_pii
from orchestra.trace import Span, Trace

__all__ = ["export", "span_attributes", "otlp_provider"]

PROVIDER = "anthropic"
_ERROR_STATUSES = {"error", "aborted"}


def span_attributes(span: Span, redact: Callable[[str], str] = redact_pii) -> dict:
    """The OTel attributes for one span (GenAI names for LLM calls, ``orchestra.*`` otherwise);
    its previews passed through ``redact``."""
    attrs: dict = {
        "orchestra.kind": span.kind,
        "orchestra.key": span.key,
        "orchestra.status": span.status,
    }
    if span.kind == "llm":
        attrs.update(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": PROVIDER,
                "gen_ai.system": PROVIDER,  # the older name, still read by many backends
                "gen_ai.request.model": span.model or "",
                "gen_ai.usage.input_tokens": span.input_tokens,
                "gen_ai.usage.output_tokens": span.output_tokens,
                "orchestra.thinking_tokens": span.thinking_tokens,
                "orchestra.cost_usd": span.cost_usd,
            }
        )
        if span.effort:
            attrs["orchestra.effort"] = span.effort
        if span.stop_reason:
            attrs["gen_ai.response.finish_reasons"] = (span.stop_reason,)
    else:
        attrs.update(
            {
                "orchestra.attempts": span.attempts,
                "orchestra.cost_usd": span.cost_usd,
                "orchestra.input_tokens": span.input_tokens,
                "orchestra.output_tokens": span.output_tokens,
                "orchestra.thinking_tokens": span.thinking_tokens,
            }
        )
        if span.answered_by:
            attrs["orchestra.answered_by"] = span.answered_by
    if span.input_preview:
        attrs["orchestra.input_preview"] = redact(span.input_preview)  # shortened
    if span.output_preview:
        attrs["orchestra.output_preview"] = redact(span.output_preview)
    return attrs


def export(
    trace: Trace,
    provider: TracerProvider | None = None,
    *,
    attributes: dict | None = None,
    redact: Callable[[str], str] = redact_pii,
) -> int:
    """Emit every span of ``trace`` through ``provider`` (default: the global one); returns the
    count. ``attributes`` go on every span; ``redact`` cleans previews and errors.

    >>> export(result.trace, provider, attributes={"app.models": "draft=claude-sonnet-5-5"})
    12
    """
    stamp = dict(attributes or {})
    tracer = (provider or otel.get_tracer_provider()).get_tracer("orchestra")
    made: dict[int, otel.Span] = {}
    for span in trace:  # parents start before their children, so they are made first
        parent = made.get(span.parent_id) if span.parent_id is not None else None
        context = otel.set_span_in_context(parent) if parent is not None else None
        name = f"chat {span.model}" if span.kind == "llm" else span.name
        out = tracer.start_span(
            name,
            context=context,
            attributes={**span_attributes(span, redact), **stamp},
            kind=SpanKind.CLIENT if span.kind == "llm" else SpanKind.INTERNAL,
            start_time=int(span.start * 1e9),
        )
        if span.status in _ERROR_STATUSES:
            out.set_status(Status(StatusCode.ERROR, redact(span.error or span.status)))
        elif span.error:  # retried, skipped or answered by a fallback: ok, but say why
            out.set_attribute("orchestra.error", redact(span.error))
        made[span.id] = out
    for span in trace:
        made[span.id].end(end_time=int(max(span.end, span.start) * 1e9))
    return len(made)


def otlp_provider(endpoint: str, *, project: str, service: str = "orchestra") -> TracerProvider:
    """A provider that sends spans over OTLP/HTTP to ``endpoint`` (not the global one).

    ``project`` goes in the resource as ``openinference.project.name``, the project Phoenix
    files the spans under. Spans are sent in batches in the background: call ``force_flush()``
    to send what is left, and ``shutdown()`` when done.

    >>> provider = otlp_provider("http://127.0.0.1:6006/v1/traces", project="chapter-10")
    """
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": service, "openinference.project.name": project})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint, timeout=5)))
    return provider
