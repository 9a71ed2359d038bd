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
handler_model = "claude-haiku-5-5"  # the handlers' urgency label
seed = 0
n_tickets = 60  # tickets to route (the dataset has 60)
threshold = 0.5  # under this confidence a ticket goes to the default route
time_scale = 0.01  # wall-clock seconds per simulated second
concurrency = 8  # tickets in flight at once
max_tokens = 2048  # per call: the clients' limit, with room for thinking (it counts in it)

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
from orchestra.prices import listing, price

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
# ## Short labels and thinking: room, or no thinking
#
# A routing label is a few tokens: a JSON verdict, an urgency word. Code written for the 4.5
# models capped such calls low (this pattern asked for `max_tokens=40` for the verdict and 10 for
# the urgency word). Today's models think before they answer (adaptive thinking, on by
# default), and the thinking counts in `max_tokens`: with thinking on, a cap sized for the
# answer can be spent before its first word, and the call ends with `stop_reason`
# `max_tokens` and no text (the JSON parse then fails). Two fixes: **room** (the pattern now
# leaves `max_tokens` to the client, `max_tokens` here, which costs nothing unless it is used),
# or **no thinking**. A label is an easy task, so this chapter's clients also answer quietly:
# without thinking where the model allows it (`thinking="disabled"`: Haiku 5.5) and at the
# lowest effort where it does not (`effort="low"`: Sonnet 5.5 and Opus 5.5 cannot turn thinking
# off; at low effort they skip it on an easy task). `quiet(model)` reads which from the model
# table; section 5 measures what thinking would have bought.


# %%
def quiet(model_id: str) -> dict:
    """Client settings for a short label: no thinking if the model allows it, else low effort."""
    if "disabled" in listing(model_id).thinking:
        return {"thinking": "disabled"}
    return {"effort": "low"}


print({m: quiet(m) for m in dict.fromkeys([router_model, handler_model, expensive_model])})

# %% [markdown]
# One ticket's classify call under the old cap of 40 tokens, at the model's defaults and
# quietly:

# %%
prompt = classify_prompt(tickets[0]["text"], CATEGORIES)
rows = []
async with LLM(router_model, backend=backend) as probe:
    for setting in ({}, quiet(router_model)):
        reply = await probe.ask(prompt, max_tokens=40, **setting)
        rows.append(
            {
                "setting": str(setting or "the model's default (adaptive thinking)"),
                "stop_reason": reply.stop_reason,
                "thinking tokens": reply.thinking_tokens,
                "output tokens": reply.output_tokens,
                "answer": repr(reply.text),
            }
        )
probes = pd.DataFrame(rows).set_index("setting")
assert probes["stop_reason"].iloc[-1] == "end_turn"  # quiet: the verdict fits
probes

# %% [markdown]
# ## One ticket, step by step
#
# `log_steps()` prints a line per finished step. The branch's key shows the route it took.

# %%
router_llm = LLM(router_model, backend=backend, max_tokens=max_tokens, **quiet(router_model))
handler_llm = LLM(handler_model, backend=backend, max_tokens=max_tokens, **quiet(handler_model))
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
# classify call alone over the same tickets with the router model and with `expensive_model`,
# each two ways: quietly (the chapter's setting) and at the model's default effort, thinking,
# to see whether thinking pays on this task (both with `max_tokens` of room). Each configuration meets a freshly configured simulator; cost is what each reply
# reported at today's prices (`orchestra.prices`), latency the simulated seconds per call.

# %%
from orchestra.fanout import Slots, fan_out


def parse_label(text: str) -> str | None:
    """The verdict's label, or None when the answer is not the JSON asked for (cut or malformed)."""
    try:
        return json.loads(text).get("label")
    except (json.JSONDecodeError, AttributeError):
        return None


def seconds(reply) -> float:
    """A call's simulated seconds (its wall-clock latency on real Claude)."""
    return reply.model_s if reply.model_s is not None else reply.latency_s


