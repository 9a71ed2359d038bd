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
#       n_tickets: 30
#       router_model: claude-sonnet-5-5
#       seed: 1
#       threshold: 0.6
#       time_scale: 0.0
# ---

# %% [markdown]
# # 03 · Router: classify, then send each input to the right specialist
#
# **What it is for.** Inputs of different kinds need different handling: a billing ticket needs
# the billing team's prompt (and maybe its tools), a shipping ticket another. A router spends one
# cheap call to *classify*, then runs only the handler for that class. Each handler can be tuned,
# tested and priced on its own, and every handler returns **one output format**, so nothing
# downstream cares which route ran.
#
# **When not to use it.** When one prompt handles every kind well enough (a router adds a call
# and a place to be wrong), or when the classes overlap so much that the router guesses. A
# misrouted input gets a confident answer from the wrong specialist: measure routing accuracy
# before trusting it.
#
# **Trade-off.** One extra call per input, on the critical path (latency adds up: classify, then
# handle). Use the cheapest model that routes accurately enough; send unknown or low-confidence
# inputs to an explicit default (a generalist, or a person).

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
router_model = "claude-haiku-5-5"  # the classifier: cheap and fast
expensive_model = "claude-opus-5-5"  # compared as a router in section 5
handler_model = "claude-haiku-5-5"
seed = 0
n_tickets = 60  # tickets to route (the dataset has 60)
threshold = 0.5  # under this confidence a ticket goes to the default route
time_scale = 0.01  # wall-clock seconds per simulated second
concurrency = 8  # tickets in flight at once

# %% [markdown]
# ## Start the simulator and load the tickets
#
# `orchestra/data/tickets.jsonl`: 60 hand-written support tickets, each with its true category
# (billing, technical, account, shipping, or other for the few that fit none) and true urgency.

