"""Tests for orchestra.sim.brain: each task computes a real answer, and the quality dial hurts."""

import json
import random
import re
from typing import Literal

from pydantic import BaseModel
from sim_requests import request

from orchestra.sim.brain import answer, detect_task
from orchestra.sim.words import stem

LABELS = """Labels:
- billing: charges, refunds, invoices, payment, card, subscription price
- technical: crash, error, bug, login failure, slow, broken feature
- account: password, email change, profile, username, delete account
- other: anything else"""

TICKETS = [  # (ticket, the label a person would pick)
    ("I was charged twice for my subscription this month.", "billing"),
    ("Please refund the last payment, I cancelled before renewal.", "billing"),
    ("Where can I download last year's invoices?", "billing"),
    ("My card was declined but the money left my bank.", "billing"),
    ("The price went up without any notice, why am I paying more?", "billing"),
    ("The app crashes every time I open the settings page.", "technical"),
    ("I get an error 500 when uploading a file.", "technical"),
    ("Login fails with a spinning wheel forever.", "technical"),
    ("The export feature is broken since the last update.", "technical"),
    ("Everything is very slow today, pages take a minute to load.", "technical"),
    ("There is a bug: the save button does nothing.", "technical"),
    ("I forgot my password and the reset link expired.", "account"),
    ("How do I change the email address on my profile?", "account"),
    ("Please delete my account and all my data.", "account"),
    ("I want to change my username to something shorter.", "account"),
    ("Can I update the profile picture on my account?", "account"),
    ("Do you have an office in Lisbon?", "other"),
    ("What are your opening hours on holidays?", "other"),
    ("Just wanted to say thanks, great team!", "other"),
    ("My refund for the duplicate charge has not arrived.", "billing"),
]


def ask(text, *, system=None, quality=1.0, seed=0, tools=None, tool_choice=None):
    req = request(text, system=system, tools=tools, tool_choice=tool_choice)
    return answer(req, quality, random.Random(seed))


def classify_prompt(ticket):
    return f"Classify the support ticket.\n{LABELS}\n\nTicket: {ticket}"


def accuracy(quality, seeds):
    right = sum(
        ask(classify_prompt(t), quality=quality, seed=s).text == label
        for s in seeds
        for t, label in TICKETS
    )
    return right / (len(TICKETS) * len(seeds))


# ---------------------------------------------------------------- detection and determinism


def test_detect_task_reads_the_first_instruction():
    assert detect_task("Summarize this in 2 sentences: ...") == "summarize"
    assert detect_task("Plan the steps to write a blog post") == "plan"
    assert detect_task("Score the following text against this rubric:") == "score"
    assert detect_task("Context: a.\nQuestion: b?") == "grounded"
    assert detect_task("How are you?") == "generic"


def test_stem_meets_word_forms():
    assert stem("charges") == stem("charged") == stem("charge")
    assert stem("shipping") == stem("ship")


def test_same_seed_same_answer_and_seeds_differ_at_low_quality():
    prompt = (
        "Write a product description for a lamp. It must mention: brightness, price and warranty."
    )
    runs = [ask(prompt, quality=0.6, seed=s).text for s in range(10)]
    assert runs == [ask(prompt, quality=0.6, seed=s).text for s in range(10)]
    assert len(set(runs)) > 1


# ---------------------------------------------------------------- classify


def test_classification_is_accurate_at_full_quality():
    assert accuracy(1.0, [0]) >= 0.85


def test_classification_gets_worse_at_low_quality():
    high, low = accuracy(1.0, range(10)), accuracy(0.5, range(10))
    assert low < high - 0.25


def test_classify_inline_labels_and_json_confidence():
    a = ask(
        "Classify into one of: billing, technical, account. Respond in JSON.\n"
        "Ticket: my invoice shows a charge I do not recognise, please refund it"
    )
    data = json.loads(a.text)
    assert a.is_json and data["label"] == "billing" and 0 < data["confidence"] <= 1


def test_classify_from_the_system_prompt():
    system = f"You triage tickets. Classify each ticket.\n{LABELS}"
    a = answer(request("The app shows an error and crashes.", system), 1.0, random.Random(0))
    assert (a.task, a.text) == ("classify", "technical")


