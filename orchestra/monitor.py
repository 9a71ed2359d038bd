"""Alerts on a stream of step executions read from traces: a rate against its baseline (chapter 10).

Monitoring asks one question again and again: has the share of bad events in the last
``window`` executions risen above what the warm-up showed? The events can be loud (a step
failed) or quiet and label-free (a call stopped at ``max_tokens``). With a baseline share ``p0``
the count of bad events in a window of ``n`` is binomial if nothing changed, so the alert's
threshold is the smallest count whose binomial tail ``P(X >= c)`` is at most ``alpha``: the
chance that one evaluation fires while nothing changed. (The usual ``p0 + k·σ`` rule leans on a
normal approximation that fails when fewer than a few bad events are expected per window, as
with ``p0 = 3%`` and ``n = 20``: the count takes a handful of values and the tail is skewed.)

    >>> binomial_threshold(0.03, 20, alpha=0.01)   # 4 failures in 20: P = 0.3% by chance
    4
    >>> watched = watch(stream, "failed", window=20, warmup=50, alpha=0.01)
    >>> score(watched, change_at=100)["delay (runs)"]

Time to first token is watched as percentiles, like latency; on the simulator it is read from
its log (``sim.log``: ``ttft_s`` per answered request), joined to each LLM call of a trace:

    >>> first_token(calls, list(simulator.log))[["ttft_s", "first_text_s"]].quantile(0.95)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from orchestra.errors import ConfigError

__all__ = [
    "binomial_tail",
    "binomial_threshold",
    "sigma_threshold",
    "watch",
    "score",
    "first_text_s",
    "first_token",
]


def binomial_tail(c: int, n: int, p: float) -> float:
    """``P(X >= c)`` for ``X ~ Binomial(n, p)``: ``binomial_tail(2, 20, 0.05) ≈ 0.264``."""
    return math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(max(c, 0), n + 1))


def binomial_threshold(p0: float, n: int, alpha: float) -> int:
    """The smallest count ``c`` of bad events in ``n`` with ``P(X >= c) <= alpha`` under ``p0``
    (``n + 1`` when no count is that unlikely: the rule can never fire)."""
    if not 0 < alpha < 1 or not 0 <= p0 <= 1 or n < 1:
        raise ConfigError(f"need 0 < alpha < 1, 0 <= p0 <= 1 and n >= 1; got {alpha}, {p0}, {n}")
    return next((c for c in range(n + 1) if binomial_tail(c, n, p0) <= alpha), n + 1)


def sigma_threshold(p0: float, n: int, k: float) -> int:
    """The count the ``rate > p0 + k·σ`` rule fires at, for comparison: the smallest ``c`` with
    ``c / n > p0 + k·sqrt(p0(1 - p0) / n)``."""
    line = p0 + k * math.sqrt(p0 * (1 - p0) / n)
    return math.floor(line * n + 1e-9) + 1


def watch(
    stream: pd.DataFrame,
    column: str,
    *,
    window: int,
    warmup: int,
    alpha: float | None = None,
    k: float | None = None,
    by: str = "step",
) -> pd.DataFrame:
    """Per execution (a row of ``stream``, with ``run`` and a boolean ``column``), per group
    ``by``: the count of bad events in the last ``window``, the baseline ``p0`` from runs before
    ``warmup`` (one bad and one good added, so a clean warm-up still gives a rate above zero),
    the threshold count (binomial tail at ``alpha``, or the ``k``-sigma rule) and ``alert``."""
    if (alpha is None) == (k is None):
        raise ConfigError("give the rule one way: alpha= (binomial tail) or k= (p0 + k·σ)")
    out = []
    for _, g in stream.groupby(by):
        g = g.sort_values("run").copy()
        warm = g[g.run < warmup]
        p0 = (warm[column].sum() + 1) / (len(warm) + 2)
        c = binomial_threshold(p0, window, alpha) if alpha else sigma_threshold(p0, window, k)
        g["count"] = g[column].astype(int).rolling(window, min_periods=window).sum()
        g["rate"] = g["count"] / window
        g["baseline"], g["threshold"] = p0, c
        g["alert"] = (g.run >= warmup) & (g["count"] >= c)
        out.append(g)
    return pd.concat(out)


def score(watched: pd.DataFrame, *, change_at: int, warmup: int, by: str = "step") -> dict:
    """How a rule did on a stream with one change at run ``change_at``: false alarms among the
    evaluations before it, and the delay to the first alert after it (runs and simulated s)."""
    evaluated = watched[(watched.run >= warmup) & watched["count"].notna()]
    before, after = evaluated[evaluated.run < change_at], evaluated[evaluated.run >= change_at]
    fired = after[after.alert].sort_values("run")
    t_change = watched[watched.run >= change_at].t.min()
    first = fired.iloc[0] if len(fired) else None
    return {
        "evaluations before the change": len(before),
        "false alarms": int(before.alert.sum()),
        "false-alarm rate": before.alert.mean() if len(before) else float("nan"),
        "first alert at run": int(first.run) if first is not None else None,
        "delay (runs)": int(first.run) - change_at if first is not None else None,
        "delay (simulated s)": first.t - t_change if first is not None else None,
        "first to alert": first[by] if first is not None else None,
    }


def first_text_s(line: dict) -> float:
    """Model-seconds before the first token of the reply's text, from a simulator log line.

    The line's ``ttft_s`` runs to the first output token, and a thinking model's first output
    tokens are its thinking (billed as output, streamed as an empty block when not displayed):
    the reader sees text only after the thinking's share of the output time, which comes first.
    ``first_text_s({"ttft_s": 0.5, "model_s": 2.5, "output_tokens": 200, "thinking_tokens": 150})``
    is 2.0."""
    out, thinking = line["output_tokens"], line.get("thinking_tokens") or 0
    return line["ttft_s"] + ((line["model_s"] - line["ttft_s"]) * thinking / out if out else 0.0)


def first_token(calls: pd.DataFrame, log: Iterable[dict]) -> pd.DataFrame:
    """``calls`` (LLM call records: ``model``, ``output_tokens``, ``model_s``) with their
    ``ttft_s`` and ``first_text_s`` (model-seconds to the first output token, to the first token
    of text) from the simulator's log lines of the same requests.

    A call is matched to the line of its model and output tokens whose ``model_s`` is the one it
    was told (the simulator's header, to 4 decimals); equal keys are taken in order. Read the log
    before ``simulator.configure(...)``, which starts it afresh."""
    lines: dict[tuple, list[dict]] = {}
    for line in log:
        if line.get("ttft_s") is not None:
            key = (line["model"], line["output_tokens"], f"{line['model_s']:.4f}")
            lines.setdefault(key, []).append(line)
    found = []
    for model, out, model_s in calls[["model", "output_tokens", "model_s"]].itertuples(index=False):
        same = lines.get((model, out, f"{model_s:.4f}"))
        if not same:
            raise ConfigError(
                f"no simulator log line for a {model} call of {out} output tokens and "
                f"{model_s:.4f} model-seconds: pass the log of the run that made it, read "
                f"before simulator.configure() cleared it"
            )
        line = same.pop(0)
        found.append({"ttft_s": line["ttft_s"], "first_text_s": first_text_s(line)})
    return calls.assign(
        **pd.DataFrame(found, index=calls.index, columns=["ttft_s", "first_text_s"])
    )
