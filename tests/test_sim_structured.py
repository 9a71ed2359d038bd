"""Structured output and forced output tools: the fields hold the answer to the prompt's task.

LangChain's `with_structured_output`, Pydantic AI's default output and `output_config.format`
all hand the model a schema to fill. Before, an output tool's prose fields were filled like a
tool call's arguments: key points were three key terms, a list of people held the first person
only, and an invoice's `total` was a rubric grade (0.0).
"""

from __future__ import annotations

import json
import random
from typing import Literal

import pytest
from pydantic import BaseModel, Field
from sim_requests import request

from orchestra.sim.brain import answer

ARTICLE = (
    "The city council approved a new bike lane network on Tuesday. The plan adds 40 km of "
    "protected lanes over three years. It will cost 12 million euros, funded mostly by a "
    "national grant. Shop owners on Main Street worry about losing parking. Construction starts "
    "in March on the river route."
)


class Summary(BaseModel):
    """A summary of the article."""

    title: str
    summary: str
    key_points: list[str]


class Person(BaseModel):
    name: str
    age: int | None
    email: str | None


class People(BaseModel):
    """Everyone mentioned."""

    people: list[Person]


class Invoice(BaseModel):
    """An invoice's fields."""

    invoice_number: str
    vendor: str
    total: float
    due_date: str


def filled(prompt: str, model: type[BaseModel], how: str) -> BaseModel:
    """The model's fields as the simulator fills them: by a forced tool or structured output."""
    schema = model.model_json_schema()
    if how == "structured output":
        got = answer(request(prompt, json_schema=schema), 1.0, random.Random(0)).text
        return model.model_validate_json(got)
    tool = {"name": model.__name__, "description": model.__doc__ or "", "input_schema": schema}
    choice = {"type": "tool", "name": model.__name__}
    got = answer(request(prompt, tools=[tool], tool_choice=choice), 1.0, random.Random(0))
    return model.model_validate(got.tool_input)


HOW = ["forced tool", "structured output"]


@pytest.mark.parametrize("how", HOW)
def test_key_points_are_the_articles_points_not_key_terms(how):
    got = filled(f"Summarize this article.\n\n{ARTICLE}", Summary, how)
    assert len(got.key_points) >= 2
    assert all(p in ARTICLE and len(p.split()) >= 5 for p in got.key_points), got.key_points
    assert got.summary and got.title


@pytest.mark.parametrize("how", HOW)
def test_a_list_of_records_has_one_per_person_with_their_own_fields(how):
    text = (
        "Extract everyone mentioned: Maria Lopez (34, maria@example.com) met Tom Baker, who is "
        "51. Tom has no email."
    )
    got = filled(text, People, how).model_dump()["people"]
    assert got == [
        {"name": "Maria Lopez", "age": 34, "email": "maria@example.com"},
        {"name": "Tom Baker", "age": 51, "email": None},
    ]


@pytest.mark.parametrize("how", HOW)
def test_a_labelled_amount_is_read_where_it_is_labelled(how):
    text = (
        "Extract the invoice fields.\n\nINVOICE INV-3391 from Acme Supplies Ltd. 3 x Widget at "
        "$4.50, 2 x Gadget at $12.00. Total: $37.50. Due: March 31, 2025."
    )
    got = filled(text, Invoice, how)
    assert (got.invoice_number, got.total, got.due_date) == ("INV-3391", 37.5, "2025-03-31")
    assert got.vendor.startswith("Acme Supplies")


def test_a_rubric_grades_feedback_list_is_still_the_rubrics():
    class Grade(BaseModel):
        total: float
        feedback: list[str]

    prompt = (
        "Score the text against this rubric:\n- Mentions the price\n- At most 20 words\n"
        "Text: A fast blender for smoothies and soups, with a glass jug and six speeds."
    )
    tool = {"name": "Grade", "input_schema": Grade.model_json_schema()}
    got = answer(
        request(prompt, tools=[tool], tool_choice={"type": "tool", "name": "Grade"}),
        1.0,
        random.Random(0),
    ).tool_input
    assert any("price" in f.lower() for f in got["feedback"]), json.dumps(got)


class LineItem(BaseModel):
    description: str
    quantity: int
    unit_price: float
    line_total: float | None = None


class Order(BaseModel):
    """An order's lines."""

    items: list[LineItem]


ORDER = "We bought 3 x Widget at $4.50, 2 x Gadget at $12.00 and 4 units of Steel Bolt for $1.20."


@pytest.mark.parametrize("how", HOW)
def test_line_items_are_one_record_each_with_their_own_numbers(how):
    got = filled(f"Extract the order's lines.\n\n{ORDER}", Order, how).model_dump()["items"]
    assert got == [
        {"description": "Widget", "quantity": 3, "unit_price": 4.5, "line_total": 13.5},
        {"description": "Gadget", "quantity": 2, "unit_price": 12.0, "line_total": 24.0},
        {"description": "Steel Bolt", "quantity": 4, "unit_price": 1.2, "line_total": 4.8},
    ]


