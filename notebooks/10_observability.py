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
#       change_at: 60
#       n_tickets: 24
#       phoenix: false
#       run_tests: false
#       seed: 1
#       stream_runs: 100
#       upgrade_at: 45
#       warmup: 30
# ---

# %% [markdown]
# # 10 · Observability: debug a bad output from its trace, watch failure rates, test the pipeline
#
# A pipeline in production fails in two ways. **Loudly**: a step raises, the run stops, an
# error counter goes up. **Quietly**: every step says `ok` and the answer is still wrong. This
# chapter is about both, with one 5-step support pipeline:
#
# 1. **Debugging from the trace.** A customer got a bad answer. Which of the five steps produced
#    it? You find out from the run's recorded trace alone: the step log, what each step changed in
#    the state, the LLM calls, the timeline, and a filter over many runs.
# 2. **A trace UI.** The same spans in Arize Phoenix, a local trace viewer, over OpenTelemetry.
# 3. **Monitoring.** Loud signals (failure rate per step) and quiet ones read without a label
#    (calls cut at `max_tokens`, reply length), latency percentiles, time to first token and
#    cost per run; a baseline,
#    an alert rule, and what it costs: how fast it fires and how often it cries wolf.
# 4. **Testing.** A unit test per step with a stubbed model, and an integration test on golden
#    tickets, and which regression each one catches.
#
# **When not to bother** with more than the engine's trace and a log line per step: a prototype
# that you run by hand and read every output of. The moment outputs go to people you do not
# watch, you need all four.

# %% tags=["parameters"]
backend = "sim"  # "anthropic" is accepted, but the chapter runs on its own simulator either way
n_tickets = 60  # golden tickets (tickets.jsonl has 60 with their true category and urgency)
stream_runs = 160  # runs in the monitoring stream
upgrade_at = 80  # the run from which the draft step runs on Sonnet 5.5 (before: Haiku 4.5)
change_at = 120  # the run from which the simulator's fault rate is raised
base_fault = 0.02  # share of calls answered 529 (overloaded) before the change
raised_fault = 0.15  # ... and from run `change_at` on
warmup = 50  # the first runs set each step's baseline failure rate
window = 20  # the alert's rolling window, in executions of a step
alpha = 0.01  # the alert's false-alarm chance per evaluation (a binomial tail)
phoenix = True  # start a local Phoenix and send it the spans (needs `make phoenix`)
phoenix_timeout = 120  # seconds to wait for Phoenix to answer, at most
phoenix_url = None  # a Phoenix you started with `make phoenix` ("http://127.0.0.1:6006"), to browse
run_tests = True  # run the pipeline's test file with pytest (three versions, in parallel)
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as the CPU goes)

# %% [markdown]
# ## Set-up
#
# Phoenix takes a while to start (it migrates a fresh database), so it is launched first, as a
# subprocess of its own environment, and starts while the first sections run. Then the
# simulator and the golden tickets: 60 hand-written support tickets, each with its true
# category and urgency.

# %%
import asyncio
import hashlib
import inspect
import json
import math
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tqdm.auto import tqdm

from orchestra import datasets, monitor, otel, sim, viz
from orchestra.examples import support
from orchestra.examples.support import Case, Models, first_wrong, golden, pipeline, wrong
from orchestra.phoenix import Phoenix
from orchestra.viz import prose

ui = Phoenix(url=phoenix_url).launch() if phoenix else None
simulator = sim.start(seed=seed, time_scale=time_scale)
if backend != "sim":
    print(
        f"backend={backend!r}: this chapter runs on its own simulator all the same: the incident "
        "it debugs, the fault stream it monitors and the golden runs its tests compare are "
        "staged there (seeded cuts, 529 rates), which real Claude cannot be told to reproduce"
    )
tickets = datasets.load("tickets")[:n_tickets]
pd.set_option("display.max_colwidth", 90)
print(len(tickets), "golden tickets; categories:", sorted({t["category"] for t in tickets}))

# %% [markdown]
# ## 1. The pipeline
#
# `orchestra/examples/support.py`: **classify** the ticket (a model), **retrieve** the team and
# the urgency guide of that category from a small knowledge base (no model), judge **urgency**
# with that guide (a model), **draft** the reply (a model), **format** the answer with its answer
# time (no model). Each step writes its own fields of the state, and `golden(ticket)` says
# what each should write, from the ticket's true labels.
#
# The version in production calls Sonnet 5.5 at its default effort (`high`) in the three LLM
# steps. Like every model of its generation it **thinks before it answers**, and the thinking
# is billed as output and counts in `max_tokens`. The two labelling calls leave room for that
# (`LABEL_MAX_TOKENS`); the draft call asks for `Models.draft_max_tokens`, sized for a reply of a
# few sentences and a little thinking.

# %%
shipped = Models()  # the version in production
wf = pipeline(shipped)
writes = {s.name: sorted(s.writes) for s in wf.steps}
uses = {"classify": shipped.classify, "urgency": shipped.urgency, "draft": shipped.draft}
budget = {
    "classify": support.LABEL_MAX_TOKENS,
    "urgency": support.LABEL_MAX_TOKENS,
    "draft": shipped.draft_max_tokens,
}
pd.DataFrame(
    {
        "writes": writes,
        "model": {s: uses.get(s, "(none: code)") for s in writes},
        "max_tokens": {s: budget.get(s, "") for s in writes},
    }
).rename_axis("step")

# %% [markdown]
# ## 2. A bad output, and its trace
#
# The golden tickets through the pipeline as shipped. Nothing is staged: no fault, no outage;
# the models' own mistakes are all there is. (Each identical request is a fresh sample, as on
# the real API; the seeded simulator makes the set of answers the same at every build.)

# %%
incident = await wf.run_many([Case(text=t["text"]) for t in tickets], concurrency=8, progress=True)
bad = [
    i
    for i, (r, t) in enumerate(zip(incident, tickets, strict=True))
    if wrong(r.state.model_dump(), golden(t))
]
print(
    f"{len(bad)} of {len(tickets)} answers disagree with the golden answer; every run ended",
    sorted({r.status for r in incident}),
)

# %% [markdown]
# Every run **completed**: no error, no retry, nothing an error-rate dashboard would show. Here
# is one bad answer a customer received:

# %%
culprits = {i: first_wrong(incident[i].trace, golden(tickets[i])) for i in bad}
case = next((i for i in bad if culprits[i] == "draft"), bad[0] if bad else 0)
trace, gold = incident[case].trace, golden(tickets[case])
print("ticket: ", tickets[case]["text"])
print("answer: ", incident[case].state.answer)

# %% [markdown]
# ### The step log
#
# One row per step span: what the engine recorded about each step. All `ok`, one attempt each:
# the log says nothing went wrong.

# %%
spans = trace.to_dataframe()
steps = spans[spans.kind == "step"]
steps[["key", "status", "attempts", "model", "output_tokens", "model_s", "output_preview"]].round(3)

# %% [markdown]
# ### What each step changed
#
# `trace.changes()` is the per-step diff of the state: for each step, the fields it wrote,
# before and after (a step's span keeps the state it was given and the delta it returned). Put
# the golden value beside each, and the first disagreement names the step.

