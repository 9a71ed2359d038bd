"""A 5-step support pipeline that chapter 10 debugs, monitors and tests.

    classify -> retrieve -> urgency -> draft -> format

``classify`` asks a model for the ticket's category; ``retrieve`` looks up that category's
team and urgency guide in a small knowledge base (no model); ``urgency`` asks a model to judge
urgency with that guide; ``draft`` asks a model for the customer reply; ``format`` puts the
final answer together (no model). Each step writes its own fields of ``Case``, so the trace
says which step wrote what. ``golden(ticket)`` is what each step *should* write for a ticket of
``orchestra/data/tickets.jsonl``, from the ticket's true labels; ``first_wrong`` walks a run's
trace and names the first step whose output disagrees with it.

The chapter imports this module, and so does the test file it runs with pytest
(``orchestra/examples/test_support.py``), so both build the same pipeline.

    >>> wf = pipeline(Models(urgency="claude-haiku-5-5"))
    >>> result = await wf.run(Case(text=ticket["text"]))
    >>> first_wrong(result.trace, golden(ticket))      # "urgency", or None when all agree
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from orchestra import LLM, Trace, Workflow, step
from orchestra.errors import OutputFormatError
from orchestra.patterns.router import classify_prompt

CATEGORIES = {
    "billing": "charges, refunds, invoices, pay, payments, card, discount, subscription plan, price, VAT",
    "technical": "errors, bugs, crashes, outage, webhook, slow or broken app, API, sync, update, notifications, screen, colours",
    "account": "password, profile, username, sign in, sign up, two-factor, admin, ownership, delete my account or data",
    "shipping": "delivery, package, parcel, tracking, courier, order arrived damaged or wrong item, customs",
    "other": "anything else",
}
KNOWLEDGE = {  # category -> (team, urgency guide): what ``retrieve`` looks up
    "billing": (
        "Billing",
        {
            "normal": "a usual request",
            "high": "charged twice, declined, dispute, not approve, urgent, asap, immediately, today, locked out",
            "low": "curious, suggestion, minor, no rush, whenever",
        },
    ),
    "technical": (
        "Engineering",
        {
            "normal": "a usual request",
            "high": "outage, down, crash, blocked, critical, production, losing, immediately",
            "low": "minor, idea, someday, not a big deal, small",
        },
    ),
    "account": (
        "Accounts",
        {
            "normal": "a usual request",
            "high": "hacked, lock it, blocked, nobody can access, now",
            "low": "not urgent at all, curious, someday",
        },
    ),
    "shipping": (
        "Logistics",
        {
            "normal": "a usual request",
            "high": "damaged, broken, urgent, tomorrow, event, runs out",
            "low": "future order, minor, someday",
        },
    ),
    "other": (
        "Front desk",
        {"normal": "a usual request", "high": "urgent, immediately, asap", "low": "no rush"},
    ),
}
SLA_HOURS = {"high": 1, "normal": 24, "low": 168}
"""How soon the team answers, by urgency."""
STEPS = ("classify", "retrieve", "urgency", "draft", "format")
SIGN_OFF = "Best regards, the support team"
VAGUE = "We will look into it."
"""What a reply says when it promises nothing concrete (the simulator's weaker models do)."""


class Case(BaseModel):
    """The pipeline's state: the ticket, then what each step adds."""

    text: str
    category: str | None = None
    """classify: one of CATEGORIES."""
    team: str | None = None
    """retrieve: who answers this category."""
    guide: dict[str, str] | None = None
    """retrieve: the category's urgency guide (label -> cues)."""
    urgency: str | None = None
    """urgency: high, normal or low."""
    reply: str | None = None
    """draft: what the customer is told."""
    sla_hours: int | None = None
    """format: how soon the team answers (SLA_HOURS[urgency])."""
    answer: str | None = None
    """format: the final output, e.g. ``[Billing · 1 h] Hello, ...``."""


LABEL_MAX_TOKENS = 1024
"""``max_tokens`` of the two labelling calls: the label is a few tokens, but today's models think
first and the thinking counts in ``max_tokens``."""


@dataclass(frozen=True)
class Models:
    """Which model each LLM step uses, the draft's budget, and the switches a change might flip."""

    classify: str = "claude-sonnet-5-5"
    urgency: str = "claude-sonnet-5-5"
    draft: str = "claude-sonnet-5-5"
    draft_max_tokens: int = 220
    """The draft call's ``max_tokens``: the reply *and* the thinking before it. The shipped value
    has room for a reply and a little thinking (chapter 10's incident: when the model thinks
    longer, the reply is cut short or never starts)."""
    draft_effort: str | None = None
    """The draft call's effort (None: the model's default, ``high`` on Sonnet 5.5)."""
    guide: bool = True
    """Give the urgency step the retrieved guide (False: bare labels, a shortened prompt)."""
    check_cut: bool = False
    """Refuse a reply the model cut off at ``max_tokens`` (``OutputFormatError``)."""


def urgency_prompt(text: str, guide: dict[str, str] | None) -> str:
    """The urgency step's prompt: the labels, each with the guide's cues when given."""
    guide = guide or {"normal": "", "high": "", "low": ""}
    block = "\n".join(
        f"- {label}: {cues}" if cues else f"- {label}" for label, cues in guide.items()
    )
    return (
        "Classify the urgency of this support ticket into one of the labels.\n"
        f"Labels:\n{block}\nTicket: {text}"
    )


def draft_prompt(text: str, team: str) -> str:
    """The draft step's prompt: a reply that says what happens next, with a fixed sign-off."""
    return (
        f"Write a short reply to this customer for the {team} team. Say what happens next "
        f"and end with: {SIGN_OFF}.\nTicket: {text}"
    )


def retrieve(category: str | None) -> dict:
    """The knowledge base entry for a category (unknown: ``other``): team and urgency guide."""
    team, guide = KNOWLEDGE.get(category or "", KNOWLEDGE["other"])
    return {"team": team, "guide": guide}


def format_answer(team: str, urgency: str | None, reply: str) -> dict:
    """The final output: the answer time for the urgency (unknown: 24 h) and one line."""
    hours = SLA_HOURS.get(urgency or "", SLA_HOURS["normal"])
    return {"sla_hours": hours, "answer": f"[{team} · {hours} h] {reply}"}


def pipeline(
    models: Models = Models(),
    *,
    clients: dict[str, Any] | None = None,
    max_retries: int = 2,
    name: str = "support",
    backend: str = "sim",
) -> Workflow:
    """The five steps as a workflow; ``max_retries`` is the SDK's, per call; ``backend`` is the
    clients' (``"anthropic"``: real Claude).

    ``clients`` replaces the model of an LLM step by anything with an ``ask`` method (a unit
    test's stub): ``pipeline(clients={"draft": stub})``.

    >>> wf = pipeline(Models(urgency="claude-haiku-5-5"), max_retries=0)
    """
    llm = {
        part: (clients or {}).get(part)
        or LLM(getattr(models, part), max_retries=max_retries, backend=backend)
        for part in ("classify", "urgency", "draft")
    }

    @step(name="classify", writes=("category",))
    async def classify_step(case: Case) -> dict:
        prompt = classify_prompt(case.text, CATEGORIES)
        reply = await llm["classify"].ask(prompt, max_tokens=LABEL_MAX_TOKENS)
        return {"category": json.loads(reply.text)["label"]}

    @step(name="retrieve", writes=("team", "guide"))
    async def retrieve_step(case: Case) -> dict:
        return retrieve(case.category)

    @step(name="urgency", writes=("urgency",))
    async def urgency_step(case: Case) -> dict:
        prompt = urgency_prompt(case.text, case.guide if models.guide else None)
        reply = await llm["urgency"].ask(prompt, max_tokens=LABEL_MAX_TOKENS)
        return {"urgency": reply.text.strip()}

    @step(name="draft", writes=("reply",))
    async def draft_step(case: Case) -> dict:
        reply = await llm["draft"].ask(
            draft_prompt(case.text, case.team),
            max_tokens=models.draft_max_tokens,
            effort=models.draft_effort,
        )
        if models.check_cut and reply.stop_reason == "max_tokens":
            raise OutputFormatError("the reply was cut off at max_tokens", model=reply.model)
        return {"reply": reply.text.strip()}

    @step(name="format", writes=("sla_hours", "answer"))
    async def format_step(case: Case) -> dict:
        return format_answer(case.team, case.urgency, case.reply)

    steps = [classify_step, retrieve_step, urgency_step, draft_step, format_step]
    return Workflow(name, state=Case, steps=steps)


def golden(ticket: dict) -> dict[str, Any]:
    """What the steps should write for ``ticket`` (a tickets.jsonl record), from its true labels.

    The reply is free text, so its golden value is a rule (``reply_ok``), not a string.
    """
    team, guide = KNOWLEDGE[ticket["category"]]
    hours = SLA_HOURS[ticket["urgency"]]
    return {
        "category": ticket["category"],
        "team": team,
        "guide": guide,
        "urgency": ticket["urgency"],
        "sla_hours": hours,
    }


def reply_ok(reply: str | None) -> bool:
    """A reply is right when it is whole (ends with the sign-off) and promises a next step."""
    return bool(reply) and reply.rstrip(". ").endswith(SIGN_OFF) and VAGUE not in reply


def wrong(fields: dict, gold: dict) -> list[str]:
    """The fields of ``fields`` that disagree with ``gold`` (the reply by ``reply_ok``)."""
    bad = [f for f, value in fields.items() if f in gold and value != gold[f]]
    if "reply" in fields and not reply_ok(fields["reply"]):
        bad.append("reply")
    if "answer" in fields and not (fields["answer"] or "").startswith(
        f"[{gold['team']} · {gold['sla_hours']} h]"
    ):
        bad.append("answer")
    return bad


def first_wrong(trace: Trace, gold: dict) -> str | None:
    """The first step, in run order, whose output disagrees with ``gold``; None if none does.

    A step that failed (an error, no output) counts as wrong: it is where the run went off.
    """
    for span in trace.steps():
        if span.status in ("error", "aborted"):
            return span.name
        written = span.output if isinstance(span.output, dict) else {}
        if wrong(written, gold):
            return span.name
    return None
