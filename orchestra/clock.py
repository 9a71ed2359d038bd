"""Simulated time: one clock per task, forked into parallel work and joined after it (ch. 02, 07).

On the simulator, a call's latency is what the simulator *charged* (its model-seconds), not the
wall-clock time the request took: at ``time_scale=0.01`` the client's and the event loop's own
milliseconds would otherwise count as seconds. Each task carries a simulated "now" (a context
variable): a call advances it by its model-seconds, a wait by its wall-clock seconds ÷
``time_scale``. On real Claude a call advances it by its wall-clock latency.

Parallel work is a **fork** and a **join**. Each branch runs in a task of its own, on its own
copy of the clock from a common start (``forked``); when all are done, ``join`` lays the
branches out on the slots they had, in input order (``schedule``, a list schedule), and moves
the clock to the last end. ``parallel``, ``map_each``, ``Workflow.run_many``, ``vote`` and
``race`` all do it this way, so the result does not depend on the machine's load or on which
branch the machine happened to finish first.

    >>> t0 = now(); await wf.run(state); now() - t0     # simulated seconds the run took
    >>> schedule([3.0, 1.0, 1.0, 2.0], slots=2)
    [0.0, 0.0, 1.0, 2.0]
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import TypeVar

from orchestra.errors import hide_from_learners

__all__ = [
    "now",
    "set_now",
    "advance",
    "wait",
    "time_scale",
    "set_time_scale",
    "forked",
    "join",
    "schedule",
]

T = TypeVar("T")

_now: ContextVar[float] = ContextVar("orchestra_sim_now", default=0.0)
_scale = [1.0]  # wall-clock seconds per simulated second, as the simulator last reported


def now() -> float:
    """This task's simulated time, in seconds."""
    return _now.get()


def set_now(t: float) -> None:
    """Set this task's simulated time."""
    _now.set(t)


def advance(seconds: float) -> float:
    """Move this task's simulated time on by ``seconds``; returns the new time."""
    t = _now.get() + max(0.0, seconds)
    _now.set(t)
    return t


def wait(wall_seconds: float) -> float:
    """Count a wall-clock wait (a backoff, a limiter) in simulated time; returns the new time."""
    return advance(wall_seconds / _scale[0])


def time_scale() -> float:
    """Wall-clock seconds per simulated second (1.0 until a simulator says otherwise)."""
    return _scale[0]


def set_time_scale(scale: float) -> None:
    """Record the simulator's ``time_scale`` (the client does, from each answer's header)."""
    if scale > 0:
        _scale[0] = scale


async def forked(work: Callable[[], Awaitable[T]], start: float) -> tuple[T, float]:
    """The fork: run ``work()`` on this task's clock from ``start``; its result and seconds taken.

    Await it at the top of a task of its own (``gather``, ``fan_out``, ``create_task``): asyncio
    gives each new task a copy of the clock, so branches do not move each other's.
    """
    # out of a learner's traceback in IPython, kept in pytest's (errors.hide_from_learners)
    __tracebackhide__ = hide_from_learners
    _now.set(start)
    out = await work()
    return out, _now.get() - start


def join(took: Sequence[float], slots: int, start: float) -> list[float]:
    """The join: branches that took ``took[i]`` seconds, laid out on ``slots`` from ``start``.

    The clock moves to the last end (``start`` if there were none); returns each one's start.
    """
    starts = schedule(took, slots, start)
    _now.set(max((s + d for s, d in zip(starts, took, strict=True)), default=start))
    return starts


def schedule(durations: Sequence[float], slots: int, start: float = 0.0) -> list[float]:
    """When each item starts if ``slots`` run at once, taken in input order (list scheduling).

    Item ``i`` starts when the earliest slot frees up, as ``fanout.Slots`` hands them out. The
    makespan is ``max(s + d for s, d in zip(starts, durations))``.
    """
    free = [start] * max(1, min(slots, len(durations)))
    starts = []
    for d in durations:
        t = heapq.heappop(free)
        starts.append(t)
        heapq.heappush(free, t + d)
    return starts