# %%
diff = pd.DataFrame(trace.changes())
diff["golden"] = [gold.get(f, "(a rule)") for f in diff["field"]]
diff["agrees"] = [
    not wrong({f: v}, gold) for f, v in zip(diff["field"], diff["after"], strict=True)
]
diff[["key", "field", "after", "golden", "agrees"]]

# %% [markdown]
# ### The LLM calls
#
# Each LLM span carries the model's `stop_reason` (exported to OpenTelemetry as the GenAI
# attribute `gen_ai.response.finish_reasons`): `max_tokens` means the answer was cut off. And it
# carries `thinking_tokens`: of the output tokens, those the model spent thinking before it wrote.

# %%
calls = spans[spans.kind == "llm"].copy()
calls["text_tokens"] = calls["output_tokens"] - calls["thinking_tokens"]
calls[
    ["key", "model", "output_tokens", "thinking_tokens", "text_tokens", "stop_reason"]
    + ["output_preview"]
]

# %%
first = first_wrong(trace, gold)
cut = calls[calls.stop_reason == "max_tokens"]
prose(
    f"Read from the trace: the first step whose output disagrees with the golden answer is "
    f"**{first}**"
    + (
        f", and its LLM call stopped at `max_tokens`: of its {cut.output_tokens.iloc[0]} output "
        f"tokens, {cut.thinking_tokens.iloc[0]} were thinking and {cut.text_tokens.iloc[0]} "
        f"reply. The model thought, then ran out of room to write."
        if len(cut)
        else "."
    )
    + " The steps after it only carried the bad value along."
)

# %% [markdown]
# ### The timeline
#
# Where the time went, in simulated seconds. It shows how long each step took, not whether its
# output was right: the cut call is a bar like the others (its thinking took time too).

# %%
fig = viz.timeline(trace, title=f"The bad run (ticket {tickets[case]['id']}), step by step")
fig.axes[0].get_legend().set_loc("upper right")  # the last step's bar ends bottom right

# %% [markdown]
# ### From one run to all of them
#
# One trace tells a story; many traces tell you whether it is *the* story. The same filter on
# every run: for each bad answer, the first step that disagrees with the golden answer, and
# the stop reason of that step's call.

# %%
rows = []
for i in bad:
    step_spans = {s.name: s for s in incident[i].trace.steps()}
    llm = [
        s
        for s in incident[i].trace
        if s.kind == "llm" and s.parent_id == step_spans[culprits[i]].id
    ]
    rows.append(
        {
            "ticket": tickets[i]["id"],
            "first wrong step": culprits[i],
            "stop_reason": llm[0].stop_reason if llm else "(no model)",
            "thinking_tokens": llm[0].thinking_tokens if llm else 0,
            "wrote": {f: v for f, v in (step_spans[culprits[i]].output or {}).items()},
        }
    )
by_run = pd.DataFrame(rows)
tally = by_run.groupby(["first wrong step", "stop_reason"]).size().rename("bad answers")
tally.to_frame()

# %%
top = tally.groupby(level=0).sum().sort_values(ascending=False)
n_cut = int((by_run["stop_reason"] == "max_tokens").sum()) if len(by_run) else 0
assert n_cut > 0, "the shipped draft budget cut no reply: the incident is gone"
prose(
    f"Measured over the {len(tickets)} runs: {len(bad)} bad answers; the first wrong step is "
    + ", ".join(f"**{s}** in {n}" for s, n in top.items())
    + f". {n_cut} of the {len(bad)} trace back to a call cut at `max_tokens`. The rest are "
    f"the models' own mistakes, answers that ended normally (`end_turn`): a wrong category or "
    f"urgency, or a reply with no concrete next step. The trace separates the two causes."
)

# %% [markdown]
# ### Why the drafts were cut: the thinking ate the budget
#
# Every draft call of the 60 runs, grouped by how it ended. The model decides how long to think
# (adaptive thinking: longer on a harder ticket, and at a higher effort), and the reply gets
# what is left of `max_tokens`. Nothing in the request was wrong: the budget was.

# %%
drafts = pd.DataFrame(
    [
        {
            "stop_reason": s.stop_reason,
            "thinking_tokens": s.thinking_tokens,
            "reply_tokens": s.output_tokens - s.thinking_tokens,
        }
        for r in incident
        for s in r.trace
        if s.kind == "llm" and s.key.endswith(".draft")
    ]
)
by_stop = drafts.groupby("stop_reason").agg(
    calls=("thinking_tokens", "size"),
    thinking_mean=("thinking_tokens", "mean"),
    thinking_max=("thinking_tokens", "max"),
    reply_mean=("reply_tokens", "mean"),
    reply_min=("reply_tokens", "min"),
)
by_stop.round(0)

# %%
done, cut_d = by_stop.loc["end_turn"], by_stop.loc["max_tokens"]
assert cut_d["thinking_mean"] > done["thinking_mean"] and cut_d["reply_mean"] < done["reply_mean"]
prose(
    f"Of {len(drafts)} draft calls, {cut_d['calls']:.0f} stopped at `max_tokens` "
    f"({shipped.draft_max_tokens}). They thought {cut_d['thinking_mean']:.0f} tokens on average "
    f"(up to {cut_d['thinking_max']:.0f}) and wrote {cut_d['reply_mean']:.0f} "
    f"(as few as {cut_d['reply_min']:.0f}); the drafts that ended normally thought "
    f"{done['thinking_mean']:.0f} and wrote {done['reply_mean']:.0f}. A model of the previous "
    f"generation did not think unless asked, so the whole budget was the reply's: the same "
    f"number now buys less reply, least on the tickets the model thinks longest about."
)

# %% [markdown]
# ### Two fixes, measured
#
# Give the draft room (`draft_max_tokens=2048`: the thinking and a whole reply fit), or make it
# think less (`draft_effort="low"`, same budget). The same 60 tickets through each version: the
# drafts cut, the replies that came out right, what the draft calls cost and how long they took.


# %%
async def draft_calls(models):
    """The golden tickets through ``pipeline(models)``: per version, the draft calls' numbers."""
    seen = len(simulator.log)
    results = await pipeline(models).run_many(
        [Case(text=t["text"]) for t in tickets], concurrency=8
    )
    spans = [s for r in results for s in r.trace if s.kind == "llm" and s.key.endswith(".draft")]
    said = pd.DataFrame(
        [{"model": s.model, "output_tokens": s.output_tokens, "model_s": s.model_s} for s in spans]
    )
    firsts = monitor.first_token(said, list(simulator.log)[seen:])
    return {
        "drafts cut": sum(s.stop_reason == "max_tokens" for s in spans),
        "replies right": sum(support.reply_ok(r.state.reply) for r in results),
        "answers right": sum(
            first_wrong(r.trace, golden(t)) is None for r, t in zip(results, tickets, strict=True)
        ),
        "thinking tokens": sum(s.thinking_tokens for s in spans),
        "draft cost ($)": sum(s.cost_usd for s in spans),
        "draft model-seconds": sum(s.model_s for s in spans),
        "draft first reply token, p50 (sim s)": firsts["first_text_s"].median(),
    }


