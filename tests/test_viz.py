"""Tests for orchestra.viz: charts render (Agg) with labelled axes and legends."""

import asyncio
import operator

import matplotlib
import pytest
from pydantic import BaseModel

matplotlib.use("Agg")

from fakes import fake_call  # noqa: E402

from orchestra.compose import parallel  # noqa: E402
from orchestra.steps import step  # noqa: E402
from orchestra.viz import step_costs, timeline  # noqa: E402
from orchestra.workflow import Workflow, run_sync  # noqa: E402


class S(BaseModel):
    notes: list[str] = []


def worker(name: str, cost: float):
    @step(name=name, writes="notes")
    async def work(s: S) -> dict:
        await asyncio.sleep(0.01)
        fake_call(cost=cost, model_s=100 * cost)
        return {"notes": [name]}

    return work


@pytest.fixture(scope="module")
def trace():
    wf = Workflow(
        "v",
        state=S,
        steps=[
            worker("plan", 0.01),
            parallel(worker("a", 0.02), worker("b", 0.03), merge={"notes": operator.add}),
        ],
    )
    return run_sync(wf.run(S())).trace


def test_timeline_labels_and_rows(trace):
    fig = timeline(trace)
    ax = fig.axes[0]
    assert "time since run start (s" in ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "00.plan",
        "01.parallel[0].00.a",
        "01.parallel[1].00.b",
    ]
    assert ax.get_legend() is not None and fig.dpi == 100
    fig.canvas.draw()


def test_step_costs_from_dataframe(trace):
    fig = step_costs(trace.to_dataframe())
    cost_ax, latency_ax = fig.axes[:2]
    assert cost_ax.get_xlabel() == "cost (USD)" and "(s)" in latency_ax.get_xlabel()
    widths = [p.get_width() for p in cost_ax.patches]
    assert widths == pytest.approx([0.01, 0.02, 0.03])
    assert cost_ax.get_legend() is not None
    fig.canvas.draw()


def test_timeline_draws_what_was_charged_not_the_wall_clock(trace):
    simulated = timeline(trace).axes[0]
    wall = timeline(trace, clock="wall").axes[0]
    assert "simulated" in simulated.get_xlabel() and "wall-clock" in wall.get_xlabel()
    # plan (1 s) then a and b in parallel (2 s and 3 s): 4 simulated seconds in all
    ends = [p.get_x() + p.get_width() for p in simulated.patches]
    assert max(ends) == pytest.approx(1.0 + 3.0)
    assert max(p.get_x() + p.get_width() for p in wall.patches) < 1.0  # 10 ms sleeps


def test_compare_draws_one_panel_per_measured_column():
    from orchestra.measure import Measurement, table
    from orchestra.viz import compare

    df = table(
        [
            Measurement("a", 1.0, 2, 0, 100, 20, 0.001, 3.0, 2.0, 12),
            Measurement("b", 2.0, 2, 0, 120, 25, 0.002, 3.5, 1.5, 30),
        ]
    )
    fig = compare(df)
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "simulated makespan (s)",
        "tokens (input + output)",
        "cost (USD)",
        "lines of code",
    ]
    same_cost = table(
        [
            Measurement("a", 1.0, 2, 0, 100, 20, 0.001, 3.0, 2.0, 12),
            Measurement("b", 2.0, 2, 0, 100, 20, 0.001, 3.0, 1.5, 30),
        ]
    )
    labels = [ax.get_ylabel() for ax in compare(same_cost).axes]
    assert labels == ["simulated makespan (s)", "lines of code"]  # equal bars teach nothing
    assert "no quality column" in fig._suptitle.get_text()  # cost alone picks nothing


