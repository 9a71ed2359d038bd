"""Router: classify an input, then hand it to the handler for its class (chapter 03).

A cheap model labels the ticket; ``branch`` picks the handler for that label; every handler
writes the same fields (``urgency``, ``reply``, ``handler``), so callers see one output format
whichever route ran. A label with no route, or a confidence under ``threshold``, goes to the
``default`` route; without one the run aborts with ``UnknownStepError`` as its reason.

    >>> wf = router(haiku, {"billing": handler(haiku, "billing", BILLING_URGENCY)},
    ...             categories=CATEGORIES, default=escalate, threshold=0.5)
    >>> result = await wf.run(Ticket(text="I was charged twice"))
    >>> result.state.label, result.state.handler, result.state.urgency
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from orchestra.compose import branch
from orchestra.steps import Step, step
from orchestra.workflow import RunResult, Workflow

__all__ = [
    "Ticket",
    "LOW_CONFIDENCE",
    "classify_prompt",
    "urgency_prompt",
    "reply_for",
    "classifier",
    "handler",
    "escalate",
    "router",
    "triage_all",
]

LOW_CONFIDENCE = "low-confidence"
"""The route value of a ticket whose label confidence is under the threshold."""


class Ticket(BaseModel):
    """The router's state: the ticket, the classifier's verdict, and the one output format."""

    text: str
    label: str | None = None
    """The category the classifier chose."""
    confidence: float = 0.0
    """The classifier's confidence in ``label``, 0..1."""
    urgency: str | None = None
    """low, normal or high, set by the handler."""
    reply: str | None = None
    """What the customer is told, set by the handler."""
    handler: str | None = None
    """Which handler answered (``escalate`` for the default route)."""


def classify_prompt(text: str, categories: dict[str, str]) -> str:
    """The routing prompt: a ``Categories:`` block with a description per label, JSON back."""
    block = "\n".join(f"- {name}: {desc}" for name, desc in categories.items())
    return (
        "Classify the support ticket into one of the categories. Respond in JSON.\n"
        f"Categories:\n{block}\nTicket: {text}"
    )


def classifier(llm: Any, categories: dict[str, str]) -> Step:
    """A step that writes ``label`` and ``confidence``: ``classifier(haiku, {"billing": "refunds"})``."""

    @step(writes=("label", "confidence"))
    async def classify(t: Ticket) -> dict:
        data = json.loads((await llm.ask(classify_prompt(t.text, categories))).text)
        return {"label": data["label"], "confidence": float(data.get("confidence", 0.0))}

    return classify


def urgency_prompt(name: str, urgency: dict[str, str], text: str) -> str:
    """A handler's prompt: urgency labels with the cues that matter in its own domain."""
    block = "\n".join(f"- {label}: {cues}" for label, cues in urgency.items())
    return (
        f"Classify the urgency of this {name} support ticket into one of the labels.\n"
        f"Labels:\n{block}\nTicket: {text}"
    )


def reply_for(name: str, urgency: str) -> str:
    """The customer-facing reply, the same shape from every handler."""
    when = {"high": "within the hour", "low": "within a week"}.get(urgency, "within a day")
    return f"Thanks, the {name} team has your ticket and will answer {when}."


def handler(llm: Any, name: str, urgency: dict[str, str]) -> Step:
    """A specialised handler: urgency judged with its own cues, then a reply in the common format.

    >>> billing = handler(haiku, "billing", {"normal": "a usual request", "high": "charged twice"})
    """

    @step(name=name, writes=("urgency", "reply", "handler"))
    async def handle(t: Ticket) -> dict:
        level = (await llm.ask(urgency_prompt(name, urgency, t.text))).text.strip()
        return {"urgency": level, "handler": name, "reply": reply_for(name, level)}

    return handle


@step(writes=("urgency", "reply", "handler"))
async def escalate(t: Ticket) -> dict:
    """The default route: no model call, a person reads the ticket."""
    return {
        "urgency": "normal",
        "handler": "escalate",
        "reply": "Thanks, a member of our team will read your message and reply within a day.",
    }


def router(
    llm: Any,
    handlers: dict[str, Any],
    *,
    categories: dict[str, str],
    default: Any = None,
    threshold: float = 0.0,
    name: str = "router",
) -> Workflow:
    """Classify with ``llm``, then route by label to ``handlers`` (or ``default``).

    A ticket whose confidence is under ``threshold`` routes as ``LOW_CONFIDENCE`` (so, to the
    default, unless you give that value a handler of its own).

        >>> wf = router(haiku, {"billing": billing, "shipping": shipping},
        ...             categories=CATEGORIES, default=escalate, threshold=0.5)
    """

    def route(t: Ticket) -> str:
        return t.label if t.confidence >= threshold else LOW_CONFIDENCE

    return Workflow(
        name,
        state=Ticket,
        steps=[
            classifier(llm, categories),
            branch(route, handlers, default=default, name="route"),
        ],
    )


async def triage_all(
    wf: Workflow, texts: list[str], *, concurrency: int = 8, progress: bool = False
) -> list[RunResult]:
    """Run the router on many tickets, at most ``concurrency`` at once; results in input order.

    >>> results = await triage_all(wf, [t["text"] for t in tickets], progress=True)
    """
    states = [Ticket(text=t) for t in texts]
    return await wf.run_many(states, concurrency=concurrency, progress=progress)
