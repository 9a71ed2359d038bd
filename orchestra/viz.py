"""Charts of a run's trace: a timeline (Gantt) and per-step cost and latency (chapters 01-09).

These functions read trace records only (a ``Trace`` or its DataFrame); they never run
anything. Times are simulated seconds (what the simulator charged, see ``orchestra.calls``)
unless a chart says wall-clock; costs are US dollars.

    >>> fig = timeline(result.trace)        # parallel steps show as overlapping bars
    >>> fig = step_costs(result.trace)      # where the money and the time went
    >>> fig = lanes(result.trace, slots=4)  # the calls on their concurrency slots: idle shows
    >>> prose(f"{cheap} costs ${usd:.4f} per call")  # a measured sentence, shown as written
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from orchestra.errors import ConfigError
from orchestra.text import escape_math

if TYPE_CHECKING:
    import pandas as pd
    from IPython.display import Markdown

    from orchestra.trace import Trace

__all__ = [
    "timeline",
    "lanes",
    "step_costs",
    "usd_ticks",
    "compare",
    "prose",
    "pareto",
    "frontier",
    "savings",
]

COLORS = {
    "ok": "tab:green",
    "fallback": "tab:olive",
    "replayed": "tab:gray",
    "skipped": "tab:orange",
    "error": "tab:red",
    "waiting": "tab:purple",
    "aborted": "tab:red",
    "running": "tab:blue",
}


def _frame(trace: Trace | pd.DataFrame) -> pd.DataFrame:
    return trace if hasattr(trace, "columns") else trace.to_dataframe()


def timeline(
    trace: Trace | pd.DataFrame,
    *,
    title: str = "Run timeline",
    clock: str = "simulated",
    time_scale: float | None = None,
) -> Figure:
    """A Gantt chart: one bar per step (LLM calls drawn inside), coloured by status.

    ``clock="simulated"`` (the default) draws simulated seconds: each call as long as the
    model-seconds the simulator charged, waits included (``orchestra.calls``); on real Claude
    these are wall-clock seconds. ``clock="wall"`` draws the machine's own wall clock, which
    at a small ``time_scale`` is mostly the client's overhead. (``time_scale`` is accepted
    for older notebooks and ignored: simulated time no longer divides wall-clock by it.)

        >>> timeline(result.trace).savefig("timeline.png")
    """
    df = _frame(trace).copy()
    if clock == "simulated":
        df["start"], df["end"] = df["sim_start"], df["sim_end"]
    t0 = df["start"].min()
    steps = df[df["kind"] == "step"].reset_index(drop=True)
    calls = df[df["kind"] == "llm"]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(steps) + 1.6), dpi=100)
    row = {}
    for i, s in steps.iterrows():
        row[s["id"]] = i
        ax.barh(
            i,
            max(s["end"] - s["start"], 1e-5),
            left=s["start"] - t0,
            height=0.6,
            color=COLORS.get(s["status"], "tab:blue"),
        )
    for _, c in calls.iterrows():
        if c["parent_id"] in row:
            ax.barh(
                row[c["parent_id"]],
                c["end"] - c["start"],
                left=c["start"] - t0,
                height=0.25,
                color="black",
                alpha=0.6,
            )
    ax.set_yticks(range(len(steps)), steps["key"], fontsize=8)
    ax.invert_yaxis()  # first step on top
    ax.set_xlabel(
        "simulated time since run start (s, as the simulator charged)"
        if clock == "simulated"
        else "wall-clock time since run start (s)"
    )
    ax.set_ylabel("step (journal key)")
    ax.set_title(title)
    shown = [st for st in COLORS if st in set(steps["status"])]
    handles = [Patch(color=COLORS[st], label=st) for st in shown]
    if len(calls):
        handles.append(Patch(color="black", alpha=0.6, label="LLM call"))
    ax.legend(handles=handles, loc="lower right", fontsize=8, title="status")
    fig.tight_layout()
    return fig


def lanes(
    trace: Trace | pd.DataFrame,
    *,
    slots: int,
    title: str = "Calls on their slots",
    bound: float | None = None,
    ax: plt.Axes | None = None,
) -> Figure:
    """The LLM calls on ``slots`` lanes in simulated seconds, one colour per step: gaps are idle.

    A call goes to a lane free when it starts; of those, the one freed last, so an item's
    next call stays on the lane its previous one used (a pipeline reads as one lane per item).
    ``bound`` draws a lower bound on the makespan as a dotted line. Pass ``ax`` to draw into
    a panel of a larger figure.

        >>> lanes(result.trace, slots=4, bound=max(sum(d) / 4, max(d)))
    """
    df = _frame(trace)
    calls = df[df["kind"] == "llm"].sort_values(["sim_start", "key"])
    t0 = df["sim_start"].min()
    free = [t0] * slots
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 0.45 * slots + 1.5), dpi=100)
    fig = ax.figure
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = list(dict.fromkeys(calls["key"].str.rsplit(".", n=1).str[-1]))
    for _, c in calls.iterrows():
        ready = [i for i, t in enumerate(free) if t <= c["sim_start"] + 1e-9]
        lane = max(ready, key=lambda i: free[i]) if ready else free.index(min(free))
        free[lane] = c["sim_end"]
        name = c["key"].rsplit(".", 1)[-1]
        ax.barh(
            lane,
            c["sim_end"] - c["sim_start"],
            left=c["sim_start"] - t0,
            height=0.7,
            color=colors[names.index(name) % len(colors)],
            edgecolor="white",
            linewidth=0.5,
        )
    end = calls["sim_end"].max() - t0 if len(calls) else 0.0
    ax.axvline(end, color="black", lw=1, label=f"makespan {end:.2f} s")
    if bound is not None:
        ax.axvline(bound, color="black", lw=1, ls=":", label=f"lower bound {bound:.2f} s")
    handles = [Patch(color=colors[i % len(colors)], label=n) for i, n in enumerate(names)]
    ax.legend(
        handles=handles + ax.get_legend_handles_labels()[0],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
    )
    ax.set_yticks(range(slots), [f"slot {i + 1}" for i in range(slots)], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("simulated time since run start (s, as the simulator charged)")
    ax.set_ylabel("concurrency slot")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def usd_ticks(axis: Any, most: int = 4) -> None:
    """At most ``most`` short tick labels on a USD axis: today's per-call costs are small
    (0.00012), and matplotlib's default labels for them run into each other."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(most))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}" if v else "0"))


