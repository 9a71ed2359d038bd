"""Questions over tagged documents: the simulator answers from the right one and cites its id.

The end-to-end test is chapter 11's generate step as a probe: the 24 golden questions of
``capstone_golden``, each with the top 3 help-centre passages by BM25, asked through the
official SDK of each model. A reply is right when its answer states the golden fact and its
sources name the golden article.
"""

from __future__ import annotations

import json
import random
import re
import time

import anthropic
import pytest
from rank_bm25 import BM25Okapi
from sim_requests import request

from orchestra import datasets
from orchestra.sim.brain import answer
from orchestra.sim.documents import find, unmark
from orchestra.sim.models import MODELS
from orchestra.sim.shape import prose_keys
from orchestra.sim.words import CITES

MODELS_BY_QUALITY = ["claude-haiku-4-5", "claude-sonnet-5-5", "claude-opus-5-5"]
SAMPLING = {"claude-haiku-4-5": {"temperature": 0}}  # the 5.x models take no temperature


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def generate_prompt(question: str, passages: list[dict]) -> str:
    block = "\n".join(
        f'<passage id="{p["id"]}">\n{p["title"]}: {p["text"]}\n</passage>' for p in passages
    )
    return (
        "Answer the customer's question using only the passages below. Reply with JSON only, "
        'in this form:\n{"answer": "<at most two sentences>", "sources": ["<id of a passage '
        'you used>"]}\n\n'
        f"<passages>\n{block}\n</passages>\n\nQuestion: {question}"
    )


@pytest.fixture(scope="module")
def golden_runs(_server):
    """Per model: (golden row, ids of the passages given, parsed reply or None) for each question."""
    _server.use()
    kb, gold = datasets.load("helpcenter"), datasets.load("capstone_golden")
    bm25 = BM25Okapi([tokens(d["title"] + " " + d["text"]) for d in kb])
    client = anthropic.Anthropic(base_url=_server.url, api_key="k", max_retries=0)
    runs = {}
    for model in MODELS_BY_QUALITY:
        rows = []
        for g in gold:
            scores = bm25.get_scores(tokens(g["question"]))
            passages = [kb[i] for i in sorted(range(len(kb)), key=lambda i: -scores[i])[:3]]
            reply = client.messages.create(
                model=model,
                max_tokens=2000,  # thinking counts in it
                **SAMPLING.get(model, {}),
                messages=[{"role": "user", "content": generate_prompt(g["question"], passages)}],
            )
            try:
                data = json.loads(next(b.text for b in reply.content if b.type == "text"))
            except ValueError:
                data = None
            rows.append((g, [p["id"] for p in passages], data))
        runs[model] = rows
    client.close()
    return runs


def right(g: dict, data: dict | None) -> bool:
    return (
        bool(data)
        and g["fact"].lower() in data["answer"].lower()
        and g["article"] in data["sources"]
    )


def test_golden_replies_are_json_citing_only_the_passages_given(golden_runs):
    for model, rows in golden_runs.items():
        for g, given, data in rows:
            assert isinstance(data, dict) and set(data) == {"answer", "sources"}, (model, g["id"])
            assert data["sources"] and set(data["sources"]) <= set(given), (model, g["id"], data)
            assert "<" not in data["answer"] and "passage" not in data["answer"], data


def test_golden_questions_right_more_often_with_a_stronger_model(golden_runs):
    n = {m: sum(right(g, d) for g, _, d in rows) for m, rows in golden_runs.items()}
    haiku, sonnet, opus = (n[m] for m in MODELS_BY_QUALITY)
    assert sonnet >= 18 and opus >= 18, n
    assert haiku < opus and haiku < sonnet, n


# ---------------------------------------------------------------- reading and the pieces


def test_documents_in_three_forms_keep_their_ids_and_lose_their_markup():
    text = (
        '<passages><passage id="KB-1">Refunds: Refunds reach the card in 5 days.</passage>'
        "</passages>\n<doc id=7>The office moves to Lyon in May.</doc>\n<documents>"
        '<document index="2"><source>memo.txt</source><document_content>Lunch is served '
        'at noon.</document_content></document></documents>\n<a href="x">a link, not a doc</a>'
    )
    docs = find(text)
    assert [(d.id, d.title) for d in docs] == [("KB-1", "Refunds"), ("7", ""), ("memo.txt", "")]
    assert docs[0].text == "Refunds reach the card in 5 days." and docs[2].attrs == {"index": "2"}
    plain = unmark(text, docs)
    assert "<passage" not in plain and "<source>" not in plain and "<documents>" not in plain
    assert "Lunch is served at noon." in plain and "Lyon" in plain


