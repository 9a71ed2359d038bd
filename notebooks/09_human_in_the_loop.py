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
#       model: claude-sonnet-5-5
#       reviews:
#       - edit
#       - reject
#       - approve
#       - edit
#       seed: 1
#       time_scale: 0.0
#       your_turn: edit
# ---

# %% [markdown]
# # 09 · Human in the loop: draft, pause for a person, continue with their decision
#
# Some outputs should not leave the building until a person has looked at them: a product page,
# a refund above a threshold, an email to a customer, a database migration. The workflow drafts,
# **pauses** for an approval, then continues with the person's decision: **approve** (publish the
# draft), **reject** (publish nothing), or **edit** (publish the person's version).
#
# The pause is the hard part. A person answers in minutes or days, so the run cannot hold a
# process, a kernel or a connection open while it waits. Here the engine ends the run with status
# `waiting` and a **checkpoint** (one SQLite row per completed step); `resume(run_id, store,
# decision=..., question=...)` continues it later, from any process, replaying the completed steps
# from the journal instead of running them again. The draft the person approved is the one that
# gets published, and it is paid for once. The decision names the question it answers, so a
# repeated click or request can never approve a later question that nobody saw.
#
# **Use it when** a wrong output is costly or irreversible, when rules cannot decide, or when you
# need an audit trail of who approved what. **Do not use it when** the volume is high and a rule
# or a grader model decides well enough (chapter 04), or when the answer is needed in seconds.
#
# **Cost and latency:** the pause adds the person's latency (which dwarfs any model's) and no
# token cost, *if* resuming does not repeat the work before the pause. This chapter measures
# exactly that, here and in LangGraph, where a node that calls `interrupt()` runs again from its
# start on resume.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
model = "claude-haiku-5-5"  # the drafting model
seed = 0  # the simulator's seed: same seed, same drafts
time_scale = 0.01  # wall-clock seconds per simulated second
db_path = "runs-09.db"  # the checkpoint file (SQLite); section 3 starts it afresh
reviews = ["approve", "edit", "reject"]  # the scripted reviewer: one decision per product, in order
your_turn = (
    None  # None: the last panel waits for your click; "approve"/"reject"/"edit": decide headless
)

# %% [markdown]
# ## Set-up
#
# The simulator, the drafting model and the products (`orchestra/data/products.jsonl`: hand-written
# products, each with the points its description must mention).

# %%
import math
from pathlib import Path

import pandas as pd
from IPython.display import display
from pydantic import BaseModel

from orchestra import (
    LLM,
    Context,
    Retry,
    SqliteStore,
    Workflow,
    approval,
    datasets,
    log_steps,
    measure,
    sim,
    step,
    viz,
)
from orchestra.errors import DecisionMismatchError
from orchestra.review import review_panel
from orchestra.viz import prose

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
products = datasets.load("products")
# Today's models think before they write, and the thinking counts in max_tokens: room for both
MAX_TOKENS = 1024
llm = LLM(model, backend=backend, max_tokens=MAX_TOKENS)
calls = lambda: (
    len(simulator.log) if simulator else math.nan
)  # LLM calls so far (real: not counted)
print("backend:", backend, "| model:", model, "| scripted reviews:", reviews)


# %% [markdown]
# ## 1. The state and what a decision does
#
# The state carries the product, the draft, the person's **decision** and what was published.
# A decision is plain JSON (it is saved in the checkpoint, like every step's output):
# `{"action": "approve"}`, `{"action": "reject"}` or `{"action": "edit", "text": "..."}`.
# `outcome_of` turns a decision into the next state; an unknown action is an error, never a
# silent publish.


# %%
class Listing(BaseModel):
    product: str
    must_mention: list[str]
    draft: str = ""
    decision: dict | None = None  # the person's decision, written by the approval step
    legal: dict | None = None  # a second reviewer's decision (section 5 asks two people)
    published: str | None = None  # what goes live (None: nothing)
    outcome: str = ""


def draft_prompt(s: Listing) -> str:
    return (
        f"Write a product description for {s.product} in at most 40 words. "
        f"It must mention: {', '.join(s.must_mention)}."
    )


def outcome_of(draft: str, decision: dict) -> dict:
    action = decision.get("action")
    if action == "approve":
        return {"published": draft, "outcome": "approved"}
    if action == "edit":
        return {"published": decision["text"], "outcome": "edited"}
    if action == "reject":
        return {"published": None, "outcome": "rejected"}
    raise ValueError(f"unknown decision {decision!r}: expected approve, reject or edit")


