"""Measure the same task done several ways, side by side (chapters 01-04 and 11).

A ``Meter`` wraps one implementation's run and reads what it cost from the simulator's
request log, so every framework is measured the same way, whatever client it uses inside
(our ``LLM``, LangChain's ``ChatAnthropic``, LlamaIndex's ``Anthropic``):

    >>> with Meter(simulator, "orchestra", code=make_chain) as m:
    ...     result = await chain.run(state)
    >>> table([m.result, ...])      # a DataFrame: calls, tokens, cost, simulated seconds, lines

``side_by_side`` does both for several implementations of one task, one after the other:

    >>> outputs, comparison = await side_by_side(simulator, {"orchestra": ours, "LCEL": lcel}, docs)

Three kinds of time: ``model_s`` sums the simulated seconds of the calls (seeded: it
reproduces exactly); ``sim_s`` is the simulated makespan, the calls laid out on
``Meter(..., concurrency=N)`` slots, longest first (the same rule for every
framework, so parallelism shows and overhead does not); ``wall_s`` is the machine's wall clock,
which at a small ``time_scale`` measures mostly the framework's own overhead. On real Claude
there is no simulator log: token columns are then empty, and only wall-clock time is measured.
"""

from __future__ import annotations

import ast
import inspect
import io
import linecache
import math
import os
import textwrap
import time
import tokenize
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from orchestra.clock import schedule
from orchestra.prices import usage_cost_usd

__all__ = ["Measurement", "Meter", "lines_of_code", "side_by_side", "table", "wilson"]


@dataclass
class Measurement:
    """What one implementation of a task cost."""

    label: str
    wall_s: float
    """Wall-clock seconds for the whole run."""
    calls: int | None = None
    """Successful LLM calls (None on real Claude)."""
    failed_calls: int | None = None
    """Calls answered with an error (429, 529, 500), retried or not."""
    input_tokens: int | None = None
    output_tokens: int | None = None
    """Output tokens billed, thinking included."""
    cost_usd: float | None = None
    model_s: float | None = None
    """Sum of the calls' simulated seconds (the serial latency; parallel runs overlap it)."""
    sim_s: float | None = None
    """Simulated makespan: the answered calls laid out on ``concurrency`` slots, longest first
    (``clock.schedule``), the same rule for every implementation and the same result
    whatever order the machine happened to send them in."""
    lines: int | None = None
    """Lines of code of the implementation (no blanks, comments or docstrings)."""
    thinking_tokens: int | None = None
    """Of the output tokens, those spent thinking."""
    cache_write_tokens: int | None = None
    """Prompt tokens written to the prompt cache (not in ``input_tokens``; chapter 12)."""
    cache_read_tokens: int | None = None
    """Prompt tokens read from the prompt cache (not in ``input_tokens``)."""
    ttft_s: float | None = None
    """Mean simulated seconds to the first output token per answered call (the log's
    ``ttft_s``: a cache hit shortens it), None when the log does not say."""

    @property
    def cache_hit_rate(self) -> float | None:
        """Of all prompt tokens, the share read from the cache (None on real Claude)."""
        if self.input_tokens is None:
            return None
        prompt = self.input_tokens + (self.cache_write_tokens or 0) + (self.cache_read_tokens or 0)
        return (self.cache_read_tokens or 0) / prompt if prompt else 0.0


class Meter:
    """A context manager that measures the block: wall-clock here, calls from the simulator log."""

    def __init__(self, simulator: Any, label: str, *, code: Any = None, concurrency: int = 1):
        self.simulator, self.label, self.code = simulator, label, code
        self.concurrency = concurrency
        self.result: Measurement | None = None
        self.log: list[dict] = []
        """The simulator's log entries of the block (answered and failed calls), once it ends."""

    def __enter__(self) -> Meter:
        self._seen = len(self.simulator.log) if self.simulator is not None else 0
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._t0
        lines = (
            lines_of_code(*self.code)
            if isinstance(self.code, (list, tuple))
            else (lines_of_code(self.code) if self.code is not None else None)
        )
        self.result = Measurement(self.label, wall, lines=lines)
        if self.simulator is None:
            return
        log = self.log = list(self.simulator.log)[self._seen :]
        ok = [e for e in log if e["status"] == 200]
        r = self.result
        r.calls, r.failed_calls = len(ok), len(log) - len(ok)
        r.input_tokens = sum(e["input_tokens"] for e in ok)
        r.output_tokens = sum(e["output_tokens"] for e in ok)
        r.thinking_tokens = sum(e.get("thinking_tokens", 0) for e in ok)
        r.cache_write_tokens = sum(e.get("cache_creation_input_tokens", 0) for e in ok)
        r.cache_read_tokens = sum(e.get("cache_read_input_tokens", 0) for e in ok)
        # sums over sorted values: the same total whatever order the calls arrived in
        r.cost_usd = math.fsum(
            sorted(usage_cost_usd(e["model"], e, batch=bool(e.get("batch"))) for e in ok)
        )
        r.model_s = math.fsum(sorted(e["model_s"] for e in ok))
        firsts = sorted(e["ttft_s"] for e in ok if e.get("ttft_s") is not None)
        r.ttft_s = math.fsum(firsts) / len(firsts) if firsts else None
        # longest first (LPT): arrival order depends on the machine, this order does not
        durations = sorted((e["model_s"] for e in ok), reverse=True)
        starts = schedule(durations, self.concurrency)
        r.sim_s = max((t + d for t, d in zip(starts, durations, strict=True)), default=0.0)