def test_keys_described_in_prose_become_the_reply_keys():
    assert prose_keys(
        'Reply in JSON with two keys: "answer" (one sentence) and "sources" (ids you used).'
    ) == {"answer": "", "sources": []}
    assert prose_keys("Return a JSON object with fields answer and sources.") == {
        "answer": "",
        "sources": [],
    }
    assert prose_keys("Extract the following fields as JSON: name, email, date") is None


def test_a_question_no_document_answers_cites_nothing():
    text = generate_prompt(
        "Who won the chess olympiad in 1998?",
        [{"id": "KB-X", "title": "Refunds", "text": "Refunds reach your card within 5 days."}],
    )
    for model in MODELS_BY_QUALITY:
        a = answer(request(text), MODELS[model].quality, random.Random(0))
        data = json.loads(a.text)
        assert "don't know" in data["answer"] and data["sources"] == [], data


def test_reading_stays_linear_on_text_full_of_unclosed_tags():
    text = "A line <br> with <img src=x> and <at most two sentences> in it. " * 3000  # ~190 KB
    started = time.perf_counter()
    assert find(text) == []
    assert time.perf_counter() - started < 2.0  # a backtracking regex took 37 s here


def test_only_keys_about_documents_ask_for_their_ids():
    asks = ["sources", "citations", "ids", "document_indices", "doc_ids", "passage_id"]
    assert all(CITES.search(k) for k in asks)
    assert not any(CITES.search(k) for k in ["order_id", "customer_id", "answer", "evidence"])


# An output tool (LangChain's `with_structured_output`, Pydantic AI's default output, LlamaIndex's
# selectors): tool_choice forces the tool, and its fields hold the answer to the prompt's task.
# Before, the task was read from the words alone ("summarize" for a selector that mentions a
# summary) and a `sources` list was filled with key terms of the question.
def test_an_output_tool_over_documents_answers_and_cites_like_the_json_form():
    from orchestra.examples import capstone as cap

    gold = cap.golden()[0]
    passages = cap.retrieve(gold["question"], gold["category"])
    tool = {"name": "final_result", "input_schema": cap.Answer.model_json_schema()}
    req = request(
        cap.generate_prompt(gold["question"], passages),
        tools=[tool],
        tool_choice={"type": "tool", "name": "final_result"},
    )
    got = answer(req, 1.0, random.Random(0))
    assert got.tool_name == "final_result"
    checked = cap.validate(json.dumps(got.tool_input), passages)  # raises if ungrounded
    assert cap.correct({"category": gold["category"], "answer": checked}, gold)


SELECTION = {
    "name": "MultiSelection",
    "description": "A list of single selections.",
    "input_schema": {
        "type": "object",
        "properties": {
            "selections": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"index": {"type": "integer"}, "reason": {"type": "string"}},
                    "required": ["index", "reason"],
                },
            }
        },
        "required": ["selections"],
    },
}


@pytest.mark.parametrize(
    "question, best",
    [
        ("When will my delivery arrive?", 2),
        ("How do I reset my password?", 3),
        ("My parcel has not arrived, where is it?", 2),  # no word shared: by topic
    ],
)
def test_an_output_tool_over_numbered_choices_picks_by_the_question(question, best):
    prompt = (  # LlamaIndex's multi-select prompt, as its LLMMultiSelector sends it
        "Some choices are given below. It is provided in a numbered list (1 to 3), where each "
        "item in the list corresponds to a summary.\n---------------------\n(1) Useful for "
        "questions about billing and refunds\n\n(2) Useful for questions about shipping and "
        "delivery\n\n(3) Useful for questions about passwords and sign-in\n"
        "---------------------\nUsing only the choices above and not prior knowledge, return "
        "the top choices (no more than 2, but only select what is needed) that are most "
        f"relevant to the question: '{question}'\n"
    )
    req = request(prompt, tools=[SELECTION], tool_choice={"type": "tool", "name": "MultiSelection"})
    picked = answer(req, 1.0, random.Random(0)).tool_input["selections"]
    assert picked[0]["index"] == best and str(best) in picked[0]["reason"]
