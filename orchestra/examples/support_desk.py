"""The support desk chapter 05 plans over: its tools, its requests, and how an answer is checked.

Six tools over a ticket, each saying what it needs and makes: four LLM calls (``classify``,
``summarize``, ``rate_urgency`` and ``reply``; the summary and the reply also follow the plan
step's instruction) and two pure functions (``lookup_policy``, a small policy book the model
has never seen, and ``review``), marked ``pure``: a failure of theirs is not worth a re-plan.
A request is a sentence of parts in order, ``request(4)`` the first four of ``PARTS``, and its
``goal`` the values it must end with. ``grade`` checks each value against the ticket's labels in ``datasets.load("tickets")``.

    >>> tools = support_tools(LLM("claude-haiku-5-5"))
    >>> text, goal = request(3)
    >>> await tools["classify"].run({"ticket": "I was charged twice"})
    'billing'
"""

from __future__ import annotations

from orchestra.patterns.plan import Tool

__all__ = ["CATEGORIES", "POLICIES", "PARTS", "request", "support_tools", "grade"]

CATEGORIES = ["billing", "technical", "account", "shipping", "other"]
URGENCIES = {  # the default first: a ticket with no cue of either kind is normal
    "normal": "the default: a usual request, question or problem that can wait a day",
    "high": "urgent, today, immediately, asap, charged twice, locked out, cannot, down, lost",
    "low": "no rush, whenever, suggestion, curious, minor, just wondering",
}

POLICIES = {  # the desk's own policy book; "other" has none on purpose: that step fails
    "billing": "Duplicate charges are refunded within 5 business days; invoices are re-sent on request.",
    "technical": "Collect the app version and the error text; known bugs get a workaround the same day.",
    "account": "Account changes need a confirmation sent to the address on file.",
    "shipping": "A parcel late by more than 3 days is traced with the courier; lost parcels are re-sent.",
}

PARTS = [  # (what the request says, the value it asks for), in the order a request lists them
    ("classify the ticket", "category"),
    ("look up the policy for its category", "policy"),
    ("summarize it for the team", "summary"),
    ("rate its urgency", "urgency"),
    ("write a reply to the customer", "reply"),
]


def request(k: int, extra: str | None = None) -> tuple[str, list[str]]:
    """The request with the first ``k`` parts (2..5), plus an ``extra`` part: (text, goal).

    >>> request(2)
    ('Classify the ticket, then look up the policy for its category.', ['category', 'policy'])
    """
    parts = [p for p, _ in PARTS[:k]] + ([extra] if extra else [])
    text = ", ".join(parts[:-1]) + ", then " + parts[-1] + "."
    return text[0].upper() + text[1:], [name for _, name in PARTS[:k]]


def support_tools(llm) -> dict[str, Tool]:
    """The desk's tools, the LLM ones calling ``llm``."""

    async def classify(x: dict) -> str:
        prompt = (
            f"Classify this support ticket into one of: {', '.join(CATEGORIES)}. "
            f"Respond with only the label.\nTicket: {x['ticket']}"
        )
        label = (await llm.ask(prompt)).text.strip().lower()
        if label not in CATEGORIES:
            raise ValueError(f"the label {label!r} is not one of {CATEGORIES}")
        return label

    def guided(x: dict) -> str:  # the plan step's instruction, when the executor passes it
        return f"The plan says: {x['instruction']}\n" if x.get("instruction") else ""

    async def summarize(x: dict) -> str:
        prompt = f"Summarize in one sentence.\n{guided(x)}Ticket: {x['ticket']}"
        return (await llm.ask(prompt)).text

    async def rate_urgency(x: dict) -> str:
        labels = "\n".join(f"- {name}: {cues}" for name, cues in URGENCIES.items())
        prompt = (
            f"Classify the urgency of this support ticket into one of the labels.\n"
            f"Labels:\n{labels}\nTicket: {x['ticket']}"
        )
        return (await llm.ask(prompt)).text.strip().lower()

    async def lookup_policy(x: dict) -> str:
        if x["category"] not in POLICIES:
            raise ValueError(f"the policy book has no entry for {x['category']!r}")
        return POLICIES[x["category"]]

    async def reply(x: dict) -> str:
        prompt = (
            f"Write a reply to this customer: {x['ticket']}\nFollow this policy: {x['policy']}\n"
            + guided(x)
        )
        return (await llm.ask(prompt)).text

    async def review(x: dict) -> str:
        return "checked"  # the executor has already checked every value the request asks for

    return {
        "classify": Tool(
            "Classify the ticket into one category", ("ticket",), "category", classify
        ),
        "summarize": Tool(
            "Summarize the ticket in one sentence",
            ("ticket",),
            "summary",
            summarize,
            takes_instruction=True,
        ),
        "rate_urgency": Tool(
            "Rate the urgency of the ticket: low, normal or high",
            ("ticket",),
            "urgency",
            rate_urgency,
        ),
        "lookup_policy": Tool(
            "Look up the policy for a category in the policy book",
            ("category",),
            "policy",
            lookup_policy,
            pure=True,
        ),
        "reply": Tool(
            "Write a reply to the customer that follows the policy",
            ("ticket", "policy"),
            "reply",
            reply,
            takes_instruction=True,
        ),
        "review": Tool(
            "Review the result and check that it answers the request",
            (),
            "review",
            review,
            pure=True,
        ),
    }


def grade(known: dict, goal: list[str], ticket: dict) -> dict[str, bool]:
    """Whether each asked-for value is right: labels against the dataset, the policy against the
    book, the summary and reply by their length (a value that is missing is wrong).

    >>> grade({"category": "billing"}, ["category"], {"category": "billing", "urgency": "high"})
    {'category': True}
    """
    checks = {
        "category": lambda v: v == ticket["category"],
        "urgency": lambda v: v == ticket["urgency"],
        "policy": lambda v: v == POLICIES.get(ticket["category"]),
        "summary": lambda v: 3 <= len(v.split()) <= 40,
        "reply": lambda v: len(v.split()) >= 12,
    }
    return {name: bool(known.get(name)) and checks[name](str(known[name])) for name in goal}