versions = {
    f"as shipped (max_tokens={shipped.draft_max_tokens})": shipped,
    "max_tokens=2048": Models(draft_max_tokens=2048),
    f"effort low (max_tokens={shipped.draft_max_tokens})": Models(draft_effort="low"),
}
fixes = pd.DataFrame({name: await draft_calls(m) for name, m in tqdm(versions.items())}).T
fixes.round(
    {"draft cost ($)": 5, "draft model-seconds": 1, "draft first reply token, p50 (sim s)": 2}
)

# %%
ship, room, low = (fixes.iloc[i] for i in range(3))
assert room["drafts cut"] < ship["drafts cut"] and low["drafts cut"] < ship["drafts cut"]
prose(
    f"On the same {len(tickets)} tickets (new samples, so the shipped version's count is not "
    f"the incident's): as shipped, {ship['drafts cut']:.0f} drafts were cut and "
    f"{ship['replies right']:.0f} replies came out right. With room to think and write, "
    f"{room['drafts cut']:.0f} cut and {room['replies right']:.0f} right, for "
    f"${room['draft cost ($)']:.4f} of draft calls against ${ship['draft cost ($)']:.4f} (the "
    f"cut calls had stopped early, so they cost less). At low effort, {low['drafts cut']:.0f} cut "
    f"and {low['replies right']:.0f} right, with {low['thinking tokens']:.0f} thinking tokens "
    f"against {room['thinking tokens']:.0f}, for ${low['draft cost ($)']:.4f}. A short reply is "
    f"an easy task: more thinking buys it little, so lowering the effort is the cheaper fix here; "
    f"on a hard task (a plan, a grade) raise the budget instead."
)

# %% [markdown]
# The diagnosis, in the order you just followed: (1) a status column that is all `ok` does not
# clear a run; (2) the per-step diff against a golden answer names the first step that went
# wrong, and everything after it only carried the value along; (3) the LLM span says *why*
# (`stop_reason`, and `thinking_tokens` beside `output_tokens` says where the budget went);
# (4) counting over many runs says whether one cause dominates. The fix is in the draft step:
# a budget that fits the thinking and the reply (or less thinking), and a step that refuses a
# reply that was cut anyway (`Models(check_cut=True)` raises `OutputFormatError`, which a
# `Retry` or a fallback can handle). Section 6 writes the test that would have caught it.
#
# ## 3. What LangChain and LlamaIndex record
#
# The same draft calls in the two frameworks: the prompts of the tickets whose draft was cut,
# with the shipped budget (`max_tokens` of the draft step), and each framework's own hook
# listening: a LangChain **callback handler**, and a LlamaIndex **instrumentation event
# handler**. Both can see a cut: LangChain in the message's `response_metadata`, LlamaIndex in
# the response's `raw` body, with the usage that says how much of it was thinking. Neither
# raises; like our draft step, they pass the short reply on. (The replies are read with
# LangChain's `.text` and LlamaIndex's `.message.content`, which join the text blocks: a reply
# from today's models starts with a thinking block.)

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.callbacks import AsyncCallbackHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import ChatMessage
from llama_index.llms.anthropic import Anthropic

cut_ids = set(by_run.loc[by_run["stop_reason"] == "max_tokens", "ticket"])
cut_cases = [i for i in bad if tickets[i]["id"] in cut_ids]
prompts = [support.draft_prompt(tickets[i]["text"], golden(tickets[i])["team"]) for i in cut_cases]


def thinking_of(usage) -> int:
    """Thinking tokens from a usage record (a dict or the SDK's object): 0 when not reported."""
    if isinstance(usage, dict):
        details = usage.get("output_tokens_details")
    else:
        details = getattr(usage, "output_tokens_details", None)
    if isinstance(details, dict):
        return details.get("thinking_tokens") or 0
    return getattr(details, "thinking_tokens", 0) or 0


class Recorder(AsyncCallbackHandler):
    """A LangChain callback handler that keeps what each chat model run ended with."""

    def __init__(self):
        self.rows = []

    async def on_llm_end(self, response, **kw):
        meta = response.generations[0][0].message.response_metadata
        usage = meta["usage"]
        self.rows.append(
            {
                "framework": "LangChain",
                "hook": "on_llm_end (callback)",
                "stop_reason": meta["stop_reason"],
                "output_tokens": usage["output_tokens"],
                "thinking_tokens": thinking_of(usage),
            }
        )


class Events(BaseEventHandler):
    """A LlamaIndex event handler that keeps what each LLM chat ended with."""

    rows: list = []

    def handle(self, event, **kw):
        if event.class_name() != "LLMChatEndEvent":
            return
        raw = event.response.raw
        self.rows.append(
            {
                "framework": "LlamaIndex",
                "hook": "LLMChatEndEvent (dispatcher)",
                "stop_reason": raw["stop_reason"],
                "output_tokens": raw["usage"].output_tokens,
                "thinking_tokens": thinking_of(raw["usage"]),
            }
        )


async def frameworks_draft(callbacks=()):
    """The draft calls, in LangChain and in LlamaIndex, at the shipped budget; their replies."""
    budget = shipped.draft_max_tokens
    lc = ChatAnthropic(model=shipped.draft, base_url=simulator.url, max_tokens=budget)
    li = Anthropic(model=shipped.draft, base_url=simulator.url, max_tokens=budget)
    replies = []
    for prompt in prompts:
        lc_reply = await lc.ainvoke(prompt, config={"callbacks": list(callbacks)})
        li_reply = await li.achat([ChatMessage(role="user", content=prompt)])
        replies.append({"LangChain": lc_reply.text, "LlamaIndex": li_reply.message.content})
    return replies


recorder, events, dispatcher = Recorder(), Events(), get_dispatcher()
dispatcher.add_event_handler(events)
try:
    replies = await frameworks_draft([recorder])
finally:
    dispatcher.event_handlers.remove(events)
hooked = pd.DataFrame(recorder.rows + events.rows)
hooked.groupby(["framework", "hook"]).agg(
    calls=("stop_reason", "size"),
    cut_at_max_tokens=("stop_reason", lambda r: int((r == "max_tokens").sum())),
    thinking_tokens_mean=("thinking_tokens", "mean"),
    output_tokens_mean=("output_tokens", "mean"),
).round(0)

# %%
for fw_name, rows in (("LangChain", recorder.rows), ("LlamaIndex", events.rows)):
    cut_now = [
        r for r, row in zip(replies, rows, strict=True) if row["stop_reason"] == "max_tokens"
    ]
    print(
        f"{fw_name}, a reply cut at max_tokens: {cut_now[0][fw_name]!r}"
        if cut_now
        else f"{fw_name}: no call was cut"
    )

