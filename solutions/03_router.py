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
#       model: claude-sonnet-5-5
#       seed: 1
#       threshold: 0.55
# ---

# %% [markdown]
# # Exercises 03 · Router
#
# Four interview-style tasks: build a route table with a confidence threshold, fix a router
# that aborts on a label it does not know, choose the threshold from measured misroutes, and
# answer a design question. Each coding task ends with a cell tagged `check`; read its message
# when it fails. `make grade` (or `make grade NB=exercises/03_router.ipynb`) runs the notebook
# in a fresh kernel and reports every check; save the notebook first. Everything runs offline.

# %% tags=["parameters"]
backend = "sim"  # "anthropic": Claude grades your interview answer (needs ANTHROPIC_API_KEY)
model = "claude-haiku-5-5"
seed = 0
time_scale = 0.0
threshold = 0.6

# %%
import random

from orchestra import LLM, Workflow, branch, datasets, sim
from orchestra.exercise import attempt, shown
from orchestra.patterns.router import (
    LOW_CONFIDENCE,
    Ticket,
    classifier,
    escalate,
    handler,
    router,
    triage_all,
)
from orchestra.prices import listing

simulator = sim.start(seed=seed, time_scale=time_scale)
tickets = datasets.load("tickets")
CATEGORIES = {
    "billing": "charges, refunds, invoices, pay, payments, card, discount, subscription plan, price, VAT",
    "technical": "errors, bugs, crashes, outage, webhook, slow or broken app, API, sync, update, notifications",
    "account": "password, profile, username, sign in, sign up, two-factor, admin, ownership, delete my account",
    "shipping": "delivery, package, parcel, tracking, courier, order arrived damaged or wrong item, customs",
    "other": "anything else",
}
TEAMS = ["account", "billing", "shipping", "technical"]
URGENCY = {
    "normal": "a usual request",
    "high": "urgent, asap, immediately, critical, outage, blocked, hacked, damaged",
    "low": "minor, curious, no rush, someday, suggestion, idea",
}
# The router's answers are short (a JSON verdict in 40 tokens, an urgency word in 10) and
# thinking would count in those limits: no thinking where the model allows it, else low effort
# (chapter 03, "Short labels and thinking").
quiet = {"thinking": "disabled"} if "disabled" in listing(model).thinking else {"effort": "low"}
llm = LLM(model, **quiet)
print(len(tickets), "tickets;", model, quiet)

# %% [markdown]
# The checks call your functions through `attempt` (`orchestra/exercise.py`): if your code
# raises, the failure names the call that raised, with its input in full and the line of yours
# it came from.


# %% [markdown]
# ## Task 1 · The route table and the confidence threshold
#
# Build the router by hand from the engine's pieces: `classifier(llm, CATEGORIES)` writes `label`
# and `confidence`; `branch(route, ROUTES, default=escalate)` picks a route.
#
# - `ROUTES`: one handler per category that has a team (billing, technical, account, shipping),
#   each `handler(llm, name, URGENCY)`; no route for `other`.
# - `route(t)`: the ticket's label, or `LOW_CONFIDENCE` when `t.confidence` is under `threshold`
#   (a confidence equal to the threshold is sure enough). Read the notebook's `threshold` (the
#   check moves it), and leave the ticket as it is: `branch` only asks for a route.

# %%
### BEGIN SOLUTION
ROUTES = {name: handler(llm, name, URGENCY) for name in TEAMS}


def route(t: Ticket) -> str:
    return t.label if t.confidence >= threshold else LOW_CONFIDENCE


### END SOLUTION
### BEGIN STUB
# ROUTES = {}   # TODO: category -> handler
#
# def route(t: Ticket) -> str:
#     # TODO: the label, or LOW_CONFIDENCE under the threshold
#     raise NotImplementedError("task 1: write route()")
### END STUB

triage = Workflow(
    "triage",
    state=Ticket,
    steps=[classifier(llm, CATEGORIES), branch(route, ROUTES, default=escalate)],
)

