"""Traces as data: a span per run, step and LLM call (chapters 01, 02, 07 and 10 read them).

Every run returns its ``Trace``: a list of ``Span`` records with start/end (Unix seconds,
wall clock), status, attempts, tokens, cost, model, error and short previews of input and
output. ``trace.to_dataframe()`` turns it into a pandas DataFrame; ``orchestra.viz`` draws
it; ``orchestra.otel`` exports it as OpenTelemetry spans.

Previews are made when you read them, not while the run is hot: a span keeps a reference to
its (immutable) input and output and ``input_preview``/``output_preview`` render them on
demand, shortened and with keys and other secrets redacted.

    >>> result = await wf.run(state)
    >>> df = result.trace.to_dataframe()
    >>> df[df.kind == "step"][["key", "status", "attempts", "cost_usd"]]
    >>> result.trace.total_cost, result.trace.total_tokens
    >>> result.trace.changes()       # what each step changed in the state (chapter 10)
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

from orchestra import clock
from orchestra.calls import Call, preview

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Span", "Trace", "SpanKind", "SpanStatus", "log_steps"]

logger = logging.getLogger("orchestra")

SpanKind = Literal["workflow", "step", "llm"]
SpanStatus = Literal[
    "running", "ok", "error", "fallback", "skipped", "replayed", "waiting", "aborted"
]


@dataclass(slots=True)
class Span:
    """One timed piece of a run: the run itself, a sub-workflow, a step, or an LLM call."""

    id: int
    """Unique within its trace, increasing in start order."""
    parent_id: int | None
    """The enclosing span (None for the run)."""
    name: str
    """Step or workflow name; ``chat <model>`` for an LLM call."""
    kind: SpanKind
    key: str
    """The step's position in the workflow, e.g. ``02.map_each[5].extract``: its journal key."""
    start: float
    """Unix seconds (wall clock)."""
    end: float = 0.0
    sim_start: float = 0.0
    """Simulated seconds (``orchestra.calls``: what the simulator charged, waits included)."""
    sim_end: float = 0.0
    """Simulated seconds at the end; for an LLM call, ``sim_start + model_s``."""
    status: SpanStatus = "running"
    """ok, error, fallback (another step answered), skipped (optional step gave up),
    replayed (taken from the checkpoint journal), waiting (for a person), aborted."""
    attempts: int = 0
    """How many times the step's function was called (retries included)."""
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    """Output tokens billed, thinking included."""
    cost_usd: float = 0.0
    """For a step: its own LLM calls in this process (0 when replayed: nothing was spent)."""
    model_s: float = 0.0
    """Simulated model-seconds of the LLM calls (the simulator reports them; 0 on real Claude).
    Unlike wall-clock times they are seeded, so they reproduce run after run."""
    backoff_s: float = 0.0
    """For a step: seconds its retries waited between attempts (``retry-after`` or backoff)."""
    error: str | None = None
    answered_by: str | None = None
    """For a step: the step that produced the output (its fallback, if it answered)."""
    stop_reason: str | None = None
    """For an LLM call: why the model stopped (``max_tokens`` means the answer was cut off)."""
    thinking_tokens: int = 0
    """Of ``output_tokens``, those the model spent thinking."""
    effort: str | None = None
    """For an LLM call: the effort it ran at (sent, or the model's default)."""
    cache_write_tokens: int = 0
    """Prompt tokens written to the prompt cache (not in ``input_tokens``; chapter 12)."""
    cache_read_tokens: int = 0
    """Prompt tokens read from the prompt cache (not in ``input_tokens``; chapter 12)."""
    batch: bool = False
    """For an LLM call: answered through the Message Batches API, at the batch price."""
    input: Any = field(default=None, repr=False)
    """The raw input (a state, an item, a prompt preview); see ``input_preview``."""
    output: Any = field(default=None, repr=False)

    @property
    def input_preview(self) -> str:
        """The input, shortened to one line, secrets redacted."""
        return _preview(self.input)

    @property
    def output_preview(self) -> str:
        """The output (a step's delta), shortened to one line, secrets redacted."""
        return _preview(self.output)

    def add_backoff(self, seconds: float) -> None:
        """Count a retry's wait against this step."""
        self.backoff_s += seconds

    def changes(self) -> dict[str, tuple[Any, Any]]:
        """What a step changed in the state: ``{field: (before, after)}`` (chapter 10).

        A step's input is the state it was given and its output the delta it returned; a field
        it returned with the value it already had is not a change. Empty for other spans.

            >>> span.changes()
            {'urgency': (None, 'high')}
        """
        if self.kind != "step" or not isinstance(self.output, dict):
            return {}
        out = {}
        for name, after in self.output.items():
            before = (
                self.input.get(name)
                if isinstance(self.input, dict)
                else getattr(self.input, name, None)
            )
            if before != after:
                out[name] = (before, after)
        return out

    @property
    def duration(self) -> float:
        """Wall-clock seconds from start to end (0 while running)."""
        return max(0.0, self.end - self.start) if self.end else 0.0

    @property
    def sim_duration(self) -> float:
        """Simulated seconds from start to end (0 while running)."""
        return max(0.0, self.sim_end - self.sim_start) if self.end else 0.0

    def shift(self, seconds: float) -> None:
        """Move the span later in simulated time (the engine schedules a fan-out's items)."""
        self.sim_start += seconds
        self.sim_end += seconds

    def close(
        self, status: SpanStatus, output: Any = None, error: BaseException | str | None = None
    ) -> None:
        """Mark the span finished now."""
        self.end, self.sim_end, self.status = time.time(), clock.now(), status
        if output is not None:
            self.output = output
        if error is not None:
            self.error = preview(
                error if isinstance(error, str) else f"{type(error).__name__}: {error}", 200
            )

    def to_dict(self) -> dict:
        """The span as a plain record (previews instead of raw input/output)."""
        record = {f.name: getattr(self, f.name) for f in _RECORD_FIELDS}
        record["input_preview"], record["output_preview"] = self.input_preview, self.output_preview
        record["duration_s"] = self.duration
        record["sim_duration_s"] = self.sim_duration
        return record