# %% [markdown]
# What each records, beside the engine's trace: LangChain's callbacks see every runnable's
# start and end with a `run_id` and its parent's (a chain is a tree of runs, the same shape as
# our spans), and the provider's full response metadata; LlamaIndex's dispatcher sends typed
# events inside spans (`span_id`), with the provider's raw response. Neither compares an
# output with anything: the golden answer and the diff are yours to add, in any framework.
#
# ## 4. A trace UI: the spans in Phoenix
#
# [Arize Phoenix](https://github.com/Arize-ai/phoenix) is an open-source trace viewer that runs
# locally. `orchestra.otel.export` replays a trace into OpenTelemetry spans (GenAI attribute
# names for the LLM calls), `otel.otlp_provider` sends them over OTLP to Phoenix on loopback;
# LangChain and LlamaIndex runs get there through the **OpenInference** instrumentations, each
# into a project of its own. Then the spans are read back through Phoenix's REST API, to show
# they arrived. If Phoenix is not installed or does not answer in time, this section says so
# and the offline views above are the trace UI. (Its cells' outputs hold wall-clock times and
# a port number, so the tests do not compare them.)
#
# First, what leaves the process. A trace sent to a UI (anyone's, SaaS or not) is a copy of your
# customers' words: `otel.export` passes every preview and error through
# `orchestra.redact.redact_pii` (keys, e-mail addresses, card and phone numbers), and stamps
# every span with the **release** that produced it: a version of the prompts (a digest of the
# three prompt functions' source: it changes when a prompt does) and the model of each step. A
# regression then shows as a filter in the UI: spans of release A against release B. Here one
# ticket with personal data in it, exported to memory:

# %%
PROMPTS = (support.classify_prompt, support.urgency_prompt, support.draft_prompt)
release = {
    "app.prompt_version": hashlib.sha256(
        "".join(inspect.getsource(f) for f in PROMPTS).encode()
    ).hexdigest()[:12],
    "app.models": ", ".join(f"{p}={getattr(shipped, p)}" for p in ("classify", "urgency", "draft")),
    "app.draft_max_tokens": shipped.draft_max_tokens,
}
private = (
    "I was charged twice. My card is 4242 4242 4242 4242; "
    "reach me at jo.doe@example.com or +44 20 7946 0958."
)
private_run = await wf.run(Case(text=private))
memory = InMemorySpanExporter()
local = TracerProvider()
local.add_span_processor(SimpleSpanProcessor(memory))
otel.export(private_run.trace, local, attributes=release)
ours = private_run.trace.steps()[0]  # classify: its input is the state, the ticket first
exported = next(x for x in memory.get_finished_spans() if x.name == ours.name)
shown = exported.attributes["orchestra.input_preview"]
pd.DataFrame(
    {
        "in the run's own trace": {"input_preview": ours.input_preview}
        | dict.fromkeys(release, "(not in the trace)"),
        "sent to the trace UI": {"input_preview": shown}
        | {k: exported.attributes[k] for k in release},
    }
)

# %%
assert "4242" in ours.input_preview and "4242" not in shown and "[CARD]" in shown
assert "jo.doe@example.com" not in shown

# %% tags=["nbval-ignore-output"]
if ui is not None and ui.started_s is None and ui.reason is None:  # still starting
    print(f"waiting for Phoenix to answer (at most {phoenix_timeout} s) ...", flush=True)
up = ui is not None and ui.wait(timeout=phoenix_timeout)
if up:
    print(f"Phoenix answered {ui.started_s:.1f} s (wall clock) after launch, at {ui.url}")
else:
    print(
        f"Phoenix is not available ({ui.reason if ui else 'phoenix = False'}): "
        f"the offline views above show the same spans."
    )

# %% tags=["nbval-ignore-output"]
if up:
    from openinference.instrumentation.langchain import LangChainInstrumentor
    from openinference.instrumentation.llama_index import LlamaIndexInstrumentor
    from tqdm.auto import tqdm

    progress = tqdm(total=3, desc="spans to Phoenix: ours, the frameworks', then its count")

    providers = {
        p: otel.otlp_provider(ui.otlp_url, project=p)
        for p in ("chapter-10", "chapter-10-langchain", "chapter-10-llamaindex")
    }
    sent = {
        "chapter-10": sum(
            otel.export(r.trace, providers["chapter-10"], attributes=release) for r in incident
        )
    }
    progress.update()
    LangChainInstrumentor().instrument(tracer_provider=providers["chapter-10-langchain"])
    LlamaIndexInstrumentor().instrument(tracer_provider=providers["chapter-10-llamaindex"])
    try:
        await frameworks_draft()
    finally:
        LangChainInstrumentor().uninstrument()
        LlamaIndexInstrumentor().uninstrument()
    progress.update()
    for p in providers.values():
        p.force_flush(10)
        p.shutdown()
    expected = {p: sent.get(p, 1) for p in providers}  # at least one from an instrumentation
    arrived = {p: ui.spans(p, at_least=n, timeout=60) for p, n in expected.items()}
    progress.update()
    progress.close()
    print(
        pd.DataFrame(
            {
                "spans sent": {p: str(sent.get(p, "(instrumented)")) for p in providers},
                "spans Phoenix holds": {p: len(s) for p, s in arrived.items()},
                "span names": {
                    p: ", ".join(sorted({x["name"] for x in s}))[:70] for p, s in arrived.items()
                },
            }
        ).to_string()
    )

# %% [markdown]
# What Phoenix shows of the cut call, read back from its API: our span's
# `gen_ai.response.finish_reasons`, and OpenInference's `llm.finish_reason` for the two
# frameworks. To browse them, start Phoenix in a terminal with `make phoenix`, set
# `phoenix_url = "http://127.0.0.1:6006"` in the parameters, run the chapter and open that URL:
# one trace per run, the steps nested under it, the LLM calls under the steps. (The Phoenix
# this chapter starts by itself is stopped at the end of this section.)

# %% tags=["nbval-ignore-output"]
if up:
    finish = []
    for p, got in arrived.items():
        for x in got:
            a = x["attributes"]
            reason = a.get("gen_ai.response.finish_reasons") or a.get("llm.finish_reason")
            if reason and "max_tokens" in str(reason):
                finish.append(
                    {
                        "project": p,
                        "span": x["name"],
                        "finish reason": str(reason),
                        "trace": x["context"]["trace_id"][:12],
                    }
                )
    print(pd.DataFrame(finish).drop_duplicates(["project", "span"]).to_string())
    ui.stop()

# %% [markdown]
# ## 5. Monitoring: loud and quiet failures, a baseline and an alert
#
# A stream of runs goes through the pipeline with no retries, so a call the provider refuses
# (529, overloaded) fails its step. It replays the weeks around two changes:
#
# - **the release behind section 2's incident** (quiet): until run `upgrade_at` the draft step
#   runs on the previous model, Haiku 4.5, which does not think unless asked; from then on on
#   Sonnet 5.5 with the same `max_tokens`, the version section 2 debugged;
# - **an overloaded provider** (loud): the simulator refuses `base_fault` of the calls, and
#   `raised_fault` from run `change_at` on.
#
# The monitor reads only the runs' trace records: for each step execution, its name, whether it
# failed and when it started (simulated seconds); for each draft call, whether it stopped at
# `max_tokens` and how many reply tokens it wrote; for each run, its latency and cost; for each
# LLM call, when its first token came (the simulator's log says, per request: below). No
# label, no golden answer: what production has.