# %%
import json
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from orchestra import LLM, datasets, log_steps, measure, sim, viz
from orchestra.patterns.router import (
    Ticket,
    classify_prompt,
    escalate,
    handler,
    reply_for,
    router,
    triage_all,
    urgency_prompt,
)

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
every = datasets.load("tickets")
tickets = every[:: max(1, len(every) // n_tickets)][:n_tickets]  # a spread over all categories
print(
    len(tickets),
    "tickets:",
    ", ".join(f"{k} {n}" for k, n in Counter(t["category"] for t in tickets).items()),
)

# %% [markdown]
# The routing labels, each with a short description (the classifier matches on them), and each
# handler's urgency cues.

# %%
CATEGORIES = {
    "billing": "charges, refunds, invoices, pay, payments, card, discount, subscription plan, price, VAT",
    "technical": "errors, bugs, crashes, outage, webhook, slow or broken app, API, sync, update, notifications, screen, colours",
    "account": "password, profile, username, sign in, sign up, two-factor, admin, ownership, delete my account or data",
    "shipping": "delivery, package, parcel, tracking, courier, order arrived damaged or wrong item, customs",
    "other": "anything else",
}
# each handler judges urgency with the cues of its own domain: that is what "specialised" buys
URGENCY = {
    "billing": {
        "normal": "a usual request",
        "high": "charged twice, declined, dispute, not approve, urgent, asap, immediately, today, locked out",
        "low": "curious, suggestion, minor, no rush, whenever",
    },
    "technical": {
        "normal": "a usual request",
        "high": "outage, down, crash, blocked, critical, production, losing, immediately",
        "low": "minor, idea, someday, not a big deal, small",
    },
    "account": {
        "normal": "a usual request",
        "high": "hacked, lock it, blocked, nobody can access, now",
        "low": "not urgent at all, curious, someday",
    },
    "shipping": {
        "normal": "a usual request",
        "high": "damaged, broken, urgent, tomorrow, event, runs out",
        "low": "future order, minor, someday",
    },
}

# %% [markdown]
# ## The pattern: `orchestra.patterns.router`
#
# A two-node workflow: a `classifier` step writes `label` and `confidence`; a `branch` picks the
# handler by label, or `LOW_CONFIDENCE` when the confidence is under the threshold. A value with
# no route goes to `default=`. Every handler (and the default, `escalate`) writes the same three
# fields: `urgency`, `reply`, `handler`.

# %%
import inspect

from orchestra.patterns import router as router_module

print(inspect.getsource(router_module.router))

# %% [markdown]
# ## One ticket, step by step
#
# `log_steps()` prints a line per finished step. The branch's key shows the route it took.

# %%
router_llm = LLM(router_model, backend=backend)
handler_llm = LLM(handler_model, backend=backend)
handlers = {name: handler(handler_llm, name, cues) for name, cues in URGENCY.items()}
wf = router(router_llm, handlers, categories=CATEGORIES, default=escalate, threshold=threshold)

log_steps()
one = await wf.run(Ticket(text=tickets[0]["text"]))
log_steps(False)
print(one.state.model_dump_json(indent=1))

# %% [markdown]
# ## All the tickets
#
# `triage_all` runs the router on every ticket, `concurrency` at a time, results in input order.

# %%
results = await triage_all(wf, [t["text"] for t in tickets], concurrency=concurrency, progress=True)
out = pd.DataFrame(
    [
        {
            "id": t["id"],
            "true": t["category"],
            "label": r.state.label,
            "confidence": r.state.confidence,
            "handler": r.state.handler,
            "true urgency": t["urgency"],
            "urgency": r.state.urgency,
        }
        for t, r in zip(tickets, results, strict=True)
    ]
)
print(
    "statuses:",
    dict(Counter(r.status for r in results)),
    "| cost:",
    f"${sum(r.cost_usd for r in results):.4f}",
)
out.head(8)

# %% [markdown]
# ## Routing accuracy: the confusion matrix
#
# Rows are the true categories, columns the classifier's labels; the diagonal is right. Read the
# off-diagonal cells: which classes does the router confuse, and in which direction?

# %%
labels = list(CATEGORIES)
matrix = pd.crosstab(out["true"], out["label"]).reindex(index=labels, columns=labels, fill_value=0)
accuracy = np.trace(matrix.values) / matrix.values.sum()
print(f"routing accuracy ({router_model}): {accuracy:.1%} of {len(out)} tickets")

fig, ax = plt.subplots(figsize=(5.6, 4.6), dpi=100)
im = ax.imshow(matrix.values, cmap="Blues")
for i in range(len(labels)):
    for j in range(len(labels)):
        v = matrix.values[i, j]
        ax.text(
            j,
            i,
            str(v),
            ha="center",
            va="center",
            color="white" if v > matrix.values.max() / 2 else "black",
        )
ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
ax.set_yticks(range(len(labels)), labels)
ax.set_xlabel("label chosen by the router")
ax.set_ylabel("true category")
ax.set_title(f"Confusion matrix, {router_model} (ticket counts)")
fig.colorbar(im, ax=ax, label="tickets")
fig.tight_layout()


# %% [markdown]
# ## Per-handler quality and latency
#
# For each route: how many tickets it received, how many truly belonged there (routing
# precision), how often its urgency matched the truth, and what the handler's call cost in
# simulated seconds and dollars (from the traces). `escalate` makes no call: a person decides.


# %%
def handler_span(result):
    return next(s for s in result.trace.steps() if s.key.startswith("01.route"))


rows = []
for t, r in zip(tickets, results, strict=True):
    span = handler_span(r)
    rows.append(
        {
            "handler": r.state.handler,
            "right route": t["category"] == r.state.label
            or (r.state.handler == "escalate" and t["category"] == "other"),
            "right urgency": t["urgency"] == r.state.urgency,
            "model_s": span.model_s or 0.0,
            "cost_usd": span.cost_usd,
        }
    )
per = (
    pd.DataFrame(rows)
    .groupby("handler")
    .agg(
        tickets=("handler", "size"),
        routing_precision=("right route", "mean"),
        urgency_accuracy=("right urgency", "mean"),
        mean_latency_sim_s=("model_s", "mean"),
        cost_usd=("cost_usd", "sum"),
    )
)
per.round({"routing_precision": 2, "urgency_accuracy": 2, "mean_latency_sim_s": 2, "cost_usd": 5})

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), dpi=100)
per[["routing_precision", "urgency_accuracy"]].plot.bar(
    ax=left, rot=0, color=["tab:blue", "tab:orange"]
)
left.set_ylabel("share of the handler's tickets (0-1)")
left.set_title("Quality per handler")
left.set_ylim(0, 1.3)
left.legend(["routing precision", "urgency accuracy"], fontsize=8, loc="upper center", ncol=2)
per["mean_latency_sim_s"].plot.bar(ax=right, rot=0, color="tab:gray")
right.set_ylabel("mean handler latency (simulated s)")
right.set_title("Latency per handler (the classify call comes on top)")
for ax in (left, right):
    ax.set_xlabel("handler")
