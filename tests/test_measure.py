"""Side-by-side measurement from the simulator log, and lines of code."""

from __future__ import annotations

import math

import anthropic
import pytest

from orchestra.measure import Meter, lines_of_code, side_by_side, table, wilson
from orchestra.sim import Faults, Rule, cost_usd


def sample(x):
    """A docstring that does not count."""
    # a comment that does not count

    y = x + 1
    return {"a": y, "b": 2}


def test_lines_of_code_skips_docstrings_comments_and_blanks():
    assert lines_of_code(sample) == 3  # def, y = ..., return
    assert lines_of_code(sample, sample) == 6


def test_lines_of_code_of_a_file_another_environment_runs(tmp_path):
    path = tmp_path / "runner.py"
    path.write_text(
        '"""A runner."""\n\nimport json  # no\n\n\ndef main():\n    """Doc."""\n    return 1\n'
    )
    assert lines_of_code(path) == 3  # import, def, return


def test_meter_reads_calls_tokens_and_cost_from_the_log(sim):
    sim.configure(faults=Faults(plan=[Rule("overloaded", nth=1)]))
    client = anthropic.Anthropic(max_retries=2)
    with Meter(sim, "two calls", code=sample) as m:
        a = client.messages.create(
            model="claude-haiku-5-5",
            max_tokens=50,
            messages=[{"role": "user", "content": "hello there"}],
        )
        b = client.messages.create(
            model="claude-opus-5-5",
            max_tokens=50,
            messages=[{"role": "user", "content": "hello again"}],
        )
    r = m.result
    assert (r.calls, r.failed_calls, r.lines) == (2, 1, 3)
    assert r.input_tokens == a.usage.input_tokens + b.usage.input_tokens
    assert r.cost_usd == cost_usd(
        "claude-haiku-5-5", a.usage.input_tokens, a.usage.output_tokens
    ) + cost_usd("claude-opus-5-5", b.usage.input_tokens, b.usage.output_tokens)
    assert r.model_s > 0 and r.wall_s > 0
    assert list(table([r]).index) == ["two calls"]


def test_meter_without_a_simulator_measures_wall_clock_only():
    with Meter(None, "real") as m:
        pass
    assert m.result.calls is None and m.result.wall_s >= 0


@pytest.mark.anyio
async def test_side_by_side_runs_each_implementation_on_the_same_input(sim):
    client = anthropic.AsyncAnthropic()

    async def one_call(text):
        await client.messages.create(
            model="claude-haiku-5-5", max_tokens=20, messages=[{"role": "user", "content": text}]
        )
        return text.upper()

    async def no_call(text):
        return text.upper()

    outputs, t = await side_by_side(sim, {"one": one_call, "none": no_call}, "hi", shared=(sample,))
    assert outputs == {"one": "HI", "none": "HI"}
    assert list(t.index) == ["one", "none"] and list(t["calls"]) == [1, 0]
    assert t.loc["none", "lines"] == 2 + 3  # the function, plus the shared helper


def test_lines_of_code_of_a_class_defined_in_a_notebook_cell():
    import linecache

    cell = (
        "x = 1\n"
        "class Flow:\n"
        "    '''Not counted.'''\n"
        "    size: int = 3\n"
        "\n"
        "    def run(self):\n"
        "        return self.size\n"
    )
    name = "<ipython-cell-42>"  # what IPython registers for a cell: not a file on disk
    linecache.cache[name] = (len(cell), None, cell.splitlines(True), name)
    space: dict = {}
    exec(compile(cell, name, "exec"), space)
    assert lines_of_code(space["Flow"]) == 4  # class, size, def, return


def test_meter_keeps_the_log_of_its_block_and_repeats_share_a_digest(sim):
    client = anthropic.Anthropic(max_retries=0)
    ask = lambda text: client.messages.create(  # noqa: E731
        model="claude-haiku-5-5", max_tokens=20, messages=[{"role": "user", "content": text}]
    )
    ask("before the block")
    with Meter(sim, "three calls") as m:
        ask("hello there")
        ask("hello there")
        ask("hello again")
    assert [e["status"] for e in m.log] == [200, 200, 200]
    same, again, other = (e["request"] for e in m.log)
    assert same == again != other