# %%
previous = Models(draft="claude-haiku-4-5")  # the draft step before the release
versions_of = {False: pipeline(previous, max_retries=0, name="monitored")}
versions_of[True] = pipeline(shipped, max_retries=0, name="monitored")
edges = sorted({*range(0, stream_runs, 20), upgrade_at, change_at, stream_runs})
records, draft_calls_seen, per_run, llm_calls = [], [], [], []
simulator.configure(faults=sim.Faults(overloaded=base_fault))
for begin, end in tqdm(list(pairwise(edges)), desc="the stream, in chunks of runs"):
    if begin == change_at:
        simulator.configure(faults=sim.Faults(overloaded=raised_fault))
    batch = [tickets[i % len(tickets)] for i in range(begin, end)]
    wf_now = versions_of[begin >= upgrade_at]
    seen = len(simulator.log)  # configure() above starts the log afresh: read it per chunk
    results = await wf_now.run_many([Case(text=t["text"]) for t in batch], concurrency=8)
    chunk_calls = []
    for j, r in enumerate(results):
        run, spans_r = begin + j, list(r.trace)
        chunk_calls += [
            {
                "run": run,
                "step": s.key.rsplit(".", 1)[-1],
                "model": s.model,
                "output_tokens": s.output_tokens,
                "thinking_tokens": s.thinking_tokens,
                "model_s": s.model_s,
                "t": s.sim_start,
            }
            for s in spans_r
            if s.kind == "llm" and s.status == "ok"
        ]
        records += [
            {"run": run, "step": s.name, "failed": s.status == "error", "t": s.sim_start}
            for s in r.trace.steps()
        ]
        draft_calls_seen += [
            {
                "run": run,
                "step": "draft",
                "cut": s.stop_reason == "max_tokens",
                "reply_tokens": s.output_tokens - s.thinking_tokens,
                "t": s.sim_start,
            }
            for s in spans_r
            if s.kind == "llm" and s.key.endswith(".draft") and s.status == "ok"
        ]
        per_run.append(
            {
                "run": run,
                "completed": r.status == "completed",
                "start": min(s.sim_start for s in spans_r),
                "latency_s": max(s.sim_end for s in spans_r) - min(s.sim_start for s in spans_r),
                "cost_usd": sum(s.cost_usd for s in spans_r if s.kind == "llm"),
            }
        )
    llm_calls.append(monitor.first_token(pd.DataFrame(chunk_calls), list(simulator.log)[seen:]))
simulator.configure(faults=sim.Faults())
stream, quiet_stream, runs = (
    pd.DataFrame(records),
    pd.DataFrame(draft_calls_seen),
    pd.DataFrame(per_run),
)
llm_calls = pd.concat(llm_calls, ignore_index=True)
# A run's first reply token: the draft is what the customer reads, streamed, so they wait for
# every step before it and then the draft call's own first text token.
reply = llm_calls[llm_calls.step == "draft"].set_index("run")
runs["first_reply_s"] = runs["run"].map(reply["t"] + reply["first_text_s"]) - runs["start"]
t0 = stream["t"].min()
stream["t"] -= t0
quiet_stream["t"] -= t0
PHASES = ["before the release", "after the release", "after the faults rose"]


def by_phase(frame, *more):
    """``frame`` grouped by the phase of the stream its ``run`` falls in (then by ``more``)."""
    cuts = [-1, upgrade_at - 1, change_at - 1, stream_runs]
    phase = pd.cut(frame["run"], cuts, labels=PHASES).rename("phase")
    return frame.groupby([phase, *more] if more else phase, observed=False)


if backend != "sim":
    print(
        "time to first token: real Claude reports it only by streaming, and orchestra's LLM has "
        "no streaming call, so it is read from the simulator's log, as the whole stream runs there"
    )
per, drafted = by_phase(runs), by_phase(quiet_stream)
draft_firsts = by_phase(reply.reset_index())["first_text_s"]
dashboard = pd.DataFrame(
    {
        "runs": per.size(),
        "runs failed (share)": 1 - per["completed"].mean(),
        "drafts cut (share)": drafted["cut"].mean(),
        "reply tokens (mean)": drafted["reply_tokens"].mean(),
        "reply tokens, drafts not cut": by_phase(quiet_stream[~quiet_stream.cut])[
            "reply_tokens"
        ].mean(),
        "latency p50 (sim s)": per["latency_s"].quantile(0.5),
        "latency p95 (sim s)": per["latency_s"].quantile(0.95),
        "latency p99 (sim s)": per["latency_s"].quantile(0.99),
        "first reply token, run p50 (sim s)": per["first_reply_s"].quantile(0.5),
        "first reply token, run p95 (sim s)": per["first_reply_s"].quantile(0.95),
        "first reply token, draft call p50 (sim s)": draft_firsts.quantile(0.5),
        "first reply token, draft call p95 (sim s)": draft_firsts.quantile(0.95),
        "cost per run ($)": per["cost_usd"].mean(),
    }
)
dashboard.rename_axis("phase").T.round(4)

# %% [markdown]
# The dashboard a team would watch, per phase of the stream: the loud signal (runs failed),
# two quiet ones read from the draft calls' own records (the share cut at `max_tokens`, the
# reply's length), latency percentiles, time to first token and cost per run. Latency is the
# run's span, first step to last, in simulated seconds; a failed run stops early, so it is
# short.
#
# **Time to first token** is what a customer waits for when the reply is streamed to them: the
# draft's text, token by token. These calls do not stream, but the simulator says in its log,
# per request, how many model-seconds came before the first output token (`ttft_s`; a stream's
# first event comes that much later), and `monitor.first_token` joins each call of a trace to
# its log line. A thinking model's first output tokens are its thinking, which the customer
# never sees, so what is watched is the **first reply token**: `ttft_s` plus the thinking's
# share of the output time. Two numbers, per phase: per **call**, the draft call's own first
# reply token (the model's part); per **run**, the wait from the run's start to it, the one the
# customer feels, since nothing is shown before the draft (the labelling calls are not
# streamed, so they count whole). A failed run shows no reply, so it is not in the run's
# percentiles (it is counted in `runs failed`). Every LLM call, by step:

# %%
first_by_step = by_phase(llm_calls, "step", "model").agg(
    calls=("run", "size"),
    thinking_tokens_p50=("thinking_tokens", "median"),
    first_token_p50=("ttft_s", "median"),
    first_reply_token_p50=("first_text_s", "median"),
    first_reply_token_p95=("first_text_s", lambda x: x.quantile(0.95)),
)
first_by_step[first_by_step.calls > 0].round(2)

# %%
before_release, after_release, after_faults = (dashboard.iloc[i] for i in range(3))
replied = per["first_reply_s"].count()  # runs with a reply, per phase
before_draft = by_phase(runs.assign(wait=runs["run"].map(reply["t"]) - runs["start"]))["wait"]
draft_steps = first_by_step[first_by_step.calls > 0].xs("draft", level="step")
old_draft, new_draft = draft_steps.iloc[0], draft_steps.iloc[1]
labels_after = by_phase(llm_calls[llm_calls.step != "draft"])["thinking_tokens"].median().iloc[1]
RUN_P50, RUN_P95 = "first reply token, run p50 (sim s)", "first reply token, run p95 (sim s)"
assert after_release[RUN_P50] > before_release[RUN_P50], "the release no longer moves it"
ship_first, room_first, low_first = fixes["draft first reply token, p50 (sim s)"]
assert low_first < ship_first, "a lower effort no longer brings the first reply token sooner"
assert before_draft.median().iloc[1] > after_release[RUN_P50] / 2, "the draft's wait dominates"