# ---------------------------------------------------------------- summarize

ARTICLE = (
    "The city council met on Monday evening. The council approved a new budget for parks. "
    "The parks budget pays for new benches, trees and park lighting. "
    "A resident asked about parking near the library. The meeting ended at nine."
)


def test_summary_picks_sentences_from_the_text_and_respects_n():
    for n in (1, 2, 3):
        text = ask(f"Summarize the following in {n} sentences:\n{ARTICLE}").text
        picked = re.split(r"(?<=\.)\s+", text)
        assert len(picked) == n and all(s in ARTICLE for s in picked)
    assert "budget" in ask(f"TL;DR:\n{ARTICLE}").text  # the central topic wins


def test_summary_respects_a_word_limit():
    text = ask(f"Summarize in at most 12 words.\nText: {ARTICLE}").text
    assert len(text.split()) <= 12


# ---------------------------------------------------------------- extract

EMAIL = (
    "Hi, I'm Ada Lovelace from Acme Corp. Reach me at ada@acme.io or +1 (555) 123-4567. "
    "The invoice of $1,299.00 is due March 3, 2025."
)


def test_extraction_finds_emails_dates_and_amounts():
    a = ask(
        f"Extract the following fields as JSON: name, email, phone, company, date, amount, fax\n\n{EMAIL}"
    )
    data = json.loads(a.text)
    assert a.is_json and data["email"] == "ada@acme.io" and data["date"] == "2025-03-03"
    assert data["amount"] == "$1,299.00" and data["name"] == "Ada Lovelace"
    assert data["company"].startswith("Acme") and data["phone"] == "+1 (555) 123-4567"
    assert data["fax"] is None  # missing -> null


def test_extraction_reads_key_value_lines_and_degrades_with_quality():
    text = "Extract fields: order id, date\nText:\nOrder ID: A-17\nDate: 2024-12-01"
    assert json.loads(ask(text).text) == {"order_id": "A-17", "date": "2024-12-01"}
    wrong = sum(
        json.loads(ask(text, quality=0.3, seed=s).text)["date"] != "2024-12-01" for s in range(30)
    )
    assert wrong >= 10


class Facts(BaseModel):
    name: str | None = None
    order_number: str | None = None
    address: str | None = None


def facts(message: str, quality: float = 1.0, seed: int = 0) -> dict:
    """Chapter 06's extraction call: the facts of one message, by JSON schema (an optional
    field the message does not give may be left out, as null)."""
    req = request(
        f"Extract the name, order number and address from this message: {message}",
        json_schema=Facts.model_json_schema(),
    )
    return Facts.model_validate_json(answer(req, quality, random.Random(seed)).text).model_dump()


def test_an_order_number_is_kept_as_written_and_an_address_is_found_whole():
    got = facts("Hi, my name is Priya and I run a small bakery. My order number is A-1042.")
    assert got == {"name": "Priya", "order_number": "A-1042", "address": None}
    assert facts("The shop is at 12 Mill Lane, Leeds.") == {
        "name": None,  # a street is not a person
        "order_number": None,
        "address": "12 Mill Lane, Leeds",
    }
    assert facts("Send it to 221B Baker Street, London NW1 6XE, ref #55810")["address"] == (
        "221B Baker Street, London NW1 6XE"
    )
    assert facts("Invoice INV-2024-07 is wrong; order #55810")["order_number"] == "INV-2024-07"
    assert facts("Can you ship it to my home address instead?")["address"] is None


def test_a_weak_extractor_misses_or_confuses_facts_but_never_invents_a_format():
    message = "My order number is A-1042, not B-77. Ship to 12 Mill Lane, Leeds."
    got = [facts(message, 0.3, seed) for seed in range(30)]
    assert {g["order_number"] for g in got} <= {"A-1042", "B-77", None}
    assert sum(g["order_number"] != "A-1042" for g in got) >= 5  # quality 0.3 errs, in content
    assert {g["address"] for g in got} <= {"12 Mill Lane, Leeds", None}


