"""A run in progress: what one invocation of a workflow accumulates (chapters 01, 06 and 08).

``Run`` holds the trace, the replay journal loaded from the store, the budget and what has
been spent, the keys completed so far and the optional steps skipped. Nodes receive it and
report into it: a step charges its calls, commits its output, or replays a saved one. A node
whose own choice must survive a resume (a person's answer, the winner of a ``race``) keeps it
in the journal too: ``run.decide(key, value)`` once, ``run.decided(key)`` on every resume. ``Stop``
unwinds a run that must end early (aborted, or waiting for a person) up to ``Workflow.run``,
which turns it into a ``RunResult``.

    >>> run = Run("r1", budget=Budget(max_tokens=1000))
    >>> state = await run_sequence((extract, summarize), run, state, "", None)
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from orchestra.budget import Budget
from orchestra.calls import Call, spent
from orchestra.checkpoint import Store
from orchestra.errors import (
    BudgetExceededError,
    CircuitOpenError,
    OrchestraError,
    StateTypeError,
    StepError,
)
from orchestra.policies import retryable
from orchestra.trace import Span, Trace, log_step

__all__ = ["Run", "Stop", "explain", "decision_row"]


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
        state: BaseModel | None = None,
    ):
        super().__init__(reason)
        self.status, self.reason, self.error, self.waiting = status, reason, error, waiting
        self.state = state
        """The partial state the run ends with; the node that knows it says so."""

    def with_state(self, state: BaseModel) -> Stop:
        """The same stop, ending with ``state``: a new object, this one is left as it is."""
        return Stop(self.status, self.reason, error=self.error, waiting=self.waiting, state=state)


def explain(key: str, err: StepError) -> str:
    """A reason for an aborted run: which step, which error, what to do."""
    cause = err.cause
    if isinstance(cause, CircuitOpenError):
        hint = "add a fallback step on another model, or resume after the circuit resets"
    elif cause is not None and retryable(cause):
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


def decision_row(value: Any, status: Literal["decision", "human"] = "decision") -> dict:
    """The journal row of a decision: a node's own (``decision``) or a person's (``human``)."""
    try:
        return {"out": to_jsonable_python(value), "status": status}
    except PydanticSerializationError as exc:
        raise StateTypeError(
            f"a decision must be saved as JSON ({exc}); decide plain data"
        ) from None


class Run:
    """One run in progress: its trace, replay journal, store, budget and spending."""

    def __init__(
        self,
        run_id: str,
        *,
        store: Store | None = None,
        journal: dict | None = None,
        budget: Budget | None = None,
        concurrency: int | None = None,
        carried: tuple[float, int] = (0.0, 0),
        owner: str | None = None,
    ):
        self.run_id, self.store, self.budget = run_id, store, budget
        self.owner = owner
        """The lease holder's id: the store refuses commits from anyone else."""
        self.journal: dict[str, dict] = journal or {}
        self.trace = Trace()
        self.limit = asyncio.Semaphore(concurrency) if concurrency else None
        self.spent_usd, self.spent_tokens = carried
        """Spent by the whole run: this invocation, earlier ones, replayed steps included."""
        self.carried = list(carried)
        """Spent on steps that never committed (failed, waiting), this and earlier invocations."""
        self.done: set[str] = set()
        self.degraded: list[str] = []

    def check_budget(self, key: str) -> None:
        """Stop the run (aborted) if spending has reached the budget, before ``key`` starts."""
        if self.budget is None:
            return
        try:
            self.budget.check(self.spent_usd, self.spent_tokens, before=f"step {key}")
        except BudgetExceededError as err:
            raise Stop("aborted", str(err), error=err) from None

    def _add(self, calls: list[Call]) -> None:
        usd, tokens = spent(calls)
        self.spent_usd += usd
        self.spent_tokens += tokens

    def charge(self, calls: list[Call], span: Span) -> None:
        """Count calls a step just made, and put them in the trace under its span."""
        self.trace.add_calls(calls, span)
        self._add(calls)

    def uncommitted(self, calls: list[Call]) -> None:
        """Remember what a step that will run again has spent: the journal will not say."""
        usd, tokens = spent(calls)
        self.carried[0] += usd
        self.carried[1] += tokens

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
        self.store.commit(self.run_id, key, entry, owner=self.owner)
        self.journal[key] = entry

    def decide(self, key: str, value: Any) -> Any:
        """Keep a node's own decision under ``key`` (one journal row); returns ``value``.

        A resume reads it back with ``decided`` instead of deciding again. ``key`` must not be a
        step's: take the node's key and a ``#`` suffix (``f"{key}#winner"``).
        """
        row = decision_row(value)
        if self.store is not None:
            self.store.commit(self.run_id, key, row, owner=self.owner)
        self.journal[key] = row
        return value

    def decided(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` if a decision was kept under ``key``, else ``(False, None)``."""
        if key in self.journal:
            return True, self.journal[key]["out"]
        return False, None

    def replay(self, name: str, key: str, parent: int | None) -> Any:
        """The saved output of a step that already completed; nothing is executed."""
        entry = self.journal[key]
        span = self.trace.open(name, "step", key, parent)
        span.attempts, span.answered_by, span.error = (
            entry.get("attempts", 0),
            entry.get("by"),
            entry.get("error"),
        )
        self._add([Call.from_dict(c) for c in entry.get("calls", ())])
        if entry.get("status") == "skipped":
            self.degraded.append(key)
        span.close("replayed", entry.get("out"))
        log_step(span)
        return entry.get("out")