fig.tight_layout()

# %% [markdown]
# ## Unknown labels and low confidence: the default route
#
# The classifier may return a label no handler serves (here `other`: we wrote no handler for it),
# or a known label with low confidence. Without a `default=`, the branch has nowhere to go: the
# run **aborts**, and its reason names `UnknownStepError` and what to do. Nothing crashes, nothing
# is silently dropped, but the ticket is not handled.

# %%
unknown = next(t for t in every if t["category"] == "other")
no_default = router(router_llm, handlers, categories=CATEGORIES)  # no default=, no threshold
r = await no_default.run(Ticket(text=unknown["text"]))
print("ticket:", unknown["text"])
print("status:", r.status, "| error:", type(r.error).__name__)
print("reason:", r.reason)

# %%
r = await wf.run(Ticket(text=unknown["text"]))
print(
    "with default=escalate:",
    r.status,
    "| label:",
    r.state.label,
    "| confidence:",
    r.state.confidence,
    "| handler:",
    r.state.handler,
)
print("reply:", r.state.reply)

# %% [markdown]
# The threshold is a dial between automation and safety: raise it and more tickets go to a
# person, fewer are misrouted. The classifier's confidence is not calibrated (nor is a real
# model's), so measure where its mistakes sit before choosing.

# %%
rows = []
for th in (0.0, 0.5, 0.6, 0.8):
    auto = out[(out["confidence"] >= th) & (out["label"] != "other")]
    rows.append(
        {
            "threshold": th,
            "routed automatically": len(auto),
            "sent to default": len(out) - len(auto),
            "misrouted among automatic": int((auto["label"] != auto["true"]).sum()),
        }
    )
pd.DataFrame(rows).set_index("threshold")


# %% [markdown]
# ## A cheap router or an expensive one?
#
# Routing is one short call per ticket, on every ticket: the model choice multiplies. We run the
# classify step alone with Haiku and with Opus over the same tickets and compare accuracy, cost
# and latency (simulated seconds, summed over the calls).


# %%
async def route_only(model: str) -> dict:
    async with LLM(model, backend=backend) as llm:
        only = router(llm, {}, categories=CATEGORIES, default=escalate, name=f"route-{model}")
        rs = await triage_all(only, [t["text"] for t in tickets], concurrency=concurrency)
    calls = [s for r in rs for s in r.trace.steps() if s.key == "00.classify"]
    right = sum(r.state.label == t["category"] for r, t in zip(rs, tickets, strict=True))
    return {
        "model": model,
        "accuracy": right / len(tickets),
        "cost_usd": sum(s.cost_usd for s in calls),
        "cost per 10k tickets (USD)": sum(s.cost_usd for s in calls) / len(tickets) * 10_000,
        "latency per call (sim s)": sum(s.model_s or 0 for s in calls) / len(calls),
    }


models = pd.DataFrame([await route_only(m) for m in (router_model, expensive_model)]).set_index(
    "model"
)
models.round(
    {"accuracy": 3, "cost_usd": 5, "cost per 10k tickets (USD)": 2, "latency per call (sim s)": 2}
)

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), dpi=100)
names = [m.replace("claude-", "") for m in models.index]
for ax, col, label in zip(
    axes,
    ["accuracy", "cost per 10k tickets (USD)", "latency per call (sim s)"],
    ["routing accuracy (0-1)", "USD per 10,000 tickets", "simulated s per call"],
    strict=True,
):
    ax.bar(names, models[col], color=["tab:green", "tab:purple"])
    ax.set_ylabel(label)
    ax.set_xlabel("router model")
    ax.set_title(label, fontsize=10)