_RECORD_FIELDS = [f for f in fields(Span) if f.name not in ("input", "output")]


def _preview(value: Any) -> str:
    if value is None:
        return ""
    return preview(value if isinstance(value, str) else repr(value))


class Trace:
    """The spans of one run, in start order; ``to_dataframe()`` for analysis."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def __iter__(self) -> Iterator[Span]:
        return iter(self.spans)

    def __len__(self) -> int:
        return len(self.spans)

    def __repr__(self) -> str:
        return f"Trace({len(self.spans)} spans, ${self.total_cost:.4f}, {self.total_tokens} tokens)"

    def open(
        self, name: str, kind: SpanKind, key: str, parent_id: int | None, input: Any = None
    ) -> Span:
        """Start a span now and return it."""
        span = Span(
            len(self.spans) + 1,
            parent_id,
            name,
            kind,
            key,
            time.time(),
            sim_start=clock.now(),
            input=input,
        )
        self.spans.append(span)
        return span

    def add_calls(self, calls: list[Call], step: Span) -> None:
        """Add one LLM span per recorded call under ``step`` and add their usage to it."""
        for c in calls:
            span = Span(
                len(self.spans) + 1,
                step.id,
                f"chat {c.model}",
                "llm",
                step.key,
                c.started,
                c.ended,
                c.sim_start,
                c.sim_end,
                "ok" if c.status == "ok" else "error",
                c.requests,
                c.model,
                c.input_tokens,
                c.output_tokens,
                c.cost_usd,
                c.model_s or 0.0,
                error=c.error,
                stop_reason=c.stop_reason,
                input=c.prompt_preview,
                output=c.output_preview,
                thinking_tokens=c.thinking_tokens,
                effort=c.effort,
                cache_write_tokens=c.cache_write_tokens,
                cache_read_tokens=c.cache_read_tokens,
                batch=c.batch,
            )
            self.spans.append(span)
            step.model = c.model
            step.input_tokens += c.input_tokens
            step.output_tokens += c.output_tokens
            step.thinking_tokens += c.thinking_tokens
            step.cache_write_tokens += c.cache_write_tokens
            step.cache_read_tokens += c.cache_read_tokens
            step.cost_usd += c.cost_usd
            step.model_s += c.model_s or 0.0

    def steps(self) -> list[Span]:
        """The step spans only."""
        return [s for s in self.spans if s.kind == "step"]

    @property
    def total_cost(self) -> float:
        """US dollars spent by the LLM calls of this trace."""
        return sum(s.cost_usd for s in self.spans if s.kind == "llm")

    @property
    def sim_seconds(self) -> float:
        """Simulated seconds from the first span's start to the last span's end."""
        if not self.spans:
            return 0.0
        return max(s.sim_end for s in self.spans) - min(s.sim_start for s in self.spans)

    @property
    def total_tokens(self) -> int:
        """Prompt (cached or not) plus output tokens of the LLM calls of this trace."""
        return sum(
            s.input_tokens + s.cache_write_tokens + s.cache_read_tokens + s.output_tokens
            for s in self.spans
            if s.kind == "llm"
        )

    @property
    def cache_write_tokens(self) -> int:
        """Prompt tokens the LLM calls wrote to the prompt cache."""
        return sum(s.cache_write_tokens for s in self.spans if s.kind == "llm")

    @property
    def cache_read_tokens(self) -> int:
        """Prompt tokens the LLM calls read from the prompt cache."""
        return sum(s.cache_read_tokens for s in self.spans if s.kind == "llm")

    @property
    def cache_hit_rate(self) -> float:
        """Of all prompt tokens, the share read from the cache (0 when there were none)."""
        calls = [s for s in self.spans if s.kind == "llm"]
        prompt = sum(s.input_tokens + s.cache_write_tokens + s.cache_read_tokens for s in calls)
        return self.cache_read_tokens / prompt if prompt else 0.0

    @property
    def thinking_tokens(self) -> int:
        """Of the LLM calls' output tokens, those spent thinking."""
        return sum(s.thinking_tokens for s in self.spans if s.kind == "llm")

    def changes(self) -> list[dict]:
        """Every state change, one record per step and field, in start order (chapter 10).

        ``key``, ``step``, ``status``, ``field``, ``before``, ``after``: the per-step diff of the
        state, to find which step wrote a wrong value.

            >>> pd.DataFrame(result.trace.changes())
        """
        return [
            {
                "key": s.key,
                "step": s.name,
                "status": s.status,
                "field": name,
                "before": before,
                "after": after,
            }
            for s in self.steps()
            for name, (before, after) in s.changes().items()
        ]

    def records(self) -> list[dict]:
        """Every span as a plain dict (see ``Span.to_dict``)."""
        return [s.to_dict() for s in self.spans]

    def to_dataframe(self) -> pd.DataFrame:
        """One row per span; ``start``/``end`` as Unix seconds, ``duration_s`` in seconds.

        >>> df = trace.to_dataframe(); df.groupby("kind").cost_usd.sum()
        """
        import pandas as pd  # imported here: pandas is slow to import and runs don't need it

        columns = [f.name for f in _RECORD_FIELDS] + [
            "input_preview",
            "output_preview",
            "duration_s",
            "sim_duration_s",
        ]
        return pd.DataFrame(self.records(), columns=columns)