def _stat(path: Path) -> list[str]:
    """The fields of a /proc ``stat`` file after the command name (state first)."""
    return path.read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far; 0 where /proc is missing
    (Linux only), so a caller polling it just sees no change."""
    try:
        fields = _stat(Path(f"/proc/{pid}/stat"))
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def asleep(pid: int) -> bool:
    """Every thread of a live process is sleeping (waiting, not runnable): a process starved
    of CPU on a busy machine uses none and is still not done. True where /proc is missing."""
    try:
        states = {_stat(t / "stat")[0] for t in Path(f"/proc/{pid}/task").iterdir()}
    except OSError:
        return True
    return states <= {"S", "I", "t"}


def lines_of_code(*objects: Any) -> int:
    """Non-blank lines of the objects' source, without comments or docstrings.

    An object is a function, a class, a module, or a ``pathlib.Path`` to a ``.py`` file (code
    that runs in another environment, which this one cannot import).

    >>> lines_of_code(make_chain)
    14
    """
    total = 0
    for obj in objects:
        source = _source(obj)
        code_lines: set[int] = set()
        previous = None
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and previous in (
                None,
                tokenize.INDENT,
                tokenize.NEWLINE,
                tokenize.DEDENT,
            ):
                pass  # a docstring (a string standing alone as a statement)
            elif tok.type not in (
                tokenize.COMMENT,
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENDMARKER,
            ):
                code_lines.update(range(tok.start[0], tok.end[0] + 1))
            if tok.type not in (tokenize.COMMENT, tokenize.NL):
                previous = tok.type
        total += len(code_lines)
    return total


def _source(obj: Any) -> str:
    """The source of a function, class, module or ``.py`` path; also of a class defined in a
    notebook cell.

    ``inspect.getsource`` cannot find a class defined in a notebook (Python 3.11 records no
    line number for classes), but its methods know their cell: read the class from there.
    """
    if isinstance(obj, Path):
        return obj.read_text()
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        if not inspect.isclass(obj):
            raise
    for member in vars(obj).values():
        code = getattr(inspect.unwrap(member), "__code__", None) if callable(member) else None
        if code is None:
            continue
        lines = linecache.getlines(code.co_filename)
        for node in ast.walk(ast.parse("".join(lines))):
            if (
                isinstance(node, ast.ClassDef)
                and node.name == obj.__name__
                and node.lineno <= code.co_firstlineno <= node.end_lineno
            ):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return textwrap.dedent("".join(lines[first - 1 : node.end_lineno]))
    raise OSError(f"cannot find the source of {obj.__name__}; define it in a file or a cell")


CACHE_COLUMNS = ("cache_write_tokens", "cache_read_tokens", "ttft_s")
"""Shown by ``table`` only when a row used the prompt cache (chapter 12): there they are the
comparison; elsewhere zeros, and a first-token time no comparison of frameworks ranks."""


def table(measurements: list[Measurement]) -> Any:
    """The measurements as a DataFrame indexed by label (``CACHE_COLUMNS`` when they matter)."""
    import pandas as pd

    df = pd.DataFrame([asdict(m) for m in measurements]).set_index("label")
    cached = any((m.cache_write_tokens or 0) + (m.cache_read_tokens or 0) for m in measurements)
    return df if cached else df.drop(columns=list(CACHE_COLUMNS))


async def side_by_side(
    simulator: Any,
    implementations: dict[str, Callable[..., Awaitable[Any]]],
    *args: Any,
    shared: tuple[Any, ...] = (),
    concurrency: int = 1,
) -> tuple[dict[str, Any], Any]:
    """Run each implementation on the same arguments under a ``Meter``, one after the other.

    Returns the outputs by label, to check they agree, and the measurements' ``table``. Lines of
    code count each implementation plus the ``shared`` helpers they all use (a reduce function);
    ``concurrency`` is how many calls each keeps in flight, for the simulated makespan.

    >>> outputs, comparison = await side_by_side(
    ...     simulator, {"orchestra": ours, "LangChain LCEL": lcel}, docs, shared=(digest,)
    ... )
    """
    outputs, measured = {}, []
    for label, run in implementations.items():
        with Meter(simulator, label, code=[run, *shared], concurrency=concurrency) as meter:
            outputs[label] = await run(*args)
        measured.append(meter.result)
    return outputs, table(measured)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """A 95% interval for a share of ``k`` in ``n`` (Wilson's score interval: sound for small
    ``n`` and for 0 or n of n, where the textbook ``p ± 1.96·SE`` collapses to a point);
    ``(nan, nan)`` when ``n`` is 0. ``wilson(8, 10)`` is ``(0.490, 0.943)``."""
    if n == 0:
        return math.nan, math.nan
    p, d = k / n, 1 + z * z / n
    mid, half = (p + z * z / (2 * n)) / d, z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, mid - half), min(1.0, mid + half)