# %% [markdown]
# ## 2. The workflow: draft → approval → publish
#
# Three nodes. `draft` is the only LLM call. `approval(...)` is a step of its own: it asks the
# question, with what `show=` returns as the payload the reviewer sees, and writes the answer into
# `state.decision`. `publish` is plain code.


# %%
@step(writes=("published", "outcome"))
async def publish(s: Listing) -> dict:
    return outcome_of(s.draft, s.decision)


def make_draft(llm: LLM):
    @step(writes="draft", retry=Retry(max_attempts=3, base_delay=0.01))
    async def draft(s: Listing) -> dict:
        return {"draft": (await llm.ask(draft_prompt(s))).text}

    return draft


def make_review_workflow(llm: LLM) -> Workflow:
    return Workflow(
        "listing_review",
        state=Listing,
        steps=[
            make_draft(llm),
            approval(
                "Publish this product description?",
                into="decision",
                show=lambda s: {"draft": s.draft},
            ),
            publish,
        ],
    )


# %% [markdown]
# ## 3. Run it until it waits
#
# There is no decision yet, so the run stops at the approval step: status `waiting`, with the
# question, its **key** and the draft in `waiting_for`. The draft is committed to the SQLite file; the run holds
# nothing in memory. Look at `missing` (what has not run) and at the cost so far.

# %%
for suffix in ("", "-wal", "-shm"):  # a fresh checkpoint file for this notebook
    Path(db_path + suffix).unlink(missing_ok=True)
store = SqliteStore(db_path)
wf = make_review_workflow(llm)
first = Listing(product=products[0]["product"], must_mention=products[0]["must_mention"])

log_steps()
result = await wf.run(first, store=store, run_id="listing-p01")
log_steps(False)
print("status =", result.status)
print("question:", result.waiting_for["prompt"], "| key:", result.waiting_for["key"])
print("draft:   ", result.waiting_for["payload"]["draft"])
print("missing: ", result.missing)
print(f"cost so far: ${result.cost_usd:.6f} ({result.tokens} tokens)")

# %% [markdown]
# The checkpoint, as the store keeps it: one row per completed step, and the run's status.

# %%
print("stored status:", store.load("listing-p01").status)
print("journal keys: ", list(store.journal("listing-p01")))
print("waiting for:  ", store.load("listing-p01").info["waiting_for"]["key"])

# %% [markdown]
# ## 4. The pause survives a restart
#
# After a kernel restart (or in another process, hours later) you have two things: the run id and
# the database file. Below we drop every object and build **new** ones, exactly what re-running
# the set-up and definition cells after a restart gives you. `wf.waiting(run_id, store)` reads the
# question back from the file (what a review page would show), and the decision is sent with that
# question's key. The resume replays `draft` from the journal (no LLM call), records the decision
# under the approval's key, and runs `publish`.
#
# Try it for real: restart the kernel, run the set-up cell and sections 1 and 2, then this cell
# without its first line.

# %%
del wf, store, result  # nothing of the first run is left in memory

store = SqliteStore(db_path)  # the file...
wf = make_review_workflow(LLM(model, backend=backend, max_tokens=MAX_TOKENS))  # ...the definition
asked = wf.waiting("listing-p01", store)  # what the reviewer is shown: prompt, payload, key
print("the reviewer sees:", asked["prompt"], "| key:", asked["key"])
before = calls()
log_steps()
done = await wf.resume("listing-p01", store, decision={"action": "approve"}, question=asked["key"])
log_steps(False)
print("status =", done.status, "|", done.state.outcome)
print("published:", done.state.published)
print("LLM calls during the resume:", calls() - before)
print(f"total cost of the run: ${done.cost_usd:.6f}")
print(done.trace.to_dataframe()[["key", "kind", "status"]].to_string(index=False))