def test_cpu_seconds_reads_a_process_and_is_zero_for_one_that_is_gone():
    import os
    import sys

    from orchestra.measure import cpu_seconds

    if not sys.platform.startswith("linux"):
        pytest.skip("/proc is Linux's")
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))  # some CPU of our own
    assert cpu_seconds(os.getpid()) > before
    assert cpu_seconds(2**22 + 12345) == 0.0  # above any pid this machine hands out


def test_meter_counts_and_prices_cache_writes_and_reads(sim):
    from orchestra.prices import usage_cost_usd

    policy = " ".join(f"Rule {i}: refunds over {i} euros need a reason." for i in range(120))
    system = [{"type": "text", "text": policy, "cache_control": {"type": "ephemeral"}}]
    client = anthropic.Anthropic()
    with Meter(sim, "cached") as m:
        replies = [
            client.messages.create(
                model="claude-haiku-5-5",
                max_tokens=200,
                system=system,
                messages=[{"role": "user", "content": f"Summarize: ticket {i}"}],
            )
            for i in range(3)
        ]
    r = m.result
    written = replies[0].usage.cache_creation_input_tokens
    assert written > 512 and r.cache_write_tokens == written
    assert r.cache_read_tokens == 2 * written and r.cache_hit_rate > 0.5
    assert r.cost_usd == pytest.approx(
        sum(usage_cost_usd("claude-haiku-5-5", x.usage) for x in replies)
    )


def test_meter_reports_the_mean_time_to_first_token_shorter_on_a_cache_hit(sim):
    policy = " ".join(f"Rule {i}: refunds over {i} euros need a reason." for i in range(120))
    client = anthropic.Anthropic()

    def ask(i: int, cache: bool):
        block = {"type": "text", "text": policy}
        if cache:
            block["cache_control"] = {"type": "ephemeral"}
        client.messages.create(
            model="claude-haiku-5-5",
            max_tokens=200,
            system=[block],
            messages=[{"role": "user", "content": f"Summarize: ticket {i}"}],
        )

    measured = {}
    for cache in (False, True):
        ask(0, cache)  # the same first call: a write when cached
        with Meter(sim, str(cache)) as m:
            for i in range(1, 4):
                ask(i, cache)
        measured[cache] = m.result
    log = [e for e in m.log if e["status"] == 200]
    assert m.result.ttft_s == pytest.approx(sum(e["ttft_s"] for e in log) / len(log))
    assert measured[True].ttft_s < measured[False].ttft_s
    assert measured[True].cache_read_tokens > 0 == measured[False].cache_read_tokens
    # the table shows the cache's columns when a row used the cache, and not otherwise
    both = table([measured[False], measured[True]])
    assert {"cache_read_tokens", "ttft_s"} <= set(both.columns)
    assert not {"cache_read_tokens", "cache_write_tokens", "ttft_s"} & set(
        table([measured[False]]).columns
    )


def test_wilson_gives_the_textbook_interval_and_stays_inside_0_1():
    assert [round(x, 3) for x in wilson(8, 10)] == [0.49, 0.943]
    low, high = wilson(0, 12)
    assert low == 0.0 and 0.2 < high < 0.3  # a share of 0 still has room above it
    assert wilson(12, 12)[1] == 1.0 and wilson(12, 12)[0] < 1.0
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_asleep_tells_a_waiting_process_from_one_that_wants_the_cpu():
    import subprocess
    import sys
    import time

    from orchestra.measure import asleep

    waiting = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = time.monotonic() + 10
        while not asleep(waiting.pid) and time.monotonic() < deadline:  # still starting up
            time.sleep(0.05)
        assert asleep(waiting.pid)
        assert not any(asleep(busy.pid) for _ in range(5))  # running or ready to run
    finally:
        for p in (waiting, busy):
            p.kill()
            p.wait()