def step_costs(
    trace: Trace | pd.DataFrame,
    *,
    title: str = "Cost and latency per step",
    simulated: bool = False,
) -> Figure:
    """Two bar charts side by side: cost (USD) and latency (s) per step.

    ``simulated=True`` shows the LLM calls' simulated seconds (seeded, reproducible) instead
    of wall-clock seconds.

        >>> step_costs(result.trace, simulated=True).savefig("costs.png")
    """
    df = _frame(trace)
    steps = df[df["kind"] == "step"]
    by = steps.groupby("name", sort=False).agg(
        cost_usd=("cost_usd", "sum"), latency_s=("model_s" if simulated else "duration_s", "sum")
    )
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.3 * len(by) + 2.2), dpi=100)
    left.barh(by.index, by["cost_usd"], color="tab:blue", label="cost (USD)")
    left.set_xlabel("cost (USD)")
    usd_ticks(left.xaxis)
    left.set_ylabel("step")
    right.barh(by.index, by["latency_s"], color="tab:orange", label="latency (s)")
    right.set_xlabel(
        "simulated seconds of LLM calls, summed"
        if simulated
        else "wall-clock latency, all executions summed (s)"
    )
    right.set_yticks(range(len(by)), [""] * len(by))
    for ax in (left, right):
        ax.invert_yaxis()
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


QUALITY = {
    "right": "right answers (count)",
    "answered": "answered (count)",
    "completed": "completed",
    "correct": "correct (count)",
    "accuracy": "accuracy",
    "grade": "grade",
    "listings": "listings published (count)",
    "fields right": "fields right (count)",
    "right route": "right routes (count)",
    "mean final grade": "mean final grade (0 to 1)",
    "requests completed": "requests completed (count)",
    "tickets completed": "tickets completed (count)",
    "decisions honoured": "decisions honoured (count)",
}
"""Labels of common quality columns (``compare(..., quality=[...])``); others keep their name."""