def test_compare_draws_quality_first_and_even_when_equal():
    from orchestra.errors import ConfigError
    from orchestra.measure import Measurement, table
    from orchestra.viz import compare

    df = table(
        [
            Measurement("a", 1.0, 2, 0, 100, 20, 0.001, 3.0, 2.0, 12),
            Measurement("b", 2.0, 2, 0, 120, 25, 0.002, 3.5, 1.5, 30),
        ]
    )
    df["right"], df["answered"] = [7, 7], [8, 9]
    assert len(compare(df).axes) == 4  # quality is drawn when named, not guessed
    fig = compare(df, quality=["right", "answered"])
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels[:2] == [
        "right answers (count)",
        "answered (count)",
    ]  # equal quality is the finding: drawn
    assert [p.get_height() for p in fig.axes[0].patches] == [7, 7]
    assert "no quality column" not in fig._suptitle.get_text()
    assert [ax.get_ylabel() for ax in compare(df, quality=["answered"]).axes][0].startswith(
        "answered"
    )
    with pytest.raises(ConfigError, match="grade"):
        compare(df, quality=["grade"])


def test_lanes_puts_each_call_on_a_free_slot_and_keeps_an_item_on_its_lane():
    from orchestra.compose import map_each
    from orchestra.viz import lanes

    class D(BaseModel):
        docs: list[float]
        out: list[float | None] = []

    @step
    async def first(d: float) -> float:
        fake_call(model_s=d)
        return d

    @step
    async def second(d: float) -> float:
        fake_call(model_s=1.0)
        return d

    wf = Workflow(
        "l", state=D, steps=[map_each(first, second, over="docs", into="out", concurrency=2)]
    )
    result = run_sync(wf.run(D(docs=[3.0, 1.0, 1.0])))
    ax = lanes(result.trace, slots=2, bound=3.0).axes[0]
    bars = sorted(
        (round(p.get_y() + p.get_height() / 2), p.get_x(), p.get_width()) for p in ax.patches
    )
    # slot 0: item 0 (3 s, then 1 s); slot 1: item 1 (1 + 1), then item 2 (1 + 1)
    assert bars == [
        (0, 0.0, 3.0),
        (0, 3.0, 1.0),
        (1, 0.0, 1.0),
        (1, 1.0, 1.0),
        (1, 2.0, 1.0),
        (1, 3.0, 1.0),
    ]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["first", "second", "makespan 4.00 s", "lower bound 3.00 s"]
    assert "simulated" in ax.get_xlabel() and ax.get_ylabel() == "concurrency slot"
    ax.figure.canvas.draw()


def test_small_usd_amounts_get_few_short_tick_labels():
    import matplotlib.pyplot as plt

    from orchestra.viz import usd_ticks

    fig, ax = plt.subplots()
    ax.barh(["a", "b"], [0.000123, 0.000871])
    usd_ticks(ax.xaxis)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert 2 <= len(labels) <= 5 and all(len(t) <= 7 for t in labels), labels
    plt.close(fig)


def test_pareto_keeps_the_cheapest_for_each_quality_and_drops_the_dominated():
    import pandas as pd

    from orchestra.viz import pareto

    df = pd.DataFrame(
        {"usd": [1.0, 2.0, 2.0, 5.0, 5.0, 0.5], "acc": [0.7, 0.8, 0.75, 0.8, 0.9, 0.6]},
        index=["a", "b", "dominated: b is as cheap and better", "tie on quality, dearer", "e", "f"],
    )
    assert pareto(df, cost="usd", quality="acc").tolist() == [True, True, False, False, True, True]


def test_frontier_and_savings_charts_name_the_choice_and_the_factors():
    import pandas as pd

    from orchestra.viz import frontier, savings

    df = pd.DataFrame({"usd": [1.0, 2.0, 4.0], "acc": [0.6, 0.9, 0.85]}, index=["x", "y", "z"])
    fig = frontier(df, x="usd", y="acc", xlabel="USD", ylabel="accuracy", chosen="y", floor=0.8)
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert "shipped: y" in labels and "Pareto frontier" in labels and ax.get_xlabel() == "USD"
    frontier_line = [line for line in ax.get_lines() if line.get_label() == "Pareto frontier"][0]
    assert list(frontier_line.get_xdata()) == [1.0, 2.0]  # z is dominated by y
    levers = pd.DataFrame({"usd": [100.0, 20.0, 5.0]}, index=["start", "model", "cache"])
    texts = [t.get_text() for t in savings(levers, cost="usd", xlabel="USD").axes[0].texts]
    assert texts == [" 100", " 20  ÷5.0", " 5  ÷4.0"]