# ---------------------------------------------------------------- score

RUBRIC = """Score the following text against this rubric:
1. Mentions the price
2. Mentions the warranty
3. At most 20 words
4. Friendly tone
"""


def test_rubric_flags_a_missing_mention_and_a_length_violation():
    text = (
        "Meet the AquaPro bottle. It keeps drinks cold for a full day and comes with a "
        "two-year warranty, which is great news for hikers and commuters alike."
    )
    data = json.loads(ask(RUBRIC + "\nText: " + text).text)
    assert (
        data["scores"]["Mentions the price"] == 0 and data["scores"]["Mentions the warranty"] == 1
    )
    assert data["scores"]["At most 20 words"] < 0.7
    assert "Mention the price" in data["feedback"]
    assert any("at most 20 words" in f for f in data["feedback"])
    assert 0 <= data["total"] <= 1


def test_rubric_gives_full_marks_when_everything_is_met():
    text = "You'll love the AquaPro bottle! Only $49 with a two-year warranty. Enjoy!"
    data = json.loads(ask(RUBRIC + "\nText: " + text).text)
    assert data["total"] == 1 and data["feedback"] == []


# ---------------------------------------------------------------- write -> score -> rewrite

BRIEF = (
    "Write a product description for the AquaPro bottle in at most 40 words. "
    "It must mention: the price ($49), a 2-year warranty, free shipping, and recycled steel."
)
CRITERIA = (
    "1. Mentions the price\n2. Mentions the warranty\n3. Mentions free shipping\n"
    "4. Mentions recycled steel\n5. At most 40 words\n"
)


def loop(seed, iterations=3, quality=0.8):
    """Write, grade, and rewrite with the feedback; returns the total after each iteration."""
    rng, draft, feedback, totals = random.Random(seed), "", [], []
    for _ in range(iterations):
        prompt = BRIEF
        if draft:
            prompt += (
                "\nFeedback:\n"
                + "\n".join(f"- {f}" for f in feedback)
                + f"\nPrevious draft: {draft}"
            )
        draft = answer(request(prompt), quality, rng).text
        graded = answer(
            request(f"Score the text against this rubric:\n{CRITERIA}\nText: {draft}"), 1.0, rng
        )
        data = json.loads(graded.text)
        feedback = data["feedback"]
        totals.append(data["total"])
    return totals


def test_feedback_loop_raises_the_mean_score():
    runs = [loop(seed) for seed in range(30)]
    means = [sum(r[i] for r in runs) / len(runs) for i in range(3)]
    assert means[0] < means[1] <= means[2] and means[2] - means[0] > 0.1


# ---------------------------------------------------------------- plan and grounded


def test_plan_has_one_step_per_sub_goal_and_a_review():
    a = ask(
        "Plan the steps to launch a newsletter: pick a platform, write the first issue "
        "and invite 20 friends."
    )
    steps = a.text.splitlines()
    assert a.task == "plan" and len(steps) == 4
    assert steps[0] == "1. Pick a platform" and "Review" in steps[-1]
    data = json.loads(ask("Break this task into steps: book flights. Respond in JSON.").text)
    assert len(data["steps"]) >= 2


def test_a_plan_as_step_objects_picks_a_listed_tool_per_step_or_names_a_missing_one():
    class PlanStep(BaseModel):
        tool: str
        instruction: str
        id: int

    class Plan(BaseModel):
        steps: list[PlanStep]

    prompt = (
        "Plan the steps for this request. Each step uses one of these tools:\n"
        "- fetch: Download the page at a web address\n"
        "- summarize: Summarize a text in one sentence\n"
        "- review: Review the result\n"
        "Task: Download the page, summarize it, then translate the summary into French."
    )
    schema = {"name": "plan", "input_schema": Plan.model_json_schema()}
    a = ask(prompt, tools=[schema], tool_choice={"type": "tool", "name": "plan"})
    steps = Plan.model_validate(a.tool_input).steps
    assert [s.tool for s in steps] == ["fetch", "summarize", "translate", "review"]
    assert steps[1].instruction == "Summarize it" and [s.id for s in steps] == [1, 2, 3, 4]
    # a weaker model sometimes picks the runner-up tool for a step
    picks = [
        [
            s["tool"]
            for s in ask(
                prompt,
                tools=[schema],
                tool_choice={"type": "tool", "name": "plan"},
                quality=0.5,
                seed=seed,
            ).tool_input["steps"]
        ]
        for seed in range(20)
    ]
    assert any(p != ["fetch", "summarize", "translate", "review"] for p in picks)


