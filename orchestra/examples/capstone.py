"""Chapter 11's capstone: one support-answer pipeline, built once here and then in six other systems.

    classify -> retrieve -> generate -> validate -> format

``classify`` asks a model for the question's category; ``retrieve`` ranks the help-centre
articles of that category with BM25 (no model); ``generate`` asks a model for a JSON answer that
cites the articles it used; ``validate`` checks that JSON against ``Answer`` and checks that it
is grounded (it cites only articles it was given, and its words come from them); ``format``
writes the reply the customer reads (no model). A validation failure sends the run back to
``generate`` (at most ``max_regenerations`` times); every step logs one line.

Everything but the model calls is a plain function of this module, so each system in the
chapter (LCEL, LangGraph, LlamaIndex Workflows, Temporal, CrewAI, AutoGen) calls the same
prompts, retrieval, checks and scoring, and differs only in how it wires them:

    >>> q = golden()[0]
    >>> passages = retrieve(q["question"], "billing")
    >>> answer = validate(reply_text, passages)        # raises UngroundedAnswerError, OutputFormatError
    >>> correct({"category": "billing", "answer": answer}, q)

``pipeline(llm)`` is the orchestra version: ``await pipeline(llm).run(Case(question=...))``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestra import Workflow, datasets, loop, step
from orchestra.errors import ConfigError, OutputFormatError, UngroundedAnswerError

__all__ = [
    "CATEGORIES",
    "STEPS",
    "Answer",
    "Case",
    "Passage",
    "articles",
    "classify_prompt",
    "correct",
    "format_reply",
    "generate_prompt",
    "golden",
    "parse_category",
    "pipeline",
    "retrieve",
    "validate",
]

log = logging.getLogger("orchestra.capstone")

CATEGORIES = {
    "billing": "refunds, charges, invoices, plans, prices, discounts",
    "shipping": "delivery, tracking, parcels, damaged or wrong items, customs",
    "account": "passwords, sign-in, two-factor, deleting an account, ownership",
    "technical": "crashes, webhooks, the API, sync, notifications",
}
STEPS = ("classify", "retrieve", "generate", "validate", "format")
MAX_TOKENS = {"classify": 1024, "generate": 2048}
"""The output budget of each LLM step, the same in every system: thinking counts in it, so it
leaves room for the model to think before a one-word label."""
GROUNDED = 0.6
"""The share of an answer's content words that must appear in the articles it cites."""


@dataclass(frozen=True)
class Passage:
    """One help-centre article."""

    id: str
    category: str
    title: str
    text: str


class Answer(BaseModel):
    """What ``generate`` must return: the answer and the ids of the articles it used."""

    answer: str
    sources: list[str]


class Case(BaseModel):
    """The orchestra version's state: the question, then what each step adds."""

    question: str
    category: str | None = None
    """classify: one of CATEGORIES."""
    passages: list[dict] = []
    """retrieve: the top articles of that category, as dicts (state is JSON)."""
    draft: str | None = None
    """generate: the model's raw reply."""
    answer: Answer | None = None
    """validate: the checked answer (None when refused)."""
    problem: str | None = None
    """validate: why the last draft was refused."""
    reply: str | None = None
    """format: what the customer reads."""


@cache
def articles() -> tuple[Passage, ...]:
    """The 20 help-centre articles (``orchestra/data/helpcenter.jsonl``)."""
    return tuple(Passage(**row) for row in datasets.load("helpcenter"))


def golden(n: int | None = None) -> list[dict]:
    """The golden questions (``capstone_golden.jsonl``): the first ``n``, or all 24."""
    rows = datasets.load("capstone_golden")
    return rows if n is None else rows[:n]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@cache
def _index(category: str) -> tuple[Any, tuple[Passage, ...]]:
    from rank_bm25 import BM25Okapi  # only the capstone needs it

    pool = tuple(p for p in articles() if p.category == category)
    return BM25Okapi([_words(f"{p.title} {p.text}") for p in pool]), pool


def retrieve(question: str, category: str, k: int = 3) -> list[Passage]:
    """The ``k`` articles of ``category`` that BM25 ranks highest for ``question``."""
    if category not in CATEGORIES:
        raise ConfigError(f"no category {category!r}; there are {list(CATEGORIES)}")
    bm25, pool = _index(category)
    scores = bm25.get_scores(_words(question))
    order = sorted(range(len(pool)), key=lambda i: (-scores[i], pool[i].id))
    return [pool[i] for i in order[:k]]


def classify_prompt(question: str) -> str:
    """The classify step's prompt: the categories, each with what it covers; the label back."""
    block = "\n".join(f"- {name}: {what}" for name, what in CATEGORIES.items())
    return (
        "Classify the customer's question into one of the categories. "
        f"Respond with only the category.\nCategories:\n{block}\nQuestion: {question}"
    )


