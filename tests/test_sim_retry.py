"""A refused answer asked for again: the simulator answers the original task, not the refusal.

Two ways programs ask again, both seen in chapter 11: a turn after the refused draft ("Your
answer was refused: <why>. Answer again, as asked.", AutoGen's and Pydantic AI's way), and a
block inside the task's own prompt (CrewAI's guardrail: "Previous attempt failed validation:
<why> ... Previous result: <draft> ... Try again"). Before, both read the refusal as the task:
the reply was about the words "answer" and "refused" and cited ids made of them.
"""

from __future__ import annotations

import json
import random

import pytest
from sim_requests import request

from orchestra.examples import capstone as cap
from orchestra.sim import read
from orchestra.sim.brain import answer

QUESTION = "I returned my order last week and the refund was approved. When will I see the money?"
PASSAGES = cap.retrieve(QUESTION, "billing")
TASK = cap.generate_prompt(QUESTION, PASSAGES)
DRAFT = '{"answer": "Invoices are PDF files.", "sources": ["KB-B3"]}'
REFUSED = "Your answer was refused: only 20% of the answer's words are in the passages it cites."


def turns(*texts: str) -> list[dict]:
    """user, assistant, user, ... from the texts in order."""
    return [{"role": ("user", "assistant")[i % 2], "content": t} for i, t in enumerate(texts)]


def crewai_task(why: str, draft: str) -> str:
    """The prompt CrewAI 1.x sends when a task's guardrail refused the last result (its
    ``validation_error`` text, captured from chapter 11's run)."""
    return (
        f"\nCurrent Task: {TASK}\n\nThis is the expected criteria for your final answer: JSON "
        'only: {"answer": "...", "sources": ["..."]}\nyou MUST return the actual complete '
        "content as the final answer, not a summary.\n\nThis is the context you're working "
        f"with:\n### Previous attempt failed validation: {why}\n\n\n### Previous result:\n"
        f"{draft}\n\n\nTry again, making sure to address the validation error.\n\n"
        "Provide your complete response:"
    )


def on_topic(text: str) -> dict:
    """The reply as the capstone's validator reads it: valid, grounded, citing given passages."""
    return cap.validate(text, PASSAGES).model_dump()


def test_a_retry_turn_answers_the_original_question():
    a = answer(
        request(turns(TASK, DRAFT, f"{REFUSED} Answer again, as asked.")), 1.0, random.Random(0)
    )
    got = on_topic(a.text)
    assert "5 to 7 business days" in got["answer"] and got["sources"] == ["KB-B1"]
    assert "refused" not in a.text.lower()


def test_a_second_retry_still_answers_the_first_request():
    again = f"{REFUSED} Answer again, as asked."
    msgs = turns(TASK, DRAFT, again, DRAFT, again)
    assert (
        "5 to 7 business days"
        in on_topic(answer(request(msgs), 1.0, random.Random(0)).text)["answer"]
    )


def test_crewais_retry_block_is_feedback_not_material():
    a = answer(request(crewai_task(REFUSED.split(": ", 1)[1], DRAFT)), 1.0, random.Random(0))
    got = on_topic(a.text)
    assert "5 to 7 business days" in got["answer"] and got["sources"] == ["KB-B1"]


def test_the_refusal_and_the_draft_are_read_as_feedback_and_previous_draft():
    p = read.read(request(turns(TASK, DRAFT, f"{REFUSED} Answer again, as asked.")))
    assert p.user == TASK and p.history == [] and p.said == []
    assert p.sections["feedback"].startswith("Your answer was refused")
    assert p.sections["previous draft"] == DRAFT
    q = read.read(request(crewai_task("cites nothing", DRAFT)))
    assert "Previous attempt" not in q.user and "Try again" not in q.user
    assert q.sections["feedback"] == "cites nothing" and q.sections["previous draft"] == DRAFT
    assert q.handed == ""  # the refused result is not handed over to work on


@pytest.mark.parametrize(
    "turn",
    [
        "Thanks. Now answer this one: when does the library close?",
        "Summarize it again for a child:\n\nThe library opened in 1921.\n\nIt closes on Mondays.",
    ],
)
def test_a_new_request_is_not_a_retry(turn):
    p = read.read(request(turns(TASK, DRAFT, turn)))
    assert p.user == turn and "feedback" not in p.sections


def test_weak_models_err_in_content_on_a_retry_not_in_form():
    msgs = turns(TASK, DRAFT, f"{REFUSED} Answer again, as asked.")
    for seed in range(20):
        reply = json.loads(answer(request(msgs), 0.3, random.Random(seed)).text)
        assert set(reply) == {"answer", "sources"}
        assert set(reply["sources"]) <= {p.id for p in PASSAGES}, reply