# %% [markdown]
# The log shows only the steps that ran: `approval` (it found the decision the resume recorded) and
# `publish`. The trace has the draft as `replayed`: it came back from the checkpoint, with no call.
#
# ## 5. A decision answers one question
#
# A decision comes from somewhere else: a button, an email link, an HTTP request. Those repeat.
# A cell is re-run, the same review page is open in a second tab, a client retries a request that
# timed out although the server had applied it. If `resume` took "approve" to mean "approve
# whatever the run waits on now", the repeated approve would land on the *next* question, one
# nobody has read. So a decision carries the key of the question the person saw
# (`waiting_for["key"]`, which the panel and a review link keep with the question), and `resume`
# refuses a decision for any other question with `DecisionMismatchError`, changing nothing. (A
# decision without `question=` is a `ConfigError`; two resumers at the same moment get
# `RunBusyError`: a run has one owner.)
#
# The workflow below asks twice: legal checks the claims, then an editor approves publication.
# The legal reviewer's approve is sent, then sent again (a retried request, or a second tab) while
# the run waits for the editor; the editor approves; then a re-run cell sends the editor's approve
# again after the run has finished.


# %%
@step(writes=("published", "outcome"))
async def publish_if_cleared(s: Listing) -> dict:
    if s.legal.get("action") != "approve":
        return {"published": None, "outcome": "blocked by legal"}
    return outcome_of(s.draft, s.decision)


two_approvals = Workflow(
    "two_approvals",
    state=Listing,
    steps=[
        make_draft(llm),
        approval("Legal: are these claims accurate?", into="legal", name="legal"),
        approval("Publish this product description?", into="decision", name="editor"),
        publish_if_cleared,
    ],
)
p = products[1]
paused = await two_approvals.run(
    Listing(product=p["product"], must_mention=p["must_mention"]), store=store, run_id="two-p02"
)
legal_key = paused.waiting_for["key"]  # the question the legal reviewer sees
attempts, refusals = [], []


async def send(who: str, key: str) -> None:
    try:
        r = await two_approvals.resume(
            "two-p02", store, decision={"action": "approve"}, question=key
        )
        result = f"applied: run {r.status}"
    except DecisionMismatchError as exc:
        refusals.append(exc)
        result = "refused: DecisionMismatchError"
    now = two_approvals.waiting("two-p02", store)
    attempts.append(
        {
            "who sends approve": who,
            "question it names": key,
            "result": result,
            "run now waits on": now["key"] if now else "nothing",
        }
    )


await send("legal reviewer clicks Approve", legal_key)
editor_key = two_approvals.waiting("two-p02", store)["key"]
await send("the same request, retried after a timeout", legal_key)
await send("the editor clicks Approve", editor_key)
await send("a re-run of the editor's cell", editor_key)
pd.DataFrame(attempts)

# %% [markdown]
# What the retried request was told (the error names the question the run waits on, so a review
# page can say "already decided" and show what is open now):

# %%
retried = refusals[0]
print(f"{type(retried).__name__}: {retried}")
print("expected:", retried.expected, "| got:", retried.got)
final = await two_approvals.resume("two-p02", store)  # no decision: just read the result back
assert [a["result"].split(":")[0] for a in attempts] == ["applied", "refused", "applied", "refused"]
print(
    "outcome:",
    final.state.outcome,
    "| legal:",
    final.state.legal,
    "| editor:",
    final.state.decision,
)

# %% [markdown]
# Each approve was applied exactly once, to the question its sender saw; the retried legal approve
# did not become the editor's approval.
#
# ## 6. Headless: a scripted reviewer
#
# In papermill or a test nobody clicks. The same workflow takes its decisions from the `reviews`
# parameter: the scripted reviewer below turns an action into a decision (an *edit* adds the points
# the draft forgot, as a person would). Same code path as the panel, so the run is unattended and
# reproducible.


# %%
def scripted(action: str, draft: str, must_mention: list[str]) -> dict:
    if action != "edit":
        return {"action": action}
    forgot = [m for m in must_mention if m.lower() not in draft.lower()]
    return {
        "action": "edit",
        "text": draft + (" Also: " + ", ".join(forgot) + "." if forgot else ""),
    }


rows = []
for p, action in zip(products[: len(reviews)], reviews, strict=True):
    state = Listing(product=p["product"], must_mention=p["must_mention"])
    run_id = f"scripted-{p['id']}"
    paused = await wf.run(state, store=store, run_id=run_id)
    decision = scripted(action, paused.waiting_for["payload"]["draft"], p["must_mention"])
    final = await wf.resume(run_id, store, decision=decision, question=paused.waiting_for["key"])
    rows.append(
        {
            "product": p["product"],
            "paused": paused.status,
            "decision": action,
            "final": final.status,
            "outcome": final.state.outcome,
            "published": final.state.published,
            "cost ($)": round(final.cost_usd, 6),
        }
    )