axes[0].set_ylim(0, 1)
fig.suptitle("Cheap vs expensive router")
fig.tight_layout()

# %%
cheap, dear = models.loc[router_model], models.loc[expensive_model]
print(
    f"{expensive_model} routes {dear['accuracy']:.0%} of the tickets right, {router_model} "
    f"{cheap['accuracy']:.0%}; {expensive_model} costs "
    f"{dear['cost_usd'] / cheap['cost_usd']:.1f}× as much and takes "
    f"{dear['latency per call (sim s)'] / cheap['latency per call (sim s)']:.1f}× as long per call."
)

# %% [markdown]
# Whether the stronger router is worth it depends on what a misroute costs: a ticket bounced between teams for a day may cost more than
# 10,000 Opus calls. Middle paths: route with Haiku and escalate only its low-confidence tickets to
# Opus (a cascade), or improve the label descriptions, which costs nothing per call.
#
# ## The same router in LangChain (LCEL), LangGraph and LlamaIndex Workflows
#
# Same prompts (imported from the pattern module), same handlers, same default, over the same
# tickets. LCEL: a classify chain, then a `RunnableBranch` of `(condition, handler chain)` pairs
# with a default runnable. LangGraph: a router is what its *conditional edges* are for: a
# `classify` node, one node per handler, and `add_conditional_edges("classify", route, [...])`
# where `route(state)` returns the next node's name. LlamaIndex: the classify step returns a
# *different event type* per route, and one step per event type handles it.

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.runnables import RunnableBranch, RunnableLambda, RunnablePassthrough


async def lcel_router(texts: list[str]) -> list[dict]:
    router_chat = ChatAnthropic(model=router_model, base_url=base_url, max_tokens=40)
    handler_chat = ChatAnthropic(model=handler_model, base_url=base_url, max_tokens=10)
    classify = (
        RunnableLambda(lambda x: classify_prompt(x["text"], CATEGORIES))
        | router_chat
        | RunnableLambda(lambda m: json.loads(m.content))
    )

    def handle(name):
        return (
            RunnableLambda(lambda x: urgency_prompt(name, URGENCY[name], x["text"]))
            | handler_chat
            | RunnableLambda(
                lambda m: {
                    "handler": name,
                    "urgency": m.content.strip(),
                    "reply": reply_for(name, m.content.strip()),
                }
            )
        )

    routes = [
        (lambda x, n=name: x["v"]["label"] == n and x["v"]["confidence"] >= threshold, handle(name))
        for name in URGENCY
    ]
    default = RunnableLambda(
        lambda x: {"handler": "escalate", "urgency": "normal", "reply": "a person will reply"}
    )
    chain = RunnablePassthrough.assign(v=classify) | RunnableBranch(*routes, default)
    return await chain.abatch([{"text": t} for t in texts], config={"max_concurrency": concurrency})


# %%
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


async def langgraph_router(texts: list[str]) -> list[dict]:
    router_chat = ChatAnthropic(model=router_model, base_url=base_url, max_tokens=40)
    handler_chat = ChatAnthropic(model=handler_model, base_url=base_url, max_tokens=10)

    class State(TypedDict, total=False):
        text: str
        label: str
        confidence: float
        handler: str
        urgency: str
        reply: str

    async def classify(s: State) -> dict:
        answer = await router_chat.ainvoke(classify_prompt(s["text"], CATEGORIES))
        v = json.loads(answer.content)
        return {"label": v["label"], "confidence": v["confidence"]}

    def handle(name: str):
        async def node(s: State) -> dict:
            answer = await handler_chat.ainvoke(urgency_prompt(name, URGENCY[name], s["text"]))
            level = answer.content.strip()
            return {"handler": name, "urgency": level, "reply": reply_for(name, level)}

        return node

    def to_person(s: State) -> dict:
        return {"handler": "escalate", "urgency": "normal", "reply": "a person will reply"}

    def route(s: State) -> str:  # the conditional edge: the next node's name
        known = s["label"] in URGENCY and s["confidence"] >= threshold
        return s["label"] if known else "escalate"

    graph = StateGraph(State)
    graph.add_node("classify", classify)
    for name in URGENCY:
        graph.add_node(name, handle(name))
    graph.add_node("escalate", to_person)
    graph.add_edge(START, "classify")
    graph.add_conditional_edges("classify", route, [*URGENCY, "escalate"])
    for name in [*URGENCY, "escalate"]:
        graph.add_edge(name, END)
    app = graph.compile()
    states = await app.abatch([{"text": t} for t in texts], config={"max_concurrency": concurrency})
    return [{k: s[k] for k in ("handler", "urgency", "reply")} for s in states]


