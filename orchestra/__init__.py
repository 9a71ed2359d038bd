"""Orchestra Lab: a small async kit for LLM workflows, and an offline Claude to run them on.

The public API, by layer (everything else is reachable by its module path)::

    sim                      the offline Claude simulator           (orchestra/sim/)
    LLM, Reply, recording    the client over the anthropic SDK      (orchestra/llm.py)
    RateLimiter              client-side requests/tokens per minute (orchestra/limiter.py)
    Workflow, RunResult      build, run and resume a workflow       (orchestra/workflow.py)
    step, Context            a step and what it may ask of its run  (orchestra/step.py)
    parallel, map_each,      composition                            (orchestra/compose.py)
    branch, loop, approval
    Retry, CircuitBreaker    failure policies                       (orchestra/policies.py)
    Budget                   cost and token ceilings                (orchestra/budget.py)
    MemoryStore, SqliteStore checkpoints                            (orchestra/checkpoint.py)
    Trace, log_steps         a run's spans as data; a line per step (orchestra/trace.py)
    errors                   every named error                      (orchestra/errors.py)

Charts live in ``orchestra.viz``, the OpenTelemetry exporter in ``orchestra.otel`` and the
patterns in ``orchestra.patterns``; import them by name. Nothing here reads a key or opens
a connection at import.
"""

from orchestra import errors, sim
from orchestra.budget import Budget
from orchestra.checkpoint import MemoryStore, SqliteStore
from orchestra.compose import approval, branch, loop, map_each, parallel
from orchestra.limiter import RateLimiter
from orchestra.llm import LLM, Reply, recording
from orchestra.policies import CircuitBreaker, Retry
from orchestra.step import Context, step
from orchestra.trace import Trace, log_steps
from orchestra.workflow import RunResult, Workflow, run_sync

__all__ = [
    "sim",
    "errors",
    "LLM",
    "Reply",
    "recording",
    "RateLimiter",
    "Workflow",
    "RunResult",
    "run_sync",
    "step",
    "Context",
    "parallel",
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
]
