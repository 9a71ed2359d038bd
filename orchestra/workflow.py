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
import inspect
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from orchestra.budget import Budget
from orchestra.compose import _DEFAULT, Branch, Loop, MapEach, Parallel, as_nodes
from orchestra.errors import (
    ConfigError,
    CorruptCheckpointError,
    CycleError,
    DefinitionError,
    ForeignCheckpointError,
    MergeConflictError,
    OrchestraError,
    StateTypeError,
    UnknownStepError,
)
from orchestra.run import Run, Stop, run_steps
from orchestra.step import Step
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


class Workflow:
    """A named sequence of nodes over one state class; also usable as a node itself."""

    def __init__(self, name: str, *, state: type[BaseModel], steps: list):
        if not (isinstance(state, type) and issubclass(state, BaseModel)):
            raise StateTypeError(
                f"Workflow {name!r}: state= must be a pydantic BaseModel class, got {state!r}"
            )
        self.name, self.state, self.steps = name, state, tuple(steps)
        names = _names(self.steps, {})
        self._check(self.steps, name, [self], names)
        self.fingerprint = hashlib.sha256(
            f"{state.__name__}{list(state.model_fields)}{_describe(self)}".encode()
        ).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, state={self.state.__name__}, {len(self.steps)} steps)"

    async def run(
        self,
        state: BaseModel | dict,
        *,
        store: Any = None,
        run_id: str | None = None,
        budget: Budget | None = None,
        concurrency: int | None = None,
    ) -> RunResult:
        """Run from ``state``; with a ``store`` every completed step is committed.

        ``concurrency`` caps the step attempts running at once in this run (None: no cap).

            >>> result = await wf.run(Ticket(text="refund please"), store=MemoryStore())
        """
        state = self._accept(state)
        run_id = run_id or os.urandom(6).hex()
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
        return await self._go(
            Run(run_id, store=store, budget=budget, concurrency=concurrency), state
        )

    async def resume(
        self,
        run_id: str,
        store: Any,
        *,
        decision: Any = None,
        budget: Budget | None = None,
        concurrency: int | None = None,
    ) -> RunResult:
        """Continue a killed, aborted, failed or waiting run; completed steps are replayed.

        ``decision`` answers the person the run is waiting for. ``budget`` replaces the
        run's saved budget (e.g. a higher ceiling after a budget stop).

            >>> result = await wf.resume(run_id, store, decision={"approved": True})
        """
        rec = store.load(run_id)
        if rec.workflow != self.name or rec.fingerprint != self.fingerprint:
            raise ForeignCheckpointError(
                f"run {run_id!r} was made by workflow {rec.workflow!r} (definition "
                f"{rec.fingerprint}), not {self.name!r} ({self.fingerprint}); resume it with "
                f"the workflow that started it, or start a new run"
            )
        if decision is not None:
            waiting = rec.info.get("waiting_for")
            if rec.status != "waiting" or not waiting:
                raise ConfigError(
                    f"run {run_id!r} is {rec.status}, not waiting for a decision; "
                    f"call resume without decision="
                )
            store.commit(
                run_id, waiting["key"], {"out": to_jsonable_python(decision), "status": "human"}
            )
        try:
            state = self.state.model_validate(rec.initial)
        except ValidationError as exc:
            raise CorruptCheckpointError(
                f"run {run_id!r}: saved initial state does not fit "
                f"{self.state.__name__}: {exc.errors()[0]['msg']}"
            ) from None
        if budget is None and rec.budget:
            budget = Budget(**rec.budget)
        usd, tokens = rec.info.get("carried", (0.0, 0))
        run = Run(
            run_id,
            store=store,
            journal=store.journal(run_id),
            budget=budget,
            concurrency=concurrency,
            carried=(usd, tokens),
        )
        return await self._go(run, state)

    async def _go(self, run: Run, state: BaseModel) -> RunResult:
        root = run.trace.open(self.name, "workflow", "", None, state)
        status, reason, error, waiting = "completed", None, None, None
        try:
            state = await run_steps(self.steps, run, state, "", root.id)
        except Stop as stop:
            status, reason, error, waiting = stop.status, stop.reason, stop.error, stop.waiting
            state = stop.state if stop.state is not None else state
        except BaseException as exc:  # a bug (or a cancel): keep the run resumable, re-raise
            root.close("error", error=exc)
            if run.store is not None:
                run.store.finish(
                    run.run_id,
                    "failed",
                    {"reason": f"{type(exc).__name__}: {exc}", "carried": run.carried},
                )
            raise
        missing = [] if status == "completed" else _missing(self.steps, "", run.done)
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
        )

    async def _run(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        """Run as a node (a sub-workflow) of another workflow."""
        span = run.trace.open(self.name, "workflow", key, parent, state)
        try:
            state = await run_steps(self.steps, run, state, f"{key}.", span.id)
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

    # -- checks made when the workflow is built ---------------------------------------

    def _check(self, nodes: tuple, where: str, ancestors: list, names: dict) -> set | None:
        """Check a sequence of nodes; returns the fields it may write (None: undeclared)."""
        writes: set | None = set()
        for node in nodes:
            w = self._check_node(node, where, ancestors, names)
            writes = None if writes is None or w is None else writes | w
        return writes

    def _check_node(self, node: Any, where: str, ancestors: list, names: dict) -> set | None:
        S, fields = self.state, self.state.model_fields
        if isinstance(node, Step):
            for s in _chain(node):
                if s.state_type is not None and s.state_type is not S:
                    raise StateTypeError(
                        f"step {s.name!r} in {where} takes "
                        f"{s.state_type.__name__}, but workflow {self.name!r} "
                        f"carries {S.__name__}; annotate it with {S.__name__}"
                    )
                for f in s.writes or ():
                    if f not in fields:
                        raise StateTypeError(
                            f"step {s.name!r} in {where} declares writes="
                            f"{s.writes}, but {S.__name__} has no field {f!r}"
                        )
            return set(node.writes) if node.writes is not None else None
        if isinstance(node, Workflow):
            if any(node is a for a in ancestors):
                raise CycleError(
                    f"workflow {node.name!r} contains itself (in {where}); "
                    f"repeat work with loop(..., max_iterations=N) instead"
                )
            if node.state is not S:
                raise StateTypeError(
                    f"sub-workflow {node.name!r} in {where} carries "
                    f"{node.state.__name__}, but {self.name!r} carries "
                    f"{S.__name__}; a sub-workflow must use the same state"
                )
            return self._check(node.steps, f"{where} > {node.name}", ancestors + [node], names)
        if isinstance(node, Parallel):
            return self._check_parallel(node, where, ancestors, names)
        if isinstance(node, MapEach):
            for f in (node.over, node.into):
                if f not in fields:
                    raise StateTypeError(
                        f"map_each({node.step!r}) in {where} uses field {f!r}, "
                        f"but {S.__name__} has no such field"
                    )
            if not isinstance(node.step, Step) or node.concurrency < 1:
                raise DefinitionError(f"map_each in {where} needs a @step and concurrency >= 1")
            return {node.into}
        if isinstance(node, Branch):
            writes: set | None = set()
            routes = [*node.routes.items()] + (
                [(_DEFAULT, node.default)] if node.default is not None else []
            )
            for value, route in routes:
                nodes = tuple(
                    self._resolve(r, value, where, ancestors, names) for r in as_nodes(route)
                )
                node.resolved[value] = nodes
                w = self._check(nodes, f"{where} > {node.name}[{value}]", ancestors, names)
                writes = None if writes is None or w is None else writes | w
            return writes
        if isinstance(node, Loop):
            if not isinstance(node.max_iterations, int) or node.max_iterations < 1:
                raise DefinitionError(
                    f"loop in {where}: max_iterations must be an int >= 1 (every loop has a bound)"
                )
            return self._check(node.body, f"{where} > {node.name}", ancestors, names)
        if inspect.iscoroutinefunction(node):
            raise DefinitionError(
                f"{node.__name__!r} in {where} is a plain async function; decorate it with @step"
            )
        raise DefinitionError(
            f"{node!r} in {where} is not a step; use a @step function, a "
            f"Workflow, parallel(), map_each(), branch() or loop()"
        )

    def _check_parallel(self, node: Parallel, where: str, ancestors: list, names: dict) -> set:
        first: dict[str, int] = {}
        for j, b in enumerate(node.branches):
            w = self._check(b, f"{where} > {node.name}[{j}]", ancestors, names)
            if w is None:
                raise DefinitionError(
                    f"branch {j} of {node.name} in {where} has a step without "
                    f"writes=...; declare the fields each parallel step "
                    f"returns so conflicts are caught before the run"
                )
            for f in w:
                if f in first and f not in node.merge:
                    raise MergeConflictError(
                        f"branches {first[f]} and {j} of {node.name} in {where} both write "
                        f"{f!r} and no merge rule says how to combine them; add "
                        f"merge={{{f!r}: operator.add}} (any function of (old, new))"
                    )
                first.setdefault(f, j)
        for f in node.merge:
            if f not in self.state.model_fields:
                raise StateTypeError(
                    f"merge rule for {f!r} in {where}: {self.state.__name__} has no such field"
                )
        return set(first)

    def _resolve(self, route: Any, value: Any, where: str, ancestors: list, names: dict) -> Any:
        if not isinstance(route, str):
            return route
        if any(route == a.name for a in ancestors):
            raise CycleError(
                f"branch route {value!r} in {where} leads back to workflow "
                f"{route!r}, which contains it: a cycle. Repeat work with "
                f"loop(..., max_iterations=N) instead"
            )
        if route not in names:
            raise UnknownStepError(
                f"branch route {value!r} in {where} names step {route!r}, "
                f"but workflow {self.name!r} defines no step of that name "
                f"(known: {sorted(names)}); fix the name or pass the step"
            )
        return names[route]


def _chain(s: Step) -> list[Step]:
    """A step and its fallbacks, in order (bounded: a fallback chain cannot loop)."""
    out: list[Step] = []
    while s is not None and s not in out:
        out.append(s)
        s = s.fallback
    return out


def _children(node: Any) -> list:
    if isinstance(node, Workflow):
        return list(node.steps)
    if isinstance(node, Parallel):
        return [n for b in node.branches for n in b]
    if isinstance(node, Loop):
        return list(node.body)
    if isinstance(node, Branch):
        routes = [*node.routes.values(), node.default]
        return [n for r in routes if r is not None for n in as_nodes(r) if not isinstance(n, str)]
    return []


def _names(nodes: tuple, names: dict) -> dict:
    """Every step and sub-workflow reachable from nodes, by name (for branch routes)."""
    for node in nodes:
        if isinstance(node, (Step, Workflow)) and node.name not in names:
            names[node.name] = node
            if isinstance(node, Workflow):
                continue  # its own names were collected when it was built
        _names(tuple(_children(node)), names)
    return names


def _describe(node: Any) -> str:
    """A text form of the definition's shape, hashed into the run's fingerprint."""
    if isinstance(node, Step):
        return f"step:{node.name}"
    if isinstance(node, MapEach):
        return f"map:{node.step.name}:{node.over}:{node.into}"
    if isinstance(node, Parallel):
        return "par(" + "|".join(",".join(map(_describe, b)) for b in node.branches) + ")"
    if isinstance(node, Branch):
        return (
            f"branch:{node.name}("
            + ",".join(
                f"{v!r}={'+'.join(map(_describe, ns))}"
                for v, ns in node.resolved.items()
                if v is not _DEFAULT
            )
            + ")"
        )
    if isinstance(node, Loop):
        return f"loop:{node.max_iterations}(" + ",".join(map(_describe, node.body)) + ")"
    return f"wf:{node.name}(" + ",".join(map(_describe, node.steps)) + ")"


def _missing(nodes: tuple, prefix: str, done: set) -> list[str]:
    """Keys of nodes that did not complete, looking inside parallel branches and sub-workflows."""
    out: list[str] = []
    for i, node in enumerate(nodes):
        key = f"{prefix}{i:02d}.{node.name}"
        if key in done:
            continue
        if isinstance(node, Parallel):
            for j, b in enumerate(node.branches):
                out += _missing(b, f"{key}[{j}].", done)
        elif isinstance(node, Workflow):
            out += _missing(node.steps, f"{key}.", done)
        else:
            out.append(key)
    return out


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a plain script: ``result = run_sync(wf.run(state))``.

    Not for notebooks: Jupyter already runs an event loop, so write ``await wf.run(...)``.
    """
    return asyncio.run(coro)
