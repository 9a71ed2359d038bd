"""Steps: async functions with a state contract and a failure policy (chapters 01 and 07).

A step is ``async def fn(state) -> dict`` (or ``fn(state, ctx)``): it reads the state and
returns the fields it changes. ``@step`` attaches its policies. A step closes over the LLM
it uses; the LLM is passed in, never a global::

    def make_extract(llm):
        @step(writes=("fields",), retry=Retry(max_attempts=3, base_delay=0.01))
        async def extract(state: Ticket) -> dict:
            reply = await llm.ask(f"Extract fields: {state.text}", schema=Fields)
            return {"fields": reply.data}
        return extract

Inside a step, ``ctx.ask_human(prompt, payload)`` returns a person's decision, or pauses
the run (status ``waiting``) until ``wf.resume(run_id, store, decision=...)`` supplies one.

Each node execution has a *key*, its position in the workflow (``03.extract``,
``02.map_each[5].summarize``, ``04.loop[2].00.score``); a completed step is committed to the
store under its key, and a resumed run replays those rows instead of running the step again.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from orchestra.calls import Call, policy_retries, recording
from orchestra.errors import (
    CorruptCheckpointError,
    DefinitionError,
    StateTypeError,
    StepError,
    hide_from_learners,
)
from orchestra.fanout import Slots
from orchestra.nodes import Node, Scope
from orchestra.policies import CircuitBreaker, Retry, retrying
from orchestra.run import Run, Stop, explain
from orchestra.state import evolve, restore, to_delta
from orchestra.trace import Span, log_step

__all__ = ["Step", "step", "Context"]


@dataclass(eq=False)
class Step(Node):
    """An async function plus its name, contract and failure policy; build one with ``@step``."""

    fn: Callable[..., Awaitable[Any]]
    name: str
    retry: Retry | None = None
    """Retry policy; None means one attempt."""
    fallback: Step | None = None
    """Step that answers when this one gives up (after its retries)."""
    optional: bool = False
    """If it gives up, skip it: state unchanged, key listed in ``RunResult.degraded``."""
    breaker: CircuitBreaker | None = None
    """Circuit breaker shared with the other steps that call the same model."""
    writes: tuple[str, ...] | None = None
    """State fields it may return; required inside ``parallel`` to check merge rules."""
    timeout: float | None = None
    """Seconds per attempt; a timeout counts as retryable."""
    takes_ctx: bool = False
    state_type: type | None = None
    """The state class its first parameter is annotated with, if any (checked at build)."""

    def __repr__(self) -> str:
        return f"Step({self.name!r})"

    async def __call__(self, *args: Any) -> Any:
        """Call the plain function (handy in a notebook cell): ``await extract(state)``."""
        # out of a learner's traceback in IPython, kept in pytest's (errors.hide_from_learners)
        __tracebackhide__ = hide_from_learners
        return await self.fn(*args)

    # -- as a node of a workflow ---------------------------------------------------------

    def bind(self, scope: Scope) -> Step:
        """Check that this step and its fallbacks take the workflow's state and write its fields."""
        fields = scope.state.model_fields
        for s in self.fallbacks():
            if s.state_type is not None and not issubclass(scope.state, s.state_type):
                raise StateTypeError(
                    f"step {s.name!r} in {scope.where} takes {s.state_type.__name__}, but "
                    f"workflow {scope.workflow!r} carries {scope.state.__name__}; annotate it "
                    f"with {scope.state.__name__}"
                )
            for f in s.writes or ():
                if f not in fields:
                    raise StateTypeError(
                        f"step {s.name!r} in {scope.where} declares writes={s.writes}, but "
                        f"{scope.state.__name__} has no field {f!r}"
                    )
        return self

    def may_write(self) -> set[str] | None:
        return set(self.writes) if self.writes is not None else None

    def named(self) -> dict[str, Node]:
        return {self.name: self}

    def describe(self) -> str:
        return f"step:{self.name}"

    def fallbacks(self) -> list[Step]:
        """This step and its fallbacks, in order (bounded: a fallback chain cannot loop)."""
        out: list[Step] = []
        s: Step | None = self
        while s is not None and s not in out:
            out.append(s)
            s = s.fallback
        return out

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        """Run as a node of a workflow: the returned delta becomes the next state."""
        __tracebackhide__ = hide_from_learners
        delta, status = await self.execute(
            run, state, key, parent, shape=lambda out: self._delta(out, state, key)
        )
        if status == "replayed":  # from the journal: plain JSON, validated in full
            if delta is None and run.journal[key].get("status") != "skipped":
                raise CorruptCheckpointError(
                    f"row {key!r} of run {run.run_id!r} says the step completed but holds no "
                    f"output; the store was changed outside orchestra. Restore a backup or "
                    f"start a new run"
                )
            return restore(state, delta, key=key)
        return evolve(state, delta) if delta else state

    def _delta(self, out: Any, state: BaseModel, key: str) -> dict:
        delta = to_delta(out, state, step=key)
        if self.writes is not None and any(f not in self.writes for f in delta):
            raise StateTypeError(
                f"step {key} returned fields {sorted(delta)} but declares "
                f"writes={self.writes}; return only those, or declare the rest"
            )
        return delta

    async def execute(
        self,
        run: Run,
        arg: Any,
        key: str,
        parent: int | None,
        *,
        shape: Callable[[Any], Any],
        gate: Slots | None = None,
    ) -> tuple[Any, str]:
        """Run once as a unit of work with its policies, commit the output under ``key``.

        Returns (output, status). ``shape`` turns the function's raw output into what is
        committed (a step's delta; an item's value in ``map_each``).

        ``gate`` is the fan-out's concurrency slot this execution holds; a retry gives it back
        while it waits out its backoff, so a slot is never idle while work waits for it.
        """
        __tracebackhide__ = hide_from_learners
        if run.journal and key in run.journal:
            return run.replay(self.name, key, parent), "replayed"
        run.check_budget(key)
        span = run.trace.open(self.name, "step", key, parent, arg)
        calls: list[Call] = []
        try:
            raw, by = await self._answer(run, arg, key, span, calls, gate)
            out, status = shape(raw), ("ok" if by is self else "fallback")
            span.answered_by = by.name
        except StepError as err:
            if not self.optional:
                run.uncommitted(calls)
                span.close("error", error=err.cause or err)
                log_step(span)
                raise Stop("aborted", explain(key, err), error=err) from None
            out, status = None, "skipped"
            span.error = f"{type(err.cause).__name__}: {err.cause}"
            run.degraded.append(key)
        except Stop as stop:
            run.uncommitted(calls)
            span.close(stop.status, error=stop.reason if stop.status == "aborted" else None)
            raise
        run.commit(key, out, status, span, calls)
        span.close(status, out)
        log_step(span)
        return out, status

    async def _answer(
        self, run: Run, arg: Any, key: str, span: Span, calls: list[Call], gate: Slots | None = None
    ) -> tuple[Any, Step]:
        """This step's answer after retries, else its fallback's; returns (output, who)."""
        __tracebackhide__ = hide_from_learners
        try:
            return await retrying(
                lambda: self._attempt(run, arg, key, span, calls),
                self.retry,
                self.breaker,
                name=key,
                held=gate,
                on_backoff=span.add_backoff,
            ), self
        except StepError as err:
            if self.fallback is None:
                raise
            span.error = f"{type(err.cause).__name__}: {err.cause}"
            fb = run.trace.open(self.fallback.name, "step", f"{key}>fallback", span.id, arg)
            try:
                raw, by = await self.fallback._answer(run, arg, key, fb, calls, gate)
            except StepError as err2:
                fb.close("error", error=err2.cause or err2)
                raise
            fb.close("ok", raw)
            return raw, by

    async def _attempt(self, run: Run, arg: Any, key: str, span: Span, calls: list[Call]) -> Any:
        __tracebackhide__ = hide_from_learners
        span.attempts += 1
        if span.attempts > 1:
            run.check_budget(key)  # before every retry too: a retry spends
        changes = self.retry.changes(span.attempts) if self.retry is not None else {}
        args = (arg, Context(run, key, span.attempts, changes)) if self.takes_ctx else (arg,)
        one_layer = policy_retries() if self.retry is not None else nullcontext()
        with recording() as got, one_layer:
            try:
                async with run.limit or nullcontext():
                    return await self._call(args)
            finally:
                if got:
                    run.charge(got, span)
                    calls.extend(got)

    async def _call(self, args: tuple) -> Any:
        __tracebackhide__ = hide_from_learners
        if self.timeout is None:
            return await self.fn(*args)
        async with asyncio.timeout(self.timeout):
            return await self.fn(*args)