scripted_runs = pd.DataFrame(rows).set_index("product")
scripted_runs


# %% [markdown]
# ## 7. The mistake: asking inside the step that drafts
#
# A step may also call `ctx.ask_human(...)` itself. Tempting: draft and ask in one function. But a
# step is the unit of checkpointing: it is committed only when it *returns*, and a step that pauses
# has not returned. On resume it runs again **from its first line**, so the LLM call is paid twice.
# Worse, the second call is a new sample: today's models take no temperature, and the same request
# is not the same answer (the seeded simulator gives the k-th identical request its k-th sample;
# real Claude gives a fresh one each time). So the draft that goes out may not be the one the
# person approved.


# %%
def make_eager_workflow(llm: LLM) -> Workflow:
    @step(writes=("draft", "decision"))
    async def draft_and_ask(s: Listing, ctx: Context) -> dict:
        text = (await llm.ask(draft_prompt(s))).text
        return {"draft": text, "decision": ctx.ask_human("Publish this?", {"draft": text})}

    return Workflow("eager_review", state=Listing, steps=[draft_and_ask, publish])


async def run_and_approve(workflow, run_id):
    start = calls()
    paused = await workflow.run(first, store=store, run_id=run_id)
    final = await workflow.resume(
        run_id, store, decision={"action": "approve"}, question=paused.waiting_for["key"]
    )
    return {
        "LLM calls": calls() - start,
        "cost ($)": round(final.cost_usd, 6),
        "approved draft published": final.state.published == paused.waiting_for["payload"]["draft"],
    }


mistake = pd.DataFrame(
    {
        "approval as its own step": await run_and_approve(wf, "own-step"),
        "ask_human inside the draft step": await run_and_approve(make_eager_workflow(llm), "eager"),
    }
).T
mistake

# %%
own, eager = mistake.loc["approval as its own step"], mistake.loc["ask_human inside the draft step"]
assert own["approved draft published"]
assert not simulator or eager["LLM calls"] == 2 * own["LLM calls"]  # counted from its log
prose(
    (
        f"Asking inside the step made {eager['LLM calls']} calls where {own['LLM calls']} did, for "
        if simulator
        else "Asking inside the step (calls not counted on real Claude: no simulator log) cost "
    )
    + f"${eager['cost ($)']:.6f} against ${own['cost ($)']:.6f}, and "
    + (
        "published the draft the person approved: this time the new sample said the same."
        if eager["approved draft published"]
        else "published **a draft nobody approved**: the resume drafted again, and the new "
        "sample is what went live, under the person's approval of the old one."
    )
    + " The engine charges the thrown-away call to the run (`cost_usd` counts it), so the "
    "mistake shows up on the bill and in the trace, not only in the code review. The rule: "
    "**work before a pause belongs in an earlier step.**"
)

# %% [markdown]
#
# ## 8. LangGraph: `interrupt()` re-runs its node
#
# LangGraph's human-in-the-loop is `interrupt(value)` inside a node, with a checkpointer, and
# `Command(resume=...)` to continue. Its docstring says it plainly: *"The graph resumes from the
# start of the node, re-executing all logic."* A counter shows it: the node that drafts and then
# interrupts runs twice, and so does its LLM call. (The answer is read with `.text`, which joins
# the text blocks; `.content` is a list that starts with the thinking block.)

# %%
from typing import TypedDict

from langchain_anthropic import ChatAnthropic
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt


class GraphState(TypedDict, total=False):
    prompt: str
    draft: str
    published: str | None
    outcome: str


def langgraph_in_one_node(chat, runs: list):
    async def draft_and_review(s: GraphState) -> dict:
        runs.append("draft_and_review")
        draft = (await chat.ainvoke(s["prompt"])).text
        decision = interrupt({"draft": draft})  # pauses; on resume, returns the decision
        return {"draft": draft, **outcome_of(draft, decision)}

    g = StateGraph(GraphState)
    g.add_node("draft_and_review", draft_and_review)
    g.add_edge(START, "draft_and_review")
    g.add_edge("draft_and_review", END)
    return g.compile(checkpointer=InMemorySaver())