def moved(a, b):
    """``a → b s``, and whether that is a move (more than 10%)."""
    return f"{a:.2f} → {b:.2f} s" + (" (about the same)" if abs(b - a) <= 0.1 * a else "")


prose(
    f"The release moved the time to first token. Per draft call, the first reply token came "
    f"after {old_draft['first_reply_token_p50']:.2f} model-seconds at the median on Haiku 4.5 "
    f"(p95 {old_draft['first_reply_token_p95']:.2f}) and after "
    f"{new_draft['first_reply_token_p50']:.2f} on Sonnet 5.5 (p95 "
    f"{new_draft['first_reply_token_p95']:.2f}), while the first output token went "
    f"{moved(old_draft['first_token_p50'], new_draft['first_token_p50'])}; the rest, "
    f"{new_draft['first_reply_token_p50'] - new_draft['first_token_p50']:.2f} s, is the "
    f"thinking, {new_draft['thinking_tokens_p50']:.0f} tokens at the median (Sonnet 5.5 at its "
    f"default effort `high`), which comes before the reply and is never shown. Per run, from "
    f"the start to the first reply token: p50 "
    f"{moved(before_release[RUN_P50], after_release[RUN_P50])}, p95 "
    f"{moved(before_release[RUN_P95], after_release[RUN_P95])} simulated "
    f"({replied.iloc[0]} and {replied.iloc[1]} runs with a reply). Most of that wait comes "
    f"before the draft starts ({before_draft.median().iloc[1]:.2f} s at the median after the "
    f"release): the two labelling calls, which think too ({labels_after:.0f} tokens at the "
    f"median) before a label nobody reads as it streams; streaming the draft cannot shorten "
    f"that part, a faster or less thoughtful labeller can. The effort moves it "
    f"too: in section 2's fixes the draft's first reply token came after {ship_first:.2f} s at "
    f"the median as shipped and {low_first:.2f} s at effort `low` (which thought "
    f"{fixes['thinking tokens'].iloc[2]:.0f} tokens on those tickets); with a larger "
    f"`max_tokens`, {room_first:.2f} s"
    + (
        ": room lets the reply finish and leaves the thinking where it was, first"
        if abs(room_first - ship_first) <= 0.1 * ship_first
        else ""
    )
    + f". So a model or effort change is a change in "
    f"time to first token, to be checked at p95 like its cost. When the faults rose, the run's "
    f"p50 went {moved(after_release[RUN_P50], after_faults[RUN_P50])} over the "
    f"{replied.iloc[2]} runs with a reply: a refused call fails its run (`runs failed`)"
    + (
        ", and with no retry it adds no wait to the runs that pass."
        if abs(after_faults[RUN_P50] - after_release[RUN_P50]) <= 0.1 * after_release[RUN_P50]
        else "."
    )
)

# %% [markdown]
# **The rule.** For each signal (a step's failures, the draft's cuts), the baseline `p₀` is its
# share over the first `warmup` runs (with one bad and one good event added, so a signal that
# never fired in the warm-up still gets a share above zero). If nothing changed, the count of
# bad events among the last `window` executions is binomial(`window`, `p₀`). The alert fires
# when the count reaches the smallest `c` with `P(count ≥ c) ≤ alpha`: one evaluation in
# `1/alpha` fires with nothing wrong, at most (`orchestra/monitor.py`).
#
# Why not the usual `p₀ + k·σ`, with `σ = √(p₀(1−p₀)/window)`? It assumes the count is roughly
# normal. With `p₀` near 3% and a window of 20, fewer than one failure is expected: the count
# takes the values 0, 1, 2, 3 and its tail is long, so `p₀ + k·σ` lands between two counts and
# says nothing exact about false alarms. (CUSUM and EWMA are the other standard answers: they
# add up small excesses over time and catch a slow drift sooner; a window and a binomial tail
# are the simplest to explain on a dashboard.)

# %%
llm_steps = ["classify", "urgency", "draft"]
loud = monitor.watch(
    stream[stream.step.isin(llm_steps)], "failed", window=window, warmup=warmup, alpha=alpha
)
chosen = monitor.score(loud, change_at=change_at, warmup=warmup)
quiet = monitor.watch(quiet_stream, "cut", window=window, warmup=warmup, alpha=alpha)
caught = monitor.score(quiet, change_at=upgrade_at, warmup=warmup)
pd.DataFrame(
    {
        f"failures per step (change at run {change_at})": chosen,
        f"drafts cut at max_tokens (change at run {upgrade_at})": caught,
    }
)

# %%
fig, axes = plt.subplots(len(llm_steps) + 2, 1, figsize=(10, 10), dpi=100, sharex=True)
panels = [(name, loud[loud.step == name], "failed share") for name in llm_steps]
panels.append(("draft", quiet, "share cut at\nmax_tokens"))
for ax, (name, g, what) in zip(axes[:-1], panels, strict=True):
    ax.plot(g.run, g.rate, color="tab:blue", label=f"rolling share ({window} executions)")
    ax.axhline(g.baseline.iloc[0], color="gray", linestyle=":", label="baseline p₀ (warm-up)")
    c = int(g.threshold.iloc[0])
    ax.axhline(c / window, color="tab:red", linestyle="--", label=f"alert: {c} of {window}")
    fired = g[g.alert]
    ax.scatter(fired.run, fired.rate, color="tab:red", s=14, zorder=3, label="alert firing")
    ax.set_ylabel(f"{name}\n{what}")
    ax.set_ylim(0, max(0.5, g.rate.max() * 1.15))
rolling_len = quiet_stream.reply_tokens.rolling(window, min_periods=window).mean()
axes[-1].plot(
    quiet_stream.run, rolling_len, color="tab:green", label=f"rolling mean ({window} drafts)"
)
axes[-1].set_ylabel("draft\nreply tokens")
axes[-1].set_ylim(0, rolling_len.max() * 1.2)
for ax in axes:
    ax.axvline(upgrade_at, color="tab:purple", linewidth=1, label="release: draft on Sonnet 5.5")
    ax.axvline(
        change_at,
        color="black",
        linewidth=1,
        label=f"fault rate {base_fault:.0%} → {raised_fault:.0%}",
    )
axes[0].legend(loc="upper left", fontsize=7, ncol=3)
axes[-2].legend(loc="upper left", fontsize=7, ncol=3)
axes[-1].legend(loc="lower left", fontsize=7, ncol=3)
axes[-1].set_xlabel("run of the stream (in order of arrival)")
fig.suptitle("Loud and quiet signals over the stream, each with its alert")
fig.tight_layout()