def step(
    fn: Callable | None = None,
    *,
    name: str | None = None,
    retry: Retry | None = None,
    fallback: Step | Callable | None = None,
    optional: bool = False,
    breaker: CircuitBreaker | None = None,
    writes: tuple[str, ...] | str | None = None,
    timeout: float | None = None,
) -> Any:
    """Make an async function a workflow step, with its failure policy.

    >>> @step
    ... async def count(state: Doc) -> dict:
    ...     return {"words": len(state.text.split())}
    >>> @step(retry=Retry(max_attempts=3), fallback=cheap_summary, writes="summary")
    ... async def summary(state: Doc) -> dict: ...
    """

    def make(f: Callable) -> Step:
        if isinstance(f, Step):
            raise DefinitionError(f"{f.name!r} is already a step; apply @step once")
        if not inspect.iscoroutinefunction(f):
            raise DefinitionError(
                f"@step needs an `async def` function; {getattr(f, '__name__', f)!r} is not one"
            )
        params = list(inspect.signature(f).parameters.values())
        if len(params) not in (1, 2):
            raise DefinitionError(
                f"step {f.__name__!r} takes {len(params)} parameters; a step "
                f"takes (state) or (state, ctx)"
            )
        fb = fallback if fallback is None or isinstance(fallback, Step) else make(fallback)
        return Step(
            f,
            name or f.__name__,
            retry,
            fb,
            optional,
            breaker,
            (writes,) if isinstance(writes, str) else tuple(writes) if writes else None,
            timeout,
            len(params) == 2,
            _state_type(f, params[0].name),
        )

    return make(fn) if fn is not None else make