def log_step(span: Span) -> None:
    """One readable line per finished step, on the ``orchestra`` logger (off unless enabled).

    Only seeded quantities are printed (no wall-clock), so a notebook's log reproduces.
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    tokens = (
        span.input_tokens + span.cache_write_tokens + span.cache_read_tokens + span.output_tokens
    )
    cached = f" ({span.cache_read_tokens} from cache)" if span.cache_read_tokens else ""
    cost = f" · {tokens} tokens{cached} · ${span.cost_usd:.5f}" if span.model else ""
    took = f" · {span.model_s:.2f} model-s" if span.model_s else ""
    by = f" (answered by {span.answered_by})" if span.status == "fallback" else ""
    error = f" · {_short(span.error)}" if span.error and span.status != "ok" else ""
    logger.info(
        "%-28s %-8s %d attempt(s)%s%s%s%s",
        span.key,
        span.status,
        span.attempts,
        cost,
        took,
        by,
        error,
    )


def _short(error: str, limit: int = 90) -> str:
    """An error's gist for a log line: the SDK's echoed response body is cut off."""
    gist = error.split(" - {")[0].split(" (retry")[0]
    return gist if len(gist) <= limit else gist[: limit - 1] + "…"


def log_steps(on: bool = True, stream: Any = None) -> None:
    """Print one line per finished step (to stdout by default): ``log_steps()``; ``log_steps(False)``.

    Steps running in parallel finish in an order that can vary; enable it for sequences.
    """
    for h in [h for h in logger.handlers if getattr(h, "_orchestra", False)]:
        logger.removeHandler(h)
    if on:
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(logging.Formatter("[orchestra] %(message)s"))
        handler._orchestra = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    else:
        logger.setLevel(logging.WARNING)