# %% tags=["check"]
# check 1: the route table sends each sure ticket to its team, unsure ones to the default
assert isinstance(ROUTES, dict) and sorted(ROUTES) == TEAMS, (
    f"ROUTES has the keys {sorted(ROUTES) if isinstance(ROUTES, dict) else ROUTES}; expected "
    f"{TEAMS}: one handler per team, none for 'other'"
)
rng = random.Random(13)
kept = threshold
try:
    for threshold in (kept, 0.3, 0.85):  # route reads the notebook's threshold: the check moves it
        cases = [
            ("billing", threshold),  # at the threshold: sure enough
            ("billing", threshold - 0.01),
            ("shipping", 0.99),
            ("other", 0.99),  # a label without a team: branch's default takes it
            ("legal", 0.99),  # a label nobody expected: the same
        ]
        cases += [(rng.choice([*TEAMS, "other"]), round(rng.random(), 2)) for _ in range(15)]
        for label, confidence in cases:
            t = Ticket(text="-", label=label, confidence=confidence)
            got = await attempt(route, t)
            want = label if confidence >= threshold else LOW_CONFIDENCE
            assert got == want, (
                f"with threshold = {threshold}, {shown(route, Ticket(text='-', label=label, confidence=confidence))} "
                f"returned {got!r}; expected {want!r}: the label when the confidence is at least "
                f"the threshold (equal is sure enough), else LOW_CONFIDENCE; read `threshold`, "
                f"not a number typed in"
            )
            assert t == Ticket(text="-", label=label, confidence=confidence), (
                f"route() changed the ticket it was given to {t}: branch only asks for a route "
                f"name, the ticket's label and confidence stay as the classifier wrote them"
            )
finally:
    threshold = kept
results = await triage_all(triage, [t["text"] for t in tickets])
wrong = []
for t, r in zip(tickets, results, strict=True):
    assert r.status == "completed", f"ticket {t['id']} did not complete: {r.reason}"
    s = r.state
    want = s.label if s.confidence >= threshold and s.label in ROUTES else "escalate"
    if s.handler != want:
        wrong.append(f"{t['id']} ({s.label}, {s.confidence:.2f}) went to {s.handler}, not {want}")
assert not wrong, f"{len(wrong)} tickets took the wrong route, e.g. {wrong[:3]}"
handled = sum(r.state.handler != "escalate" for r in results)
assert handled >= len(tickets) // 2, (
    f"only {handled} of {len(tickets)} tickets reached a team: most should"
)
print(f"check 1 passed: {handled} of {len(tickets)} tickets reached a team")


# %% [markdown]
# ## Task 2 · Fix the planted bug: a router without a default
#
# `planted_router` was written for the four teams only. Tickets the classifier labels `other`
# (or anything else unexpected) have no route, and each such run **aborts** with
# `UnknownStepError` as its reason. Fix it so those tickets, and tickets under the confidence
# `threshold`, are handled by `escalate` (a person), while sure tickets still reach their team.


# %%
def planted_router() -> Workflow:
    teams = {name: handler(llm, name, URGENCY) for name in TEAMS}
    ### BEGIN SOLUTION
    return router(llm, teams, categories=CATEGORIES, default=escalate, threshold=threshold)
    ### END SOLUTION
    ### BEGIN STUB
    # return router(llm, teams, categories=CATEGORIES)
    ### END STUB


# %% tags=["check"]
# check 2: unknown labels and low confidence reach the default route; sure tickets their team
wf = planted_router()
results = await triage_all(wf, [t["text"] for t in tickets])
aborted = [r for r in results if r.status != "completed"]
assert not aborted, (
    f"{len(aborted)} runs did not complete, e.g. {aborted[0].reason}: unknown labels need a "
    f"default route"
)
# an unsure ticket labelled 'other' is escalated with or without a threshold: the unsure ones
# that show the threshold at work are those whose label has a team
groups = {
    "labelled 'other'": [r for r in results if r.state.label == "other"],
    f"with a team's label under the threshold {threshold}": [
        r for r in results if r.state.confidence < threshold and r.state.label in TEAMS
    ],
}
for name, rs in groups.items():
    assert rs, (
        f"no ticket was {name}: the check needs some (is the classifier running? is the "
        f"threshold above some of its confidences?)"
    )
    astray = [(r.state.label, r.state.confidence, r.state.handler) for r in rs]
    astray = [a for a in astray if a[2] != "escalate"]
    assert not astray, (
        f"{len(astray)} tickets {name} were not escalated, e.g. {astray[:2]} "
        f"(label, confidence, handler): "
        + (
            "unknown labels need a default route"
            if "other" in name
            else "they still reached a team: the router needs the threshold too"
        )
    )