async def route_only(model_id: str, thinking: bool) -> dict:
    """The classify call alone on every ticket: right labels, cost, thinking and latency."""
    if simulator:  # a fresh seeded server: every configuration starts from the first samples
        simulator.configure()
    settings = {} if thinking else quiet(model_id)
    async with LLM(model_id, backend=backend, max_tokens=max_tokens, **settings) as llm:

        async def one(i: int, t: dict):
            return await llm.ask(classify_prompt(t["text"], CATEGORIES))

        replies = await fan_out(one, tickets, limit=Slots(concurrency), progress=model_id)
    assert not any(isinstance(r, BaseException) for r in replies), replies
    assert all(r.stop_reason != "max_tokens" for r in replies)  # room: every verdict whole
    right = sum(parse_label(r.text) == t["category"] for r, t in zip(replies, tickets, strict=True))
    effort = listing(model_id).default_effort
    return {
        "model": model_id,
        "setting": f"thinking (default effort, {effort})"
        if thinking
        else f"quiet {quiet(model_id)}",
        "right": f"{right}/{len(tickets)}",
        "accuracy": right / len(tickets),
        "thinking tokens per call": sum(r.thinking_tokens for r in replies) / len(replies),
        "cost per 10k tickets (USD)": sum(r.cost_usd for r in replies) / len(tickets) * 10_000,
        "latency per call (sim s)": sum(seconds(r) for r in replies) / len(replies),
    }


models = pd.DataFrame(
    [
        await route_only(m, thinking)
        for m in (router_model, expensive_model)
        for thinking in (False, True)
    ]
).set_index(["model", "setting"])
models.round(
    {
        "accuracy": 3,
        "thinking tokens per call": 1,
        "cost per 10k tickets (USD)": 3,
        "latency per call (sim s)": 2,
    }
)

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), dpi=100)
names = [
    f"{m.replace('claude-', '')}\n{'thinking' if s.startswith('thinking') else 'quiet'}"
    for m, s in models.index
]
colors = ["tab:green" if m == router_model else "tab:purple" for m, _ in models.index]
for ax, col, label in zip(
    axes,
    ["accuracy", "cost per 10k tickets (USD)", "latency per call (sim s)"],
    [
        f"routing accuracy (share of {len(tickets)})",
        "USD per 10,000 tickets (log scale)",
        "simulated s per call",
    ],
    strict=True,
):
    ax.bar(names, models[col], color=colors)
    ax.set_ylabel(label)
    ax.set_xlabel("router model and setting")
    ax.set_title(label, fontsize=10)
axes[0].set_ylim(0, 1)
axes[1].set_yscale("log")
fig.suptitle("Cheap vs expensive router, quiet vs thinking (today's prices, simulated seconds)")
fig.tight_layout()

# %%
quiet_rows = models.xs(router_model, level="model"), models.xs(expensive_model, level="model")
cheap, dear = (rows.iloc[0] for rows in quiet_rows)  # the quiet settings: the chapter's router
thinking_cheap = quiet_rows[0].iloc[1]
per_token = price(expensive_model).output_usd_per_mtok / price(router_model).output_usd_per_mtok
print(
    f"As the chapter's router (quiet): {expensive_model} routes {dear['right']} "
    f"tickets right, {router_model} {cheap['right']}; {expensive_model} costs "
    f"{dear['cost per 10k tickets (USD)'] / cheap['cost per 10k tickets (USD)']:.0f}× as much "
    f"(the price list: {per_token:.0f}× per output token, "
    f"{price(expensive_model).input_usd_per_mtok / price(router_model).input_usd_per_mtok:.0f}× per "
    f"input token) and takes "
    f"{dear['latency per call (sim s)'] / cheap['latency per call (sim s)']:.1f}× as long per call."
)
print(
    f"Thinking at {router_model}'s default effort: {thinking_cheap['right']} right for "
    f"{thinking_cheap['cost per 10k tickets (USD)'] / cheap['cost per 10k tickets (USD)']:.1f}× "
    f"the cost and {thinking_cheap['latency per call (sim s)'] / cheap['latency per call (sim s)']:.1f}× "
    f"the latency of the quiet router. With {len(tickets)} tickets, a difference of a few "
    f"tickets is within the noise (chapter 02 tests such differences)."
)

