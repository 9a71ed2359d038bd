"""Composition: parallel fan-out/fan-in, map over a list, branch, bounded loop, approval (chapters 02-04).

A workflow is a sequence of nodes; a node is a step, a sub-workflow, or one of these:

    >>> parallel(sentiment, topics, merge={"notes": operator.add})   # fan out, then fan in
    >>> map_each(summarize, over="docs", into="summaries", concurrency=8)
    >>> branch(on="kind", routes={"refund": refund, "bug": [triage, file_bug]}, default=reply)
    >>> loop(draft, critique, until=lambda s: s.score >= 8, max_iterations=3)
    >>> approval("Send this reply?", into="approved", show=lambda s: {"draft": s.draft})

Fan-in rule: each parallel branch starts from the same state; the fields a branch changed
form its delta. A field changed by one branch is copied over; a field with a merge rule is
folded from its value before the fan-out, in branch order: ``rule(rule(old, a), b)`` (so
``operator.add`` appends both lists). Two branches that declare the same field in
``writes`` without a rule are rejected when the workflow is built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from orchestra.errors import LoopLimitError, MergeConflictError, UnknownStepError
from orchestra.policies import Slots
from orchestra.run import Run, Stop, run_steps
from orchestra.state import check, evolve, restore
from orchestra.step import Context, Step

__all__ = [
    "Parallel",
    "MapEach",
    "Branch",
    "Loop",
    "parallel",
    "map_each",
    "branch",
    "loop",
    "approval",
]


def as_nodes(x: Any) -> tuple:
    """A node or a list of nodes, as a tuple (one branch, route or loop body)."""
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _reraise(outs: list, state: BaseModel) -> None:
    """After a fan-out: raise a bug at once; else end the run (aborted before waiting)."""
    stops = []
    for out in outs:
        if isinstance(out, Stop):
            stops.append(out)
        elif isinstance(out, BaseException):
            raise out
    if stops:
        stop = next((s for s in stops if s.status == "aborted"), stops[0])
        stop.state = state
        raise stop


@dataclass(eq=False)
class Parallel:
    """Branches that run concurrently on the same state; their deltas are merged."""

    branches: tuple[tuple, ...]
    merge: dict[str, Callable[[Any, Any], Any]]
    name: str = "parallel"

    async def _run(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        outs = await asyncio.gather(
            *(
                run_steps(b, run, state, f"{key}[{j}].", parent)
                for j, b in enumerate(self.branches)
            ),
            return_exceptions=True,
        )
        old = state.__dict__
        merged: dict[str, Any] = {}
        for out in outs:
            if isinstance(out, BaseException):
                continue
            for f, v in out.__dict__.items():
                if v is old[f]:
                    continue
                rule = self.merge.get(f)
                if rule is not None:
                    merged[f] = rule(merged[f] if f in merged else old[f], v)
                elif f in merged:
                    raise MergeConflictError(
                        f"two branches of {key} changed {f!r}; add "
                        f"merge={{{f!r}: ...}} or declare writes=..."
                    )
                else:
                    merged[f] = v
        check(type(state), merged, step=key)
        new = evolve(state, merged) if merged else state
        _reraise(outs, new)
        return new


@dataclass(eq=False)
class MapEach:
    """One step applied to every item of a list field, at most ``concurrency`` at a time."""

    step: Step
    over: str
    into: str
    concurrency: int = 8
    name: str = "map_each"
    progress: bool = False

    async def _run(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        limit = Slots(self.concurrency)
        items = getattr(state, self.over)
        bar = _progress_bar(len(items), f"{key}: {self.step.name}") if self.progress else None

        async def one(i: int, item: Any) -> tuple[Any, str]:
            async with limit:  # handed back while a retry waits out its backoff
                try:
                    return await self.step._execute(
                        run, item, f"{key}[{i}].{self.step.name}", parent, _same, limit
                    )
                finally:
                    if bar is not None:
                        bar.update()

        outs = await asyncio.gather(
            *(one(i, x) for i, x in enumerate(items)), return_exceptions=True
        )
        if bar is not None:
            bar.close()
        values = [None if isinstance(o, BaseException) else o[0] for o in outs]
        replayed = any(not isinstance(o, BaseException) and o[1] == "replayed" for o in outs)
        new = (
            restore(state, {self.into: values}, key=key)
            if replayed  # JSON from disk
            else evolve(state, {self.into: values})
        )
        _reraise(outs, new)
        return new


def _same(x: Any) -> Any:
    return x


def _progress_bar(total: int, desc: str) -> Any:
    from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

    return tqdm(total=total, desc=desc, unit="item")


@dataclass(eq=False)
class Branch:
    """Picks one route by a value of the state (a router)."""

    on: str | Callable[[BaseModel], Any]
    routes: dict[Any, Any]
    default: Any = None
    name: str = "branch"
    resolved: dict[Any, tuple] = field(default_factory=dict, repr=False)
    """Routes as node tuples, step names resolved; filled when the workflow is built."""

    async def _run(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        value = getattr(state, self.on) if isinstance(self.on, str) else self.on(state)
        nodes = self.resolved.get(value, self.resolved.get(_DEFAULT))
        if nodes is None:
            err = UnknownStepError(
                f"{key}: no route for value {value!r} (routes: "
                f"{sorted(map(repr, self.routes))}); add it or a default="
            )
            raise Stop("aborted", str(err), error=err)
        return await run_steps(nodes, run, state, f"{key}[{value}].", parent)


_DEFAULT = object()  # the key of the default route in Branch.resolved


@dataclass(eq=False)
class Loop:
    """Runs its body again until a condition holds, at most ``max_iterations`` times."""

    body: tuple
    until: Callable[[BaseModel], bool]
    max_iterations: int
    on_limit: Literal["abort", "continue"] = "abort"
    name: str = "loop"

    async def _run(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        for i in range(self.max_iterations):
            state = await run_steps(self.body, run, state, f"{key}[{i}].", parent)
            if self.until(state):
                return state
        err = LoopLimitError(
            f"{key} ran {self.max_iterations} iterations and `until` never "
            f"held; raise max_iterations, loosen the condition, or pass "
            f"on_limit='continue'",
            iterations=self.max_iterations,
        )
        if self.on_limit == "continue":
            run.degraded.append(key)
            return state
        stop = Stop("aborted", str(err), error=err)
        stop.state = state
        raise stop


def parallel(
    *branches: Any,
    merge: dict[str, Callable[[Any, Any], Any]] | None = None,
    name: str = "parallel",
) -> Parallel:
    """Run branches (a node or a list of nodes each) concurrently, then merge their deltas.

    >>> parallel(sentiment, [fetch, parse], merge={"notes": operator.add})
    """
    return Parallel(tuple(as_nodes(b) for b in branches), dict(merge or {}), name)


def map_each(
    step: Step,
    *,
    over: str,
    into: str,
    concurrency: int = 8,
    name: str = "map_each",
    progress: bool = False,
) -> MapEach:
    """Apply ``step`` (``async def f(item) -> value``) to each item of ``state.<over>``.

    Results land in ``state.<into>`` in item order (None for a skipped optional item); each
    item has its own journal key, so a crash mid-map keeps the items already done.
    ``progress=True`` shows a tqdm bar (a widget in Jupyter).

        >>> map_each(summarize, over="docs", into="summaries", concurrency=8, progress=True)
    """
    return MapEach(step, over, into, concurrency, name, progress)


def branch(
    on: str | Callable[[BaseModel], Any],
    routes: dict[Any, Any],
    *,
    default: Any = None,
    name: str = "branch",
) -> Branch:
    """Route on a state field (or a function of the state) to one of several node lists.

    A route is a node, a list of nodes, or the name of a step defined elsewhere in the
    workflow.

        >>> branch("kind", {"refund": refund, "bug": [triage, "file_bug"]}, default=reply)
    """
    return Branch(on, dict(routes), default, name)


def loop(
    *body: Any,
    until: Callable[[BaseModel], bool],
    max_iterations: int,
    on_limit: Literal["abort", "continue"] = "abort",
    name: str = "loop",
) -> Loop:
    """Run ``body`` then test ``until(state)``; repeat at most ``max_iterations`` times.

    Reaching the bound aborts the run with ``LoopLimitError`` as the reason, or with
    ``on_limit="continue"`` keeps the last state and lists the loop in ``degraded``.

        >>> loop(draft, critique, until=lambda s: s.score >= 8, max_iterations=3)
    """
    return Loop(tuple(body), until, max_iterations, on_limit, name)


def approval(
    prompt: str,
    *,
    into: str,
    show: Callable[[BaseModel], Any] | None = None,
    name: str = "approval",
) -> Step:
    """A step that asks a person and writes the decision into ``state.<into>``.

    Without a decision the run ends with status ``waiting``; resume it with
    ``await wf.resume(run_id, store, decision=...)``. Needs a store.

        >>> approval("Send this reply?", into="approved", show=lambda s: {"draft": s.draft})
    """

    async def ask(state: BaseModel, ctx: Context) -> dict:
        return {into: ctx.ask_human(prompt, show(state) if show else None)}

    return Step(ask, name, writes=(into,), takes_ctx=True)
