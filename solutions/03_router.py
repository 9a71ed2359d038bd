# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: orchestra,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (orchestra)
#     language: python
#     name: orchestra
#   orchestra:
#     test_parameters:
#       model: claude-sonnet-4-5
#       seed: 1
#       threshold: 0.5
# ---

# %% [markdown]
# # Exercises 03 · Router
#
# Three tasks: build a route table with a confidence threshold, fix a router that aborts on a
# label it does not know, and answer an interview question. Each task ends with a cell tagged
# `check`. `make grade` (or `make grade NB=exercises/03_router.ipynb`) runs the notebook in a
# fresh kernel and reports every check; save the notebook first. Everything runs offline.

# %% tags=["parameters"]
model = "claude-haiku-4-5"
seed = 0
time_scale = 0.0
threshold = 0.6

# %%
import nbformat

from orchestra import LLM, Workflow, branch, datasets, sim
from orchestra.errors import UnknownStepError
from orchestra.patterns.router import (
    LOW_CONFIDENCE,
    Ticket,
    classifier,
    escalate,
    handler,
    router,
    triage_all,
)

simulator = sim.start(seed=seed, time_scale=time_scale)
tickets = datasets.load("tickets")
CATEGORIES = {
    "billing": "charges, refunds, invoices, pay, payments, card, discount, subscription plan, price, VAT",
    "technical": "errors, bugs, crashes, outage, webhook, slow or broken app, API, sync, update, notifications",
    "account": "password, profile, username, sign in, sign up, two-factor, admin, ownership, delete my account",
    "shipping": "delivery, package, parcel, tracking, courier, order arrived damaged or wrong item, customs",
    "other": "anything else",
}
URGENCY = {
    "normal": "a usual request",
    "high": "urgent, asap, immediately, critical, outage, blocked, hacked, damaged",
    "low": "minor, curious, no rush, someday, suggestion, idea",
}
llm = LLM(model)
print(len(tickets), "tickets")

# %% [markdown]
# ## Task 1 · The route table and the confidence threshold
#
# Build the router by hand from the engine's pieces: `classifier(llm, CATEGORIES)` writes `label`
# and `confidence`; `branch(route, ROUTES, default=escalate)` picks a route.
#
# - `ROUTES`: one handler per category that has a team (billing, technical, account, shipping),
#   each `handler(llm, name, URGENCY)`; no route for `other`.
# - `route(t)`: the ticket's label, or `LOW_CONFIDENCE` when `t.confidence` is under `threshold`.

# %%
### BEGIN SOLUTION
ROUTES = {
    name: handler(llm, name, URGENCY) for name in ("billing", "technical", "account", "shipping")
}


def route(t: Ticket) -> str:
    return t.label if t.confidence >= threshold else LOW_CONFIDENCE


### END SOLUTION
### BEGIN STUB
# ROUTES = {}   # TODO: category -> handler
#
# def route(t: Ticket) -> str:
#     # TODO: the label, or LOW_CONFIDENCE under the threshold
#     raise NotImplementedError
### END STUB

triage = Workflow(
    "triage",
    state=Ticket,
    steps=[classifier(llm, CATEGORIES), branch(route, ROUTES, default=escalate)],
)

# %% tags=["check"]
# check 1: the route table sends each ticket to its team, unsure ones to the default
assert sorted(ROUTES) == ["account", "billing", "shipping", "technical"]
assert route(Ticket(text="-", label="billing", confidence=threshold)) == "billing"
assert route(Ticket(text="-", label="billing", confidence=threshold - 0.01)) == LOW_CONFIDENCE
results = await triage_all(triage, [t["text"] for t in tickets])
for t, r in zip(tickets, results, strict=True):
    assert r.status == "completed", r.reason
    s = r.state
    expected = s.label if s.confidence >= threshold and s.label in ROUTES else "escalate"
    assert s.handler == expected, (t["id"], s.label, s.confidence, s.handler)
handled = sum(r.state.handler != "escalate" for r in results)
assert handled >= len(tickets) // 2, "most tickets should reach a team"
print(f"check 1 passed: {handled} of {len(tickets)} tickets reached a team")


# %% [markdown]
# ## Task 2 · Fix the planted bug: a router without a default
#
# `planted_router` was written for the four teams only. Tickets the classifier labels `other`
# (or anything else unexpected) have no route, and each such run **aborts** with
# `UnknownStepError` as its reason. Fix it so those tickets are handled by `escalate` (a person),
# and tickets under the confidence `threshold` too.


# %%
def planted_router() -> Workflow:
    teams = {
        name: handler(llm, name, URGENCY)
        for name in ("billing", "technical", "account", "shipping")
    }
    ### BEGIN SOLUTION
    return router(llm, teams, categories=CATEGORIES, default=escalate, threshold=threshold)
    ### END SOLUTION
    ### BEGIN STUB
    # return router(llm, teams, categories=CATEGORIES)
    ### END STUB


# %% tags=["check"]
# check 2: unknown labels and low confidence reach the default route instead of aborting
wf = planted_router()
results = await triage_all(wf, [t["text"] for t in tickets])
assert all(r.status == "completed" for r in results), [
    r.reason for r in results if r.status != "completed"
][:1]
others = [r for r in results if r.state.label == "other"]
assert others and all(r.state.handler == "escalate" for r in others)
unsure = [r for r in results if r.state.confidence < threshold]
assert unsure and all(r.state.handler == "escalate" for r in unsure)
print(f"check 2 passed: {len(others)} 'other' and {len(unsure)} low-confidence tickets escalated")

# %% [markdown]
# ## Task 3 · Interview question
#
# *"Your support router uses a cheap model. Product asks for Opus everywhere 'to be safe'. How do
# you decide, and what do you do about tickets the router is unsure of?"* Answer below in a few
# sentences: what you measure, the cost side, and the default route.

# %% [markdown] tags=["answer-03"] stub="_Your answer here._"
# Measure before deciding: run both models as the router over labelled tickets and compare
# **accuracy** (a confusion matrix shows which classes are confused) against **cost** and latency
# per ticket. Routing is one call on every ticket, so Opus multiplies the bill by about 5 and adds
# a second of latency to every request. Price a misroute (a ticket bounced between teams) and
# pick the cheapest model whose error rate is acceptable. Improve label descriptions first (free),
# then add a confidence **threshold**: tickets under it, and labels with no route, go to an
# explicit **default** route: a person, or a cascade to Opus for just those few tickets. Monitor
# how often the default fires: a growing share means a missing class.

# %% tags=["check"]
# check 3: the interview answer is written and names the key ideas
book = nbformat.read("03_router.ipynb", as_version=4)
answer = next(c.source for c in book.cells if "answer-03" in c.metadata.get("tags", []))
words = answer.lower()
assert len(answer.split()) >= 60, "write a few sentences (60 words or more)"
missing = [k for k in ("accuracy", "cost", "default", "threshold") if k not in words]
assert not missing, f"the answer does not mention: {missing}"
print("check 3 passed")

# %%
await llm.aclose()
simulator.stop()
