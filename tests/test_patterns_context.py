"""Tests for orchestra.patterns.context: a token budget on carried notes, folded by an LLM step."""

import asyncio

import pytest
from pydantic import BaseModel

from orchestra import LLM, Workflow, step
from orchestra.errors import ConfigError, OutputFormatError
from orchestra.patterns.context import (
    SUMMARY,
    Digest,
    compactor,
    fit,
    render,
    summarize,
    summary_prompt,
)
from orchestra.prices import HAIKU
from orchestra.tokens import count_tokens

NOTES = [
    "Ticket: I was charged twice for my March invoice and my card is now over its limit.",
    "Category: billing",
    "Urgency: high",
    "Summary: The customer was charged twice for the March invoice and wants a refund today.",
    "Plan: Check the duplicate charge, refund it, and confirm with the customer by email.",
    "Reply: Hello, I am sorry about the double charge. We have refunded it today.",
]


def test_notes_under_budget_are_kept_as_they_are_and_no_call_is_made(sim):
    notes, digest = asyncio.run(fit(LLM(), NOTES, budget_tokens=10_000))
    assert notes == NOTES and digest is None
    assert len(sim.log) == 0


def test_over_budget_the_oldest_notes_fold_into_one_summary(sim):
    budget = count_tokens(render(NOTES), model=HAIKU) - 1  # counted as the model bills them
    notes, digest = asyncio.run(fit(LLM(), NOTES, budget_tokens=budget, keep_last=2))
    assert isinstance(digest, Digest) and digest.replaced == len(NOTES) - 2
    assert notes[0].startswith(SUMMARY) and notes[1:] == NOTES[-2:]  # the last two verbatim
    assert digest.tokens_after < digest.tokens_before
    assert digest.tokens_before == count_tokens(render(NOTES[:-2]), model=HAIKU)
    assert digest.tokens_before > count_tokens(render(NOTES[:-2]))  # 1.3x the 4.5 count
    assert len(digest.summary.split()) <= 60
    assert len(sim.log) == 1  # one summarisation call


def test_the_summary_contract_rejects_an_answer_over_the_word_limit():
    class Wordy:  # a stand-in client whose answer breaks the contract
        model = "wordy"

        async def ask(self, prompt, **kwargs):
            return type("R", (), {"text": "word " * 50})()

    with pytest.raises(OutputFormatError, match="50 words, over 10"):
        asyncio.run(summarize(Wordy(), NOTES, max_words=10))


def test_bad_settings_raise_a_named_error(sim):
    with pytest.raises(ConfigError, match="budget_tokens >= 1"):
        asyncio.run(fit(LLM(), NOTES, budget_tokens=0))
    assert "at most 40 words" in summary_prompt(["a"], 40)


class Carry(BaseModel):
    text: str
    notes: list[str] = []


def test_compactor_as_a_step_bounds_the_notes_a_workflow_carries(sim):
    def note(i):
        @step(name=f"note{i}", writes="notes")
        async def add(s: Carry) -> dict:
            return {"notes": [*s.notes, NOTES[i]]}

        return add

    llm, budget = LLM(), 130  # Haiku 5.5 tokens: about 100 of the 4.5 tokenizer
    steps = []
    for i in range(len(NOTES)):
        steps += [note(i), compactor(llm, budget_tokens=budget, keep_last=2)]
    result = asyncio.run(Workflow("carry", state=Carry, steps=steps).run(Carry(text="t")))
    assert result.status == "completed", result.reason
    folds = [s for s in result.trace.steps() if s.name == "compact" and s.input_tokens]
    assert folds, "the notes crossed the budget, so some compact step must have summarised"
    assert result.state.notes[0].startswith(SUMMARY) and result.state.notes[-2:] == NOTES[-2:]
    assert count_tokens(render(result.state.notes)) < count_tokens(render(NOTES))