# %%
import asyncio

from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step
from llama_index.llms.anthropic import Anthropic


async def llama_router(texts: list[str]) -> list[dict]:
    class Billing(Event):
        text: str

    class Technical(Event):
        text: str

    class Account(Event):
        text: str

    class Shipping(Event):
        text: str

    class Unrouted(Event):
        text: str

    class Router(Workflow):
        router_llm = Anthropic(model=router_model, base_url=base_url, max_tokens=40)
        handler_llm = Anthropic(model=handler_model, base_url=base_url, max_tokens=10)
        events = {
            "billing": Billing,
            "technical": Technical,
            "account": Account,
            "shipping": Shipping,
        }

        @step
        async def classify(
            self, ev: StartEvent
        ) -> Billing | Technical | Account | Shipping | Unrouted:
            v = json.loads(
                (await self.router_llm.acomplete(classify_prompt(ev.text, CATEGORIES))).text
            )
            route = self.events.get(v["label"]) if v["confidence"] >= threshold else None
            return (route or Unrouted)(text=ev.text)

        async def handle(self, name: str, text: str) -> StopEvent:
            level = (
                await self.handler_llm.acomplete(urgency_prompt(name, URGENCY[name], text))
            ).text.strip()
            return StopEvent(
                result={"handler": name, "urgency": level, "reply": reply_for(name, level)}
            )

        @step
        async def billing(self, ev: Billing) -> StopEvent:
            return await self.handle("billing", ev.text)

        @step
        async def technical(self, ev: Technical) -> StopEvent:
            return await self.handle("technical", ev.text)

        @step
        async def account(self, ev: Account) -> StopEvent:
            return await self.handle("account", ev.text)

        @step
        async def shipping(self, ev: Shipping) -> StopEvent:
            return await self.handle("shipping", ev.text)

        @step
        async def unrouted(self, ev: Unrouted) -> StopEvent:
            return StopEvent(
                result={"handler": "escalate", "urgency": "normal", "reply": "a person will reply"}
            )

    limit = asyncio.Semaphore(concurrency)

    async def one(text):
        async with limit:
            return await Router(timeout=60).run(text=text)

    return list(await asyncio.gather(*(one(t) for t in texts)))


# %%
async def orchestra_router(texts: list[str]) -> list[dict]:
    async with (
        LLM(router_model, backend=backend) as r_llm,
        LLM(handler_model, backend=backend) as h_llm,
    ):
        hs = {name: handler(h_llm, name, cues) for name, cues in URGENCY.items()}
        flow = router(r_llm, hs, categories=CATEGORIES, default=escalate, threshold=threshold)
        rs = await triage_all(flow, texts, concurrency=concurrency)
    return [
        {"handler": r.state.handler, "urgency": r.state.urgency, "reply": r.state.reply} for r in rs
    ]


texts = [t["text"] for t in tickets]
implementations = {
    "orchestra": orchestra_router,
    "LangChain LCEL": lcel_router,
    "LangGraph": langgraph_router,
    "LlamaIndex Workflows": llama_router,
}
outputs, tables = {}, []
for label, run in tqdm(
    implementations.items(), desc="the same tickets in each framework", total=len(implementations)
):
    if simulator:  # a fresh seeded server: every framework meets the same latencies
        simulator.configure()
    out, table = await measure.side_by_side(simulator, {label: run}, texts, concurrency=concurrency)
    outputs |= out
    tables.append(table)