# %%
chat = ChatAnthropic(model=model, base_url=base_url, max_tokens=MAX_TOKENS)
runs, start = [], calls()
graph = langgraph_in_one_node(chat, runs)
config = {"configurable": {"thread_id": "p01"}}
out = await graph.ainvoke({"prompt": draft_prompt(first)}, config)
shown = out["__interrupt__"][0].value["draft"]
print("paused with:", shown)
out = await graph.ainvoke(Command(resume={"action": "approve"}), config)
print("outcome:", out["outcome"], "| node executions:", len(runs), "| LLM calls:", calls() - start)
print("published the draft the reviewer saw:", out["published"] == shown)


# %% [markdown]
# The LangGraph fix is the same as ours: put the LLM call in its own node, and keep the node that
# interrupts free of anything you do not want repeated (or make it idempotent). Then the checkpoint
# after the `draft` node holds the draft, and only the small `review` node re-runs.


# %%
def langgraph_split(chat, runs: list):
    async def draft(s: GraphState) -> dict:
        runs.append("draft")
        return {"draft": (await chat.ainvoke(s["prompt"])).text}

    def review(s: GraphState) -> dict:
        runs.append("review")
        return outcome_of(s["draft"], interrupt({"draft": s["draft"]}))

    g = StateGraph(GraphState)
    g.add_node("draft", draft)
    g.add_node("review", review)
    g.add_edge(START, "draft")
    g.add_edge("draft", "review")
    g.add_edge("review", END)
    return g.compile(checkpointer=InMemorySaver())


runs, start = [], calls()
graph = langgraph_split(chat, runs)
await graph.ainvoke({"prompt": draft_prompt(first)}, config)
out = await graph.ainvoke(Command(resume={"action": "approve"}), config)
print("outcome:", out["outcome"], "| node executions:", runs, "| LLM calls:", calls() - start)

# %% [markdown]
# **Which question does a LangGraph decision answer?** `Command(resume=value)` answers whatever
# interrupt is pending *now*; `Command(resume={interrupt.id: value})` names the interrupt it
# answers. Here is the two-reviewer flow of section 5 in LangGraph, with the legal approve sent
# twice (a retried request), each way:


# %%
class TwoReviews(TypedDict, total=False):
    legal: dict
    decision: dict


def langgraph_two_reviews():
    g = StateGraph(TwoReviews)
    g.add_node("legal", lambda s: {"legal": interrupt("Legal: are these claims accurate?")})
    g.add_node("editor", lambda s: {"decision": interrupt("Publish this product description?")})
    g.add_edge(START, "legal")
    g.add_edge("legal", "editor")
    g.add_edge("editor", END)
    return g.compile(checkpointer=InMemorySaver())


rows = []
for how in ("Command(resume=value)", "Command(resume={interrupt.id: value})"):
    graph, config = langgraph_two_reviews(), {"configurable": {"thread_id": how}}
    legal_q = (await graph.ainvoke({}, config))["__interrupt__"][0]
    approve = {legal_q.id: {"action": "approve"}} if "id" in how else {"action": "approve"}
    await graph.ainvoke(Command(resume=approve), config)  # the legal reviewer's click
    out = await graph.ainvoke(Command(resume=approve), config)  # the same request, retried
    rows.append(
        {
            "resume with": how,
            "editor's question approved by the retry": "decision" in out,
            "graph still waits for the editor": "__interrupt__" in out,
        }
    )
langgraph_binding = pd.DataFrame(rows).set_index("resume with")
assert langgraph_binding.iloc[:, 0].tolist() == [True, False]
langgraph_binding

# %% [markdown]
# The plain form approves the editor's question with the legal reviewer's click. With the
# interrupt's id the retry is dropped: safe, but silently (no error), so the sender is not told
# that its decision answered nothing. Orchestra's `question=` is required, and a mismatch is an
# error the caller sees.
#
# So the difference is one of defaults, not of power. In LangGraph the unit of replay is the
# **node**, and `interrupt()` can sit anywhere in it: convenient, and the code before it runs again
# on resume. In orchestra the unit is the **step**, and the approval is a step of its own
# (`approval(...)`) whose decision is a journal row like any other output; asking mid-step is
# possible (`ctx.ask_human`) and has LangGraph's cost, as section 7 measured. Both need a durable
# checkpointer to survive a restart (here LangGraph's is in memory; `langgraph-checkpoint-sqlite`
# gives it a file, as `SqliteStore` does).
#
# ## 9. The same task in LlamaIndex Workflows and LCEL, measured
#
# **LlamaIndex Workflows**: a step returns an `InputRequiredEvent` (it goes to the event stream);
# the caller answers with a `HumanResponseEvent`, which another step consumes. The draft step has
# finished, so nothing re-runs; but the paused run lives in the running process unless you
# serialize its context yourself (`ctx.wait_for_event` inside one step would replay that step,
# like `interrupt()`). **LCEL** has no pause: you split the chain in two and keep the draft in your
# own store between them.

