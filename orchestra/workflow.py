"""Workflows: build one from steps, run it, resume it (chapters 01-04; checkpoints in 08).

    >>> wf = Workflow("triage", state=Ticket, steps=[
    ...     classify,
    ...     parallel(sentiment, topics, merge={"notes": operator.add}),
    ...     branch("kind", {"refund": refund, "bug": [triage, file_bug]}, default=reply),
    ... ])
    >>> result = await wf.run(Ticket(text="..."), store=SqliteStore("runs.db"),
    ...                       budget=Budget(max_cost_usd=0.10))
    >>> result.status, result.reason, result.missing, result.degraded
    >>> result = await wf.resume(result.run_id, store)        # after a crash or a fix

The definition is checked when the workflow is built, before any step runs: non-step
objects (``DefinitionError``), a step annotated with another state class or declaring fields
the state lacks (``StateTypeError``), branch routes naming no step (``UnknownStepError``), a
workflow reaching itself (``CycleError``), parallel branches writing one field with no merge
rule (``MergeConflictError``). Every message says what to fix.

Resume is deterministic replay: the run is walked again from its saved initial state; each
step whose key is in the journal gets its saved delta applied instead of being executed
(so no LLM call is repeated), and the rest run as usual.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from orchestra import clock
from orchestra.budget import Budget
from orchestra.checkpoint import LEASE_S, Store, new_owner
from orchestra.errors import (
    ConfigError,
    CorruptCheckpointError,
    CycleError,
    DecisionMismatchError,
    ForeignCheckpointError,
    OrchestraError,
    RunBusyError,
    StateTypeError,
    hide_from_learners,
)
from orchestra.fanout import Slots, fan_out
from orchestra.nodes import (
    Node,
    Scope,
    bind_sequence,
    describe_all,
    missing_in,
    named_in,
    run_sequence,
    writes_of,
)
from orchestra.run import Run, Stop, decision_row
from orchestra.trace import Trace

__all__ = ["Workflow", "RunResult", "RunStatus", "run_sync"]

RunStatus = Literal["completed", "aborted", "waiting", "failed"]
T = TypeVar("T")


@dataclass
class RunResult:
    """What a run returns: how it ended, the (possibly partial) state, and its trace."""

    status: RunStatus
    """completed; aborted (a step gave up, a budget or loop bound was hit); waiting (for a
    person's decision); failed (a bug was raised mid-run: the store keeps the run resumable)."""
    state: BaseModel
    """The final state, or the partial state when the run stopped early."""
    trace: Trace
    run_id: str
    reason: str | None = None
    """Why the run stopped early: which step, which error, what to do."""
    missing: list[str] = field(default_factory=list)
    """Keys of steps (or composite nodes) that did not complete."""
    degraded: list[str] = field(default_factory=list)
    """Keys of optional steps that were skipped (and loops that hit their bound with
    ``on_limit="continue"``); the trace holds each reason."""
    waiting_for: dict | None = None
    """When waiting: ``{"key", "prompt", "payload"}`` of the pending decision."""
    error: OrchestraError | None = None
    """The named error behind an aborted run (StepError, BudgetExceededError, ...)."""
    cost_usd: float = 0.0
    """Spent by the whole run over all its invocations: replayed steps and failed attempts
    included (a killed process loses the cost of the steps it had in flight)."""
    tokens: int = 0
    """Input + output tokens of the whole run, counted like ``cost_usd``."""
    sim_s: float = 0.0
    """Simulated seconds this invocation took: what the simulator charged for the calls on its
    critical path, plus waits (``orchestra.calls``); on real Claude, wall-clock seconds."""


class Workflow(Node):
    """A named sequence of nodes over one state class; also usable as a node itself."""

    def __init__(self, name: str, *, state: type[BaseModel], steps: list):
        if not (isinstance(state, type) and issubclass(state, BaseModel)):
            raise StateTypeError(
                f"Workflow {name!r}: state= must be a pydantic BaseModel class, got {state!r}"
            )
        self.name, self.state = name, state
        scope = Scope(state, name, name, (self,), named_in(steps))
        self.steps: tuple[Node, ...] = bind_sequence(steps, scope)
        self.fingerprint = hashlib.sha256(
            f"{state.__name__}{list(state.model_fields)}{self.describe()}".encode()
        ).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, state={self.state.__name__}, {len(self.steps)} steps)"

    async def run(
        self,
        state: BaseModel | dict,
        *,
        store: Store | None = None,
        run_id: str | None = None,
        budget: Budget | None = None,
        concurrency: int | None = None,
    ) -> RunResult:
        """Run from ``state``; with a ``store`` every completed step is committed.

        ``concurrency`` caps the step attempts running at once in this run (None: no cap).

            >>> result = await wf.run(Ticket(text="refund please"), store=MemoryStore())
        """
        # out of a learner's traceback in IPython, kept in pytest's (errors.hide_from_learners)
        __tracebackhide__ = hide_from_learners
        state = self._accept(state)
        run_id = run_id or os.urandom(6).hex()
        owner = new_owner()
        if store is not None:
            store.create(
                run_id,
                self.name,
                self.fingerprint,
                {
                    "initial": state.model_dump(mode="json"),
                    "budget": budget.to_dict() if budget else None,
                },
            )
            store.lease(run_id, owner)
        run = Run(run_id, store=store, budget=budget, concurrency=concurrency, owner=owner)
        return await self._go(run, state)

    async def resume(
        self,
        run_id: str,
        store: Store,
        *,
        decision: Any = None,
        question: str | None = None,
        budget: Budget | None = None,
        concurrency: int | None = None,
    ) -> RunResult:
        """Continue a killed, aborted, failed or waiting run; completed steps are replayed.

        ``decision`` answers the person the run is waiting for, and ``question`` says which
        question it answers (``result.waiting_for["key"]``): a decision meant for one question
        never answers the next one. ``budget`` replaces the run's saved budget (e.g. a higher
        ceiling after a budget stop). Only one invocation owns a run at a time: while another
        holds it, this one raises ``RunBusyError`` and changes nothing.

            >>> waiting = result.waiting_for
            >>> result = await wf.resume(run_id, store, decision=True, question=waiting["key"])
        """
        __tracebackhide__ = hide_from_learners
        rec = store.load(run_id)
        if rec.workflow != self.name or rec.fingerprint != self.fingerprint:
            raise ForeignCheckpointError(
                f"run {run_id!r} was made by workflow {rec.workflow!r} (definition "
                f"{rec.fingerprint}), not {self.name!r} ({self.fingerprint}); resume it with "
                f"the workflow that started it, or start a new run"
            )
        if decision is not None and question is None:
            raise ConfigError(
                "a decision must say which question it answers: pass "
                "question=result.waiting_for['key'] (or wf.waiting(run_id, store)['key'])"
            )
        try:
            state = self.state.model_validate(rec.initial)
        except ValidationError as exc:
            raise CorruptCheckpointError(
                f"run {run_id!r}: saved initial state does not fit "
                f"{self.state.__name__}: {exc.errors()[0]['msg']}"
            ) from None
        owner = new_owner()
        store.lease(run_id, owner)  # refused (RunBusyError) while another invocation runs it
        try:
            rec = store.load(run_id)  # as of the moment we own it
            if decision is not None:
                _answer(store, rec, owner, decision, question)
            journal = store.journal(run_id)
        except BaseException:
            store.finish(run_id, rec.status, rec.info, owner=owner)  # give the lease back
            raise
        if budget is None and rec.budget:
            budget = Budget(**rec.budget)
        usd, tokens = rec.info.get("carried", (0.0, 0))
        run = Run(
            run_id,
            store=store,
            journal=journal,
            budget=budget,
            concurrency=concurrency,
            carried=(usd, tokens),
            owner=owner,
        )
        return await self._go(run, state)

    def waiting(self, run_id: str, store: Store) -> dict | None:
        """The question a run waits on (``{"key", "prompt", "payload"}``), or None."""
        rec = store.load(run_id)
        return rec.info.get("waiting_for") if rec.status == "waiting" else None

    async def _go(self, run: Run, state: BaseModel) -> RunResult:
        __tracebackhide__ = hide_from_learners
        root = run.trace.open(self.name, "workflow", "", None, state)
        status, reason, error, waiting = "completed", None, None, None
        heartbeat = _heartbeat(run) if run.store is not None else None
        try:
            state = await run_sequence(self.steps, run, state, "", root.id)
        except Stop as stop:
            status, reason, error, waiting = stop.status, stop.reason, stop.error, stop.waiting
            state = stop.state if stop.state is not None else state
        except BaseException as exc:  # a bug (or a cancel): keep the run resumable, re-raise
            root.close("error", error=exc)
            if run.store is not None and not isinstance(exc, RunBusyError):
                run.store.finish(
                    run.run_id,
                    "failed",
                    {"reason": f"{type(exc).__name__}: {exc}", "carried": run.carried},
                    owner=run.owner,
                )
            raise
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
        missing = [] if status == "completed" else missing_in(self.steps, "", run.done)
        root.close("ok" if status == "completed" else status, state)
        if run.store is not None:
            run.store.finish(
                run.run_id,
                status,
                {
                    "reason": reason,
                    "waiting_for": waiting,
                    "missing": missing,
                    "carried": run.carried,
                },
                owner=run.owner,
            )
        return RunResult(
            status,
            state,
            run.trace,
            run.run_id,
            reason,
            missing,
            list(run.degraded),
            waiting,
            error,
            run.spent_usd,
            run.spent_tokens,
            root.sim_duration,
        )

    async def run_many(
        self,
        states: Sequence[BaseModel | dict],
        *,
        concurrency: int = 8,
        progress: bool | str = False,
        **options: Any,
    ) -> list[RunResult]:
        """One run per input, at most ``concurrency`` at once; results in input order.

        ``options`` go to each ``run`` (``store=``, ``budget=`` ...); a bug in one run is raised.
        ``progress=True`` shows a bar named after the workflow; a string names it.

            >>> results = await wf.run_many([Ticket(text=t) for t in texts], progress=True)
        """
        __tracebackhide__ = hide_from_learners
        checked = [self._accept(s) for s in states]

        async def one(_: int, state: BaseModel) -> RunResult:
            # each run on its own clock from 0; laid out on the slots below
            __tracebackhide__ = hide_from_learners
            return (await clock.forked(lambda: self.run(state, **options), 0.0))[0]

        outs = await fan_out(
            one,
            checked,
            limit=Slots(concurrency),
            progress=progress if isinstance(progress, str) else self.name if progress else None,
        )
        for out in outs:
            if isinstance(out, BaseException):
                raise out
        starts = clock.join([r.sim_s for r in outs], concurrency, clock.now())
        for r, start in zip(outs, starts, strict=True):
            for span in r.trace:
                span.shift(start)
        return outs

    # -- as a node of another workflow ---------------------------------------------------

    def bind(self, scope: Scope) -> Workflow:
        """A sub-workflow must carry the same state and must not contain its container."""
        if any(self is a for a in scope.ancestors):
            raise CycleError(
                f"workflow {self.name!r} contains itself (in {scope.where}); "
                f"repeat work with loop(..., max_iterations=N) instead"
            )
        if self.state is not scope.state:
            raise StateTypeError(
                f"sub-workflow {self.name!r} in {scope.where} carries {self.state.__name__}, "
                f"but {scope.workflow!r} carries {scope.state.__name__}; a sub-workflow must "
                f"use the same state"
            )
        bind_sequence(self.steps, scope.inside(self.name, workflow=self))  # checked, not kept
        return self

    def may_write(self) -> set[str] | None:
        return writes_of(self.steps)

    def named(self) -> dict[str, Node]:
        return {self.name: self}  # what is inside was resolved when it was built

    def describe(self) -> str:
        return f"wf:{self.name}({describe_all(self.steps)})"

    def missing(self, key: str, done: set[str]) -> list[str]:
        return missing_in(self.steps, f"{key}.", done)

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        """Run as a node (a sub-workflow) of another workflow."""
        __tracebackhide__ = hide_from_learners
        span = run.trace.open(self.name, "workflow", key, parent, state)
        try:
            state = await run_sequence(self.steps, run, state, f"{key}.", span.id)
        except Stop as stop:
            span.close("aborted" if stop.status == "aborted" else "waiting")
            raise
        span.close("ok", state)
        return state

    def _accept(self, state: Any) -> BaseModel:
        if isinstance(state, dict):
            try:
                return self.state.model_validate(state)
            except ValidationError as exc:
                raise StateTypeError(
                    f"workflow {self.name!r}: the input does not fit "
                    f"{self.state.__name__}: {exc.errors()[0]}"
                ) from None
        if not isinstance(state, self.state):
            raise StateTypeError(
                f"workflow {self.name!r} carries {self.state.__name__}, got "
                f"{type(state).__name__}; pass {self.state.__name__}(...) "
                f"or a dict of its fields"
            )
        return state