comparison = pd.concat(tables)
for label, rows in outputs.items():
    agree = sum(
        (a["handler"], a["urgency"]) == (b["handler"], b["urgency"])
        for a, b in zip(rows, outputs["orchestra"], strict=True)
    )
    right = sum(
        r["handler"] == t["category"] or (r["handler"] == "escalate" and t["category"] == "other")
        for r, t in zip(rows, tickets, strict=True)
    )
    print(
        f"{label:<21} same route and urgency as orchestra: {agree}/{len(texts)} | right route: {right}/{len(texts)}"
    )

# %% tags=["nbval-ignore-output"]
comparison[["wall_s"]].rename(columns={"wall_s": "wall-clock s (framework overhead, varies)"})

# %%
comparison = comparison.drop(columns=["wall_s"])
comparison

# %%
fig = viz.compare(comparison, title=f"Router over {len(texts)} tickets, concurrency {concurrency}")

# %%
columns = {
    "calls": "calls",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "cost_usd": "cost",
    "model_s": "simulated seconds of calls, summed",
    "sim_s": "simulated makespan",
    "lines": "lines of code",
}
same = [name for c, name in columns.items() if comparison[c].round(9).nunique() == 1]
differ = [name for c, name in columns.items() if name not in same]
print(f"the same for all {len(comparison)}:", ", ".join(same) or "nothing")
assert {"calls", "input tokens", "output tokens", "cost"} <= set(same)  # as the prose says
print("different:", ", ".join(differ) or "nothing")
for c in ("input_tokens", "lines"):
    if comparison[c].round(9).nunique() > 1:
        print(f"  {columns[c]}: " + ", ".join(f"{k} {v:,.4g}" for k, v in comparison[c].items()))

# %% [markdown]
# The four send the same prompts (LlamaIndex as a list of content blocks rather than a plain
# string, which the simulator reads as the same words), so at temperature 0 they route the same
# way, mistakes included: the same calls, tokens and dollars, which is why the chart has no
# token or cost panel (the lines above say which columns are equal). Escalated tickets make no
# handler call, so the call count is below two per ticket. Each framework met a freshly
# configured simulator (`simulator.configure()`), so the same prompt got the same latency. The
# simulated makespan lays each framework's answered calls on the same `concurrency` lanes,
# longest first (`measure.Meter`): the same rule for all, whatever order the calls arrived in,
# so it shows parallelism, not a framework's overhead on this machine (that is the wall-clock
# column above, not charted: at this `time_scale` it measures mostly overhead). The same calls
# on the same lanes take the same time, so when the makespans are equal the chart leaves that
# panel out too. Lines of code count what you write for the task, one way for all
# (`measure.lines_of_code`): the orchestra column leans on the pattern module; LangGraph needs a
# node per handler and an edge back to `END` for each; LlamaIndex needs an event class per route.
#
# ## Interview angle
#
# - *"Design ticket triage for five teams."* Classify with a cheap model into labels with
#   descriptions; a handler per team behind one output schema; an explicit default (a person or
#   a generalist) for unknown labels and low confidence; measure a confusion matrix on labelled
#   tickets before launch and watch it drift after.
# - *"Your router sometimes returns a label you did not define. What happens?"* Here the run
#   aborts with `UnknownStepError` as its reason, never a crash or a silent drop; in production
#   add `default=` and count how often it fires: a growing default route means a missing class.
# - *"Haiku or Opus for routing?"* Compare accuracy per dollar on your data. Often: the cheap model
#   with good label descriptions, a confidence threshold, and a cascade to a stronger model (or a
#   person) for the uncertain few.
# - *"Router vs one big prompt?"* A router isolates prompts (each team tunes its own), lets each
#   route use a different model and tools, and makes quality measurable per route; it costs one
#   more sequential call and a new failure mode (misrouting).

# %%
await router_llm.aclose()
await handler_llm.aclose()
if simulator:
    simulator.stop()
