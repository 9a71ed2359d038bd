"""Tests for orchestra.patterns.vote: N voters, majority or consensus, and verdicts that fail closed."""

import asyncio
import itertools
from collections import Counter

import pytest

from orchestra import LLM, clock
from orchestra.errors import ConfigError
from orchestra.patterns.vote import (
    aggregate,
    panel,
    parse_label,
    sampled,
    vote,
)
from orchestra.sim import Faults

LABELS = ["pass", "fail"]
PROMPT = (
    "Classify the support ticket into one of: billing, technical. Respond with only the label.\n"
    "Ticket: I was charged twice for my invoice and need a refund"
)


def reference(votes: list[str | None], rule: str) -> str | None:
    """What a verdict must be, written apart from the module: a label only on real agreement."""
    n = len(votes)
    for label in {v for v in votes if v is not None}:
        if rule == "majority" and votes.count(label) > n / 2:
            return label
        if rule == "consensus" and votes.count(label) == n:
            return label
    return None


@pytest.mark.parametrize("rule", ["majority", "consensus"])
def test_aggregate_matches_the_reference_on_every_small_vote(rule):
    for n in range(1, 6):
        for votes in itertools.product(["pass", "fail", None], repeat=n):
            label, reason = aggregate(list(votes), rule)
            assert label == reference(list(votes), rule), (votes, label, reason)


def test_a_tie_a_malformed_or_a_missing_vote_never_passes():
    assert aggregate(["pass", "fail"], "majority") == (None, "tie")
    assert aggregate(["pass", "pass", "fail", "fail"], "majority") == (None, "tie")
    assert aggregate(["pass", None], "majority") == (None, "no majority")  # 1 of 2 is no majority
    assert aggregate(["pass", "pass", None], "majority") == ("pass", "majority")
    assert aggregate(["pass", "pass", None], "consensus") == (None, "missing or malformed vote")
    assert aggregate(["pass", "pass", "fail"], "consensus") == (None, "split")
    assert aggregate(["pass"] * 3, "consensus") == ("pass", "unanimous")
    assert aggregate([None, None, None], "majority") == (None, "no majority")
    with pytest.raises(ConfigError, match="majority"):
        aggregate(["pass"], "plurality")


def test_parse_label_takes_exactly_one_choice():
    assert parse_label(" PASS.", LABELS) == "pass"
    assert parse_label('"fail"', LABELS) == "fail"
    for bad in ("pass or fail", "passed", "", None, "I think it passes"):
        assert parse_label(bad, LABELS) is None


def said(*texts):
    """Fake voters: each returns its text, or raises when given an exception."""

    def voter(t):
        async def ask():
            if isinstance(t, Exception):
                raise t
            await asyncio.sleep(0)
            return t

        return ask

    return [voter(t) for t in texts]


def test_vote_counts_a_failed_call_as_a_missing_vote():
    verdict = asyncio.run(vote(said("pass", RuntimeError("529"), "pass"), choices=LABELS))
    assert verdict.votes == ["pass", None, "pass"] and verdict.passed()
    strict = asyncio.run(
        vote(said("pass", RuntimeError("529"), "pass"), choices=LABELS, rule="consensus")
    )
    assert strict.escalated and not strict.passed() and strict.reason == "missing or malformed vote"
    tie = asyncio.run(vote(said("pass", "fail", "Pass!!", "pass?"), choices=LABELS))
    assert tie.votes == ["pass", "fail", None, None] and not tie.passed() and tie.escalated
    with pytest.raises(ConfigError):
        asyncio.run(vote([], choices=LABELS))


def test_sampled_voters_on_the_simulator_are_reproducible(sim):
    async def run(n: int):
        sim.configure()  # a fresh count: the k-th copy of the request gets the k-th sample
        async with LLM("claude-haiku-5-5") as llm:
            return await vote(sampled(llm, PROMPT, n), choices=["billing", "technical"])

    seven, again, three = asyncio.run(run(7)), asyncio.run(run(7)), asyncio.run(run(3))
    assert Counter(seven.votes) == Counter(again.votes)  # the same set, whatever the order
    assert Counter(three.votes) <= Counter(seven.votes)
    assert len(sim.log) == 3 and all(e["status"] == 200 for e in sim.log)
    assert all(c > 0 for c in seven.costs) and seven.label == "billing"
    assert len({e["request"] for e in sim.log}) == 1  # one request, asked three times


def test_votes_the_server_could_not_answer_escalate(sim):
    sim.configure(faults=Faults(server_error=1.0))
    llm = LLM("claude-haiku-5-5", max_retries=0)
    verdict = asyncio.run(vote(sampled(llm, PROMPT, 3), choices=["billing", "technical"]))
    assert verdict.votes == [None] * 3 and verdict.escalated and verdict.reason == "no majority"


def test_a_panel_asks_each_model_once(sim):
    haiku, opus = LLM("claude-haiku-5-5"), LLM("claude-opus-5-5")
    voters = panel([(haiku, PROMPT), (opus, PROMPT), (haiku, PROMPT.replace("twice", "two times"))])
    verdict = asyncio.run(vote(voters, choices=["billing", "technical"], rule="consensus"))
    models = Counter(e["model"] for e in sim.log)
    assert models == {"claude-haiku-5-5": 2, "claude-opus-5-5": 1}
    assert len(verdict.votes) == 3 and verdict.label in (None, "billing", "technical")


def test_the_votes_take_as_long_as_the_slowest_or_their_schedule(sim):
    async def run(concurrency):
        async with LLM("claude-haiku-5-5") as llm:
            sim.configure()
            t0 = clock.now()
            await vote(sampled(llm, PROMPT, 4), choices=["billing"], concurrency=concurrency)
            return clock.now() - t0, [e["model_s"] for e in sim.log]

    together, charged = asyncio.run(run(None))
    assert together == pytest.approx(max(charged), rel=1e-3)  # the header rounds it
    one_at_a_time, charged = asyncio.run(run(1))
    assert one_at_a_time == pytest.approx(sum(charged), rel=1e-3)


def test_k_of_n_sits_between_majority_and_unanimity():
    from orchestra.patterns.vote import aggregate

    votes = ["a", "a", "a", "b", None]
    assert aggregate(votes, "majority") == ("a", "majority")
    assert aggregate(votes, 3) == ("a", "3 of 5")
    assert aggregate(votes, 4) == (None, "fewer than 4 agree")
    assert aggregate(votes, "consensus") == (None, "missing or malformed vote")
    with pytest.raises(ConfigError, match="more than half"):
        aggregate(votes, 2)  # "a" and "b" could both reach 2
