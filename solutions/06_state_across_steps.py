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
#     mutant_parameters:
#       n_tickets: 4
#       seed: 0
#     test_parameters:
#       n_tickets: 5
#       seed: 1
# ---

# %% [markdown]
# # Exercise 06 · State across steps: a budget that forgets nothing needed, a merge that loses nothing
#
# The interview task: *"Our ten-step workflow pastes everything so far into every prompt. We
# added a summariser to stay under a token budget, and now the last step gets the ticket's
# category wrong. Fix it without giving up the budget. Then: two parallel taggers write one
# `tags` field and we lose tags. Fix that too."* Each task ends with a cell tagged `check` that
# runs your code against the simulator and fails until the task is done; an interview question
# closes, scored against a rubric. Grade your work with `make grade` (or
# `make grade NB=exercises/06_state_across_steps.ipynb`).
#
# Read `orchestra/patterns/context.py` first: you reuse its `fit`, `render` and `SUMMARY`.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
model = "claude-haiku-5-5"
n_tickets = 8  # tickets run through the workflow in task 1
budget_tokens = 250  # the context budget, in tokens of the model's own tokenizer
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as possible)

# %%
import asyncio
import itertools
import random

from pydantic import BaseModel

from orchestra import LLM, Workflow, datasets, parallel, sim, step
from orchestra.examples.long_workflow import STEPS, Dossier
from orchestra.exercise import attempt, shown
from orchestra.patterns.context import SUMMARY, fit, render
from orchestra.tokens import count_tokens

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
llm = LLM(model, backend=backend)
tickets = datasets.load("tickets")[:n_tickets]


def tokens(text: str) -> int:
    """Tokens of ``text`` on the model's own tokenizer (a 5.x one counts ~30% more than 4.5's)."""
    return count_tokens(text, model=model)


class Carried(Dossier):
    notes: list[str] = []
    """The ticket and every earlier answer, one line each: the whole context."""


def note(field: str, text: str) -> str:
    return f"{field.replace('_', ' ').capitalize()}: {' '.join(text.split())}"


def whole_step(field: str, prompt: str):
    @step(name=field, writes=(field, "notes"))
    async def run(d: Carried) -> dict:
        ask = prompt.format(**d.model_dump()) + "\n\nContext:\n" + render(d.notes)
        reply = await llm.ask(ask)  # the client's max_tokens: thinking counts in it
        return {field: reply.text, "notes": [*d.notes, note(field, reply.text)]}

    return run


QUESTION = "Question: Which category was this ticket classified into?"


async def category_recalled(d: Carried) -> bool:
    """The final question, answered from the notes: does it name step 1's label?"""
    reply = await llm.ask("Context:\n" + render(d.notes) + "\n\n" + QUESTION)
    return d.category.lower() in reply.text.lower()


# %% [markdown]
# The checks call your functions through `attempt` (`orchestra/exercise.py`): if your code
# raises, the failure names the call that raised, with its input in full and the line of yours
# it came from.


# %% [markdown]
# ## Task 1 · A budget that keeps the facts later steps need
#
# `keep_within(notes, budget_tokens=..., pinned=...)` is called after every step. When the
# notes fit in `budget_tokens` (counted with `tokens(render(notes))`, on the model's own
# tokenizer, the count the API bills), return them
# unchanged (a budget equal to their count is met). Otherwise return:
#
# - the **pinned** notes, verbatim, first, in their order: a note is pinned when the part
#   before its first `:` is exactly one of `pinned` (`"Category: billing"` is pinned by
#   `"Category"`, `"Category note: ..."` is not);
# - then the other notes folded by `fit(llm, others, budget_tokens=..., keep_last=1,
#   max_words=20, count=tokens)`: one summary note (it starts with `SUMMARY`) and the last
#   note verbatim.
#   Give `fit` what is left of the budget once the pinned notes are counted.
#
# Read the budget and the pins from the arguments (the checks call it with others), and leave
# the caller's list as it was.
#
# The check runs the workflow with your function after every step, then asks the question
# about step 1 on every ticket.