sure = [r for r in results if r.state.confidence >= threshold and r.state.label in TEAMS]
lost = [(r.state.label, r.state.confidence, r.state.handler) for r in sure]
lost = [x for x in lost if x[2] != x[0]]
assert sure and not lost, (
    f"{len(lost)} of {len(sure)} sure tickets did not reach their team, e.g. {lost[:2]}: "
    f"escalating everything is safe but automates nothing"
)
n_other, n_unsure = (len(rs) for rs in groups.values())
print(
    f"check 2 passed: {n_other} 'other' and {n_unsure} unsure team-labelled tickets escalated, "
    f"{len(sure)} sure tickets reached their team"
)


# %% [markdown]
# ## Task 3 · Choose the threshold from the misroutes
#
# Product says: *"at most 10% of the tickets we route automatically may land with the wrong
# team."* A higher threshold misroutes fewer tickets but sends more to people. Write
# `pick_threshold(rows, max_misroute, candidates)`:
#
# - `rows`: one `(label, confidence, true_category)` per ticket, from a labelled run;
# - a ticket is routed **automatically** at threshold `th` when `confidence >= th` and its
#   label has a team (`TEAMS`); it is **misrouted** when it is routed automatically and its
#   label is not its true category;
# - return the **lowest** candidate whose misroute rate *among the automatically routed
#   tickets* is at most `max_misroute` (the most automation within the budget), or `None` if no
#   candidate meets it (route everything to people).
#
# The table below shows the trade-off on this dataset, from task 2's run.

# %%
rows = [
    (r.state.label, r.state.confidence, t["category"])
    for r, t in zip(results, tickets, strict=True)
]
candidates = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9]
for th in candidates:
    auto = [(label, true) for label, c, true in rows if c >= th and label in TEAMS]
    bad = sum(label != true for label, true in auto)
    print(
        f"threshold {th:.1f}: {len(auto):2d} routed automatically, {bad:2d} of them misrouted "
        f"({bad / max(1, len(auto)):.0%}), {len(rows) - len(auto):2d} sent to people"
    )


# %%
def pick_threshold(
    rows: list[tuple[str, float, str]], max_misroute: float, candidates: list[float]
) -> float | None:
    ### BEGIN SOLUTION
    for th in sorted(candidates):
        auto = [(label, true) for label, c, true in rows if c >= th and label in TEAMS]
        bad = sum(label != true for label, true in auto)
        if bad <= max_misroute * len(auto):
            return th
    return None
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the lowest candidate whose misroute rate among automatic routes is within budget
    # raise NotImplementedError("task 3: write pick_threshold()")
    ### END STUB


# %% tags=["check"]
# check 3: the lowest threshold within the misroute budget, counted among automatic routes
def _pick(rows, budget, cands):
    """The check's own reference: the lowest candidate within budget, else None."""
    for th in sorted(cands):
        auto = [(label, true) for label, c, true in rows if c >= th and label in TEAMS]
        if sum(label != true for label, true in auto) <= budget * len(auto):
            return th
    return None


toy = [
    ("billing", 0.9, "billing"),
    ("billing", 0.55, "technical"),  # misrouted from 0.5 down
    ("technical", 0.7, "technical"),
    ("account", 0.45, "billing"),  # misrouted only at 0.0
    ("shipping", 0.8, "shipping"),
    ("other", 0.95, "other"),  # no team: never routed automatically
]
ten = [("billing", 0.9, "billing")] * 9 + [("billing", 0.9, "account")]  # 1 of 10 misrouted
cases = [
    (toy, 0.10, [0.0, 0.5, 0.6, 0.8], "0.0 misroutes 2 of 5, 0.5 1 of 4, 0.6 none of 3"),
    (toy, 0.35, [0.0, 0.5, 0.6, 0.8], "0.0 misroutes 40% of its automatic routes, over 35%"),
    (toy, 0.50, [0.8, 0.0, 0.5], "the lowest candidate, whatever their order"),
    (toy, 0.00, [0.0, 0.5], "no candidate is within a 0% budget: None"),
    (ten, 0.10, [0.5, 0.95], "10% misrouted is within a 10% budget: equal is within"),
    ([], 0.10, [0.7, 0.3], "no ticket, nothing misrouted: the lowest candidate"),
    (toy, 0.10, [], "no candidate at all: None"),
    (toy, 0.10, [0.99], "above every confidence nothing is routed automatically: within budget"),
]
rng = random.Random(14)
for _ in range(40):
    gen = [
        (
            rng.choice([*TEAMS, "other"]),
            round(rng.random(), 2),
            rng.choice([*TEAMS, "other"]),
        )
        for _ in range(rng.randint(0, 12))
    ]
    cands = rng.sample([0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9], rng.randint(1, 4))
    cases.append((gen, rng.choice([0.0, 0.1, 0.2, 0.25, 0.5]), cands, ""))