# %%
loud_between = loud[(loud.run >= upgrade_at) & (loud.run < change_at) & loud.alert]
before_release = dashboard.iloc[0]
after_release = dashboard.iloc[1]
assert caught["delay (runs)"] is not None, "the cut-share alert missed the release"
prose(
    f"The release is caught by the quiet signal alone: the share of drafts cut at `max_tokens` "
    f"went from {before_release['drafts cut (share)']:.0%} to "
    f"{after_release['drafts cut (share)']:.0%}, and its alert fired at run "
    f"{caught['first alert at run']}, **{caught['delay (runs)']} runs after the release**, "
    f"with {caught['false alarms']} false alarms in {caught['evaluations before the change']} "
    f"evaluations before it. The reply length "
    + (
        f"fell from {before_release['reply tokens (mean)']:.0f} to "
        f"{after_release['reply tokens (mean)']:.0f} tokens on average"
        if after_release["reply tokens (mean)"] < before_release["reply tokens (mean)"]
        else f"did not warn: it rose from {before_release['reply tokens (mean)']:.0f} to "
        f"{after_release['reply tokens (mean)']:.0f} tokens on average, because the new model "
        f"writes longer replies (those not cut: "
        f"{after_release['reply tokens, drafts not cut']:.0f}) and that hides the cut ones. A "
        f"length signal catches a change that shortens replies on the same model; across a "
        f"model change, compare like with like or watch the stop reason"
    )
    + ". Meanwhile the failure-rate alert "
    + (
        "stayed silent: failures went on at their usual rate."
        if loud_between.empty
        else f"fired {len(loud_between)} times, on {', '.join(sorted(set(loud_between.step)))}, "
        "for reasons of its own (the 529s), not the release."
    )
    + " Neither signal needs a label: the API says how each call ended."
)

# %% [markdown]
# **The threshold is a trade.** The same stream, scored by the binomial rule at several `alpha`,
# and by the `p₀ + k·σ` rule at k = 2 and 3 (`thresholds` is the alert's count per step,
# classify / urgency / draft): a lower threshold fires sooner after the change and more often
# before it.

# %%
rules = {f"alpha = {a:g}": {"alpha": a} for a in (0.1, 0.05, 0.01, 0.001)}
rules |= {f"p₀ + {k:g}σ": {"k": k} for k in (2.0, 3.0)}
scored = {}
for name, rule in rules.items():
    w = monitor.watch(
        stream[stream.step.isin(llm_steps)], "failed", window=window, warmup=warmup, **rule
    )
    counts, p0 = w.groupby("step").threshold.first(), w.groupby("step").baseline.first()
    scored[name] = {
        "thresholds": " / ".join(str(int(counts[s])) for s in llm_steps),
        "P(false alarm), worst step": max(
            monitor.binomial_tail(int(counts[s]), window, p0[s]) for s in llm_steps
        ),
        **monitor.score(w, change_at=change_at, warmup=warmup),
    }
sweep = pd.DataFrame(scored).T
sweep[
    [
        "thresholds",
        "P(false alarm), worst step",
        "false alarms",
        "delay (runs)",
        "delay (simulated s)",
    ]
]

# %%
delay = chosen["delay (runs)"]
mine, two, three = sweep.loc[f"alpha = {alpha:g}"], sweep.loc["p₀ + 2σ"], sweep.loc["p₀ + 3σ"]
p0s = loud.groupby("step").baseline.first()
prose(
    f"Measured at alpha = {alpha:g}: "
    + (
        f"the failure-rate alert first fired at run {chosen['first alert at run']} (on "
        f"**{chosen['first to alert']}**), **{delay} runs and {chosen['delay (simulated s)']:.1f} "
        f"simulated seconds** after the fault rate was raised"
        if delay is not None
        else "the failure-rate alert **did not fire** after the change"
    )
    + f"; before the change it fired on {chosen['false alarms']} of "
    f"{chosen['evaluations before the change']} evaluations. With baselines of "
    + ", ".join(f"{p:.1%}" for p in p0s[llm_steps])
    + f" and a window of {window}, the rules differ only in the count they fire at: "
    f"{mine['thresholds']} for alpha = {alpha:g}, {two['thresholds']} for k = 2, "
    f"{three['thresholds']} for k = 3; the binomial tail says what each promises per "
    f"evaluation when nothing changed: at most {mine['P(false alarm), worst step']:.2%}, "
    f"{two['P(false alarm), worst step']:.2%} and {three['P(false alarm), worst step']:.2%} "
    f"(worst step). "
    + (
        "k = 2 and k = 3 fire at the same counts, so they are one rule here: the σ rule's k "
        "moves a line between two counts, not the alert. "
        if two["thresholds"] == three["thresholds"]
        else "k = 2 and k = 3 are a count apart, and only the tail says what that count is worth. "
    )
    + (
        "k = 2 fired sooner here with no more false alarms than the chosen rule: on one stream "
        "with one change, that is one draw, while its promise per evaluation is the number above. "
        if two["delay (runs)"] is not None
        and (delay is None or two["delay (runs)"] < delay)
        and two["false alarms"] <= chosen["false alarms"]
        else ""
    )
    + "Choose by the false-alarm chance you accept per evaluation (alpha), which the binomial "
    "tail gives exactly, and by the delay you can afford, which the window sets."
)

# %% [markdown]
# Two remarks. A real alert adds a **for** clause (fire after the condition holds for several
# evaluations, as Prometheus does) to cut the one-off crossings; each evaluation here stands
# alone. And the SRE alternative is a **burn rate**: against an error budget (say 2% of runs
# may fail over 30 days), alert when the budget is being spent `x` times faster than it can
# be, over a short and a long window at once. It asks the same question with a target
# instead of a measured baseline.
#
# ## 6. Testing the pipeline
#
# Two kinds of test, in `orchestra/examples/test_support.py` (read it). **Unit tests**, one per
# step, give the step a stub in place of the model (a fixed answer, no network) and check what
# the step does with it, including `test_draft_refuses_a_reply_cut_off`: a stub answers with
# `stop_reason="max_tokens"`, and the step must raise. **An integration test** runs the whole
# pipeline on the golden tickets against the simulator and requires each LLM step to get at
# least a threshold share right. The chapter runs the file with pytest three times, on three
# versions of the pipeline, in parallel subprocesses:
#
# - *as shipped*: the draft's budget is too small for thinking and reply, and the step passes
#   a cut reply on (the incident of section 2);
# - *fixed*: room for both (`draft_max_tokens=2048`), and `check_cut=True`;
# - *fixed, then a cost cut*: someone moves the urgency step to Haiku 5.5, the model a twentieth
#   of the price.

# %%
FIXED = {"draft_max_tokens": 2048, "check_cut": True}
VERSIONS = {
    "as shipped": {},
    "fixed": FIXED,
    "fixed + urgency on Haiku": {**FIXED, "urgency": "claude-haiku-5-5"},
}
TEST_FILE = Path(support.__file__).with_name("test_support.py")