# %%
async def keep_within(
    notes: list[str], *, budget_tokens: int, pinned: tuple[str, ...]
) -> list[str]:
    ### BEGIN SOLUTION
    if tokens(render(notes)) <= budget_tokens:
        return list(notes)
    pins = [n for n in notes if n.split(":", 1)[0] in pinned]
    others = [n for n in notes if n not in pins]
    room = max(1, budget_tokens - tokens(render(pins)))
    folded, _ = await fit(llm, others, budget_tokens=room, keep_last=1, max_words=20, count=tokens)
    return pins + folded
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: unchanged under the budget; else the pinned notes, then the rest folded by `fit`
    # raise NotImplementedError("task 1: write keep_within()")
    ### END STUB


# %%
PINNED = ("Category", "Urgency")


@step(name="compact", writes="notes")
async def compact(d: Carried) -> dict:
    return {"notes": await keep_within(d.notes, budget_tokens=budget_tokens, pinned=PINNED)}


budgeted = Workflow(
    "budgeted", state=Carried, steps=[s for f, p in STEPS for s in (whole_step(f, p), compact)]
)
whole = Workflow("whole", state=Carried, steps=[whole_step(f, p) for f, p in STEPS])


def start(t: dict) -> Carried:
    return Carried(text=t["text"], notes=[note("ticket", t["text"])])


# %% tags=["check"]
# check 1: keep_within() on notes it has not seen: unchanged at or under the budget, else the pins then a summary
def _pinned(notes, pinned):
    """The check's own reference: the notes whose part before the first ':' is one of pinned."""
    return [n for n in notes if n.split(":", 1)[0] in pinned]


def _sent() -> int:
    """Requests the simulator has answered so far (a call to fit's summariser is one)."""
    return len(simulator.log) if simulator else 0


rng = random.Random(11)
words = ["refund", "card", "invoice", "twice", "late", "urgent", "parcel", "login"]
under = [[], ["Ticket: short", "Category: billing"]]
for _ in range(24):
    under.append(
        [
            f"{rng.choice(['Ticket', 'Category', 'Urgency', 'Headline', 'Reply'])}: "
            + " ".join(rng.choices(words, k=rng.randint(1, 12)))
            for _ in range(rng.randint(1, 6))
        ]
    )
for notes in under:  # at the budget (equal counts as within) and above it: unchanged, no call
    for budget in (max(1, tokens(render(notes))), tokens(render(notes)) + rng.randint(1, 50)):
        given, sent = list(notes), _sent()
        got = await attempt(keep_within, given, budget_tokens=budget, pinned=PINNED)
        assert got == notes and _sent() == sent, (
            f"{shown(keep_within, notes, budget_tokens=budget, pinned=PINNED)}\n  returned {got!r} "
            f"after {_sent() - sent} summary call(s); the notes count {tokens(render(notes))} "
            f"tokens, within the budget of {budget}: expected them back unchanged, no call"
        )
long = "Ticket: " + " ".join(rng.choices(words, k=120))
over = [  # (notes, budget, pinned): over the budget, with pins of the argument's choosing
    (["Category: billing", long, "Urgency: high", "Headline: a", "Reply: b"], 120, PINNED),
    ([long, "Headline: refund asked", "Category: billing", "Reply: b"], 100, ("Headline",)),
    (
        ["Category note: not a pin", long, "Category: shipping", "Headline: x", "Reply: c"],
        90,
        PINNED,
    ),
    ([long, "Reply: nothing pinned", "Follow up: d"], 80, PINNED),  # no note is pinned
]
k = 1
while tokens(render([f"Ticket: {'refund ' * (k + 1)}", "Headline: a", "Reply: b"])) < 150:
    k += 1  # the notes other than the pinned ones fit the budget; with the pins they do not
