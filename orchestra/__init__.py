"""Orchestra Lab: a small async kit for LLM workflows, and an offline Claude to run them on.

The public API, by layer (everything else is reachable by its module path)::

    sim                      the offline Claude simulator           (orchestra/sim/)
    LLM, Reply               the client over the anthropic SDK      (orchestra/llm.py)
    recording                collect the LLM calls made in a block  (orchestra/calls.py)
    clock                    simulated time: now, fork, join        (orchestra/clock.py)
    RateLimiter              client-side requests/tokens per minute (orchestra/limiter.py)
    Workflow, RunResult      build, run and resume a workflow       (orchestra/workflow.py)
    step, Context            a step and what it may ask of its run  (orchestra/steps.py)
    parallel, map_each,      composition                            (orchestra/compose.py)
    race, branch, loop,
    approval
    Retry, CircuitBreaker    failure policies                       (orchestra/policies.py)
    Budget                   cost and token ceilings                (orchestra/budget.py)
    MemoryStore, SqliteStore checkpoints                            (orchestra/checkpoint.py)
    Trace, log_steps         a run's spans as data; a line per step (orchestra/trace.py)
    vote                     N voters, majority or consensus        (orchestra/patterns/vote.py)
    errors                   every named error                      (orchestra/errors.py)

Charts live in ``orchestra.viz``, the OpenTelemetry exporter in ``orchestra.otel``, the local
trace UI in ``orchestra.phoenix``, parameter sweeps in ``orchestra.sweep`` (``orchestra sweep``)
and the patterns in ``orchestra.patterns``; import them by
name (``vote``, a plain function, is also here). Nothing here reads a key or opens
a connection at import, and ``LLM`` and ``sim`` load the SDK and the server on first use.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from orchestra import errors

if TYPE_CHECKING:
    from orchestra import clock, sim
    from orchestra.budget import Budget
    from orchestra.calls import recording
    from orchestra.checkpoint import MemoryStore, SqliteStore
    from orchestra.compose import approval, branch, loop, map_each, parallel, race
    from orchestra.limiter import RateLimiter
    from orchestra.llm import LLM, Reply
    from orchestra.patterns.vote import vote
    from orchestra.policies import CircuitBreaker, Retry
    from orchestra.steps import Context, step
    from orchestra.trace import Trace, log_steps
    from orchestra.workflow import RunResult, Workflow, run_sync

# Where each public name lives. A name is imported on first use, so `import orchestra` costs
# almost nothing: the client alone pulls in the anthropic SDK, the simulator aiohttp, and the
# engine pydantic; a script that uses only the engine never loads the other two.
_HOME = {
    "sim": "orchestra.sim",
    "LLM": "orchestra.llm",
    "Reply": "orchestra.llm",
    "recording": "orchestra.calls",
    "clock": "orchestra.clock",
    "RateLimiter": "orchestra.limiter",
    "Workflow": "orchestra.workflow",
    "RunResult": "orchestra.workflow",
    "run_sync": "orchestra.workflow",
    "step": "orchestra.steps",
    "Context": "orchestra.steps",
    "parallel": "orchestra.compose",
    "race": "orchestra.compose",
    "map_each": "orchestra.compose",
    "branch": "orchestra.compose",
    "loop": "orchestra.compose",
    "approval": "orchestra.compose",
    "Retry": "orchestra.policies",
    "CircuitBreaker": "orchestra.policies",
    "Budget": "orchestra.budget",
    "MemoryStore": "orchestra.checkpoint",
    "SqliteStore": "orchestra.checkpoint",
    "Trace": "orchestra.trace",
    "log_steps": "orchestra.trace",
    "vote": "orchestra.patterns.vote",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'orchestra' has no attribute {name!r}")
    module = import_module(_HOME[name])
    value = module if module.__name__ == f"orchestra.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])


__all__ = [
    "sim",
    "errors",
    "LLM",
    "Reply",
    "recording",
    "clock",
    "RateLimiter",
    "Workflow",
    "RunResult",
    "run_sync",
    "step",
    "Context",
    "parallel",
    "race",
    "map_each",
    "branch",
    "loop",
    "approval",
    "Retry",
    "CircuitBreaker",
    "Budget",
    "MemoryStore",
    "SqliteStore",
    "Trace",
    "log_steps",
    "vote",
]
