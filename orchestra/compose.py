"""Composition: fan-out/fan-in, map or pipeline over a list, branch, loop, approval (chapters 02-04).

A workflow is a sequence of nodes; a node is a step, a sub-workflow, or one of these:

    >>> parallel(sentiment, topics, merge={"notes": operator.add})   # fan out, then fan in
    >>> race(ask_primary, ask_backup)          # the first to succeed wins, the rest cancelled
    >>> map_each(summarize, over="docs", into="summaries", concurrency=8)
    >>> map_each(extract, summarise, over="docs", into="notes", concurrency=8)   # a pipeline
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel

from orchestra import clock
from orchestra.errors import (
    DefinitionError,
    LoopLimitError,
    MergeConflictError,
    StateTypeError,
    UnknownStepError,
    hide_from_learners,
)
from orchestra.fanout import Slots, fan_out
from orchestra.nodes import (
    Node,
    Scope,
    as_nodes,
    bind_sequence,
    describe_all,
    missing_in,
    named_in,
    run_sequence,
    writes_of,
)
from orchestra.run import Run, Stop
from orchestra.state import check, evolve, restore
from orchestra.steps import Context, Step

__all__ = [
    "as_nodes",
    "Parallel",
    "Race",
    "MapEach",
    "Branch",
    "Loop",
    "parallel",
    "race",
    "map_each",
    "branch",
    "loop",
    "approval",
]


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
        raise stop.with_state(state)


class _Branches:
    """What ``parallel`` and ``race`` share: sequences of nodes side by side, branch ``j``'s keys
    under ``{key}[j].``."""

    branches: tuple[tuple, ...]

    def may_write(self) -> set[str] | None:
        return writes_of(n for b in self.branches for n in b)

    def named(self) -> dict[str, Node]:
        return named_in(n for b in self.branches for n in b)

    def missing(self, key: str, done: set[str]) -> list[str]:
        out: list[str] = []
        for j, b in enumerate(self.branches):
            out += missing_in(b, f"{key}[{j}].", done)
        return out


@dataclass(eq=False)
class Parallel(_Branches, Node):
    """Branches that run concurrently on the same state; their deltas are merged."""

    branches: tuple[tuple, ...]
    merge: dict[str, Callable[[Any, Any], Any]]
    name: str = "parallel"

    def bind(self, scope: Scope) -> Parallel:
        """Each branch must declare what it writes; two may share a field only with a rule."""
        branches, first = [], {}
        for j, b in enumerate(self.branches):
            bound = bind_sequence(b, scope.inside(f"{self.name}[{j}]"))
            w = writes_of(bound)
            if w is None:
                raise DefinitionError(
                    f"branch {j} of {self.name} in {scope.where} has a step without writes=...; "
                    f"declare the fields each parallel step returns so conflicts are caught "
                    f"before the run"
                )
            for f in w:
                if f in first and f not in self.merge:
                    raise MergeConflictError(
                        f"branches {first[f]} and {j} of {self.name} in {scope.where} both write "
                        f"{f!r} and no merge rule says how to combine them; add "
                        f"merge={{{f!r}: operator.add}} (any function of (old, new))"
                    )
                first.setdefault(f, j)
            branches.append(bound)
        for f in self.merge:
            if f not in scope.state.model_fields:
                raise StateTypeError(
                    f"merge rule for {f!r} in {scope.where}: {scope.state.__name__} has no such "
                    f"field"
                )
        return replace(self, branches=tuple(branches))

    def describe(self) -> str:
        merge = ",".join(sorted(self.merge))
        return "par(" + "|".join(describe_all(b) for b in self.branches) + f";merge={merge})"

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        # out of a learner's traceback in IPython, kept in pytest's (errors.hide_from_learners)
        __tracebackhide__ = hide_from_learners

        def one(j: int, branch: tuple) -> Callable[[], Awaitable[BaseModel]]:
            return lambda: run_sequence(branch, run, state, f"{key}[{j}].", parent)

        t0 = clock.now()
        done = await asyncio.gather(
            *(clock.forked(one(j, b), t0) for j, b in enumerate(self.branches)),
            return_exceptions=True,
        )
        outs = [o if isinstance(o, BaseException) else o[0] for o in done]
        # the join: every branch at once, so the clock moves to the slowest that finished
        finished = [o[1] for o in done if not isinstance(o, BaseException)]
        clock.join(finished, len(finished), t0)
        old = state.__dict__
        merged: dict[str, Any] = {}
        for out in outs:
            if isinstance(out, BaseException):
                continue
            for f, v in out.__dict__.items():
                if v is old[f] or v == old[f]:  # unchanged (a replayed branch's is a copy)
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
class MapEach(Node):
    """Steps applied to every item of a list field, at most ``concurrency`` items at a time.

    With one step this is a plain map. With several (``map_each(extract, summarise, ...)``) each
    item goes through them in order, the output of one the input of the next, holding its slot
    from the first step to the last: an item flows on as soon as it is ready (a pipeline),
    instead of waiting for every item to finish a stage (a barrier: two ``map_each`` in a row).
    """

    steps: tuple[Step, ...]
    over: str
    into: str
    concurrency: int = 8
    name: str = "map_each"
    progress: bool = False

    def bind(self, scope: Scope) -> MapEach:
        for f in (self.over, self.into):
            if f not in scope.state.model_fields:
                raise StateTypeError(
                    f"map_each({', '.join(map(repr, self.steps))}) in {scope.where} uses field "
                    f"{f!r}, but {scope.state.__name__} has no such field"
                )
        if (
            not self.steps
            or not all(isinstance(s, Step) for s in self.steps)
            or self.concurrency < 1
        ):
            raise DefinitionError(
                f"map_each in {scope.where} needs one or more @steps and concurrency >= 1"
            )
        names = [s.name for s in self.steps]
        if len(set(names)) < len(names):
            raise DefinitionError(
                f"map_each in {scope.where} has two steps named alike ({names}): each step of "
                f"an item has its own journal key; give them distinct names"
            )
        return self

    def may_write(self) -> set[str]:
        return {self.into}

    def describe(self) -> str:
        return f"map:{'>'.join(s.name for s in self.steps)}:{self.over}:{self.into}"

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        __tracebackhide__ = hide_from_learners
        limit = Slots(self.concurrency)  # handed back while a retry waits out its backoff

        async def steps(i: int, item: Any) -> tuple[Any, str]:
            __tracebackhide__ = hide_from_learners
            replayed = False
            for s in self.steps:  # the item flows on: each step's output is the next one's input
                item, status = await s.execute(
                    run, item, f"{key}[{i}].{s.name}", parent, shape=_same, gate=limit
                )
                replayed = replayed or status == "replayed"
                if status == "skipped":  # an optional step gave nothing: the item stops here
                    break
            return item, "replayed" if replayed else status

        async def one(i: int, item: Any) -> tuple[Any, str]:
            # each item on its own clock from 0, placed on the slots below
            __tracebackhide__ = hide_from_learners
            return (await clock.forked(lambda: steps(i, item), 0.0))[0]

        items = getattr(state, self.over)
        first = len(run.trace.spans)
        names = "+".join(s.name for s in self.steps)
        desc = f"{key}: {names}" if self.progress else None
        outs = await fan_out(one, items, limit=limit, progress=desc)
        _lay_out(run.trace.spans[first:], key, len(items), self.concurrency)
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


def _lay_out(spans: list, key: str, n: int, slots: int) -> None:
    """Place a fan-out's items on its slots in simulated time, in item order.

    Each item ran on its own clock from 0; its length is the end of its last span. Laying the
    items out after they ran, rather than as the machine happened to finish them, makes the
    simulated schedule the same under any load: the list schedule ``clock.join``.
    """
    prefix = f"{key}["
    spans = [s for s in spans if s.key.startswith(prefix)]  # a parallel sibling's are not ours
    index = []
    length = [0.0] * n
    for span in spans:
        i = int(span.key[len(prefix) : span.key.index("]", len(prefix))])
        index.append(i)
        length[i] = max(length[i], span.sim_end)
    starts = clock.join(length, slots, clock.now())
    for span, i in zip(spans, index, strict=True):
        span.shift(starts[i])


@dataclass(eq=False)
class Race(_Branches, Node):
    """Branches that start together on the same state: the first to succeed wins, the rest are
    cancelled, and only the winner's delta reaches the state.

    Which branch wins depends on the moment each answers, so the winner is kept in the journal
    (``{key}#winner``): a resumed run takes the same branch (its completed steps replayed) and
    never races again. A branch that fails is out of the race; the run is aborted only when
    every branch failed. In simulated time the race ends when the winner does.
    """

    branches: tuple[tuple, ...]
    name: str = "race"

    def bind(self, scope: Scope) -> Race:
        if len(self.branches) < 2:
            raise DefinitionError(f"{self.name} in {scope.where} needs at least two branches")
        return replace(
            self,
            branches=tuple(
                bind_sequence(b, scope.inside(f"{self.name}[{j}]"))
                for j, b in enumerate(self.branches)
            ),
        )

    def describe(self) -> str:
        return "race(" + "|".join(describe_all(b) for b in self.branches) + ")"

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        __tracebackhide__ = hide_from_learners
        decided, winner = run.decided(f"{key}#winner")
        if decided:  # a resume: the branch that won before, nothing raced again
            return await run_sequence(
                self.branches[winner], run, state, f"{key}[{winner}].", parent
            )
        t0 = clock.now()
        tasks = {
            asyncio.ensure_future(
                clock.forked(
                    lambda j=j, b=b: run_sequence(b, run, state, f"{key}[{j}].", parent), t0
                )
            ): j
            for j, b in enumerate(self.branches)
        }
        lost: list[Stop] = []
        try:
            pending = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(done, key=tasks.__getitem__):  # same moment: input order
                    exc = task.exception()
                    if isinstance(exc, Stop) and exc.status == "aborted":
                        lost.append(exc)  # this branch is out; the others run on
                    elif exc is not None:
                        raise exc  # waiting for a person, or a bug: not a lost race
                    else:
                        out, took = task.result()
                        run.decide(f"{key}#winner", tasks[task])
                        clock.set_now(t0 + took)  # the race ends with its winner
                        return out
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        raise lost[0].with_state(state)


_DEFAULT = object()  # the route taken when no other matches


@dataclass(eq=False)
class Branch(Node):
    """Picks one route by a value of the state (a router)."""

    on: str | Callable[[BaseModel], Any]
    routes: dict[Any, tuple]
    """Route value -> nodes; a node may be given by its name until the workflow is built."""
    default: tuple | None = None
    name: str = "branch"

    def _all(self) -> list[tuple[Any, tuple]]:
        extra = [(_DEFAULT, self.default)] if self.default is not None else []
        return [*self.routes.items(), *extra]

    def bind(self, scope: Scope) -> Branch:
        """Resolve routes that name a step, and check every route."""
        bound = {}
        for value, route in self._all():
            label = "default" if value is _DEFAULT else value
            nodes = tuple(scope.resolve(r, label) if isinstance(r, str) else r for r in route)
            bound[value] = bind_sequence(nodes, scope.inside(f"{self.name}[{label}]"))
        default = bound.pop(_DEFAULT, None)
        return replace(self, routes=bound, default=default)

    def may_write(self) -> set[str] | None:
        out: set[str] = set()
        for _, route in self._all():
            w = writes_of(route)
            if w is None:
                return None
            out |= w
        return out

    def named(self) -> dict[str, Node]:
        return named_in(n for _, route in self._all() for n in route if not isinstance(n, str))

    def describe(self) -> str:
        routes = ",".join(f"{v!r}={describe_all(r)}" for v, r in self.routes.items())
        default = describe_all(self.default) if self.default is not None else "-"
        on = self.on if isinstance(self.on, str) else getattr(self.on, "__name__", "fn")
        return f"branch:{self.name}:{on}({routes};default={default})"

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        __tracebackhide__ = hide_from_learners
        value = getattr(state, self.on) if isinstance(self.on, str) else self.on(state)
        nodes = self.routes.get(value, self.default)
        if nodes is None:
            err = UnknownStepError(
                f"{key}: no route for value {value!r} (routes: "
                f"{sorted(map(repr, self.routes))}); add it or a default="
            )
            raise Stop("aborted", str(err), error=err)
        return await run_sequence(nodes, run, state, f"{key}[{value}].", parent)


@dataclass(eq=False)
class Loop(Node):
    """Runs its body again until a condition holds, at most ``max_iterations`` times."""

    body: tuple
    until: Callable[[BaseModel], bool]
    max_iterations: int
    on_limit: Literal["abort", "continue"] = "abort"
    name: str = "loop"

    def bind(self, scope: Scope) -> Loop:
        if not isinstance(self.max_iterations, int) or self.max_iterations < 1:
            raise DefinitionError(
                f"loop in {scope.where}: max_iterations must be an int >= 1 (every loop has a "
                f"bound)"
            )
        return replace(self, body=bind_sequence(self.body, scope.inside(self.name)))

    def may_write(self) -> set[str] | None:
        return writes_of(self.body)

    def named(self) -> dict[str, Node]:
        return named_in(self.body)

    def describe(self) -> str:
        return f"loop:{self.max_iterations}({describe_all(self.body)})"

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        __tracebackhide__ = hide_from_learners
        for i in range(self.max_iterations):
            state = await run_sequence(self.body, run, state, f"{key}[{i}].", parent)
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
        raise Stop("aborted", str(err), error=err, state=state)


def parallel(
    *branches: Any,
    merge: dict[str, Callable[[Any, Any], Any]] | None = None,
    name: str = "parallel",
) -> Parallel:
    """Run branches (a node or a list of nodes each) concurrently, then merge their deltas.

    >>> parallel(sentiment, [fetch, parse], merge={"notes": operator.add})
    """
    return Parallel(tuple(as_nodes(b) for b in branches), dict(merge or {}), name)


def race(*branches: Any, name: str = "race") -> Race:
    """Start branches (a node or a list of nodes each) together; the first to succeed wins.

    The others are cancelled (their calls stop where they are); the winner is kept in the
    journal, so a resume takes the same branch. Hedging a slow model with a second one:

    >>> race(answer_on_haiku, answer_on_sonnet)
    """
    return Race(tuple(as_nodes(b) for b in branches), name)


def map_each(
    *steps: Step,
    over: str,
    into: str,
    concurrency: int = 8,
    name: str = "map_each",
    progress: bool = False,
) -> MapEach:
    """Apply a step (``async def f(item) -> value``), or several in turn, to each item of a list.

    The items are ``state.<over>``; results land in ``state.<into>`` in item order (None for a
    skipped optional item); each item has its own journal key, so a crash mid-map keeps the
    items already done. ``progress=True`` shows a tqdm bar (a widget in Jupyter).

        >>> map_each(summarize, over="docs", into="summaries", concurrency=8, progress=True)

    Several steps make a pipeline: each item goes through them in order (``extract``'s output
    is ``summarise``'s input) and flows on as soon as it is ready, holding one slot throughout,
    so at most ``concurrency`` calls are in flight, as in a plain map. Two ``map_each`` in a row
    are a barrier instead: the second starts when the slowest item of the first is done, which
    is what a stage needs when it reads all of the previous one (a global ranking). Each step
    of an item is journalled under ``<key>[i].<step name>``; a resumed run gives a step its
    input back as JSON, so pass JSON-like values (str, dict, list) between steps.

        >>> map_each(extract, summarise, over="docs", into="summaries", concurrency=4)
    """
    return MapEach(tuple(steps), over, into, concurrency, name, progress)


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
    return Branch(
        on,
        {v: as_nodes(r) for v, r in routes.items()},
        as_nodes(default) if default is not None else None,
        name,
    )


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
    ``await wf.resume(run_id, store, decision=..., question=result.waiting_for["key"])``.
    Needs a store.

        >>> approval("Send this reply?", into="approved", show=lambda s: {"draft": s.draft})
    """

    async def ask(state: BaseModel, ctx: Context) -> dict:
        return {into: ctx.ask_human(prompt, show(state) if show else None)}

    return Step(ask, name, writes=(into,), takes_ctx=True)