async def pytest_run(models, report):
    """Run the test file on one version of the pipeline; pytest's JUnit report says what passed."""
    # Only pytest itself: no plugins found by entry point (nbval's and LangSmith's imports
    # took 7 of a run's 10 s) and no conftest.py (the kit's own test run has one).
    env = {
        **os.environ,
        "SUPPORT_MODELS": json.dumps(models),
        "SUPPORT_GOLDEN_N": str(n_tickets),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-o",
        "addopts=",
        "--noconftest",
        "-p",
        "no:cacheprovider",
        f"--junit-xml={report}",
        str(TEST_FILE),
        env=env,
        cwd=TEST_FILE.parents[2],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.wait_for(proc.wait(), timeout=240)
    outcome = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failure = case.find("failure")
        outcome[case.get("name")] = "passed" if failure is None else "FAILED"
    return outcome


if run_tests:
    bar = tqdm(total=len(VERSIONS), desc="pytest on each version, in parallel")

    async def counted(run):
        out = await run
        bar.update()
        return out

    with tempfile.TemporaryDirectory() as tmp:
        got = await asyncio.gather(
            *(
                counted(pytest_run(m, Path(tmp) / f"{i}.xml"))
                for i, m in enumerate(VERSIONS.values())
            )
        )
    bar.close()
    tests = pd.DataFrame(dict(zip(VERSIONS, got, strict=True))).rename_axis("test")
else:
    tests = pd.DataFrame()
tests

# %%
if run_tests:
    failed = {v: tests.index[tests[v] == "FAILED"].tolist() for v in tests}
    assert failed["fixed"] == [], (
        f"the fixed pipeline must pass every test, failed: {failed['fixed']}"
    )
    assert "test_draft_refuses_a_reply_cut_off" in failed["as shipped"]
    assert any(
        t.startswith("test_golden_accuracy[urgency]") for t in failed["fixed + urgency on Haiku"]
    )
    golden_saw = "test_golden_accuracy[draft]" in failed["as shipped"]
    text = (
        f"Measured: as shipped, **{', '.join(failed['as shipped'])}** "
        f"{'fail' if len(failed['as shipped']) > 1 else 'fails'}, and nothing else. The unit test "
        f"with a stubbed model catches the unchecked cut whatever the model does; "
        + (
            "the golden run sees the incident too, since the cuts need no staged fault: the "
            "model thinks on golden tickets as it does in production. "
            if golden_saw
            else "the golden run does not: too few of its drafts were cut to cross the threshold. "
        )
        + f"Fixed, every test passes. After the move to Haiku, "
        f"**{', '.join(failed['fixed + urgency on Haiku'])}** fails: the unit tests all pass, "
        f"since a stub answers the same whatever the model; only the run on golden tickets sees "
        f"that the cheaper model judges urgency worse."
    )
else:
    text = "The tests were not run (`run_tests = False`)."
prose(text)

# %% [markdown]
# The lesson in the table: **stubs test the code around the model, golden sets test the
# model in its place**, and you need both. A unit test pins down what a step does with any
# answer (a cut reply, a label it does not know, malformed JSON) in milliseconds, for every
# commit. The golden test costs real calls and checks a measured threshold, so it runs when a
# prompt or a model changes, and on a schedule. Its thresholds (`THRESHOLDS` in the test file)
# come from a measured accuracy minus a margin. How big a margin? Not one ticket's worth: that
# is only the granularity of the count. The margin must cover the **sampling error**: run the
# same version on the same tickets again and its accuracy moves by about a binomial standard
# error, `√(p(1−p)/n)`.

# %%
from orchestra.examples.test_support import THRESHOLDS

ORDER = ["classify", "retrieve", "urgency", "draft", "format"]
firsts = [first_wrong(r.trace, golden(t)) for r, t in zip(incident, tickets, strict=True)]
noise = {}
for name, least in THRESHOLDS.items():
    reached = [w for w in firsts if w is None or ORDER.index(w) >= ORDER.index(name)]
    p = sum(w != name for w in reached) / len(reached)
    se = math.sqrt(p * (1 - p) / len(reached))
    noise[name] = {
        "tickets": len(reached),
        "accuracy (section 2)": p,
        "one ticket (points)": 100 / len(reached),
        "standard error (points)": 100 * se,
        "threshold": least,
        "margin (SE)": (p - least) / se if se else float("inf"),
    }
noise = pd.DataFrame(noise).T
noise.round(2)

# %%
g = noise.loc["urgency"]
prose(
    f"On {int(g['tickets'])} tickets one ticket moves the urgency step's accuracy by "
    f"{g['one ticket (points)']:.1f} points: that is the granularity. At its measured "
    f"{g['accuracy (section 2)']:.0%}, the binomial standard error is "
    f"**{g['standard error (points)']:.1f} points**, and a second run of the same version lands "
    f"within about ±{2 * g['standard error (points)']:.0f} points of it 95% of the time. So a "
    f"threshold less than two standard errors below the measured accuracy fails on noise alone "
    f"about one run in forty or more often (urgency's, {g['margin (SE)']:.1f} standard errors "
    f"below, about {0.5 * (1 + math.erf(-g['margin (SE)'] / math.sqrt(2))):.0%} of runs); the "
    f"margins above are "
    + ", ".join(f"{n} {m:.1f}" for n, m in noise["margin (SE)"].items())
    + " standard errors (negative: the measured version itself is below the threshold, as the "
    "shipped draft is). To tell a 2-point regression from noise you need the standard error "
    f"near 1 point: about {math.ceil(g['accuracy (section 2)'] * (1 - g['accuracy (section 2)']) * 1e4)} "
    "tickets, or the same tickets run several times."
)

# %% [markdown]
# ## Interview angle
#
# - *"A user reports a bad answer from a 5-step pipeline. How do you find the step?"* Pull the
#   run's trace by its id; read each step's input and output (the per-step state diff), compare
#   with what it should have been; the first step whose output is wrong is the culprit, the
#   ones after only propagate. Then look at that step's LLM call: prompt, `stop_reason`,
#   tokens, model. Then count over many runs whether that cause dominates.
# - *"The replies got shorter after we moved to the new model, and some are empty. Why?"* The
#   new model thinks before it writes, and the thinking counts in `max_tokens`: a budget sized
#   for the reply alone now ends with `stop_reason="max_tokens"`, many thinking tokens and few
#   or no text tokens. The trace shows it (`stop_reason`, `thinking_tokens` beside
#   `output_tokens`); the fix is a budget for both, or a lower effort where thinking buys little,
#   and a step that refuses a cut answer.
# - *"Everything is green but the answers are wrong."* Status codes measure loud failures only.
#   Quiet ones need checks on the outputs (golden sets offline, output validators and sampled
#   reviews online) and the trace to attribute them; and some need no label at all: the share
#   of calls that stopped at `max_tokens`, the length of the outputs, watched like an error rate.
# - *"When do you alert?"* On a count per step against its baseline, over a window: the
#   threshold from the binomial tail (exact where `p₀ + k·σ` is not, when less than one failure
#   per window is expected), CUSUM or EWMA for slow drifts, or an error-budget burn rate over two
#   windows. Say what the window and the threshold cost: detection delay against false alarms,
#   measured on history. Watch latency as percentiles (p95, p99), not a mean, and cost per run;
#   for a streamed reply, the time to its first token: a thinking model writes its first reply
#   token only after it has thought, so a model or effort change moves it.
# - *"How do you test an LLM pipeline?"* Unit tests per step with the model stubbed (fast,
#   deterministic, for every commit); an integration test on a golden set with per-step
#   thresholds (for prompt and model changes); and tests for the failure paths (cut answers,
#   malformed output, timeouts).
# - *"LangSmith, Langfuse or Phoenix?"* All three take OpenTelemetry-style spans; the
#   questions are hosting (local or SaaS), cost, and whether your framework's instrumentation
#   exists. Keep the trace as your own data too, so the analysis above does not depend on a UI.

# %%
if ui is not None:
    ui.stop()
simulator.stop()