def _state_type(fn: Callable, param: str) -> type | None:
    try:
        hint = typing.get_type_hints(fn).get(param)
    except Exception:  # unresolvable forward reference: nothing to check
        return None
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


class Context:
    """What a step may ask of its run: ``ctx.key``, ``ctx.attempt``, ``ctx.ask_human(...)``."""

    __slots__ = ("run", "key", "attempt", "changes", "_asked")

    def __init__(self, run: Run, key: str, attempt: int, changes: dict | None = None):
        self.run, self.key, self.attempt, self._asked = run, key, attempt, 0
        self.changes = changes or {}
        """What this attempt changes on the client (the retry policy's ``escalate``)."""

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def llm(self, llm: Any) -> Any:
        """The client this attempt should call: ``llm`` itself on the first attempt, then with
        the step's ``Retry(escalate=...)`` changes applied (more effort, a stronger model).

            >>> reply = await ctx.llm(llm).ask(prompt, schema=Invoice)
        """
        return llm.with_(**self.changes) if self.changes else llm

    def ask_human(self, prompt: str, payload: Any = None) -> Any:
        """The person's decision, or pause the run (status ``waiting``) until there is one.

        >>> decision = ctx.ask_human("Send this reply?", {"draft": state.draft})
        """
        hkey = f"{self.key}#human{self._asked}"
        self._asked += 1
        answered, decision = self.run.decided(hkey)  # wf.resume(decision=...) kept it there
        if answered:
            return decision
        waiting = {"key": hkey, "prompt": prompt, "payload": to_jsonable_python(payload)}
        raise Stop("waiting", f"step {self.key} waits for a person: {prompt}", waiting=waiting)
