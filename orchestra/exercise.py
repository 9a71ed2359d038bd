"""What an exercise's checks call the learner's code through, so that a failure teaches.

A check that calls ``await attempt(culprit, old, new)`` gets what the learner's function returns;
if the function raises, the check fails with the call as the learner would type it (every
argument in full), the error, and the learner's own line that raised it; an unwritten stub
(``NotImplementedError("task 1: write culprit()")``) says which cell to write instead.
``called("culprit(old, new)", culprit, old, new)`` is the same for a synchronous call whose
input the check names itself. Neither frame shows in the learner's traceback.

    >>> show_as(lambda v: isinstance(v, Plan), lambda p: f"plan_of({p.tools})")  # short forms
"""

from __future__ import annotations

import inspect
import pprint
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from orchestra.errors import hide_from_learners

_FORMS: list[tuple[Callable[[Any], bool], Callable[[Any], str]]] = []


def _code(fn: Callable[..., Any]) -> Any:
    code = getattr(fn, "__code__", None)
    return fn if code is None else (code.co_code, code.co_consts, code.co_names)


def show_as(test: Callable[[Any], bool], form: Callable[[Any], str]) -> None:
    """Show a value for which ``test`` is true as ``form(value)`` (a plan as its tools, say).
    The same pair registered again (a set-up cell run twice) replaces the first."""
    key = (_code(test), _code(form))
    _FORMS[:] = [(t, f) for t, f in _FORMS if (_code(t), _code(f)) != key]
    _FORMS.insert(0, (test, form))


def show(value: Any) -> str:
    """A value as the checks' messages show it: a registered short form, else in full."""
    for test, form in _FORMS:
        if test(value):
            return form(value)
    return pprint.pformat(value, width=100, compact=True)


def shown(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The call as you would type it, every argument in full."""
    parts = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()]
    return f"{getattr(fn, '__name__', fn)}({', '.join(parts)})"


async def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` (awaited if async); if it raises, fail naming the call."""
    __tracebackhide__ = hide_from_learners
    try:
        out = fn(*args, **kwargs)
        return (await out) if inspect.isawaitable(out) else out
    except NotImplementedError as exc:
        raise AssertionError(
            f"{fn.__name__}() is not written yet ({exc or 'its stub'}): write it in the cell "
            f"marked TODO above this check\n  (calling {shown(fn, *args, **kwargs)} raised "
            f"NotImplementedError)"
        ) from None
    except Exception as exc:
        yours = [f for f in traceback.extract_tb(exc.__traceback__) if "ipykernel" in f.filename]
        where = f"\n  at your line: {yours[-1].line}" if yours else ""
        raise AssertionError(
            f"{shown(fn, *args, **kwargs)}\n  raised {type(exc).__name__}: {exc}{where}"
        ) from None


def called(call: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What ``fn(*args, **kwargs)`` returns; if it raises, a failure that names ``call``."""
    __tracebackhide__ = hide_from_learners
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        raise _named(call, exc) from (None if isinstance(exc, NotImplementedError) else exc)


async def acalled(call: str, coro: Awaitable[Any]) -> Any:
    """What the awaited ``coro`` returns; if it raises, a failure that names ``call``."""
    __tracebackhide__ = hide_from_learners
    try:
        return await coro
    except Exception as exc:
        raise _named(call, exc) from (None if isinstance(exc, NotImplementedError) else exc)


def _named(call: str, exc: Exception) -> AssertionError:
    if isinstance(exc, NotImplementedError):
        return AssertionError(f"{call}: not written yet ({exc}): write it in its TODO cell")
    return AssertionError(f"{call} raised {type(exc).__name__}: {exc}")