# %% [markdown]
# Whether the stronger router is worth it depends on what a misroute costs: a ticket bounced
# between teams for a day may cost more than 10,000 Opus calls. Middle paths: route with Haiku
# and escalate only its low-confidence tickets to Opus (a cascade), or improve the label
# descriptions, which costs nothing per call.
#
# ## The same router in LangChain (LCEL), LangGraph and LlamaIndex Workflows
#
# Same prompts (imported from the pattern module), same handlers, same default, over the same
# tickets. LCEL: a classify chain, then a `RunnableBranch` of `(condition, handler chain)` pairs
# with a default runnable. LangGraph: a router is what its *conditional edges* are for: a
# `classify` node, one node per handler, and `add_conditional_edges("classify", route, [...])`
# where `route(state)` returns the next node's name. LlamaIndex: the classify step returns a
# *different event type* per route, and one step per event type handles it.
#
# Each framework must send the same requests as the pattern: the same `max_tokens` and the
# same quiet setting, spelled three ways. `request_fields(model)` is `quiet(model)`
# as the Messages API fields: `thinking={"type": "disabled"}` or `output_config={"effort":
# "low"}`; LangChain's `ChatAnthropic` takes both fields by those names, LlamaIndex's
# `Anthropic` takes `thinking_dict=` and passes anything else through `additional_kwargs=`.


# %%
def request_fields(model_id: str) -> dict:
    """``quiet(model_id)`` as Messages API request fields."""
    q = quiet(model_id)
    if "thinking" in q:
        return {"thinking": {"type": q["thinking"]}}
    return {"output_config": {"effort": q["effort"]}}


def llama_fields(model_id: str) -> dict:
    """The same fields as LlamaIndex's ``Anthropic`` spells them."""
    fields = request_fields(model_id)
    if "thinking" in fields:
        return {"thinking_dict": fields["thinking"]}
    return {"additional_kwargs": fields}


print({m: request_fields(m) for m in dict.fromkeys([router_model, handler_model])})

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.runnables import RunnableBranch, RunnableLambda, RunnablePassthrough