tight = [
    "Category: billing",
    f"Ticket: {'refund ' * k}",
    "Urgency: high",
    "Headline: a",
    "Reply: b",
]
over.append((tight, 150, PINNED))
for notes, budget, pinned in over:
    given = list(notes)
    got = await attempt(keep_within, given, budget_tokens=budget, pinned=pinned)
    call = shown(keep_within, notes, budget_tokens=budget, pinned=pinned)
    assert given == notes, (
        f"{call}\n  changed the caller's list to {given}: return a new list, leave theirs"
    )
    assert isinstance(got, list) and tokens(render(got)) <= budget, (
        f"{call}\n  returned {got!r}, {tokens(render(got)) if isinstance(got, list) else '?'} "
        f"tokens of notes, over the budget of {budget}: fold the notes that are not pinned, and "
        f"count the pinned ones against the budget too (give fit what is left)"
    )
    pins = _pinned(notes, pinned)
    others = [n for n in notes if n not in pins]
    assert got[: len(pins)] == pins, (
        f"{call}\n  returned {got!r}\n  expected it to begin with the pinned notes {pins}, "
        f"verbatim and in order: a note is pinned when the part before its first ':' is one "
        f"of pinned={pinned}"
    )
    rest = got[len(pins) :]
    assert len(rest) == 2 and rest[0].startswith(SUMMARY) and rest[1] == others[-1], (
        f"{call}\n  returned {got!r}\n  expected after the pins one summary note (it starts "
        f"with {SUMMARY!r}) and the last other note verbatim, {others[-1]!r}: the notes count "
        f"{tokens(render(notes))} tokens, over the budget of {budget}"
    )
print(f"check 1 passed: {2 * len(under)} calls within budgets, {len(over)} over them")

# %% tags=["check"]
# check 2: the workflow keeps every step's notes under budget, and the category survives to the end
runs = await budgeted.run_many([start(t) for t in tickets])
full = await whole.run_many([start(t) for t in tickets])
for r in runs:
    assert r.status == "completed", f"a run stopped: {r.reason}"
    for span in r.trace.steps():  # what every compact step left, not only the last one
        if span.name == "compact" and span.output:
            size = tokens(render(span.output["notes"]))
            assert size <= budget_tokens, (
                f"{span.key} left {size} tokens of notes, over the budget of {budget_tokens}"
            )
    notes = r.state.notes
    assert notes[:2] == [note("category", r.state.category), note("urgency", r.state.urgency)], (
        f"the pinned notes must come first, verbatim; the notes begin {notes[:2]}"
    )
    assert any(n.startswith(SUMMARY) for n in notes), (
        f"the notes crossed the budget, so the rest must be folded into a summary: {notes}"
    )
    assert notes[-1] == note("follow_up", r.state.follow_up), "the last note must stay verbatim"
recalled = [await category_recalled(r.state) for r in runs]
assert all(recalled), (
    f"the question about step 1 was answered right on {sum(recalled)} of {len(runs)} tickets; "
    f"the category must survive the budget"
)
spent, whole_spent = sum(r.tokens for r in runs), sum(r.tokens for r in full)
assert spent < whole_spent, f"{spent} tokens with the budget, {whole_spent} without: no saving"
print(
    f"check 2 passed: {len(runs)} dossiers under {budget_tokens} tokens of notes, category "
    f"recalled on all, {1 - spent / whole_spent:.0%} fewer tokens than the whole context"
)

# %% [markdown]
# ## Task 2 · Two parallel taggers, one field
#
# Two steps run in parallel and each returns the ticket's `tags` with its own tag added
# (`[*t.tags, new]`, the whole list). Write `merge_tags(old, new)`, the merge rule the engine
# folds over the branches: `merge_tags(merge_tags(before, a), b)`. The result must keep every
# tag that was there before and every tag a branch added, **once each**, and must **not depend
# on which branch is folded first** (in production they finish in any order): return the tags
# sorted.

# %%
ASK = {
    "topic": "Classify this ticket into one of: billing, account, shipping, technical.\nTicket: {}",
    "sentiment": "Classify the sentiment of this ticket into one of: positive, neutral, negative.\nTicket: {}",
}


class Tagged(BaseModel):
    text: str
    tags: list[str] = []


def tagger(kind: str):
    @step(name=kind, writes="tags")
    async def run(t: Tagged) -> dict:
        label = (await llm.ask(ASK[kind].format(t.text))).text.strip()
        return {"tags": [*t.tags, label]}

    return run


# %%
### BEGIN SOLUTION
def merge_tags(old: list[str], new: list[str]) -> list[str]:
    return sorted(set(old) | set(new))


### END SOLUTION
### BEGIN STUB
# def merge_tags(old: list[str], new: list[str]) -> list[str]:
#     # TODO: every tag once, whatever the order the branches are folded in
#     raise NotImplementedError("task 2: write merge_tags()")
### END STUB