def _answer(store: Store, rec: Any, owner: str, decision: Any, question: str) -> None:
    """Record a person's decision as the journal row of the question it answers."""
    waiting = rec.info.get("waiting_for") if rec.status == "waiting" else None
    expected = waiting["key"] if waiting else None
    if question != expected:
        now = f"waits on {expected!r}" if expected else f"is {rec.status}, waiting on nothing"
        raise DecisionMismatchError(
            f"run {rec.run_id!r} {now}, but the decision answers {question!r}: it was answered "
            f"already or belongs to another question; look at wf.waiting(run_id, store) and "
            f"decide that",
            expected=expected,
            got=question,
        )
    store.commit(rec.run_id, question, decision_row(decision, "human"), owner=owner)


def _heartbeat(run: Run) -> asyncio.Task:
    """Renew the run's lease while it runs, so a long step does not lose it."""
    every = getattr(run.store, "lease_s", LEASE_S) / 3

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                run.store.lease(run.run_id, run.owner)
            except RunBusyError:
                return  # taken over: the next commit will say so

    return asyncio.get_running_loop().create_task(beat())


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a plain script: ``result = run_sync(wf.run(state))``.

    Not for notebooks: Jupyter already runs an event loop, so write ``await wf.run(...)``.
    """
    return asyncio.run(coro)