# %%
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda
from llama_index.core.workflow import Context as LlamaContext
from llama_index.core.workflow import HumanResponseEvent, InputRequiredEvent, StartEvent, StopEvent
from llama_index.core.workflow import Workflow as LlamaWorkflow
from llama_index.core.workflow import step as llama_step
from llama_index.llms.anthropic import Anthropic


def llama_review(model, base_url):
    class LlamaReview(LlamaWorkflow):
        llm = Anthropic(model=model, base_url=base_url, max_tokens=MAX_TOKENS)

        @llama_step
        async def draft(self, ctx: LlamaContext, ev: StartEvent) -> InputRequiredEvent:
            text = (await self.llm.acomplete(ev.prompt)).text
            await ctx.store.set("draft", text)
            return InputRequiredEvent(draft=text)  # to the caller's event stream

        @llama_step
        async def review(self, ctx: LlamaContext, ev: HumanResponseEvent) -> StopEvent:
            return StopEvent(result=outcome_of(await ctx.store.get("draft"), ev.decision))

    return LlamaReview(timeout=60)


def lcel_review(model, base_url):
    chat = ChatAnthropic(model=model, base_url=base_url, max_tokens=MAX_TOKENS)
    drafting = RunnableLambda(draft_prompt) | chat | StrOutputParser()
    publishing = RunnableLambda(lambda x: outcome_of(x["draft"], x["decision"]))
    return drafting, publishing


# %% [markdown]
# Each implementation drafts the same products, pauses, takes the scripted reviewer's decision and
# finishes ("LangGraph, 1 node" interrupts inside its drafting node, "LangGraph, 2 nodes" is the
# fix); `measure.Meter` reads calls, tokens and cost from the simulator's log and counts the
# lines of the orchestration code (the shared prompt and `outcome_of` are not counted). Each
# returns, per product, the draft the reviewer was shown, the decision and what was published:
# a decision is **honoured** when what went live is what that decision says of the draft shown.

# %%
batch = [
    (Listing(product=p["product"], must_mention=p["must_mention"]), action)
    for p, action in zip(products[: len(reviews)], reviews, strict=True)
]


async def with_orchestra():
    out = []
    for s, action in batch:
        paused = await wf.run(s, store=store, run_id=f"measured-{s.product}")
        shown = paused.waiting_for["payload"]["draft"]
        d, key = scripted(action, shown, s.must_mention), paused.waiting_for["key"]
        done = await wf.resume(paused.run_id, store, decision=d, question=key)
        out.append((shown, d, done.state.published))
    return out


async def with_langgraph(build):
    graph, out = (
        build(ChatAnthropic(model=model, base_url=base_url, max_tokens=MAX_TOKENS), []),
        [],
    )
    for s, action in batch:
        config = {"configurable": {"thread_id": s.product}}
        paused = await graph.ainvoke({"prompt": draft_prompt(s)}, config)
        asked = paused["__interrupt__"][0]
        d = scripted(action, asked.value["draft"], s.must_mention)
        done = await graph.ainvoke(Command(resume={asked.id: d}), config)
        out.append((asked.value["draft"], d, done["published"]))
    return out


async def with_llamaindex():
    flow, out = llama_review(model, base_url), []
    for s, action in batch:
        handler = flow.run(prompt=draft_prompt(s))
        async for ev in handler.stream_events():
            if isinstance(ev, InputRequiredEvent):
                shown, d = ev.draft, scripted(action, ev.draft, s.must_mention)
                handler.ctx.send_event(HumanResponseEvent(decision=d))
        out.append((shown, d, (await handler)["published"]))
    return out


async def with_lcel():
    drafting, publishing = lcel_review(model, base_url)
    pending = {s.product: await drafting.ainvoke(s) for s, _ in batch}  # "your own store"
    out = []
    for s, a in batch:
        shown = pending[s.product]
        d = scripted(a, shown, s.must_mention)
        done = await publishing.ainvoke({"draft": shown, "decision": d})
        out.append((shown, d, done["published"]))
    return out