def parse_category(text: str) -> str:
    """The category a classify reply names; ``OutputFormatError`` when it names none or two."""
    named = {c for c in CATEGORIES if re.search(rf"\b{c}\b", text.lower())}
    if len(named) != 1:
        raise OutputFormatError(f"expected one of {list(CATEGORIES)}, got {text[:60]!r}")
    return named.pop()


def generate_prompt(question: str, passages: list[Passage]) -> str:
    """The generate step's prompt: the articles in tags, the question, a JSON form to fill."""
    block = "\n".join(f'<passage id="{p.id}">\n{p.title}: {p.text}\n</passage>' for p in passages)
    return (
        "Answer the customer's question using only the passages below. Reply with JSON only, "
        'in this form:\n{"answer": "<at most two sentences>", "sources": ["<id of a passage you '
        f'used>"]}}\n\n<passages>\n{block}\n</passages>\n\nQuestion: {question}'
    )


def validate(text: str, passages: list[Passage]) -> Answer:
    """The checked answer: valid JSON of ``Answer`` (else ``OutputFormatError``), citing only
    the passages given and drawing at least ``GROUNDED`` of its words from them (else
    ``UngroundedAnswerError``)."""
    try:
        answer = Answer.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as e:
        raise OutputFormatError(f"the answer is not the JSON asked for: {text[:80]!r}") from e
    given = {p.id: p for p in passages}
    unknown = [s for s in answer.sources if s not in given]
    if not answer.sources or unknown:
        raise UngroundedAnswerError(
            f"cites {unknown or 'nothing'}; the passages given were {list(given)}"
        )
    cited = set(_words(" ".join(f"{given[s].title} {given[s].text}" for s in answer.sources)))
    words = [w for w in _words(answer.answer) if len(w) > 3]
    share = sum(w in cited for w in words) / len(words) if words else 0.0
    if share < GROUNDED:
        raise UngroundedAnswerError(
            f"only {share:.0%} of the answer's words are in the passages it cites"
        )
    return answer


def format_reply(category: str, answer: Answer, passages: list[Passage]) -> str:
    """What the customer reads: the answer, then the titles of the articles it cites."""
    titles = {p.id: p.title for p in passages}
    cites = ", ".join(f"{s} ({titles[s]})" for s in answer.sources if s in titles)
    return f"[{category}] {answer.answer}\nSources: {cites}"


def correct(result: dict, gold: dict) -> bool:
    """Right when the category is right, the answer states the golden fact, and it cites the
    golden article. ``result``: ``{"category": ..., "answer": Answer or None}``."""
    answer = result.get("answer")
    if isinstance(answer, dict):
        answer = Answer.model_validate(answer)
    return (
        result.get("category") == gold["category"]
        and answer is not None
        and gold["fact"].lower() in answer.answer.lower()
        and gold["article"] in answer.sources
    )


def pipeline(llm: Any, *, max_regenerations: int = 1, name: str = "capstone") -> Workflow:
    """The orchestra version: five steps over ``Case``; ``llm`` is an ``LLM`` (or a stub with
    ``ask``). A failed validation re-runs ``generate`` at most ``max_regenerations`` times."""

    @step(name="classify", writes=("category",))
    async def classify_step(case: Case) -> dict:
        reply = await llm.ask(classify_prompt(case.question), max_tokens=MAX_TOKENS["classify"])
        category = parse_category(reply.text)
        log.info("classify: %s", category)
        return {"category": category}

    @step(name="retrieve", writes=("passages",))
    async def retrieve_step(case: Case) -> dict:
        found = retrieve(case.question, case.category)
        log.info("retrieve: %s", [p.id for p in found])
        return {"passages": [p.__dict__ for p in found]}

    @step(name="generate", writes=("draft",))
    async def generate_step(case: Case) -> dict:
        passages = [Passage(**p) for p in case.passages]
        reply = await llm.ask(
            generate_prompt(case.question, passages), max_tokens=MAX_TOKENS["generate"]
        )
        log.info("generate: %d characters", len(reply.text))
        return {"draft": reply.text}

    @step(name="validate", writes=("answer", "problem"))
    async def validate_step(case: Case) -> dict:
        try:
            answer = validate(case.draft, [Passage(**p) for p in case.passages])
        except (OutputFormatError, UngroundedAnswerError) as e:
            log.info("validate: refused: %s", e)
            return {"answer": None, "problem": str(e)}
        log.info("validate: ok, cites %s", answer.sources)
        return {"answer": answer, "problem": None}

    @step(name="format", writes=("reply",))
    async def format_step(case: Case) -> dict:
        reply = format_reply(case.category, case.answer, [Passage(**p) for p in case.passages])
        log.info("format: %d characters", len(reply))
        return {"reply": reply}

    answer = loop(
        generate_step,
        validate_step,
        until=lambda case: case.answer is not None,
        max_iterations=max_regenerations + 1,
        name="answer",
    )
    return Workflow(name, state=Case, steps=[classify_step, retrieve_step, answer, format_step])
