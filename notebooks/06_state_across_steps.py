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
#       backend: anthropic
#       budget_tokens: 250
#       chat_budget: 150
#       n_tickets: 5
#       seed: 1
# ---

# %% [markdown]
# # 06 · State across steps: what each step sees, and what it costs
#
# A workflow of ten LLM calls has to hand something from one step to the next. There are two
# habits. **Explicit state**: a typed record (a pydantic model) whose fields the steps fill in,
# each step reading only the fields it needs. **The whole context**: every earlier output pasted
# into every prompt ("the model will find what it needs"). The second is what a chat does with
# its history, and what a quick prototype does; it is easy, and its prompts grow with every step.
#
# This chapter measures that growth, then the three ways of living with it: a **context budget**
# that summarises old context (an LLM step, with a contract, that loses things); **conversation
# memory** as LangChain and LlamaIndex keep it; and explicit state, with its own risks (a step
# that declares too few inputs, an extraction that stores a wrong fact). Then where growth
# ends: the **context window**, and the facts a long prompt loses in its middle. Two hazards
# follow that any shared state has: **two parallel steps writing one field** (the lost update),
# and **a step that fails half-way** (what does its retry see?).
#
# **When not to bother:** a two-step chain can pass the whole context; the growth is small and
# a typed state is ceremony. A free-form conversation cannot know in advance which fields
# matter: there a memory buffer, bounded, is the honest tool, and the facts that must survive go
# into explicit state beside it.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
model = "claude-haiku-5-5"
n_tickets = 10  # tickets run through the 10-step workflow (at most 60)
budget_tokens = 250  # section 2: the context budget, in tokens
keep_last = 1  # notes kept verbatim when the context is summarised
max_words = 20  # the summary's contract: at most this many words
chat_budget = 200  # section 3: the memory buffers' token limit
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as possible)

# %% [markdown]
# ## Set-up
#
# The workflow is chapter 08's **dossier**: ten steps on one support ticket, each one LLM call
# that writes one field (category, urgency, summary, headline, plan, reply, review, kb_note, team,
# follow_up). Its prompt templates name the fields each step reads: `{text}` is the ticket,
# `{category}` the first step's answer, and so on. Every call keeps the client's `max_tokens`
# (2,048): Haiku 5.5 thinks before it answers, and thinking counts in `max_tokens`, so the small
# caps a one-word label once had (20 tokens) would now end the answer before its text.

# %%
import asyncio
import operator
import re
import string
import tempfile
from pathlib import Path
from typing import Annotated, TypedDict

import matplotlib.pyplot as plt
import pandas as pd
from pydantic import BaseModel, create_model

from orchestra import LLM, Retry, SqliteStore, Workflow, datasets, measure, parallel, sim, step
from orchestra.errors import MergeConflictError
from orchestra.examples.long_workflow import STEPS, Dossier
from orchestra.patterns.context import fit, render
from orchestra.prices import LEGACY_HAIKU
from orchestra.tokens import count_tokens
from orchestra.viz import prose

