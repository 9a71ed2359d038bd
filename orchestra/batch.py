"""The batch runner: many requests through the Message Batches API, at half price (chapter 12).

A batch trades latency for money: the API answers every request within 24 hours (usually far
sooner) and bills each at half the price of the same call made now. ``run_batch`` submits the
bodies (``LLM.request`` builds them, exactly as ``ask`` would send them), polls the batch with
a growing interval until it has ended, and returns one result per request **in input order**
(the API returns them in any order, matched by ``custom_id``). Each answered request is
recorded as a ``Call`` (``orchestra.calls``), so a trace, a budget or a meter counts it at the
batch price.

    >>> bodies = [llm.request(f"Summarize: {d}", system=rules, cache="1h") for d in docs]
    >>> done = await run_batch(llm, bodies, progress="nightly digest")
    >>> done.results[0].text, done.cost_usd, done.waited_s

A batch outlives the kernel that sent it. ``run_batch`` prints the batch id when it submits;
after a restart, pass it back (``run_batch(llm, bodies, batch_id="msgbatch_...")``) and the
runner polls that batch instead of paying for a new one.

The polls follow a schedule in simulated seconds after submission (``first_poll_s``, then each
wait ``backoff`` times the last, at most ``max_poll_s``). The batch's own processing time is
what the API reports (``ended_at - created_at``); the user sees the results at the first poll
of the schedule at or after it, and that is ``waited_s``, the simulated time the task's clock
moves on (``orchestra.clock``). So the figure depends on the schedule and the batch, never on
the machine's speed. Between polls the runner sleeps ``w × llm.time_scale`` of wall clock, so a
batch that takes an hour of model time ends in a notebook in seconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestra import clock
from orchestra.calls import Call, preview, record
from orchestra.errors import ConfigError, LoopLimitError

__all__ = ["BatchRun", "run_batch", "custom_id"]


@dataclass
class BatchRun:
    """What a batch returned, in the order the requests were given."""

    batch_id: str
    """The API's id for the batch: pass it to ``run_batch(..., batch_id=)`` to resume."""
    results: list[Any]
    """One per request, in input order: a ``Reply``, or the named error of a failed request."""
    processing_s: float
    """Seconds from the batch's creation to its end, as the API reports them."""
    waited_s: float
    """Simulated seconds from submitting to the poll that saw the batch ended: the first poll
    of the schedule at or after ``processing_s``."""
    polls: int
    """Status requests the schedule makes up to that poll."""
    statuses: list[dict] = field(default_factory=list, repr=False)
    """Every status the polls read, in order (``processing_status``, ``request_counts``)."""

    @property
    def succeeded(self) -> int:
        """Requests answered."""
        return sum(not isinstance(r, BaseException) for r in self.results)

    @property
    def errors(self) -> list[tuple[int, BaseException]]:
        """``(index, error)`` of each request that errored, expired or was canceled."""
        return [(i, r) for i, r in enumerate(self.results) if isinstance(r, BaseException)]

    @property
    def cost_usd(self) -> float:
        """US dollars for the answered requests, at the batch price."""
        return sum(r.cost_usd for r in self.results if not isinstance(r, BaseException))


def custom_id(index: int) -> str:
    """The ``custom_id`` of request ``index``: its position, so results find their place."""
    return f"req-{index:06d}"