def test_a_weak_model_misses_lines_but_keeps_each_lines_numbers():
    schema = Order.model_json_schema()
    counts = []
    for seed in range(30):
        text = answer(
            request(f"Extract the order's lines.\n\n{ORDER}", json_schema=schema),
            0.3,
            random.Random(seed),
        ).text
        lines = Order.model_validate_json(text).items
        counts.append(len(lines))
        assert all(x.line_total == round(x.quantity * x.unit_price, 2) for x in lines)
    assert set(counts) == {2, 3}  # some runs lose a line, none invents one


class Sentiment(BaseModel):
    sentiment: str
    reasons: list[str]


@pytest.mark.parametrize("how", HOW)
def test_a_quoted_review_at_the_end_is_the_material_and_the_reasons_come_from_it(how):
    review = "The blender is loud and it broke after a week. Terrible."
    got = filled(f"What is the sentiment of this review? '{review}'", Sentiment, how)
    assert got.reasons and all(r in review for r in got.reasons), got.reasons


class Route(BaseModel):
    destination: Literal["math", "history", "coding"]
    next_inputs: str


class Entities(BaseModel):
    people: list[str]
    organizations: list[str]
    locations: list[str]


class Questions(BaseModel):
    questions: list[str] = Field(description="3 questions a reader might ask")


class Decision(BaseModel):
    approve: bool
    reason: str


@pytest.mark.parametrize("how", HOW)
def test_a_router_names_the_expert_by_topic_and_passes_the_request_on(how):
    request_ = "How do I reverse a list in Python?"
    got = filled(f"Route the user's request to the right expert.\nRequest: {request_}", Route, how)
    assert got.destination == "coding" and request_ in got.next_inputs


@pytest.mark.parametrize("how", HOW)
def test_entity_lists_hold_names_not_key_terms(how):
    text = "Angela Merkel met Satya Nadella of Microsoft in Berlin on Monday, then flew to Paris."
    got = filled(f"Extract entities. Text: {text}", Entities, how)
    assert got.people == ["Angela Merkel", "Satya Nadella"]
    assert got.organizations == ["Microsoft"] and got.locations == ["Berlin", "Paris"]


@pytest.mark.parametrize("how", HOW)
def test_questions_on_a_text_are_questions_about_it_as_many_as_asked(how):
    text = "The Aurora Library opened in 1921 on the north bank of the river. It holds 2.4 million books."
    got = filled(f"Generate questions about this text: {text}", Questions, how).questions
    assert len(got) == 3 and all(q.endswith("?") for q in got), got


@pytest.mark.parametrize("how", HOW)
def test_one_reason_is_a_string_as_the_schema_says(how):
    prompt = "Should we approve this refund? The item arrived broken. Policy: refund broken items."
    got = filled(prompt, Decision, how)  # validation fails on a list
    assert isinstance(got.reason, str) and got.reason


def text_reply(prompt: str, quality: float = 1.0, seed: int = 0) -> str:
    return answer(request(prompt), quality, random.Random(seed)).text


def test_a_rewrite_works_on_the_given_text_in_the_asked_tone():
    email = "Send me the report now. You are late again."
    polite = text_reply(f"Rewrite this email to be more polite: '{email}'")
    assert polite.startswith("Could you please send me the report")
    assert "now" not in polite and "again" not in polite and "Thank you." in polite
    formal = text_reply("Rewrite this in a formal tone: 'I can't come today, it's raining!'")
    assert "cannot" in formal and "it is" in formal and "!" not in formal
    weak = {
        text_reply(f"Rewrite this email to be more polite: '{email}'", 0.2, s) for s in range(12)
    }
    assert any("You are late" in w for w in weak)  # a weaker model leaves a sentence as it was


@pytest.mark.parametrize(
    "prompt, check",
    [
        (
            "Return the tags for this post as a JSON list of strings: 'Just finished my first "
            "marathon in Berlin, 4 hours of pain and joy!'",
            lambda got: "marathon" in got and "berlin" in got,
        ),
        (
            "Give me the names of everyone mentioned as a JSON list: Maria Lopez met Tom Baker "
            "in Leeds.",
            lambda got: got == ["Maria Lopez", "Tom Baker"],
        ),
        (
            "Suggest three questions a reader might ask about this text, as a JSON array of "
            "strings: The Aurora Library opened in 1921. It holds 2.4 million books.",
            lambda got: len(got) == 3 and all(q.endswith("?") for q in got),
        ),
    ],
)
def test_a_json_list_asked_for_is_a_bare_array_of_what_was_named(prompt, check):
    got = json.loads(text_reply(prompt))
    assert isinstance(got, list) and all(isinstance(x, str) for x in got), got
    assert check(got), got


def test_a_label_then_an_explanation_when_both_are_asked_for():
    review = "The hotel room was clean but the staff were rude and the breakfast was cold."
    got = text_reply(
        f"Classify the sentiment as positive or negative, then explain in one sentence.\n"
        f"Review: {review}"
    )
    label, why = got.split("\n", 1)
    assert label == "negative" and "rude" in why and why.count(".") == 1
    only = text_reply(f"Classify the sentiment as positive or negative.\nReview: {review}")
    assert only == "negative"  # no explanation unless asked