for case_rows, budget, cands, why in cases:
    given_rows, given_cands = list(case_rows), list(cands)
    got = await attempt(pick_threshold, given_rows, budget, given_cands)
    want = _pick(case_rows, budget, cands)
    assert (given_rows, given_cands) == (case_rows, cands), (
        f"{shown(pick_threshold, case_rows, budget, cands)} changed its arguments to "
        f"{given_rows}, {given_cands}: the caller's rows and candidates are theirs"
    )
    assert got == want, (
        f"{shown(pick_threshold, case_rows, budget, cands)}\n  returned {got!r}; expected "
        f"{want!r}"
        + (f": {why}" if why else "")
        + "\n  (the lowest candidate whose misroutes, among the tickets routed automatically "
        "(confidence >= threshold and a label with a team), are at most the budget's share of "
        "them; None when no candidate is)"
    )
chosen = await attempt(pick_threshold, rows, 0.10, candidates)
assert chosen == _pick(rows, 0.10, candidates), (
    f"pick_threshold(rows, 0.10, {candidates}) on task 2's {len(rows)} tickets returned "
    f"{chosen!r}; expected {_pick(rows, 0.10, candidates)!r} (see the table above)"
)
auto = [(label, true) for label, c, true in rows if c >= chosen and label in TEAMS]
rate = sum(label != true for label, true in auto) / max(1, len(auto))
print(
    f"check 3 passed: {len(cases)} cases; threshold {chosen} routes {len(auto)} of {len(rows)} tickets "
    f"automatically, {rate:.0%} of them misrouted; {len(rows) - len(auto)} go to people"
)

# %% [markdown]
# ## Task 4 · Interview question
#
# *"Your support router uses a cheap model. Product asks for Opus everywhere 'to be safe'. How do
# you decide, and what do you do about tickets the router is unsure of?"* Write your answer in
# `answer` below (a few sentences: what you measure, the cost side, and the default route), then
# run the next cell: it shows the points a strong answer makes and a model answer, so you can
# score yourself. With `backend = "anthropic"` (and a key), Claude grades your answer against
# the same points and explains.

# %% tags=["answer-03"]
### BEGIN SOLUTION
answer = """
Measure before deciding: run both models as the router over labelled tickets and compare
accuracy (a confusion matrix shows which classes are confused) against cost and latency per
ticket. Routing is one call on every ticket, so Opus multiplies the bill by its price per
token over Haiku's (read it from today's price list: a large factor) and adds latency to
every request. Price a misroute (a ticket bounced between teams) and pick the
cheapest model whose error rate is acceptable. Improve label descriptions first (free), then
add a confidence threshold chosen from the misroutes: tickets under it, and labels with no
route, go to an explicit default route: a person, or a cascade to Opus for just those few
tickets. Monitor how often the default fires: a growing share means a missing class.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# _Your answer here._
# """
### END STUB

# %% tags=["rubric"]
# The interview answer: score yourself against the rubric (no automatic pass or fail)
from orchestra.interview import review

RUBRIC = [
    "Measure on labelled tickets: accuracy per model, and a confusion matrix to see which "
    "classes are confused.",
    "The cost side: routing is one call on every ticket, so the model's price and latency "
    "multiply; price a misroute and compare.",
    "Cheap fixes first: better label descriptions cost nothing per call.",
    "A confidence threshold chosen from measured misroutes, and an explicit default route "
    "(a person, or a cascade to the stronger model for the unsure few).",
    "Monitor after launch: how often the default fires (a growing share means a missing "
    "class) and drift in the confusion matrix.",
]
MODEL_ANSWER = (
    "Measure both routers on labelled tickets (accuracy, confusion matrix) against cost and "
    "latency per ticket: routing runs on every ticket, so Opus multiplies both. Price a "
    "misroute; keep the cheapest model whose error rate is acceptable after improving the label "
    "descriptions. Pick a confidence threshold from the misroutes; send unsure and unknown "
    "labels to an explicit default (a person, or Opus for those few). Watch how often the "
    "default fires."
)

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend, min_words=40)

# %%
await llm.aclose()
simulator.stop()
