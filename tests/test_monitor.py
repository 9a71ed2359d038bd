"""Tests for orchestra.monitor: the binomial threshold against a direct count, the alert, and
time to first token joined from the simulator's log."""

import math
import random

import pandas as pd
import pytest

from orchestra import LLM, sim
from orchestra.calls import recording
from orchestra.errors import ConfigError
from orchestra.monitor import (
    binomial_tail,
    binomial_threshold,
    first_text_s,
    first_token,
    score,
    sigma_threshold,
    watch,
)
from orchestra.prices import LEGACY_HAIKU, SONNET


def test_binomial_tail_matches_counting_every_outcome():
    n, p = 6, 0.3
    exact = {c: 0.0 for c in range(n + 2)}
    for mask in range(2**n):  # every sequence of n events, with its probability
        bad = bin(mask).count("1")
        for c in range(bad + 1):
            exact[c] += p**bad * (1 - p) ** (n - bad)
    for c in range(n + 2):
        assert binomial_tail(c, n, p) == pytest.approx(exact[c], abs=1e-12)


def test_threshold_is_the_smallest_count_that_unlikely():
    c = binomial_threshold(0.03, 20, 0.01)
    assert binomial_tail(c, 20, 0.03) <= 0.01 < binomial_tail(c - 1, 20, 0.03)
    assert binomial_threshold(0.5, 2, 0.01) == 3  # no count of 2 is that rare: never fires
    with pytest.raises(ConfigError):
        binomial_threshold(0.03, 20, 0.0)


def test_sigma_rule_fires_just_above_its_line():
    line = 0.03 + 2 * math.sqrt(0.03 * 0.97 / 20)  # 0.106: 2 of 20 is under, 3 is over
    assert sigma_threshold(0.03, 20, 2) == 3 and 2 / 20 < line < 3 / 20
    assert sigma_threshold(0.03, 20, 3) == 3  # same count: k=2 and k=3 are one rule here


def test_watch_fires_after_the_rate_rises_and_not_before():
    rng = random.Random(0)
    rows = [
        {"run": r, "step": "s", "failed": rng.random() < (0.02 if r < 200 else 0.4), "t": r * 1.0}
        for r in range(300)
    ]
    watched = watch(pd.DataFrame(rows), "failed", window=20, warmup=100, alpha=0.001)
    got = score(watched, change_at=200, warmup=100)
    assert got["false alarms"] == 0
    assert 0 <= got["delay (runs)"] <= 20 and got["first to alert"] == "s"
    assert got["delay (simulated s)"] == pytest.approx(got["delay (runs)"])
    with pytest.raises(ConfigError):
        watch(pd.DataFrame(rows), "failed", window=20, warmup=100)  # no rule given


def test_first_text_waits_for_the_thinking_and_nothing_else():
    plain = {"ttft_s": 0.4, "model_s": 1.4, "output_tokens": 100, "thinking_tokens": 0}
    assert first_text_s(plain) == pytest.approx(0.4)  # no thinking: the text comes first
    thought = {**plain, "thinking_tokens": 60}  # 60 of the 100 output tokens are thinking
    assert first_text_s(thought) == pytest.approx(0.4 + 0.6 * 1.0)
    assert first_text_s({**plain, "output_tokens": 0, "model_s": 0.4}) == pytest.approx(0.4)


@pytest.mark.anyio
async def test_first_token_finds_each_calls_log_line_in_any_order():
    with sim.start(seed=3) as server:
        llms = [LLM(LEGACY_HAIKU), LLM(SONNET)]
        with recording() as calls:
            for i in range(6):  # one at a time: the log's order is the calls' order
                await llms[i % 2].ask(f"Summarize in one line: order {i} arrived late.")
        log = list(server.log)
    made = pd.DataFrame([c.to_dict() for c in calls])
    shuffled = made.sample(frac=1, random_state=0)
    got = first_token(shuffled, log).sort_index()
    assert list(got.ttft_s) == [line["ttft_s"] for line in log]
    assert list(got.first_text_s) == [first_text_s(line) for line in log]
    thinking = got.thinking_tokens > 0  # Sonnet 5.5 thinks by default; Haiku 4.5 not unless asked
    assert thinking.any() and (got.first_text_s[thinking] > got.ttft_s[thinking]).all()
    assert (got.first_text_s[~thinking] == got.ttft_s[~thinking]).all()
    with pytest.raises(ConfigError, match="no simulator log line"):
        first_token(made, log[1:])