pd.set_option("display.max_colwidth", 80)
simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
llm = LLM(model, backend=backend)
everything = datasets.load("tickets")
tickets = everything[:: max(1, len(everything) // n_tickets)][:n_tickets]  # every category
print(len(tickets), "tickets |", len(STEPS), "steps:", ", ".join(f for f, _ in STEPS))

# %% [markdown]
# ## 1. Explicit state against the whole context
#
# **Explicit state.** Each step gets a pydantic model of its own, holding only the fields its
# prompt reads (built here from the template; in your code you would write them out). The
# workflow's state, `Dossier`, holds every field; a step sees its slice.


# %%
def reads(prompt: str) -> list[str]:
    """The fields a prompt template names: ``{text}`` and ``{category}`` -> [text, category]."""
    return [name for _, name, _, _ in string.Formatter().parse(prompt) if name]


INPUTS = {
    field: create_model(
        f"{field.title().replace('_', '')}Input", **{f: (str, ...) for f in reads(p)}
    )
    for field, p in STEPS
}
pd.DataFrame(
    [
        {
            "step": f"{i:02d}.{field}",
            "input model": m.__name__,
            "reads": ", ".join(m.model_fields),
            "writes": field,
        }
        for i, (field, m) in enumerate(INPUTS.items())
    ]
).set_index("step")


# %%
def explicit_step(field: str, prompt: str):
    Input = INPUTS[field]

    @step(name=field, writes=field)
    async def run(d: Dossier) -> dict:
        seen = Input.model_validate(d.model_dump(include=set(Input.model_fields)))
        reply = await llm.ask(prompt.format(**seen.model_dump()))
        return {field: reply.text}

    return run


explicit = Workflow("explicit", state=Dossier, steps=[explicit_step(f, p) for f, p in STEPS])

# %% [markdown]
# **The whole context.** The same ten prompts, each followed by every note so far (the ticket,
# then one `Field: answer` line per earlier step) under a `Context:` header. The state carries
# the notes as a list; a step appends its own.


# %%
class Carried(Dossier):
    notes: list[str] = []
    """The ticket and every earlier answer, one line each: the whole context."""


def note(field: str, text: str) -> str:
    return f"{field.replace('_', ' ').capitalize()}: {' '.join(text.split())}"


def whole_step(field: str, prompt: str):
    @step(name=field, writes=(field, "notes"))
    async def run(d: Carried) -> dict:
        ask = prompt.format(**d.model_dump()) + "\n\nContext:\n" + render(d.notes)
        reply = await llm.ask(ask)
        return {field: reply.text, "notes": [*d.notes, note(field, reply.text)]}

    return run


whole = Workflow("whole", state=Carried, steps=[whole_step(f, p) for f, p in STEPS])


def start(t: dict) -> Carried:
    return Carried(text=t["text"], notes=[note("ticket", t["text"])])


# %% [markdown]
# Both workflows on every ticket. The trace has one span per step, with the input tokens its
# call was billed for.


# %%
def per_step(results, how: str) -> pd.DataFrame:
    rows = [
        {
            "how": how,
            "ticket": i,
            "step": s.name,
            "input tokens": s.input_tokens,
            "cost ($)": s.cost_usd,
        }
        for i, r in enumerate(results)
        for s in r.trace.steps()
    ]
    return pd.DataFrame(rows)


lean = await explicit.run_many([Dossier(text=t["text"]) for t in tickets], progress=True)
full = await whole.run_many([start(t) for t in tickets], progress=True)
steps_df = pd.concat([per_step(lean, "explicit state"), per_step(full, "whole context")])
by_step = steps_df.pivot_table(
    index="step", columns="how", values=["input tokens", "cost ($)"], aggfunc="mean", sort=False
)
by_step.round({("input tokens", h): 0 for h in ("explicit state", "whole context")}).round(6)

# %%
order = [f for f, _ in STEPS]
tokens = by_step["input tokens"].loc[order]
cost = by_step["cost ($)"].loc[order].cumsum()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
x = range(1, len(order) + 1)
for how, style in (("whole context", "o-"), ("explicit state", "s-")):
    left.plot(x, tokens[how], style, label=how)
    right.plot(x, cost[how] * 1000, style, label=how)
left.set_title("Input tokens per step (mean over tickets)")
left.set_ylabel("input tokens per call")
right.set_title("Cumulative cost of one dossier (mean)")
right.set_ylabel("cost (thousandths of a USD)")
for ax in (left, right):
    ax.set_xlabel("step of the workflow (1-10)")
    ax.set_xticks(list(x))
    ax.legend(loc="upper left")
fig.tight_layout()

# %%
changed = sum(
    getattr(a.state, f) != getattr(b.state, f)
    for a, b in zip(lean, full, strict=True)
    for f in order
)
total = {
    h: steps_df[steps_df.how == h]["input tokens"].sum() / len(tickets)
    for h in ("explicit state", "whole context")
}
dollars = {h: steps_df[steps_df.how == h]["cost ($)"].sum() / len(tickets) for h in total}
prose(
    f"Measured over {len(tickets)} tickets: one dossier sends **{total['whole context']:.0f} input "
    f"tokens with the whole context against {total['explicit state']:.0f} with explicit state** "
    f"({total['whole context'] / total['explicit state']:.1f}×), ${dollars['whole context']:.5f} "
    f"against ${dollars['explicit state']:.5f}. The last step's prompt is "
    f"{tokens.loc[order[-1], 'whole context'] / tokens.loc[order[-1], 'explicit state']:.1f}× "
    f"longer. And the answers are not the same: {changed} of {len(tickets) * len(order)} step "
    f"outputs differ, because the model reads the pasted notes as material too."
)

# %% [markdown]
# Which answers changed, on ticket 0 (the first 70 characters of each):

# %%
pd.DataFrame(
    [
        {
            "step": f,
            "explicit state": getattr(lean[0].state, f)[:70],
            "whole context": getattr(full[0].state, f)[:70],
        }
        for f in order
        if getattr(lean[0].state, f) != getattr(full[0].state, f)
    ]
).set_index("step")

# %% [markdown]
# **The risk of explicit state: too few declared inputs.** A step sees only what its input
# model holds, so a step whose answer *should* follow from an earlier one but does not declare
# it works blind. Here the `team` step reads only `{text}`: it never sees the `category` step's
# label, so nothing makes the two agree. Each category has one team that owns it (billing goes
# to payments, shipping to logistics, account to identity, technical to engineering). Three
# ways to fill `team`, graded against the owner of the ticket's **true** category (tickets
# labelled `other` have no owner and are left out): the dossier's step (reads the text only),
# the same question with `category` declared as an input, and no question at all: the owner
# of the category step's label, by a rule in code.

# %%
OWNER = {
    "billing": "payments",
    "shipping": "logistics",
    "account": "identity",
    "technical": "engineering",
}
TEAM_WITH_CATEGORY = (
    "This ticket was classified as {category}. Classify which team should own this ticket into "
    "one of: payments, logistics, identity, engineering.\nTicket: {text}"
)


async def team_seeing_category(d: Dossier) -> str:
    return (await llm.ask(TEAM_WITH_CATEGORY.format(text=d.text, category=d.category))).text


declared = await asyncio.gather(*(team_seeing_category(r.state) for r in lean))
teams = pd.DataFrame(
    [
        {
            "ticket": t["text"][:40] + "…",
            "true category": t["category"],
            "category step": r.state.category.strip().lower(),
            "team: reads text": r.state.team.strip().lower(),
            "team: + category": again.strip().lower(),
            "team: rule on category": OWNER.get(r.state.category.strip().lower(), "none"),
        }
        for t, r, again in zip(tickets, lean, declared, strict=True)
    ]
)
teams

# %%
owned = teams[teams["true category"].isin(OWNER)]
truth_team = owned["true category"].map(OWNER)
ways = ["team: reads text", "team: + category", "team: rule on category"]
score = {w: int((owned[w] == truth_team).sum()) for w in ways}
agrees = int((owned["team: reads text"] == owned["category step"].map(OWNER)).sum())
cat_right = int((owned["category step"] == owned["true category"]).sum())
prose(
    f"On the {len(owned)} tickets whose category has an owner: the `team` step that reads only "
    f"the text names the right team on **{score[ways[0]]}**, and agrees with the `category` "
    f"step's own label on {agrees}: two steps that should agree, and nothing connects them. "
    f"Declaring `category` as an input: {score[ways[1]]} right. The rule on the category "
    f"step's label: {score[ways[2]]} right, exactly as many as the category step got right "
    f"({cat_right}): a rule cannot be better than its input, but it never contradicts it."
)

# %% [markdown]
# What to read in it:
#
# - **The growth is linear per step, quadratic per run.** Each step adds its answer to every
#   later prompt, so step *k* pays for *k - 1* earlier answers and the run pays for them
#   k(k-1)/2 times. Ten steps are cheap; a fifty-step agent loop is not, and a long enough one
#   hits the model's context window.
# - **Explicit state is flat**, and each step's cost is what its own inputs cost: the review
#   step reads a reply, the plan step a ticket and a category. Its price is the duty to
#   declare every input a step needs (the `team` step above): a missing one fails quietly.
#   And when a value follows from another by a rule (the team from the category), compute it
#   in code: no call, and no disagreement between two steps.
# - **More context is not more quality.** Answers change when the prompt carries notes the step
#   does not need: the model takes them as material (compare the two columns above). Which
#   answers are better is a question for an evaluation, not a reason to paste everything.
#
# ## 2. A context budget, and what summarising loses
#
# When the whole context must be passed (the steps cannot say what they need), bound it: after
# each step, if the notes cross `budget_tokens`, fold all but the last `keep_last` into one
# summary. `orchestra.patterns.context` does that; the summary is **an LLM step with its own
# contract** (`Digest`: at most `max_words` words, not empty, fewer tokens than what it
# replaces; otherwise `OutputFormatError`, which its retry policy may try again).
#
# **A budget in tokens is a budget on one tokenizer.** The 5.x models count about 30% more
# tokens for the same text than the 4.5 generation did, so the same number of tokens holds fewer
# words, and a budget carried over from an older model overflows. `count_tokens(text, model=...)`
# counts on the model's own tokenizer; here, ticket 0's whole notes after ten steps:

# %%
notes0 = render(full[0].state.notes)
words0 = len(notes0.split())
pd.DataFrame(
    [
        {
            "tokenizer of": m,
            "tokens of the notes": count_tokens(notes0, model=m),
            "words per 100 tokens": 100 * words0 / count_tokens(notes0, model=m),
            f"words a {budget_tokens}-token budget holds": budget_tokens
            * words0
            / count_tokens(notes0, model=m),
        }
        for m in (LEGACY_HAIKU, model)
    ]
).set_index("tokenizer of").round(1)

# %% [markdown]
# So the budget below is counted on `model`'s tokenizer (`count=on_model`), the count the API
# bills and the context window is measured in.

# %%
import inspect

from orchestra.patterns import context

print(inspect.getsource(context.summarize))


# %%
def on_model(text: str) -> int:
    """Tokens of ``text`` on the budgeted model's own tokenizer."""
    return count_tokens(text, model=model)


@step(name="compact", writes="notes", retry=Retry(max_attempts=2, base_delay=0.0))
async def compact(state: Carried, ctx) -> dict | None:
    """``fit`` as a step: fold the notes past the budget (a retry is a fresh sample)."""
    notes, digest = await fit(
        ctx.llm(llm),
        state.notes,
        budget_tokens=budget_tokens,
        keep_last=keep_last,
        max_words=max_words,
        count=on_model,
    )
    return {"notes": notes} if digest else None


budgeted = Workflow(
    "budgeted", state=Carried, steps=[s for f, p in STEPS for s in (whole_step(f, p), compact)]
)
kept = await budgeted.run_many([start(t) for t in tickets], progress=True)
folds = [
    [i for i, s in enumerate(k for k in r.trace.steps() if k.name == "compact") if s.input_tokens]
    for r in kept
]
print(
    f"summarised after steps {[i + 1 for i in folds[0]]} of ticket 0;",
    f"{sum(map(len, folds))} summaries over {len(tickets)} tickets",
)

# %% [markdown]
# The chart shows ticket 0: the input tokens of each step's own call, the three ways, with the
# budget. A red cross marks each summarisation point: the `compact` step that ran between two
# steps, at the height of its own call's input tokens (it reads everything it folds). The budget
# applies to the notes and is checked after each step, so a step's prompt (its instructions
# plus the notes) can stand above the line once before the fold.


# %%
def call_tokens(result, name_filter=lambda n: n != "compact"):
    return [s.input_tokens for s in result.trace.steps() if name_filter(s.name)]


fig, ax = plt.subplots(figsize=(9, 4.2), dpi=100)
ax.plot(x, call_tokens(full[0]), "o-", label="whole context")
ax.plot(x, call_tokens(kept[0]), "D-", label=f"whole context, budget {budget_tokens} tokens")
ax.plot(x, call_tokens(lean[0]), "s-", label="explicit state")
ax.axhline(
    budget_tokens,
    color="gray",
    linestyle="--",
    linewidth=1,
    label="budget on the notes (checked after each step)",
)
summaries = [s for s in kept[0].trace.steps() if s.name == "compact" and s.input_tokens]
for k, (i, span) in enumerate(zip(folds[0], summaries, strict=True)):
    at = i + 1.5  # the compact step after step i+1, before step i+2
    ax.axvline(at, color="C3", linestyle=":", linewidth=1)
    ax.plot(
        at,
        span.input_tokens,
        "X",
        color="C3",
        markersize=9,
        label="summary call (its own input tokens)" if k == 0 else None,
    )
ax.set_xlabel("step of the workflow (1-10)")
ax.set_ylabel("input tokens per call")
ax.set_xticks(list(x))
ax.set_title("Ticket 0: input tokens per step, with summarisation points")
ax.legend(loc="upper left", fontsize=8)
fig.tight_layout()

# %% [markdown]
# **The quality cost.** One more step asks a question whose answer sits in the first step: which
# category the ticket was put in. It is answered three ways: from the whole notes, from the
# budgeted notes (where step 1's note may now be a summary), and from explicit state, where
# `category` is a field that nothing summarises. Two grades: the answer names step 1's label
# (did the context keep the fact?), and it names the ticket's **true** category from the
# dataset (was the fact right in the first place?). Keeping a fact does not make it true:
# a label step 1 got wrong is remembered wrong.

# %%
QUESTION = "Question: Which category was this ticket classified into?"


async def ask_back(context_lines: list[str]) -> str:
    return (await llm.ask("Context:\n" + render(context_lines) + "\n\n" + QUESTION)).text


async def quality(results, lines) -> list[tuple[bool, bool]]:
    """Per run: does the answer name step 1's label, and does it name the ticket's true category?"""
    out = []
    for r, t in zip(results, tickets, strict=True):
        answer = (await ask_back(lines(r.state))).lower()
        out.append((r.state.category.lower() in answer, t["category"] in answer))
    return out


with measure.Meter(simulator, "question") as m:
    right = {
        "whole context": await quality(full, lambda s: s.notes),
        f"budget {budget_tokens} tokens": await quality(kept, lambda s: s.notes),
        "explicit state": await quality(lean, lambda s: [note("category", s.category)]),
    }


def run_cost(results) -> tuple[float, float]:
    return (
        sum(r.tokens for r in results) / len(results),
        sum(r.cost_usd for r in results) / len(results),
    )


summary = pd.DataFrame(
    {
        how: {
            "tokens per dossier (in + out)": run_cost(rs)[0],
            "cost per dossier ($)": run_cost(rs)[1],
            "tokens of the last step's prompt": call_tokens(rs[0])[-1],
            "names step 1's label": f"{sum(a for a, _ in right[how])}/{len(rs)}",
            "names the true category": f"{sum(b for _, b in right[how])}/{len(rs)}",
        }
        for how, rs in (
            ("whole context", full),
            (f"budget {budget_tokens} tokens", kept),
            ("explicit state", lean),
        )
    }
).T
summary

# %%
b = f"budget {budget_tokens} tokens"
saved = 1 - run_cost(kept)[0] / run_cost(full)[0]
dearer = run_cost(kept)[1] / run_cost(full)[1] - 1
aborted = sum(r.status != "completed" for r in kept)
prose(
    f"Measured: the budget of {budget_tokens} tokens {'cut' if saved > 0 else 'raised'} the tokens "
    f"of a dossier by **{abs(saved):.0%}** and {'cut' if dearer < 0 else 'raised'} its cost "
    f"by {abs(dearer):.0%} (the summaries' own calls included, "
    f"{sum(map(len, folds)) / len(kept):.1f} per dossier; {aborted} run(s) stopped on a broken "
    f"summary contract). It capped the last prompt at {call_tokens(kept[0])[-1]} tokens against "
    f"{call_tokens(full[0])[-1]}. The answer named step 1's label "
    f"**{sum(a for a, _ in right[b])} times in {len(kept)}**, against "
    f"{sum(a for a, _ in right['whole context'])} with the whole context and "
    f"{sum(a for a, _ in right['explicit state'])} with explicit state, which also costs least. "
    f"Graded against the dataset's true category instead: "
    + ", ".join(f"{how} {sum(t for _, t in r)}/{len(r)}" for how, r in right.items())
    + ": a context can only keep what step 1 said, right or wrong. A summary keeps what looks "
    "central in the text; an early label is a short line and is the first thing dropped."
)

# %% [markdown]
# Three lessons. **A budget caps the prompt, it does not make a short run cheap**: every
# summary is a call that reads what it folds, so over ten steps the savings and the summaries'
# cost nearly cancel; it pays when a context would otherwise be re-sent many more times (long
# agent loops), and it is what keeps a long run inside the context window at all.
# **Summarising is lossy compression with an LLM's judgement of what matters**, and it cannot
# know what a later step will ask; measure it on the questions your later steps ask.
# **Facts that later steps need belong in explicit state**, beside any summary: pin the
# category, the order number, the customer's name as fields, and summarise only the prose.
#
# ## 3. Conversation memory: what LangChain and LlamaIndex keep
#
# A chat is the whole-context habit by design: each turn sends the history. The same eight
# turns go to four memories, each on a `chat_budget`-token limit where it has one:
#
# - **LangChain**: in langchain-core 1.x both `RunnableWithMessageHistory` and
#   `InMemoryChatMessageHistory` are deprecated in favour of LangGraph's persistence ("short-term
#   memory"): a graph over `MessagesState`, whose `messages` channel has the `add_messages`
#   reducer, compiled with a checkpointer (`InMemorySaver`) that keeps the thread between calls.
#   What is *sent* to the model is cut with `trim_messages` to the last `chat_budget` tokens,
#   starting on a human turn; the checkpoint itself keeps everything. On today's models each
#   reply carries a thinking block signed for the conversation before it, and the API refuses
#   it under an edited history: a trimmed history sends the replies' text only.
# - **LlamaIndex**: `Memory` (0.14's replacement for the deprecated `ChatMemoryBuffer`): a
#   token-limited queue; past `token_limit × chat_history_token_ratio` the oldest turns are
#   flushed to memory blocks, here none, so they are dropped.
# - **Orchestra, explicit state**: a `Case` model with the facts of the conversation, updated by
#   an extraction call each turn; each reply sees the facts and the current turn only.
#
# All count tokens with the same function (`on_model`: the model's own tokenizer), so the limits
# mean the same. The last turn asks for something said in the first.

# %%
TURNS = [
    "Hi, my name is Priya and I run a small bakery. My order number is A-1042.",
    "The stand mixer I ordered arrived with a cracked bowl.",
    "I would like a replacement bowl rather than a refund.",
    "Can you ship it to the shop instead of my home address?",
    "The shop is at 12 Mill Lane, Leeds.",
    "How long will the replacement take?",
    "Also, the invoice shows the wrong VAT number.",
    "What is my name?",
]
NAME = "Priya"  # what the last turn asks for (said in turn 1)

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, trim_messages
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph


def lc_tokens(messages) -> int:
    # .text joins a message's text blocks (a reply's content is a list: thinking, then text)
    return sum(on_model(m.text) for m in messages)


async def langchain_chat(limit: int | None):
    chat = ChatAnthropic(model=model, base_url=base_url, max_tokens=2048)  # room to think
    sent = []  # what the model received on the last turn

    async def respond(state: MessagesState) -> dict:
        history = state["messages"]
        if limit is not None:
            history = trim_messages(
                history,
                max_tokens=limit,
                token_counter=lc_tokens,
                strategy="last",
                start_on="human",
            )
            # a reply's thinking block is signed for the conversation before it: once older
            # turns are cut, send the replies' text only (the API refuses the edited history)
            history = [AIMessage(m.text) if isinstance(m, AIMessage) else m for m in history]
        sent[:] = history
        return {"messages": [await chat.ainvoke(history)]}

    graph = StateGraph(MessagesState)
    graph.add_node("respond", respond)
    graph.add_edge(START, "respond")
    app = graph.compile(checkpointer=InMemorySaver())
    thread = {"configurable": {"thread_id": "priya"}}
    for turn in TURNS:
        out = await app.ainvoke({"messages": [HumanMessage(turn)]}, thread)
    return list(sent), out["messages"]


# %%
from llama_index.core.llms import ChatMessage
from llama_index.core.memory import Memory
from llama_index.llms.anthropic import Anthropic


def on_model_pieces(text: str) -> range:
    """Memory counts ``len(tokenizer_fn(text))``: one item per token on the model's tokenizer."""
    return range(on_model(text))


async def llama_chat(limit: int):
    chat = Anthropic(model=model, base_url=base_url, max_tokens=2048)  # room to think
    memory = Memory.from_defaults(
        token_limit=limit, tokenizer_fn=on_model_pieces, chat_history_token_ratio=1.0
    )
    for turn in TURNS:
        await memory.aput(ChatMessage(role="user", content=turn))
        sent = await memory.aget()
        reply = await chat.achat(sent)
        await memory.aput(reply.message)
    return sent, await memory.aget_all()


# %%
class Facts(BaseModel):
    """Facts the customer has given; null when this message gives none."""

    name: str | None = None
    order_number: str | None = None
    address: str | None = None


class Case(BaseModel):
    """The conversation's explicit state: the facts so far, and the last reply."""

    facts: Facts = Facts()
    reply: str = ""


def facts_lines(f: Facts) -> list[str]:
    return [f"Customer {k.replace('_', ' ')}: {v}." for k, v in f.model_dump().items() if v]


FORMATS = {"order_number": re.compile(r"[A-Z]-\d{4}")}  # how this shop writes order numbers
extracted = []  # what the extraction call returned on each turn, before any check


def checked(field: str, value: str, turn: str) -> bool:
    """Store a fact only if the turn says it verbatim, in the field's format if it has one."""
    fmt = FORMATS.get(field)
    return value in turn and (fmt is None or fmt.fullmatch(value) is not None)


async def orchestra_chat():
    case = Case()
    for turn in TURNS:
        got = (
            await llm.ask(
                f"Extract the name, order number and address from this message: {turn}",
                schema=Facts,
            )
        ).data
        extracted.append(got.model_dump())
        # the merge rule: a fact, once given, is kept (a later message that merely mentions a
        # street would otherwise overwrite the name); correcting one needs its own step. And a
        # fact is checked before it is stored: a wrong one would be acted on, a missing one asked
        new = {
            k: v
            for k, v in got.model_dump().items()
            if v and not getattr(case.facts, k) and checked(k, v, turn)
        }
        case = case.model_copy(update={"facts": case.facts.model_copy(update=new)})
        sent = f"Context:\n{render(facts_lines(case.facts))}\n\nQuestion: {turn}"
        case = case.model_copy(update={"reply": (await llm.ask(sent)).text})
    return sent, case


# %%
memories, call_logs = {}, {}
for label, run in {
    "LangChain history, everything": lambda: langchain_chat(None),
    f"LangChain history + trim_messages({chat_budget})": lambda: langchain_chat(chat_budget),
    f"LlamaIndex Memory(token_limit={chat_budget})": lambda: llama_chat(chat_budget),
    "orchestra explicit state (Case)": orchestra_chat,
}.items():
    with measure.Meter(simulator, label) as m:
        memories[label] = await run()
    memories[label] = (*memories[label], m.result)
    call_logs[label] = m.log  # each call the simulator answered, in order (none on real Claude)


# %%
def said(m) -> str:
    """A message's text: LangChain's ``.text`` (a reply's content is a list of blocks, thinking
    first), LlamaIndex's ``.content`` (which joins the text blocks)."""
    return m.text if isinstance(m, BaseMessage) else str(m.content or "")


def describe(label, sent, stored, measured) -> dict:
    if isinstance(stored, Case):
        keeps = "the facts: " + "; ".join(facts_lines(stored.facts))
        first_kept, answer = NAME in sent, stored.reply
        drops = "the wording of every turn"
    else:
        texts = [said(m) for m in sent]
        first_kept = any(TURNS[0] in t for t in texts)
        answer = said(stored[-1])
        keeps = f"{len(sent)} of {len(stored)} messages sent on the last turn"
        drops = (
            "nothing"
            if len(sent) == len(stored) - 1
            else f"the {len(stored) - 1 - len(sent)} oldest messages"
        )
    return {
        "memory": label,
        "keeps": keeps,
        "drops": drops,
        "turn 1 in the last prompt": first_kept,
        # from the simulator's log: None on real Claude
        "input tokens (8 turns)": measured.input_tokens,
        "calls": measured.calls,
        "cost ($)": None if measured.cost_usd is None else round(measured.cost_usd, 6),
        f"last answer names {NAME}": NAME in answer,
    }


memory_table = pd.DataFrame([describe(k, *v) for k, v in memories.items()]).set_index("memory")
if not simulator:
    print(
        "backend='anthropic': tokens, calls and cost are read from the simulator's log; on real "
        "Claude they are not measured, so the table keeps what each memory sent and answered"
    )
    memory_table = memory_table.dropna(axis="columns", how="all")
memory_table

# %%
orch = memory_table.loc["orchestra explicit state (Case)"]
everything = memory_table.loc["LangChain history, everything"]
answers = f"last answer names {NAME}"
if simulator:
    sentence = (
        f"Measured over {len(TURNS)} turns: sending the whole history cost "
        f"{everything['input tokens (8 turns)']} input tokens and remembered the name; both "
        f"token-limited memories dropped turn 1 and "
        f"{'lost' if not memory_table.iloc[1:3][f'last answer names {NAME}'].any() else 'kept'} it. "
        f"Explicit state kept it in a field "
        f"({'answered' if orch[f'last answer names {NAME}'] else 'yet missed it'}) for "
        f"{orch['input tokens (8 turns)']} input tokens in {orch['calls']} calls: an extraction call "
        f"per turn is its price, "
        f"{'more' if orch['input tokens (8 turns)'] > everything['input tokens (8 turns)'] else 'less'}"
        f" than the whole history over a conversation this short. Per turn, below."
    )
else:  # real Claude: what each memory sent and answered (tokens are not measured)
    sentence = (
        f"Measured over {len(TURNS)} turns (tokens not measured on real Claude): "
        + "; ".join(
            f"{label}: turn 1 {'in' if r['turn 1 in the last prompt'] else 'not in'} the last "
            f"prompt, the last answer {'names' if r[answers] else 'does not name'} {NAME}"
            for label, r in memory_table.iterrows()
        )
        + "."
    )
prose(sentence)

# %% [markdown]
# **Tokens per turn.** The input tokens each memory's calls were billed for, turn by turn,
# from the simulator's log (explicit state makes two calls a turn: the extraction and the
# reply; they are added).


# %%
def by_turn(log: list[dict]) -> list[int]:
    """Input tokens per turn: the log's calls in order, the same number of calls each turn."""
    k = len(log) // len(TURNS)
    return [sum(e["input_tokens"] for e in log[i * k : (i + 1) * k]) for i in range(len(TURNS))]


if simulator:
    per_turn = pd.DataFrame(
        {label: by_turn(log) for label, log in call_logs.items()},
        index=pd.RangeIndex(1, len(TURNS) + 1, name="turn"),
    )
    assert all(len(log) % len(TURNS) == 0 for log in call_logs.values())  # whole turns only
    fig, ax = plt.subplots(figsize=(9, 3.8), dpi=100)
    for label, style in zip(per_turn.columns, ["o-", "s-", "^-", "D-"], strict=True):
        ax.plot(per_turn.index, per_turn[label], style, label=label)
    ax.set_xlabel("turn of the conversation")
    ax.set_ylabel("input tokens billed in the turn")
    ax.set_title("Input tokens per turn")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
else:
    print("backend='anthropic': per-call tokens come from the simulator's log; not measured here")
    per_turn = None
per_turn

# %%
if per_turn is not None:
    grew = {k: (v.iloc[0], v.iloc[-1], v.max()) for k, v in per_turn.items()}
    said = prose(
        "Input tokens in the first turn, the last, and the most in any turn: "
        + "; ".join(f"{k}: {a}, {b}, {m}" for k, (a, b, m) in grew.items())
        + ". The whole history grows with every turn (each turn re-sends all the earlier ones); "
        "the trimmed buffers grow until their limit, then hold; explicit state sends the facts "
        "and the current turn, so it moves only with the length of the turn and of the facts."
    )
    everything_ = per_turn["LangChain history, everything"]
    assert everything_.is_monotonic_increasing  # the history only grows
    assert per_turn["orchestra explicit state (Case)"].max() < everything_.iloc[-1]
else:
    said = prose("Tokens per turn are read from the simulator's log: not measured on real Claude.")
said

# %% [markdown]
# **Explicit state is only as good as its extraction.** The facts the conversation gave, against
# what the extraction call returned and what the state stored after the check (`checked`: a
# fact must be said verbatim in the turn, and an order number must look like this shop's,
# `A-1042`).

# %%
TRUTH = {"name": "Priya", "order_number": "A-1042", "address": "12 Mill Lane, Leeds"}
given = {k: next((e[k] for e in extracted if e[k]), None) for k in TRUTH}  # the first offered
stored = memories["orchestra explicit state (Case)"][1].facts.model_dump()
facts_table = pd.DataFrame(
    [
        {
            "fact": k,
            "true value": v,
            "first extracted": given[k],
            "stored after the check": stored[k],
            "stored right": stored[k] == v,
            "stored wrong": stored[k] not in (None, v),
        }
        for k, v in TRUTH.items()
    ]
).set_index("fact")
facts_table

# %%
if simulator:
    assert not facts_table["stored wrong"].any()  # the check let no wrong fact through
right_facts = int(facts_table["stored right"].sum())
MISTAKES = {"order_number": "1042", "name": "Mill Lane"}  # the prefix dropped; a street as a name
wrong_offered = [k for k in TRUTH if given[k] not in (None, TRUTH[k])]
missed = [k for k in TRUTH if given[k] is None]
prose(
    f"Of {len(TRUTH)} facts the customer gave, the extraction offered "
    + (
        ", ".join(f"`{k}` wrong ({given[k]!r} for {TRUTH[k]!r})" for k in wrong_offered)
        or "none wrong"
    )
    + " and "
    + (", ".join(f"`{k}` never" for k in missed) or "every one at least once")
    + f". The state holds {right_facts} right, {int(facts_table['stored wrong'].sum())} wrong "
    f"and {int(facts_table['stored after the check'].isna().sum())} missing. "
    + ("" if wrong_offered else "The check had nothing to stop in this run. ")
    + "Offered the two mistakes a weaker extractor makes on turn 1, it stores neither: "
    + ", ".join(
        f"{v!r} for the {k.replace('_', ' ')} ({why})"
        for (k, v), why in zip(
            MISTAKES.items(), ("not in the shop's format", "not said in the turn"), strict=True
        )
        if not checked(k, v, TURNS[0])
    )
    + ". A wrong value becomes a missing one, which the next reply can ask for instead of "
    "acting on it. Grade an extraction step against the truth like any other step."
)
# %% [markdown]
# What each keeps and drops, in words:
#
# - **The whole history** keeps everything and pays for it again on every turn; it is the only
#   one that can answer a question nobody planned for, until the context window ends it.
# - **A token-limited buffer** (`trim_messages`, LlamaIndex `Memory`) keeps the recent turns
#   verbatim and drops the oldest first: the customer's name, given in the greeting, is the
#   first thing to go. LlamaIndex's `Memory` can flush what it drops into memory blocks (a
#   `FactExtractionMemoryBlock` asks an LLM for facts, a `VectorMemoryBlock` retrieves old
#   turns); in LangGraph you add a node that summarises old messages. Either is the context
#   budget of section 2 under another name, with its quality cost.
# - **Explicit state** keeps the facts you decided to keep, and nothing else: the wording of the
#   turns is gone, and a fact you did not model (the VAT complaint) is not remembered. Its merge
#   rule matters. `orchestra_chat` keeps a fact once given; had each turn's extraction
#   overwritten the last, a turn that gives no name would have erased it (a null is a value
#   too), and one that reads a name where there is none would have replaced it. Turn 5, which
#   says only where the shop is:

# %%
turn5 = (
    await llm.ask(
        f"Extract the name, order number and address from this message: {TURNS[4]}", schema=Facts
    )
).data
print(f"turn 5: {TURNS[4]!r} -> {turn5.model_dump()}")
print(
    "an extraction that overwrote the last would have "
    + (
        "kept the name"
        if turn5.name == NAME
        else "erased the name"
        if turn5.name is None
        else f"replaced the name with {turn5.name!r}"
    )
)

# %% [markdown]
# The usual production answer is both: a bounded buffer for the flow of the conversation, and
# explicit state for the facts the workflow acts on.
#
# ### The context window: a hard limit, and a soft one well before it
#
# **The hard limit.** A model takes at most its **context window** of tokens in one request;
# a longer prompt is refused (HTTP 400), so a whole-context workflow does not degrade at the
# limit, it stops. How far off is it? Take the growth measured above (tokens added per step of
# the dossier, per turn of the chat) and divide:

# %%
from orchestra.prices import listing

step_growth = (tokens["whole context"].iloc[-1] - tokens["whole context"].iloc[0]) / (
    len(tokens) - 1
)
history = per_turn["LangChain history, everything"] if per_turn is not None else None
turn_growth = (
    (history.iloc[-1] - history.iloc[0]) / (len(history) - 1) if history is not None else None
)
windows = pd.DataFrame(
    [
        {
            "model": m,
            "context window (tokens)": listing(m).context_window,
            "dossier steps until full": listing(m).context_window / step_growth,
            "chat turns until full": listing(m).context_window / turn_growth
            if turn_growth
            else None,
        }
        for m in (model, LEGACY_HAIKU)
    ]
).set_index("model")
print(
    f"measured growth: {step_growth:.0f} tokens per dossier step, "
    + (f"{turn_growth:.0f} per chat turn" if turn_growth else "chat not measured")
)
windows.round(0)

# %% [markdown]
# Thousands of steps: with answers of a few dozen tokens the window is far away, and cost
# (quadratic over the run) binds long before it. An agent whose steps carry tool results
# (a web page, a file, a query's rows: thousands of tokens each) reaches it in tens of steps.
# What the refusal looks like, on the legacy Haiku 4.5 (a 200K-token window: a prompt past it is
# quick to build; today's models take 1M):

# %%
from orchestra.errors import FatalLLMError

window = listing(LEGACY_HAIKU).context_window
line = render(full[0].state.notes) + "\n"
too_long = line * (int(window / count_tokens(line, model=LEGACY_HAIKU)) + 200)
print(f"a prompt of {count_tokens(too_long, model=LEGACY_HAIKU):,} tokens, window {window:,}")
if simulator:  # on real Claude this would send ~1 MB to be refused: shown on the simulator only
    try:
        await llm.with_model(LEGACY_HAIKU).ask(too_long + "\n" + QUESTION)
    except FatalLLMError as exc:
        print(type(exc).__name__, "->", str(exc)[:160])

# %% [markdown]
# **The soft limit: lost in the middle.** Long before the window, a long prompt is read less
# reliably. Liu et al. ("Lost in the Middle: How Language Models Use Long Contexts", TACL 2024,
# arXiv 2307.03172) put the one document that answers a question among 10 to 30 retrieved ones
# and moved it: accuracy was highest with the answer at the start or the end of the context and
# lowest in the middle (a U-shape), in some settings below the model's accuracy with no
# documents at all. Anthropic's long-context tips say the same in practice: put long documents
# at the top, the question at the end (up to 30% better answers in their tests on complex
# multi-document inputs), and ask for the relevant quotes first.
#
# **The simulator does not model position**: it reads a fact the same wherever it sits in the
# prompt, so this chapter cannot measure the effect, and does not claim a number for it. To
# measure it on your model, plant one fact (the "needle") at several depths of a long context
# and ask for it, as above with `ask_back`, many times per depth. What follows for state:
# whole-context prompts put every early fact in the middle of a growing prompt, which is one
# more reason to keep the facts a step needs as fields, sent first, with the question last.
#
# ## 4. Two parallel steps, one field: the lost update
#
# Two steps tag the same ticket at once, one with its topic, one with its sentiment, and both
# add to one `tags` list. Each reads the list, waits for its LLM call, and writes the list back
# with its tag added. Written by hand on a shared dict, the second write replaces the first.

# %%
TEXT = tickets[0]["text"]
ASK = {
    "topic": "Classify this ticket into one of: billing, account, shipping, technical.\nTicket: {}",
    "sentiment": "Classify the sentiment of this ticket into one of: positive, neutral, negative.\nTicket: {}",
}


async def label(kind: str) -> str:
    return (await llm.ask(ASK[kind].format(TEXT))).text.strip()


shared = {"tags": []}


async def add_tag(kind: str) -> None:
    tags = shared["tags"]  # read
    tag = await label(kind)  # the other step runs meanwhile
    shared["tags"] = [*tags, tag]  # write back: whoever writes last wins


await asyncio.gather(add_tag("topic"), add_tag("sentiment"))
print(f"by hand: {len(shared['tags'])} of 2 tags kept")

# %% [markdown]
# **Orchestra** refuses the workflow before it runs: parallel branches must declare what they
# write, and two that write one field need a **merge rule**, a function `(old, new) -> merged`
# folded over the branches in order. `operator.add` appends both lists.


# %%
class Tagged(BaseModel):
    text: str
    tags: list[str] = []


def tagger(kind: str):
    @step(name=kind, writes="tags")
    async def run(t: Tagged) -> dict:
        return {"tags": [*t.tags, await label(kind)]}

    return run


try:
    Workflow("tags", state=Tagged, steps=[parallel(tagger("topic"), tagger("sentiment"))])
except MergeConflictError as exc:
    print(f"{type(exc).__name__}: {exc}")


# %%
def each_new(old: list, new: list) -> list:
    """Each branch returned the old list plus its own tags: keep old, add what is new."""
    return old + [t for t in new if t not in old]


merged = Workflow(
    "tags",
    state=Tagged,
    steps=[parallel(tagger("topic"), tagger("sentiment"), merge={"tags": each_new})],
)
ours = await merged.run(Tagged(text=TEXT))
print("orchestra, merge rule:", sorted(ours.state.tags))

# %% [markdown]
# Mind what a branch returns. Here each branch returns the whole list (`[*t.tags, tag]`), so a
# plain `operator.add` would duplicate whatever was in it before the fan-out; the rule above
# adds only what is new. Returning only the delta (`{"tags": [tag]}`) and merging with
# `operator.add` is the other consistent choice; LangGraph makes it the convention.
#
# **LangGraph** checks at run time: two nodes in one super-step writing a key without a
# reducer raise `InvalidUpdateError`. A reducer is declared on the state's type,
# `Annotated[list[str], operator.add]`, and nodes return only their new items.
#
# **LlamaIndex Workflows** keep shared values in `ctx.store`; `get` then `set` across an `await`
# is the hand-written lost update again. `ctx.store.edit_state()` takes a lock for the
# read-modify-write. With a real model each call takes a second or more, so the two steps
# always overlap; the simulator at `time_scale = 0` answers in milliseconds, and the workflow
# may start the second worker after the first is done. A barrier makes both read before
# either writes, the overlap a real model gives every time.

# %%
from langgraph.errors import InvalidUpdateError
from langgraph.graph import END


def langgraph_tags(reducer: bool):
    class S(TypedDict):
        tags: Annotated[list[str], operator.add] if reducer else list[str]

    def node(kind):
        async def run(state: S) -> dict:
            return {"tags": [await label(kind)] if reducer else [*state["tags"], await label(kind)]}

        return run

    graph = StateGraph(S)
    for kind in ASK:
        graph.add_node(kind, node(kind))
        graph.add_edge(START, kind)
        graph.add_edge(kind, END)
    return graph.compile()


for reducer in (False, True):
    try:
        out = await langgraph_tags(reducer).ainvoke({"tags": []})
        print(f"LangGraph, reducer={reducer}: {sorted(out['tags'])}")
    except InvalidUpdateError as exc:
        print(f"LangGraph, reducer={reducer}: {type(exc).__name__}: {str(exc).splitlines()[0]}")

# %%
from workflows import Context
from workflows import Workflow as LlamaWorkflow
from workflows import step as llama_step
from workflows.events import Event, StartEvent, StopEvent


class Tag(Event):
    kind: str


class Tagged_(Event):
    pass


def llama_tags(locked: bool):
    overlap = asyncio.Barrier(len(ASK))

    class Tagger(LlamaWorkflow):
        @llama_step
        async def fan_out(self, ctx: Context, ev: StartEvent) -> Tag | None:
            await ctx.store.set("tags", [])
            for kind in ASK:
                ctx.send_event(Tag(kind=kind))
            return None

        @llama_step(num_workers=2)
        async def tag(self, ctx: Context, ev: Tag) -> Tagged_:
            if locked:
                new = await label(ev.kind)
                async with ctx.store.edit_state() as state:  # read-modify-write under a lock
                    state["tags"] = [*state["tags"], new]
            else:
                tags = await ctx.store.get("tags")
                new = await label(ev.kind)
                await overlap.wait()  # both steps have read: a real model's latency
                await ctx.store.set("tags", [*tags, new])
            return Tagged_()

        @llama_step
        async def fan_in(self, ctx: Context, ev: Tagged_) -> StopEvent | None:
            if ctx.collect_events(ev, [Tagged_] * len(ASK)) is None:
                return None
            return StopEvent(result=await ctx.store.get("tags"))

    return Tagger(timeout=30)


for locked in (False, True):
    tags = await llama_tags(locked).run()
    print(f"LlamaIndex, {'edit_state()' if locked else 'get + set'}: {len(tags)} of 2 tags kept")

# %% [markdown]
# | | without a rule | with one |
# |---|---|---|
# | by hand (asyncio) | one tag silently lost | a lock, or a merge you write |
# | orchestra | `MergeConflictError` when the workflow is built | `parallel(..., merge={"tags": rule})` |
# | LangGraph | `InvalidUpdateError` when the super-step ends | a reducer on the state type: `Annotated[list, operator.add]` |
# | LlamaIndex Workflows | one tag silently lost (`get` then `set`) | `async with ctx.store.edit_state()` |
#
# The silent rows are the dangerous ones: nothing fails, the output just lacks a tag, and only
# an evaluation would notice.
#
# ## 5. State after a failure: what the retry sees
#
# A step fails half-way: it has started changing the state, then its LLM call fails, and the
# retry policy runs it again. What does the second attempt see? In orchestra a step *returns* a
# delta and the engine applies it only when the step completes, so the retry sees **the state
# before the step**; the checkpoint store commits one row per completed step, so a resumed run
# does too. The one way to break it is to mutate the state in place.
#
# The workflow below: `classify`, then `reply`, whose first call fails with a 529 (staged on the
# simulator) and whose retry policy tries again; every completed step is checkpointed in SQLite.
# It runs twice: with `reply` returning a delta, and with `reply` appending to the state's list
# in place. Each attempt records the log it saw. Real Claude cannot be told to fail: with
# `backend="anthropic"` nothing is staged, each `reply` usually succeeds at once, and there is
# no retry to look at (the asserts below hold only when the failure was staged).


# %%
class Ticket(BaseModel):
    text: str
    category: str = ""
    log: list[str] = []
    reply: str = ""


seen = []
PROMPTS = {
    "classify": "Classify this ticket into one of: billing, account, shipping, technical.\nTicket: {text}",
    "reply": "Write a short reply to this ticket.\nTicket: {text}",
}


def make_steps(in_place: bool):
    @step(name="classify", writes=("category", "log"))
    async def classify(t: Ticket) -> dict:
        category = (await llm.ask(PROMPTS["classify"].format(text=t.text))).text
        return {"category": category, "log": [*t.log, "classified"]}

    @step(name="reply", writes=("reply", "log"), retry=Retry(max_attempts=2, base_delay=0.0))
    async def reply(t: Ticket, ctx) -> dict:
        seen.append(
            {"mutates in place": in_place, "attempt": ctx.attempt, "log it saw": list(t.log)}
        )
        if in_place:
            t.log.append("reply started")  # the bug: the state the retry will see is changed
            log = t.log
        else:
            log = [*t.log, "reply started"]  # a new list, part of the delta
        text = (await llm.ask(PROMPTS["reply"].format(text=t.text))).text
        return {"reply": text, "log": [*log, "replied"]}

    return [classify, reply]


workdir = tempfile.TemporaryDirectory()  # the checkpoint file; removed at the end
store = SqliteStore(Path(workdir.name) / "state.db")
runs = {}
for in_place in (False, True):
    if simulator:  # the first reply call of each run answers 529 Overloaded
        simulator.configure(
            faults=sim.Faults(plan=[sim.Rule("overloaded", match="Write a short reply", nth=1)])
        )
    wf = Workflow("retry", state=Ticket, steps=make_steps(in_place))
    runs[in_place] = await wf.run(Ticket(text=TEXT), store=store, run_id=f"in_place={in_place}")
if simulator:
    simulator.configure(faults=sim.Faults())
else:
    print("backend='anthropic': no 529 staged (that needs the simulator), so no retry to see")
pd.DataFrame(seen)

# %% [markdown]
# The delta version's second attempt saw the same log as its first: the state before the step.
# The in-place version's retry saw `"reply started"` left by the failed attempt. The journal
# below is the record on disk: one row per completed step, holding that step's delta as JSON.
# The failed attempt wrote no row; but the in-place run's `reply` row carries the doubled log,
# because the mutation went into the delta it finally returned (the cell asserts both).

# %%
rows = [
    {"run": run_id, "key": key, "fields": ", ".join(entry["out"]), "log": entry["out"]["log"]}
    for run_id in ("in_place=False", "in_place=True")
    for key, entry in store.journal(run_id).items()
]
if simulator:  # the staged 529: each run's reply ran twice
    assert (
        seen[1]["log it saw"] == seen[0]["log it saw"]
        and runs[False].state.log.count("reply started") == 1
    )
    assert runs[True].state.log.count("reply started") == 2
pd.DataFrame(rows).set_index(["run", "key"])

# %% [markdown]
# Why the engine does not deep-copy the state for every step to prevent this: it costs a copy
# per step of everything the state holds, and the chapter-01 engine is built on cheap
# `model_copy(update=...)`. The contract is the convention Burr and LangGraph share: **a step
# returns new values and never mutates its input**. A resumed run (chapter 08) replays the
# journal's deltas onto the saved initial state, so after a crash the next step also sees the
# state as of its predecessor's commit, never a half-written one.
#
# ## Interview angle
#
# - *"Each step of our workflow gets the full conversation so far. What does that cost, and what
#   would you change?"* Input tokens grow with every step (quadratically over the run); measure
#   tokens per step from the traces; give each step a typed input with only what it reads; keep
#   the facts later steps need as fields.
# - *"The context will not fit. What are the options?"* Truncate (cheapest, drops the oldest
#   first), summarise past a budget (an extra call each time, lossy: measure on questions about
#   early steps; the summary needs a contract), retrieve (store turns, fetch the relevant ones),
#   or restructure into explicit state. Pin facts beside any summary. Long before the window
#   is full, facts in the middle of a long prompt are used less reliably (lost in the middle):
#   put long material first and the question last, and measure recall by position.
# - *"How do you give a chatbot memory?"* A bounded buffer for recent turns plus explicit,
#   structured facts (with a merge rule: which value wins when a later turn disagrees) and,
#   for long histories, summaries or retrieval; know what each drops.
# - *"Two parallel steps update the same field. What can go wrong?"* The lost update. Declare
#   a merge rule (orchestra `merge=`, LangGraph reducers), make it commutative when branch order
#   is not guaranteed, and decide whether branches return deltas or whole values.
# - *"A step fails after changing some state. What does the retry see?"* With immutable state
#   and deltas committed per completed step: the state before the step. With in-place mutation:
#   whatever the failed attempt left. Checkpoints make it durable across crashes; idempotent
#   side effects make the retry safe outside the state too.

# %%
workdir.cleanup()
if simulator:
    simulator.stop()