def compare(
    table: pd.DataFrame,
    *,
    title: str = "Same task, several implementations",
    quality: Sequence[str] = (),
) -> Figure:
    """Bars per implementation: quality first, then simulated makespan, tokens, cost and lines.

    ``table`` is ``orchestra.measure.table([...])`` with the columns named in ``quality``
    beside it: how good each implementation's results were (right answers, completed runs).
    Quality is always drawn, equal or not: the same answers at a different cost is the
    finding. A cost panel whose bars would all be equal teaches nothing and is left out (the
    table still shows the column), as are missing ones. A figure without quality says so in
    its title: a cost comparison alone does not say which implementation to pick.

        >>> table = measure.table([m1.result, m2.result]); table["right"] = [20, 22]
        >>> compare(table, quality=["right"])
    """
    df = table.copy()
    quality = list(quality)
    missing = [c for c in quality if c not in df]
    if missing:
        raise ConfigError(f"compare: no quality column {missing} in the table {list(df)}")
    if "input_tokens" in df and df["input_tokens"].notna().all():
        df["tokens"] = df["input_tokens"] + df["output_tokens"]
    costs = [
        (c, label)
        for c, label in [
            ("sim_s", "simulated makespan (s)"),
            ("tokens", "tokens (input + output)"),
            ("cost_usd", "cost (USD)"),
            ("lines", "lines of code"),
        ]
        if c in df and df[c].notna().all() and df[c].round(9).nunique() > 1
    ]
    panels = [(c, QUALITY.get(c, c)) for c in quality if df[c].notna().all()] + costs
    if not panels:  # nothing differs: say so rather than draw equal bars
        fig, ax = plt.subplots(figsize=(6, 1.2), dpi=100)
        ax.axis("off")
        ax.text(0.5, 0.5, "every measured column is the same: see the table", ha="center")
        return fig
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2), dpi=100)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (column, label) in zip(axes if len(panels) > 1 else [axes], panels, strict=True):
        ax.bar(range(len(df)), df[column], color=colors[: len(df)])
        ax.set_xticks(range(len(df)), df.index, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel(label)
        ax.set_title(label, fontsize=10, fontweight="bold" if column in quality else None)
        if column == "cost_usd":
            usd_ticks(ax.yaxis)
        elif column in quality and (df[column] % 1 == 0).all():  # counts: no 12.5 on the axis
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not quality:
        title += "\n(no quality column: cost alone does not pick an implementation)"
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def prose(text: str) -> Markdown:
    """A sentence computed from measurements, as Markdown that JupyterLab shows as written.

    JupyterLab typesets the text between two ``$`` as LaTeX: "costs $0.0029 and 51%, against
    $0.0031" would lose its numbers (and ``%`` starts a TeX comment). So ``$`` is escaped.
    """
    from IPython.display import Markdown

    return Markdown(escape_math(text))


# ---------------------------------------------------------------- cost levers (chapter 12)


def pareto(df: pd.DataFrame, *, cost: str, quality: str) -> pd.Series:
    """Which rows are on the Pareto frontier: no other row is as good or better for less.

    A row is dominated when another has quality at least as high and cost at most as high,
    and is strictly better in one of them. Returns a boolean Series on ``df``'s index.

        >>> df[pareto(df, cost="usd_per_1k", quality="accuracy")]
    """
    costs, goods = df[cost].to_numpy(), df[quality].to_numpy()
    on = [
        not any(
            (c2 <= c and q2 >= q) and (c2 < c or q2 > q)
            for c2, q2 in zip(costs, goods, strict=True)
        )
        for c, q in zip(costs, goods, strict=True)
    ]
    import pandas as pd

    return pd.Series(on, index=df.index, name="on_frontier")


def frontier(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    xlabel: str,
    ylabel: str,
    chosen: Any = None,
    floor: float | None = None,
    ax: Any = None,
    title: str = "",
    log_x: bool = True,
) -> Figure:
    """Every configuration as a point, the Pareto frontier (cheapest for its quality) as a line.

    ``chosen`` (an index label) is ringed and named; ``floor`` draws the quality line a rule
    set. Pass ``ax`` to draw into a panel of your own figure.

        >>> frontier(configs, x="usd_per_1k", y="accuracy", xlabel="USD per 1,000 tickets",
        ...          ylabel="both labels right (share)", chosen=pick)
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    fig = ax.figure
    on = pareto(df, cost=x, quality=y)
    ax.scatter(df[x], df[y], s=14, color="tab:gray", alpha=0.6, label="a configuration")
    edge = df[on].sort_values(x)
    ax.plot(edge[x], edge[y], "-o", color="tab:blue", ms=5, label="Pareto frontier")
    if floor is not None:
        ax.axhline(floor, color="tab:red", lw=1, ls="--", label=f"quality floor {floor:.2f}")
    if chosen is not None:
        ax.scatter(
            [df.loc[chosen, x]],
            [df.loc[chosen, y]],
            s=160,
            facecolors="none",
            edgecolors="tab:green",
            lw=2,
            label=f"shipped: {chosen}",
        )
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def savings(
    steps: pd.DataFrame,
    *,
    cost: str,
    xlabel: str,
    title: str = "What each lever saved, stacked",
) -> Figure:
    """Horizontal bars of the cost after each lever, top to bottom, each with its factor.

    ``steps`` has one row per lever in the order applied (the index names it), the first row
    being the starting point; ``cost`` is the column to draw.

        >>> savings(levers, cost="usd_per_1k", xlabel="USD per 1,000 tickets")
    """
    values = steps[cost].to_numpy()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(steps) + 1.4), dpi=100)
    ax.barh([0], values[:1], color="tab:gray", label="starting point")
    ax.barh(range(1, len(steps)), values[1:], color="tab:green", label="after the lever")
    for i, v in enumerate(values):
        factor = "" if i == 0 else f"  ÷{values[i - 1] / v:.1f}" if v else ""
        ax.text(v, i, f" {v:.3g}{factor}", va="center", fontsize=8)
    ax.set_yticks(range(len(steps)), steps.index, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
