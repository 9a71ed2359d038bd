"""Correlated errors (``orchestra.sim.hardness``), through the official SDK: on a labelled set,
majority votes of a weak model gain less than independent samples would, because its mistakes
on a hard item repeat; a stronger model and more effort get more of the hard items right.
"""

from __future__ import annotations

import math
from collections import Counter

import anthropic

HAIKU4, OPUS4, HAIKU5 = "claude-haiku-4-5", "claude-opus-4-5", "claude-haiku-5-5"
TICKETS = {
    "billing": [
        "I was charged twice for my subscription this month",
        "My invoice shows the wrong amount",
        "Please refund the payment you took yesterday",
        "The price on my receipt is higher than the one I was quoted",
        "Why did my card get charged after I cancelled",
        "I need a copy of last month's invoice for my accountant",
        "The discount code was not applied to my bill",
        "You billed me for two seats but I only have one",
        "My payment failed but the money left my bank account",
        "I want to change the credit card you charge each month",
        "There is a fee on my statement I do not recognise",
        "Can I get a refund for the annual plan I bought by mistake",
        "The VAT on my invoice is wrong",
        "I was overcharged on the last payment",
        "My bill doubled without notice",
    ],
    "technical": [
        "The app crashes when I open the settings page",
        "I get an error 500 when I upload a file",
        "The sync between my phone and laptop stopped working",
        "The page loads forever and never shows my dashboard",
        "The export to CSV produces an empty file",
        "Notifications do not arrive on my Android phone",
        "The search returns no results even for exact names",
        "After the update the app freezes on startup",
        "The API returns a timeout error for every request",
        "Images fail to load in the editor",
        "The desktop client cannot connect to the server",
        "The button to save a draft does nothing",
        "The video call crashes after two minutes",
        "The integration with Slack shows a connection error",
        "Dark mode makes the text unreadable on the web app",
    ],
    "account": [
        "I forgot my password and the reset email never came",
        "How do I change the email address on my profile",
        "My account was locked after too many login attempts",
        "I want to delete my account and all my data",
        "Two-factor codes are not accepted when I sign in",
        "Please add a new user to our team account",
        "I cannot log in with my Google sign-in anymore",
        "How do I change my username",
        "Someone else may have access to my login",
        "I need to transfer account ownership to a colleague",
        "My profile shows the wrong company name",
        "I want to merge two accounts I created",
        "The login page says my username does not exist",
        "How do I turn off two-factor authentication",
        "I need to recover an account I closed last week",
    ],
}
LABELS = (
    "Labels:\n- billing: charges, invoices, refunds, payments, fees, cards, bills, prices\n"
    "- technical: errors, crashes, bugs, sync, loading, export, notifications, search, "
    "connection, buttons, calls\n- account: passwords, login, sign-in, profile, username, "
    "email address, two-factor, users, ownership\n"
)
EASY = "Classify the support ticket. Respond with only the label.\n"
HARD = "Classify the support ticket: weigh each label and compute which fits best. " + (
    "Respond with only the label.\n"
)  # "compute" makes it a hard task (think.difficulty 2), where effort matters most
ITEMS = [(ticket, label) for label, tickets in TICKETS.items() for ticket in tickets]


def samples(client, model: str, ask: str, items, n: int, **kw) -> list[list[str]]:
    """``n`` answers of ``model`` to each item: the same request sent ``n`` times."""
    out = []
    for ticket, _ in items:
        content = f"{ask}{LABELS}Ticket: {ticket}"
        got = []
        for _ in range(n):
            m = client.messages.create(
                model=model, messages=[{"role": "user", "content": content}], **kw
            )
            got.append(next(b.text for b in m.content if b.type == "text").strip())
        out.append(got)
    return out


def majority(answers: list[str]) -> str:
    return Counter(answers).most_common(1)[0][0]


def independent_vote(p: float, n: int) -> float:
    """Accuracy of a strict majority of ``n`` independent samples, each right with chance ``p``
    (a lower bound for a plurality over three labels)."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n // 2 + 1, n + 1))


def test_votes_of_a_weak_model_gain_less_than_independence_predicts(sim):
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    got = samples(client, HAIKU4, EASY, ITEMS, 7, max_tokens=50, temperature=1.0)
    truth = [label for _, label in ITEMS]
    single = sum(a == t for answers, t in zip(got, truth, strict=True) for a in answers) / (
        7 * len(ITEMS)
    )
    assert 0.55 < single < 0.85  # Haiku 4.5 at temperature 1: quality 0.8 * 0.9, over 45 items
    voted = {
        n: sum(majority(a[:n]) == t for a, t in zip(got, truth, strict=True)) / len(ITEMS)
        for n in (5, 7)
    }
    assert voted[5] < independent_vote(single, 5) - 0.05, (single, voted)
    assert voted[7] < independent_vote(single, 7) - 0.08, (single, voted)
    # The hard items: wrong in most of the weak model's samples, so no vote fixes them.
    hard = [
        i for i, (a, t) in enumerate(zip(got, truth, strict=True)) if sum(x != t for x in a) >= 4
    ]
    assert len(hard) >= 4
    strong = samples(
        client, OPUS4, EASY, [ITEMS[i] for i in hard], 7, max_tokens=50, temperature=1.0
    )
    weak_right = sum(x == truth[i] for i in hard for x in got[i])
    strong_right = sum(x == truth[i] for i, a in zip(hard, strong, strict=True) for x in a)
    assert strong_right > 1.5 * weak_right, (strong_right, weak_right)


def test_more_effort_gets_more_hard_items_right(sim):
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    truth = [label for _, label in ITEMS]
    low = samples(client, HAIKU5, HARD, ITEMS, 3, max_tokens=4000, output_config={"effort": "low"})
    hard = [
        i for i, (a, t) in enumerate(zip(low, truth, strict=True)) if sum(x != t for x in a) >= 2
    ]
    assert len(hard) >= 3
    most = samples(
        client,
        HAIKU5,
        HARD,
        [ITEMS[i] for i in hard],
        3,
        max_tokens=16000,
        output_config={"effort": "max"},
    )
    low_right = sum(x == truth[i] for i in hard for x in low[i])
    most_right = sum(x == truth[i] for i, a in zip(hard, most, strict=True) for x in a)
    assert most_right > low_right + len(hard), (most_right, low_right, len(hard))