# %% tags=["check"]
# check 3: no tag lost, none doubled, the same result in either fold order, the inputs left alone
tagging = Workflow(
    "tags",
    state=Tagged,
    steps=[parallel(tagger("topic"), tagger("sentiment"), merge={"tags": merge_tags})],
)
for t in tickets[:3]:
    before = Tagged(text=t["text"], tags=["vip"])
    run = await tagging.run(before)
    assert run.status == "completed", f"the tagging workflow stopped: {run.reason}"
    out = run.state.tags
    # what each branch returned, from the trace (asking again would draw a fresh sample)
    added = [s.output["tags"][-1] for s in run.trace.steps() if s.name in ASK]
    want = sorted({"vip", *added})
    assert out == want, (
        f"the two taggers added {added} to ['vip'], and the merged tags are {out}; expected "
        f"{want} (each tag once, sorted)"
    )
rng = random.Random(12)
pool = ["vip", "billing", "negative", "neutral", "refund", "late"]
cases = [([], [], []), (["vip"], ["vip"], ["vip"]), (["vip"], ["vip", "billing"], ["vip"])]
for _ in range(40):
    old = rng.sample(pool, rng.randint(0, 3))
    cases.append((old, old + rng.sample(pool, rng.randint(0, 2)), old + rng.sample(pool, 1)))
for old, a, b in cases:
    want = sorted({*old, *a, *b})
    for x, y in ((a, b), (b, a)):
        copies = [list(old), list(x), list(y)]
        first = await attempt(merge_tags, copies[0], copies[1])
        got = await attempt(merge_tags, first, copies[2])
        assert copies == [old, x, y], (
            f"merge_tags({old}, {x}) then merge_tags(that, {y}) changed its inputs to "
            f"{copies}: the engine passes the state's own lists, return a new one"
        )
        assert got == want, (
            f"merge_tags(merge_tags({old}, {x}), {y}) returned {got!r}; expected {want}: every "
            f"tag once, sorted, whatever the order the branches are folded in"
        )
print(f"check 3 passed: every tag kept once, whatever the order, on {len(cases)} tag sets")


# %% [markdown]
# ## Task 3 · Interview question
#
# *"A teammate says: just pass the whole conversation to every step, models have huge context
# windows now. What do you answer?"*
#
# Write your answer in the next cell, as the string `answer`, in 4–8 sentences, then run
# the cell after it: it shows the points a strong answer makes and a model answer, and you score
# yourself (with `backend = "anthropic"` and a key, Claude grades your answer against the same
# rubric and explains).

# %% tags=["answer-06"]
### BEGIN SOLUTION
answer = """
A big window makes it possible, not free: every step re-sends everything before it, so input
tokens grow with each step and the run pays for them quadratically, in cost and in latency.
It also changes answers, since the model reads notes it does not need as material. I would
give each step a typed input with only the fields it reads, and keep the facts later steps
need (labels, ids, names) as explicit state. Where the steps cannot say what they need, I
would bound the context with a budget and a summary step with a contract, pin the facts that
must survive, and measure the summary's quality cost on questions about early steps. I would
show the tokens-per-step chart from the traces before and after.
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
    "says what it costs: tokens grow every step, quadratically over a run, in dollars and latency",
    "knows more context can change or degrade answers (irrelevant material, lost in the middle)",
    "proposes explicit state: a typed input per step with only the fields it reads",
    "bounds what must be passed: a token budget with summarisation (or truncation, retrieval)",
    "knows summaries are lossy and pins the facts later steps need, measured on early-step questions",
    "measures: tokens per step from the traces, before and after",
]
MODEL_ANSWER = """A large window makes it possible, not free: each step re-sends all earlier
output, so input tokens grow every step and the run pays quadratically, in money and latency;
and answers change, because the model treats unneeded notes as material. Give each step a
typed input holding only the fields it reads, and keep facts later steps need as explicit state.
Where the whole context must be passed, bound it with a budget and a summary step that has a
contract, pin the facts that must survive, and measure the summary's cost on questions about
early steps. Show the tokens-per-step chart from the traces before and after."""
await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
await llm.aclose()
if simulator:
    simulator.stop()
