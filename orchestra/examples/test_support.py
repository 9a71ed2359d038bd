"""Tests of the support pipeline (chapter 10): a unit test per step, and a golden-set test.

Chapter 10 runs this file with pytest in a subprocess:

    SUPPORT_MODELS='{"check_cut": true}' python -m pytest -q -o addopts= orchestra/examples/test_support.py

``SUPPORT_MODELS`` (JSON, fields of ``Models``) says which version of the pipeline is under
test, so the chapter can show what each kind of test catches. The unit tests replace the model
by a stub that returns a fixed reply: they check what each step does with an answer, fast and
without a model. The integration test runs the whole pipeline on golden tickets against the
simulator and requires each step's accuracy to stay above a threshold: it is the one that
notices a change of model or prompt.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from orchestra import Reply, datasets, sim
from orchestra.errors import OutputFormatError
from orchestra.examples.support import (
    KNOWLEDGE,
    Case,
    Models,
    first_wrong,
    golden,
    pipeline,
)

MODELS = Models(**json.loads(os.environ.get("SUPPORT_MODELS", "{}")))
GOLDEN_N = int(os.environ.get("SUPPORT_GOLDEN_N", "60"))
THRESHOLDS = {"classify": 0.80, "urgency": 0.80, "draft": 0.85}
"""The least share of golden tickets each LLM step must get right (when the steps before it
did): measured on the version that shipped, minus a margin for the noise of 60 tickets."""


class Stub:
    """A model that answers every prompt with the same text, and keeps the prompts it was sent."""

    def __init__(self, text: str, stop_reason: str = "end_turn"):
        self.text, self.stop_reason, self.prompts = text, stop_reason, []

    async def ask(self, prompt: str, **_: object) -> Reply:
        self.prompts.append(prompt)
        return Reply(self.text, None, "stub", 0, 0, 0.0, 0.0, None, self.stop_reason)


def run_step(name: str, case: Case, **stubs: Stub) -> dict:
    """Run one step of the pipeline under test on ``case``; returns the fields it wrote.

    Every LLM step gets a stub (an unused one answers "unused"): no model, no network.
    """
    clients = {part: stubs.get(part, Stub("unused")) for part in ("classify", "urgency", "draft")}
    node = {s.name: s for s in pipeline(MODELS, clients=clients).steps}[name]
    return asyncio.run(node(case))


# ---------------------------------------------------------------- unit tests, one per step


def test_classify_reads_the_label():
    stub = Stub('{"label": "shipping", "confidence": 0.9}')
    assert run_step("classify", Case(text="Where is my parcel?"), classify=stub) == {
        "category": "shipping"
    }
    assert "Where is my parcel?" in stub.prompts[0] and "- billing:" in stub.prompts[0]


@pytest.mark.parametrize("category", sorted(KNOWLEDGE))
def test_retrieve_looks_up_team_and_guide(category):
    team, guide = KNOWLEDGE[category]
    assert run_step("retrieve", Case(text="x", category=category)) == {"team": team, "guide": guide}


def test_urgency_uses_the_retrieved_guide():
    stub = Stub(" high\n")
    team, guide = KNOWLEDGE["shipping"]
    case = Case(text="The box arrived broken.", category="shipping", team=team, guide=guide)
    assert run_step("urgency", case, urgency=stub) == {"urgency": "high"}
    assert guide["high"] in stub.prompts[0], "the prompt must carry the category's urgency cues"


def test_draft_refuses_a_reply_cut_off():
    """A reply cut at max_tokens reads fine up to where it stops: the step must not pass it on."""
    stub = Stub("Hello, I have asked the courier to", stop_reason="max_tokens")
    case = Case(text="Where is my parcel?", team="Logistics")
    with pytest.raises(OutputFormatError):
        run_step("draft", case, draft=stub)


def test_format_puts_the_answer_together():
    case = Case(text="x", team="Billing", urgency="high", reply="Hello.")
    assert run_step("format", case) == {"sla_hours": 1, "answer": "[Billing · 1 h] Hello."}


# ---------------------------------------------------------------- integration: golden tickets


@pytest.fixture(scope="module")
def golden_runs():
    """The pipeline under test on the first GOLDEN_N tickets, against a seeded simulator."""
    tickets = datasets.load("tickets")[:GOLDEN_N]
    with sim.Simulator(seed=0):  # starts it and points the clients at it
        results = asyncio.run(
            pipeline(MODELS).run_many([Case(text=t["text"]) for t in tickets], concurrency=8)
        )
    return [first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)]


@pytest.mark.parametrize("step", list(THRESHOLDS))
def test_golden_accuracy(golden_runs, step):
    order = ["classify", "retrieve", "urgency", "draft", "format"]
    reached = [w for w in golden_runs if w is None or order.index(w) >= order.index(step)]
    right = sum(w != step for w in reached) / len(reached)
    assert right >= THRESHOLDS[step], (
        f"{step}: {right:.0%} of the {len(reached)} golden tickets that reached it came out "
        f"right; the threshold is {THRESHOLDS[step]:.0%}"
    )