implementations = [
    ("orchestra", with_orchestra, [make_draft, make_review_workflow, publish.fn, with_orchestra]),
    (
        "LangGraph, 1 node",
        lambda: with_langgraph(langgraph_in_one_node),
        [langgraph_in_one_node, with_langgraph],
    ),
    (
        "LangGraph, 2 nodes",
        lambda: with_langgraph(langgraph_split),
        [langgraph_split, with_langgraph],
    ),
    ("LlamaIndex", with_llamaindex, [llama_review, with_llamaindex]),
    ("LCEL", with_lcel, [lcel_review, with_lcel]),
]
meters, published = [], {}
for label, run, source in implementations:
    with measure.Meter(simulator, label, code=source) as m:
        published[label] = await run()
    meters.append(m.result)
comparison = measure.table(meters)
comparison["decisions honoured"] = [
    sum(p == outcome_of(shown, d)["published"] for shown, d, p in published[label])
    for label in comparison.index
]
comparison.drop(columns=["wall_s"]).round({"cost_usd": 6, "model_s": 2, "sim_s": 2})

# %% tags=["nbval-ignore-output"]
print("wall-clock seconds (the machine's; mostly framework overhead at this time_scale):")
print(comparison["wall_s"].round(3).to_string())

# %%
fig = viz.compare(
    comparison,
    quality=["decisions honoured"],
    title=f"Draft, pause, decide: {len(batch)} products",
)

# %% [markdown]
# The drafts differ from system to system: each draft is a sample, and the drafts of one product
# are samples of one request (or of near-identical ones, as each client words it). What is
# comparable is what each system pays, and whether what went live is what the reviewer decided
# (the chart's first panel: a decision is honoured when what was published is what it asked
# for, on the draft the reviewer was shown). What the numbers say:

# %%
ours, once = comparison.loc["orchestra"], comparison.loc["LangGraph, 1 node"]
approvals = sum(a == "approve" for a in reviews)
if simulator:  # calls, cost and simulated seconds come from the simulator's log
    once_each = comparison[comparison["calls"] == ours["calls"]]
    assert once["calls"] > ours["calls"] and once["cost_usd"] > ours["cost_usd"]
    assert once["sim_s"] > once_each["sim_s"].max()
    assert (once_each["decisions honoured"] == len(batch)).all()
    assert once["decisions honoured"] == len(batch) - approvals  # every approve, and only those
    display(
        prose(
            f"For {len(batch)} products, {', '.join(once_each.index)} each made {ours['calls']:.0f} LLM "
            f"calls, for ${once_each['cost_usd'].min():.6f} to ${once_each['cost_usd'].max():.6f} in "
            f"{once_each['sim_s'].min():.2f} to {once_each['sim_s'].max():.2f} simulated seconds (the "
            f"calls run one after another; each draft is its own sample, with its own length and "
            f"thinking), and honoured every decision. The LangGraph graph that interrupts "
            f"inside its drafting node made {once['calls']:.0f} calls "
            f"({once['calls'] / ours['calls']:.1f}×): every draft is paid again on resume "
            f"(${once['cost_usd']:.6f}, {once['sim_s']:.2f} simulated seconds), and it honoured "
            f"{once['decisions honoured']:.0f} of {len(batch)} decisions: on each approve ({approvals} of "
            f"the {len(batch)}) it published the draft it wrote on resume, a new sample the reviewer "
            f"never saw (an edit or a reject does not depend on the draft). Lines of code range from "
            f"{comparison['lines'].min():.0f} to {comparison['lines'].max():.0f}. None of this "
            f"includes the person's latency: the scripted reviewer answers at once."
        )
    )
else:  # real Claude: no log to count calls from; each resumed draft is a new sample all the same
    display(
        prose(
            f"On real Claude calls, cost and simulated seconds are not measured (no simulator log). "
            f"Decisions honoured, of {len(batch)}: "
            + ", ".join(f"{k} {v}" for k, v in comparison["decisions honoured"].items())
            + f". A LangGraph graph that interrupts inside its drafting node drafts again on "
            f"resume, so on each approve ({approvals} of {len(batch)}) it publishes a new sample."
        )
    )