CONTEXT = (
    "Context: Refunds are accepted within 30 days of delivery. Shipping is free on orders "
    "over $50. Our support team answers email within one business day.\n"
)


def test_grounded_answers_from_the_context_or_says_it_does_not_know():
    assert (
        ask(CONTEXT + "Question: How many days do I have to ask for a refund?").text
        == "Refunds are accepted within 30 days of delivery."
    )
    assert ask(CONTEXT + "Question: Who won the 1998 World Cup?").text.startswith("I don't know")


# ---------------------------------------------------------------- generic and multi-turn


def test_generic_reply_names_the_key_terms_and_reads_earlier_turns():
    text = ask("Can you explain async Python event loops?").text
    assert "async" in text and "python" in text.lower() and 2 <= text.count(".") <= 4
    turns = [
        {"role": "user", "content": "Hi, my name is Maria."},
        {"role": "assistant", "content": "Hello Maria."},
        {"role": "user", "content": "What is my name?"},
    ]
    assert "Maria" in answer(request(turns), 1.0, random.Random(0)).text


# ---------------------------------------------------------------- tools


class Triage(BaseModel):
    """A triaged ticket."""

    label: Literal["billing", "technical", "account"]
    confidence: float
    customer_email: str | None = None
    summary: str


JSON_TYPES = {"string": str, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def test_forced_tool_answers_fit_the_schema():
    schema = Triage.model_json_schema()
    tool = {"name": "answer", "description": Triage.__doc__, "input_schema": schema}
    a = ask(
        classify_prompt("I was charged twice for one invoice, email me at bob@example.com"),
        tools=[tool],
        tool_choice={"type": "tool", "name": "answer"},
    )
    assert a.text is None and a.tool_name == "answer"
    assert set(schema["required"]) <= set(a.tool_input)
    for name, prop in schema["properties"].items():
        if "type" in prop:
            assert isinstance(a.tool_input[name], JSON_TYPES[prop["type"]])
    triage = Triage.model_validate(a.tool_input)
    assert triage.label == "billing" and triage.customer_email == "bob@example.com"


def test_tool_choice_any_and_auto_pick_the_matching_tool():
    weather = {
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
    calc = {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression",
        "input_schema": {"type": "object", "properties": {"expression": {"type": "string"}}},
    }
    a = ask(
        "What's the weather in Paris today?", tools=[calc, weather], tool_choice={"type": "any"}
    )
    assert (a.tool_name, a.tool_input) == ("get_weather", {"city": "Paris"})
    a = ask(
        "What is 12 * (3 + 4)? Use the calculator.",
        tools=[weather, calc],
        tool_choice={"type": "auto"},
    )
    assert a.tool_input == {"expression": "12 * (3 + 4)"}
    assert ask("Tell me a joke about cats", tools=[weather, calc]).tool_name is None


def test_reply_acknowledges_the_topic_and_apologises_for_complaints():
    from orchestra.sim.brain import answer as brain_answer

    def reply(text, quality=1.0, seed=0):
        req = request(f"Write a polite reply to this customer.\nTicket: {text}")
        return brain_answer(req, quality, random.Random(seed))

    charged = reply("I was charged twice for my invoice.")
    assert charged.task == "reply" and "sorry" in charged.text and "refund" in charged.text
    parcel = reply("Where is my parcel? The delivery tracking has not moved.")
    assert "courier" in parcel.text and "sorry" not in parcel.text
    vague = [
        reply("I was charged twice for my invoice.", quality=0.3, seed=s).text for s in range(40)
    ]
    assert 10 < sum("We will look into it." in v for v in vague) < 40  # weak models get vague
