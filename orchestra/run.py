"""A run in progress: its bookkeeping, and how a sequence of nodes is run (chapters 01 and 08).

``Run`` holds what one invocation of a workflow accumulates: the trace, the replay journal
loaded from the store, the budget and what has been spent, the keys completed so far and
the optional steps skipped. ``run_steps`` runs nodes one after another. ``Stop`` unwinds a
run that must end early (aborted or waiting) up to ``Workflow.run``, which turns it into a
``RunResult``. Learners rarely touch this module; it is here so the engine reads top to
bottom: ``workflow`` -> ``compose`` -> ``step`` -> ``run``.

    >>> run = Run("r1", budget=Budget(max_tokens=1000))
    >>> state = await run_steps((extract, summarize), run, state, "", None)
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from orchestra.budget import Budget
from orchestra.errors import (
    BudgetExceededError,
    CircuitOpenError,
    OrchestraError,
    StateTypeError,
    StepError,
)
from orchestra.llm import Call
from orchestra.policies import retryable
from orchestra.trace import Span, Trace, log_step

__all__ = ["Run", "Stop", "run_steps", "explain"]


class Stop(BaseException):
    """Internal: unwinds a run that must end early (aborted or waiting) up to ``Workflow.run``.

    A BaseException, so that ``except Exception`` in a step or a retry loop cannot swallow it.
    """

    def __init__(
        self,
        status: Literal["aborted", "waiting"],
        reason: str,
        *,
        error: OrchestraError | None = None,
        waiting: dict | None = None,
    ):
        super().__init__(reason)
        self.status, self.reason, self.error, self.waiting = status, reason, error, waiting
        self.state: BaseModel | None = None  # filled by the innermost sequence


def explain(key: str, err: StepError) -> str:
    """A reason for an aborted run: which step, which error, what to do."""
    cause = err.cause
    if isinstance(cause, CircuitOpenError):
        hint = "add a fallback step on another model, or resume after the circuit resets"
    elif retryable(cause):
        hint = (
            "the error is retryable but kept failing: raise Retry(max_attempts=...), "
            "add a fallback, or resume later"
        )
    else:
        hint = (
            "retrying cannot help: fix the step or its input, add a fallback, "
            "or mark it optional=True"
        )
    return (
        f"step {key} failed after {err.attempt} attempt(s) with "
        f"{type(cause).__name__}: {cause}; {hint}"
    )


class Run:
    """One run in progress: its trace, replay journal, store, budget and spending."""

    def __init__(
        self,
        run_id: str,
        *,
        store: Any = None,
        journal: dict | None = None,
        budget: Budget | None = None,
        concurrency: int | None = None,
        carried: tuple[float, int] = (0.0, 0),
    ):
        self.run_id, self.store, self.budget = run_id, store, budget
        self.journal: dict[str, dict] = journal or {}
        self.trace = Trace()
        self.limit = asyncio.Semaphore(concurrency) if concurrency else None
        self.spent_usd, self.spent_tokens = carried
        self.carried = list(carried)
        """Spent on steps that never committed (failed, waiting), this and earlier invocations."""
        self.done: set[str] = set()
        self.degraded: list[str] = []

    def check_budget(self, key: str) -> None:
        if self.budget is None:
            return
        try:
            self.budget.check(self.spent_usd, self.spent_tokens, before=f"step {key}")
        except BudgetExceededError as err:
            raise Stop("aborted", str(err), error=err) from None

    def charge(self, calls: list[Call], span: Span) -> None:
        self.trace.add_calls(calls, span)
        for c in calls:
            self.spent_usd += c.cost_usd
            self.spent_tokens += c.input_tokens + c.output_tokens

    def uncommitted(self, calls: list[Call]) -> None:
        """Remember what a step that will run again has spent: the journal will not say."""
        for c in calls:
            self.carried[0] += c.cost_usd
            self.carried[1] += c.input_tokens + c.output_tokens

    def commit(self, key: str, out: Any, status: str, span: Span, calls: list[Call]) -> None:
        """Record a finished step: one journal row, one transaction (if there is a store)."""
        if self.store is None:
            return
        try:
            entry = to_jsonable_python(
                {
                    "out": out,
                    "status": status,
                    "by": span.answered_by,
                    "attempts": span.attempts,
                    "error": span.error,
                    "calls": [c.to_dict() for c in calls],
                }
            )
        except PydanticSerializationError as exc:
            raise StateTypeError(
                f"step {key} returned a value that cannot be saved as JSON "
                f"({exc}); return plain data or pydantic models"
            ) from None
        self.store.commit(self.run_id, key, entry)
        self.journal[key] = entry

    def replay(self, name: str, key: str, parent: int | None) -> Any:
        """The saved output of a step that already completed; nothing is executed."""
        entry = self.journal[key]
        span = self.trace.open(name, "step", key, parent)
        span.attempts, span.answered_by, span.error = (
            entry.get("attempts", 0),
            entry.get("by"),
            entry.get("error"),
        )
        for c in entry.get("calls", ()):
            self.spent_usd += c.get("cost_usd", 0.0)
            self.spent_tokens += c.get("input_tokens", 0) + c.get("output_tokens", 0)
        if entry.get("status") == "skipped":
            self.degraded.append(key)
        span.close("replayed", entry.get("out"))
        log_step(span)
        return entry.get("out")


async def run_steps(
    nodes: tuple, run: Run, state: BaseModel, prefix: str, parent: int | None
) -> BaseModel:
    """Run nodes one after another, each on the state the previous one returned."""
    try:
        for i, node in enumerate(nodes):
            key = f"{prefix}{i:02d}.{node.name}"
            state = await node._run(run, state, key, parent)
            run.done.add(key)
    except Stop as stop:
        if stop.state is None:
            stop.state = state
        raise
    return state