# %% [markdown]
# The differences that matter most are not in the chart:
#
# | | where the paused run lives | what re-runs on resume | what binds a decision to its question |
# | --- | --- | --- | --- |
# | orchestra | a checkpoint (SQLite); any process resumes it | nothing: completed steps replay | `question=` (required; mismatch raises) |
# | LangGraph | a checkpoint (here in memory) | the interrupted node, from its start | the interrupt's id, if you pass it (mismatch is ignored) |
# | LlamaIndex | the running process, unless you serialize its context | nothing (the draft step finished) | nothing: add an id to your event yourself |
# | LCEL | wherever you put it (no pause) | nothing | your own code |
#
# ## 10. Your turn: review in a panel
#
# `review_panel(wf, store, result)` (`orchestra/review.py`) shows the question, the draft, the cost
# so far, **Approve** / **Reject**, and an edit box with **Approve edited**. A click schedules
# `wf.resume(..., decision=..., question=...)` (the question it shows) as a task on the kernel's event loop: the cell that showed the
# panel has finished, the kernel stays free, and the panel writes the outcome (`status:` and the
# published text) when the resume is done.
#
# The run waits in the database file, not in the kernel. Restart the kernel, run the set-up cell and
# sections 1 and 2 (not section 3: it starts a fresh file), then
# `store, wf = SqliteStore(db_path), make_review_workflow(llm)` and
# `review_panel(wf, store, await wf.resume("your-turn-p04", store))`: a resume *without* a decision
# replays the draft (no LLM call) and waits again, so the panel comes back as you left it.
#
# With `your_turn = None` (the default) the panel below waits for you. Headless (papermill, tests),
# set `your_turn` to `"approve"`, `"reject"` or `"edit"` and the cell clicks for you.

# %%
p = products[3]
turn = await wf.run(
    Listing(product=p["product"], must_mention=p["must_mention"]),
    store=store,
    run_id=f"your-turn-{p['id']}",
)
panel = review_panel(wf, store, turn, describe=lambda r: f"{r.state.outcome}: {r.state.published}")
if your_turn is not None:  # headless: click the button a reviewer would
    panel.edit.value = scripted("edit", turn.state.draft, p["must_mention"]).get("text", "")
    {"approve": panel.approve, "reject": panel.reject, "edit": panel.approve_edited}[
        your_turn
    ].click()
    await panel.task
panel

# %%
print("when this cell ran, run", turn.run_id, "was", store.load(turn.run_id).status)

# %% [markdown]
# ## Interview angle
#
# - *"How do you put a human approval in an LLM pipeline?"* Make the pause a state, not a blocking
#   call: the run ends with `waiting` and a durable checkpoint; a UI, an email link or a queue
#   collects the decision; `resume(run_id, decision, question)` continues from the checkpoint, in
#   any process. Never hold a thread, a connection or a notebook cell open for a person.
# - *"A reviewer's click is retried, or the page is open twice. What stops it approving the next
#   step?"* Bind the decision to the question it answers (a key the UI got with the question) and
#   refuse a decision for any other; apply it exactly once (commit the decision as the journal row
#   of that question); one owner per run, so two resumers cannot both continue it.
# - *"What re-runs when you resume?"* Know your framework's unit of replay. LangGraph re-runs the
#   interrupted **node** from its start (LLM calls before `interrupt()` are paid again and may
#   return a different draft than the one approved); orchestra replays completed **steps** from the
#   journal and the approval is its own step. Either way: expensive or side-effecting work goes
#   before the pause, in its own node/step, or is made idempotent.
# - *"How do you test a human-in-the-loop flow?"* A scripted reviewer injected as a parameter: the
#   same code path, decisions from a list, so CI runs it unattended and reproducibly. Test the
#   decision handling (approve / reject / edit / unknown) as a pure function.
# - *"What goes in the checkpoint?"* Plain JSON: the state, each step's output, the decision (who
#   and when, in production: it is your audit trail). Not pickles, not secrets, and the definition's
#   fingerprint, so a changed workflow cannot resume an old run by accident.
# - *Trade-offs:* every approval adds human latency and a queue to operate; approve in batches,
#   approve only above a risk threshold (a grader or rule decides the rest), and set a timeout
#   policy (escalate or auto-reject) for runs that wait too long.

# %%
await llm.aclose()
if simulator:
    simulator.stop()
