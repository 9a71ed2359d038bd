"""The record of one LLM call, the recorder the client reports into, and the retry flag.

The engine never talks to a model: a step's function does, through whatever client it closes
over. To learn what a step spent, the engine opens a ``recording()`` around each attempt, and
the client ``record()``s a ``Call`` for every request it makes. Any client can report: ours in
``orchestra.llm`` does, and a test's fake does in three lines.

    >>> with recording() as calls:
    ...     await llm.ask("hello")
    >>> calls[0].input_tokens, calls[0].cost_usd

The simulated clock the client advances lives in ``orchestra.clock``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from typing import Literal

from orchestra.redact import redact

__all__ = [
    "Call",
    "recording",
    "record",
    "preview",
    "spent",
    "policy_retries",
    "retried_by_policy",
]


@dataclass
class Call:
    """One request to a model, for traces: plain data, previews only, never a key."""

    model: str
    started: float
    """Unix seconds (wall clock) when the request was sent."""
    ended: float
    status: Literal["ok", "error"]
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    model_s: float | None = None
    """Model-seconds the simulator charged for the call (None on real Claude)."""
    sim_start: float = 0.0
    """Simulated seconds (the task's clock, see the module docstring) when the call began."""
    sim_end: float = 0.0
    """Simulated seconds when it ended: ``sim_start + model_s`` on the simulator."""
    requests: int = 1
    """HTTP requests it took: more than one when the SDK retried it (outside a retry policy)."""
    error: str | None = None
    prompt_preview: str = ""
    output_preview: str = ""
    thinking_tokens: int = 0
    """Of ``output_tokens``, those spent thinking (``usage.output_tokens_details``)."""
    effort: str | None = None
    """The effort the call ran at: the one sent, else the model's default (None: no effort)."""
    stop_reason: str | None = None
    """Why the model stopped: ``end_turn``, ``max_tokens`` (the answer was cut), ``stop_sequence``
    or ``tool_use``; None when no answer came back."""
    cache_write_tokens: int = 0
    """Prompt tokens written to the prompt cache (``usage.cache_creation_input_tokens``), billed
    above the input price; not counted in ``input_tokens``."""
    cache_read_tokens: int = 0
    """Prompt tokens read from the prompt cache (``usage.cache_read_input_tokens``), billed at a
    tenth of the input price; not counted in ``input_tokens``."""
    batch: bool = False
    """Answered through the Message Batches API (billed at the batch discount)."""

    @property
    def prompt_tokens(self) -> int:
        """Every prompt token the model read: uncached, written to and read from the cache."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> Call:
        """A call back from its saved record (unknown keys ignored, missing ones empty)."""
        known = {k: record[k] for k in _FIELDS if k in record}
        return cls(**{"model": "", "started": 0.0, "ended": 0.0, "status": "ok", **known})


_FIELDS = [f.name for f in fields(Call)]
_recorder: ContextVar[list[Call] | None] = ContextVar("orchestra_calls", default=None)


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Collect a ``Call`` for every LLM call made inside the block: ``with recording() as calls:``."""
    calls: list[Call] = []
    token = _recorder.set(calls)
    try:
        yield calls
    finally:
        _recorder.reset(token)


def record(call: Call) -> None:
    """Append a call to the active ``recording()`` list, if any (a client does this for you)."""
    calls = _recorder.get()
    if calls is not None:
        calls.append(call)


_policy: ContextVar[bool] = ContextVar("orchestra_policy_retries", default=False)


@contextmanager
def policy_retries() -> Iterator[None]:
    """Inside this block a retry policy retries failed calls, so a client must not retry too.

    One layer retries: under ``Retry(max_attempts=4)`` an SDK that also retried twice would
    send 12 requests while the trace and the breaker counted 4.
    """
    token = _policy.set(True)
    try:
        yield
    finally:
        _policy.reset(token)


def retried_by_policy() -> bool:
    """Whether the calling code runs under a retry policy (see ``policy_retries``)."""
    return _policy.get()


def spent(calls: Iterable[Call]) -> tuple[float, int]:
    """What calls cost together: ``(usd, prompt + output tokens)``.

    Prompt tokens include those written to and read from the prompt cache: a cached prefix is
    cheaper, not free, and a token budget that skipped it would not see a long prompt at all.
    """
    usd, tokens = 0.0, 0
    for c in calls:
        usd += c.cost_usd
        tokens += c.prompt_tokens + c.output_tokens
    return usd, tokens


def preview(text: str, limit: int = 120) -> str:
    """A short one-line preview of text for traces and logs, secrets redacted."""
    flat = redact(" ".join(str(text).split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