async def lcel_router(texts: list[str]) -> list[dict]:
    router_chat = ChatAnthropic(
        model=router_model, base_url=base_url, max_tokens=max_tokens, **request_fields(router_model)
    )
    handler_chat = ChatAnthropic(
        model=handler_model,
        base_url=base_url,
        max_tokens=max_tokens,
        **request_fields(handler_model),
    )
    classify = (
        RunnableLambda(lambda x: classify_prompt(x["text"], CATEGORIES))
        | router_chat
        | RunnableLambda(lambda m: json.loads(m.text))
    )

    def handle(name):
        return (
            RunnableLambda(lambda x: urgency_prompt(name, URGENCY[name], x["text"]))
            | handler_chat
            | RunnableLambda(
                lambda m: {
                    "handler": name,
                    "urgency": m.text.strip(),
                    "reply": reply_for(name, m.text.strip()),
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
    router_chat = ChatAnthropic(
        model=router_model, base_url=base_url, max_tokens=max_tokens, **request_fields(router_model)
    )
    handler_chat = ChatAnthropic(
        model=handler_model,
        base_url=base_url,
        max_tokens=max_tokens,
        **request_fields(handler_model),
    )

    class State(TypedDict, total=False):
        text: str
        label: str
        confidence: float
        handler: str
        urgency: str
        reply: str

    async def classify(s: State) -> dict:
        answer = await router_chat.ainvoke(classify_prompt(s["text"], CATEGORIES))
        v = json.loads(answer.text)
        return {"label": v["label"], "confidence": v["confidence"]}

    def handle(name: str):
        async def node(s: State) -> dict:
            answer = await handler_chat.ainvoke(urgency_prompt(name, URGENCY[name], s["text"]))
            level = answer.text.strip()
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
        router_llm = Anthropic(
            model=router_model,
            base_url=base_url,
            max_tokens=max_tokens,
            **llama_fields(router_model),
        )
        handler_llm = Anthropic(
            model=handler_model,
            base_url=base_url,
            max_tokens=max_tokens,
            **llama_fields(handler_model),
        )
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
        LLM(router_model, backend=backend, max_tokens=max_tokens, **quiet(router_model)) as r_llm,
        LLM(handler_model, backend=backend, max_tokens=max_tokens, **quiet(handler_model)) as h_llm,
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
right_route = {}
for label, rows in outputs.items():
    agree = sum(
        (a["handler"], a["urgency"]) == (b["handler"], b["urgency"])
        for a, b in zip(rows, outputs["orchestra"], strict=True)
    )
    right_route[label] = sum(
        r["handler"] == t["category"] or (r["handler"] == "escalate" and t["category"] == "other")
        for r, t in zip(rows, tickets, strict=True)
    )
    print(
        f"{label:<21} same route and urgency as orchestra: {agree}/{len(texts)} | "
        f"right route: {right_route[label]}/{len(texts)}"
    )
comparison["right route"] = [right_route[label] for label in comparison.index]

# %% tags=["nbval-ignore-output"]
comparison[["wall_s"]].rename(columns={"wall_s": "wall-clock s (framework overhead, varies)"})

# %%
comparison = comparison.drop(columns=["wall_s"])
comparison

# %%
fig = viz.compare(
    comparison,
    quality=["right route"],
    title=f"Router over {len(texts)} tickets, concurrency {concurrency}",
)

# %%
columns = {
    "calls": "calls",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "cost_usd": "cost",
    "model_s": "simulated seconds of calls, summed",
    "sim_s": "simulated makespan",
    "lines": "lines of code",
    "right route": "right routes",
}
# on real Claude there is no simulator log: calls, tokens and seconds are not measured
columns = {c: name for c, name in columns.items() if comparison[c].notna().all()}
same = [name for c, name in columns.items() if comparison[c].round(9).nunique() == 1]
differ = [name for c, name in columns.items() if name not in same]
print(f"the same for all {len(comparison)}:", ", ".join(same) or "nothing")
if simulator:  # as the prose says
    assert {"calls", "input tokens", "output tokens", "cost", "right routes"} <= set(same)
print("different:", ", ".join(differ) or "nothing")
for c in [c for c in ("input_tokens", "lines") if c in columns]:
    if comparison[c].round(9).nunique() > 1:
        print(f"  {columns[c]}: " + ", ".join(f"{k} {v:,.4g}" for k, v in comparison[c].items()))

# %% [markdown]
# The four send the same requests: the same prompts (LlamaIndex as a list of content blocks
# rather than a plain string, which the simulator reads as the same words), the same
# `max_tokens` and the same quiet setting. Today's models take no temperature, so a real model
# may answer the same request differently twice; the simulator keeps runs reproducible by
# giving the k-th identical request of its life its k-th sample, from the seed. Each framework
# met a freshly configured simulator (`simulator.configure()`), so every request got its first
# sample: the four route the same way, mistakes included, with the same calls, tokens, dollars
# and latencies. So the chart's first panel, right routes against the tickets' labels, has four
# equal bars (quality is drawn even when equal: the same answers is the finding), and it has no
# token or cost panel (the lines above say which columns are equal). Escalated tickets make no handler call, so the call count is below two
# per ticket. The
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
# - *"Haiku or Opus for routing?"* Compare accuracy per dollar on your data, at today's prices
#   (read the ratio from the price list: it changes with each generation). Often: the cheap
#   model with good label descriptions, a confidence threshold, and a cascade to a stronger
#   model (or a person) for the uncertain few.
# - *"Should the router think?"* Measure it: on an easy label thinking adds output tokens and
#   latency, and may add little accuracy. Thinking counts in `max_tokens`, so a small limit
#   sized for the answer can end with no answer at all: leave room, and turn thinking off
#   (where the model allows it) or use low effort where it does not pay.
# - *"Router vs one big prompt?"* A router isolates prompts (each team tunes its own), lets each
#   route use a different model and tools, and makes quality measurable per route; it costs one
#   more sequential call and a new failure mode (misrouting).

# %%
await router_llm.aclose()
await handler_llm.aclose()
if simulator:
    simulator.stop()