async def run_batch(
    llm: Any,
    requests: list[dict],
    *,
    batch_id: str | None = None,
    first_poll_s: float = 60.0,
    backoff: float = 1.5,
    max_poll_s: float = 900.0,
    max_polls: int = 200,
    progress: str | None = None,
) -> BatchRun:
    """Submit ``requests`` as one batch (or resume ``batch_id``), wait for it, return results.

    Polls after ``first_poll_s`` simulated seconds, each wait ``backoff`` times the last, at
    most ``max_poll_s``; gives up with ``LoopLimitError`` (the batch id in its message) after
    ``max_polls`` polls. ``progress`` names a tqdm bar of requests done.

        >>> done = await run_batch(llm, [llm.request(p) for p in prompts], progress="batch")
    """
    if not requests:
        raise ConfigError("run_batch needs at least one request (bodies from llm.request(...))")
    if first_poll_s <= 0 or backoff < 1 or max_polls < 1:
        raise ConfigError("run_batch: first_poll_s > 0, backoff >= 1 and max_polls >= 1")
    ids = [custom_id(i) for i in range(len(requests))]
    start = clock.now()
    schedule = _schedule(first_poll_s, backoff, max_poll_s, max_polls)
    if batch_id is None:
        status = await llm.submit_batch(dict(zip(ids, requests, strict=True)))
        batch_id = status["id"]
        print(
            f"batch {batch_id} submitted: {len(requests)} requests. After a kernel restart, "
            f"resume it with run_batch(llm, requests, batch_id={batch_id!r})"
        )
    else:
        status = await llm.batch_status(batch_id)
    statuses, polled = [status], 0.0
    bar = _bar(progress, len(requests))
    try:
        while status["processing_status"] != "ended":
            if len(statuses) >= max_polls:
                raise LoopLimitError(
                    f"batch {batch_id} still {status['processing_status']} after "
                    f"{len(statuses)} polls ({polled:.0f} simulated s); resume "
                    f"later with run_batch(..., batch_id={batch_id!r})",
                    iterations=len(statuses),
                )
            wait = schedule[len(statuses) - 1] - polled
            await asyncio.sleep(wait * getattr(llm, "time_scale", 1.0))
            polled += wait
            status = await llm.batch_status(batch_id)
            statuses.append(status)
            if bar is not None:
                bar.n = _done(status)
                bar.refresh()
        if bar is not None:
            bar.n = _done(status)
    finally:
        if bar is not None:
            bar.close()
    took = _seconds(status["created_at"], status["ended_at"])
    polls = next((i + 1 for i, t in enumerate(schedule) if t >= took), len(schedule))
    answers = await llm.batch_results(batch_id)
    missing = [cid for cid in ids if cid not in answers]
    if missing:
        raise ConfigError(
            f"batch {batch_id} has no result for {len(missing)} of the {len(ids)} requests "
            f"(e.g. {missing[0]}): is it the batch these requests were submitted as?"
        )
    results = [answers[cid] for cid in ids]
    waited = schedule[polls - 1] if polls <= len(schedule) else took
    end = clock.advance(waited)
    _record(llm, results, requests, start, end)
    return BatchRun(batch_id, results, took, waited, polls, statuses)


def _schedule(first: float, backoff: float, most: float, polls: int) -> list[float]:
    """When each poll comes, in seconds after submission: waits growing by ``backoff``."""
    times, t, wait = [], 0.0, first
    for _ in range(polls):
        t += wait
        times.append(t)
        wait = min(wait * backoff, most)
    return times


def _seconds(start: str, end: str | None) -> float:
    """Seconds between two of the API's RFC 3339 timestamps."""
    if end is None:
        return 0.0
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _done(status: dict) -> int:
    counts = status.get("request_counts") or {}
    return sum(n for kind, n in counts.items() if kind != "processing")


def _bar(label: str | None, total: int) -> Any:
    if not label:
        return None
    from tqdm.auto import tqdm  # imported when asked for: tqdm pulls in ipywidgets in Jupyter

    return tqdm(total=total, desc=label, unit="request")


def _record(llm: Any, results: list[Any], requests: list[dict], start: float, end: float) -> None:
    """One ``Call`` per request for the active recording, spanning the batch's wait."""
    now = time.time()
    for body, r in zip(requests, results, strict=True):
        failed = isinstance(r, BaseException)
        record(
            Call(
                getattr(r, "model", None) or body.get("model", llm.model),
                now,
                now,
                "error" if failed else "ok",
                input_tokens=0 if failed else r.input_tokens,
                output_tokens=0 if failed else r.output_tokens,
                cost_usd=0.0 if failed else r.cost_usd,
                sim_start=start,
                sim_end=end,
                error=preview(str(r), 200) if failed else None,
                prompt_preview=preview(body["messages"][-1]),
                output_preview="" if failed else preview(r.text),
                thinking_tokens=0 if failed else r.thinking_tokens,
                stop_reason=None if failed else r.stop_reason,
                cache_write_tokens=0 if failed else r.cache_write_tokens,
                cache_read_tokens=0 if failed else r.cache_read_tokens,
                batch=True,
                effort=(body.get("output_config") or {}).get("effort"),
            )
        )
