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
#       change_at: 60
#       n_tickets: 24
#       phoenix: false
#       run_tests: false
#       seed: 1
#       stream_runs: 100
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
# 3. **Monitoring.** Failure rate per step over time, a baseline, an alert rule, and what it costs:
#    how fast it fires and how often it cries wolf.
# 4. **Testing.** A unit test per step with a stubbed model, and an integration test on golden
#    tickets, and which regression each one catches.
#
# **When not to bother** with more than the engine's trace and a log line per step: a prototype
# that you run by hand and read every output of. The moment outputs go to people you do not
# watch, you need all four.

# %% tags=["parameters"]
backend = "sim"  # the chapter stages faults in the simulator: it runs offline only
n_tickets = 60  # golden tickets (tickets.jsonl has 60 with their true category and urgency)
cut_rate = 0.15  # the incident: this share of the draft calls is cut off at max_tokens
stream_runs = 160  # runs in the monitoring stream
change_at = 100  # the run from which the simulator's fault rate is raised
base_fault = 0.02  # share of calls answered 529 (overloaded) before the change
raised_fault = 0.15  # ... and from run `change_at` on
warmup = 50  # the first runs set each step's baseline failure rate
window = 20  # the alert's rolling window, in executions of a step
k = 3.0  # alert when the rolling failure rate exceeds baseline + k·σ
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
import json
import math
import os
import random
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from tqdm.auto import tqdm

from orchestra import datasets, otel, sim, viz
from orchestra.examples import support
from orchestra.examples.support import Case, Models, first_wrong, golden, pipeline, wrong
from orchestra.phoenix import Phoenix
from orchestra.viz import prose

ui = Phoenix(url=phoenix_url).launch() if phoenix else None
simulator = sim.start(seed=seed, time_scale=time_scale)
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

# %%
shipped = Models()  # the version in production: Sonnet for the three LLM steps
wf = pipeline(shipped)
writes = {s.name: sorted(s.writes) for s in wf.steps}
uses = {"classify": shipped.classify, "urgency": shipped.urgency, "draft": shipped.draft}
pd.DataFrame(
    {"writes": writes, "model": {s: uses.get(s, "(none: code)") for s in writes}}
).rename_axis("step")

# %% [markdown]
# ## 2. A bad output, and its trace
#
# The incident, staged: the simulator cuts a share of the **draft** calls off at `max_tokens`
# (a seeded fault: which calls is drawn from `seed`). The model stops mid-sentence and says so
# in the response (`stop_reason="max_tokens"`), but the draft step does not look: it passes the
# half reply on. Everything else is the pipeline as shipped, models' own mistakes included.
# The tickets run one at a time, so the fault falls on the same tickets at every run.

# %%
n_cut = round(cut_rate * len(tickets))
cut_calls = sorted(random.Random(seed).sample(range(1, len(tickets) + 1), n_cut))
simulator.configure(
    faults=sim.Faults(plan=[sim.Rule("truncate", match="reply to this customer", nth=cut_calls)])
)
incident = await wf.run_many([Case(text=t["text"]) for t in tickets], concurrency=1, progress=True)
simulator.configure(faults=sim.Faults())
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
# attribute `gen_ai.response.finish_reasons`). `max_tokens` means the answer was cut off.

# %%
calls = spans[spans.kind == "llm"]
calls[["key", "model", "input_tokens", "output_tokens", "stop_reason", "output_preview"]]

# %%
first = first_wrong(trace, gold)
cut = calls[calls.stop_reason == "max_tokens"]["key"].tolist()
prose(
    f"Read from the trace: the first step whose output disagrees with the golden answer is "
    f"**{first}**"
    + (f", and its LLM call stopped at `max_tokens` ({', '.join(cut)})." if cut else ".")
    + " The steps after it only carried the bad value along."
)

# %% [markdown]
# ### The timeline
#
# Where the time went, in simulated seconds. It shows how long each step took, not whether its
# output was right: the cut call is a bar like the others.

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
            "wrote": {f: v for f, v in (step_spans[culprits[i]].output or {}).items()},
        }
    )
by_run = pd.DataFrame(rows)
tally = by_run.groupby(["first wrong step", "stop_reason"]).size().rename("bad answers")
tally.to_frame()

# %%
top = tally.groupby(level=0).sum().sort_values(ascending=False)
cut_share = (by_run["stop_reason"] == "max_tokens").mean() if len(by_run) else 0.0
prose(
    f"Measured over the {len(tickets)} runs: {len(bad)} bad answers; the first wrong step is "
    + ", ".join(f"**{s}** in {n}" for s, n in top.items())
    + f". {cut_share:.0%} of the bad answers trace back to a call cut at `max_tokens`: the "
    f"staged fault. The rest are the models' own mistakes, answers that ended normally "
    f"(`end_turn`): a wrong category or urgency, or a reply with no concrete next step. The "
    f"trace separates the two causes."
)

# %% [markdown]
# The diagnosis, in the order you just followed: (1) a status column that is all `ok` does not
# clear a run; (2) the per-step diff against a golden answer names the first step that went
# wrong, and everything after it only carried the value along; (3) the LLM span says *why*
# (`stop_reason`); (4) counting the first wrong step over many runs says whether one cause
# dominates. The fix is in the draft step: refuse a reply that was cut (`Models(check_cut=True)`
# raises `OutputFormatError`, which a `Retry` or a fallback can handle), and ask for more
# `max_tokens`. Section 6 writes the test that would have caught it.
#
# ## 3. What LangChain and LlamaIndex record
#
# The same draft call in the two frameworks, with every call cut, and each framework's own
# hook listening: a LangChain **callback handler**, and a LlamaIndex **instrumentation event
# handler**. Both see the cut: LangChain in the message's `response_metadata`, LlamaIndex in
# the response's `raw` body. Neither raises; like our draft step, they pass the half reply on.

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.callbacks import AsyncCallbackHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import ChatMessage
from llama_index.llms.anthropic import Anthropic

prompt = support.draft_prompt(tickets[case]["text"], gold["team"])


class Recorder(AsyncCallbackHandler):
    """A LangChain callback handler that keeps one row per event."""

    def __init__(self):
        self.rows = []

    async def on_chat_model_start(self, serialized, messages, **kw):
        parent = kw.get("parent_run_id")
        self.rows.append(
            {
                "framework": "LangChain",
                "event": "on_chat_model_start",
                "what it records": f"{len(messages[0])} message(s); a run_id, parent_run_id="
                f"{'a run' if parent else 'None (a top-level run)'}",
            }
        )

    async def on_llm_end(self, response, **kw):
        meta = response.generations[0][0].message.response_metadata
        self.rows.append(
            {
                "framework": "LangChain",
                "event": "on_llm_end",
                "what it records": f"stop_reason={meta['stop_reason']}, "
                f"output_tokens={meta['usage']['output_tokens']}",
            }
        )


class Events(BaseEventHandler):
    """A LlamaIndex event handler that keeps one row per LLM chat event."""

    rows: list = []

    def handle(self, event, **kw):
        name = event.class_name()
        if name == "LLMChatStartEvent":
            what = (
                f"{len(event.messages)} message(s); inside span {event.span_id.split('-')[0]}-<id>"
            )
        elif name == "LLMChatEndEvent":
            raw = event.response.raw
            what = f"stop_reason={raw['stop_reason']}, output_tokens={raw['usage'].output_tokens}"
        else:
            return
        self.rows.append({"framework": "LlamaIndex", "event": name, "what it records": what})


async def frameworks_draft(callbacks=()):
    """The draft call, once in LangChain and once in LlamaIndex; returns both replies."""
    lc = ChatAnthropic(model=shipped.draft, base_url=simulator.url, max_tokens=150)
    li = Anthropic(model=shipped.draft, base_url=simulator.url, max_tokens=150)
    lc_reply = await lc.ainvoke(prompt, config={"callbacks": list(callbacks)})
    li_reply = await li.achat([ChatMessage(role="user", content=prompt)])
    return lc_reply.content, li_reply.message.content


simulator.configure(faults=sim.Faults(plan=[sim.Rule("truncate", match="reply to this customer")]))
recorder, events, dispatcher = Recorder(), Events(), get_dispatcher()
dispatcher.add_event_handler(events)
try:
    replies = await frameworks_draft([recorder])
finally:
    dispatcher.event_handlers.remove(events)
simulator.configure(faults=sim.Faults())
pd.DataFrame(recorder.rows + events.rows)

# %%
print("LangChain reply: ", replies[0])
print("LlamaIndex reply:", replies[1])

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

    providers = {
        p: otel.otlp_provider(ui.otlp_url, project=p)
        for p in ("chapter-10", "chapter-10-langchain", "chapter-10-llamaindex")
    }
    sent = {"chapter-10": sum(otel.export(r.trace, providers["chapter-10"]) for r in incident)}
    LangChainInstrumentor().instrument(tracer_provider=providers["chapter-10-langchain"])
    LlamaIndexInstrumentor().instrument(tracer_provider=providers["chapter-10-llamaindex"])
    simulator.configure(
        faults=sim.Faults(plan=[sim.Rule("truncate", match="reply to this customer")])
    )
    try:
        await frameworks_draft()
    finally:
        LangChainInstrumentor().uninstrument()
        LlamaIndexInstrumentor().uninstrument()
        simulator.configure(faults=sim.Faults())
    for p in providers.values():
        p.force_flush(10)
        p.shutdown()
    expected = {p: sent.get(p, 1) for p in providers}  # at least one from an instrumentation
    arrived = {p: ui.spans(p, at_least=n, timeout=60) for p, n in expected.items()}
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
# ## 5. Monitoring: failure rate per step, a baseline and an alert
#
# Now the loud failures. A stream of runs goes through the pipeline with no retries, so a
# call the provider refuses (529, overloaded) fails its step. The simulator refuses
# `base_fault` of the calls; from run `change_at` on it refuses `raised_fault`, the kind of
# change an alert must catch. The monitor reads only the runs' trace records: for each step
# execution, its name, whether it failed, and when it started (simulated seconds).

# %%
monitored = pipeline(shipped, max_retries=0, name="monitored")
simulator.configure(faults=sim.Faults(overloaded=base_fault))
records, CHUNK = [], 20
for begin in tqdm(range(0, stream_runs, CHUNK), desc="stream (chunks of 20 runs)"):
    if begin == change_at:
        simulator.configure(faults=sim.Faults(overloaded=raised_fault))
    batch = [tickets[i % len(tickets)] for i in range(begin, min(begin + CHUNK, stream_runs))]
    results = await monitored.run_many([Case(text=t["text"]) for t in batch], concurrency=8)
    for j, r in enumerate(results):
        records += [
            {"run": begin + j, "step": s.name, "failed": s.status == "error", "t": s.sim_start}
            for s in r.trace.steps()
        ]
simulator.configure(faults=sim.Faults())
stream = pd.DataFrame(records)
stream["t"] -= stream["t"].min()
stream.groupby(["step", stream["run"] >= change_at])["failed"].agg(
    ["count", "mean"]
).unstack().round(3)

# %% [markdown]
# Only the three steps that call a model ever fail; `retrieve` and `format` run code. A step
# after a failed one does not run, so each step's rate is over its own executions.
#
# **The rule.** Each step's baseline `p₀` is its failure rate over the first `warmup` runs (with
# one failure and one success added, so a step that never failed in the warm-up still gets a
# rate above zero). Over a window of `window` executions, the share of failures has standard
# deviation `σ = √(p₀(1−p₀)/window)` if nothing changed. The alert fires when the rolling
# rate exceeds `p₀ + k·σ`, evaluated after each execution once the warm-up is over.


# %%
def monitor(stream, k, window=window, warmup=warmup):
    """Per step execution: rolling rate, threshold and whether the alert fires."""
    out = []
    for _, g in stream[stream.step.isin(["classify", "urgency", "draft"])].groupby("step"):
        g = g.sort_values("run").copy()
        warm = g[g.run < warmup]
        p0 = (warm.failed.sum() + 1) / (len(warm) + 2)
        g["rate"] = g.failed.rolling(window, min_periods=window).mean()
        g["baseline"], g["threshold"] = p0, p0 + k * math.sqrt(p0 * (1 - p0) / window)
        g["alert"] = (g.run >= warmup) & (g.rate > g.threshold)
        out.append(g)
    return pd.concat(out)


def score(watched):
    """Detection delay after the change, and false alarms before it (share of evaluations)."""
    evaluated = watched[(watched.run >= warmup) & watched.rate.notna()]
    before, after = evaluated[evaluated.run < change_at], evaluated[evaluated.run >= change_at]
    fired = after[after.alert].sort_values("run")
    t_change = stream[stream.run >= change_at].t.min()
    return {
        "evaluations before the change": len(before),
        "false alarms": int(before.alert.sum()),
        "false-alarm rate": before.alert.mean() if len(before) else float("nan"),
        "first alert at run": int(fired.run.iloc[0]) if len(fired) else None,
        "delay (runs)": int(fired.run.iloc[0]) - change_at if len(fired) else None,
        "delay (simulated s)": fired.t.iloc[0] - t_change if len(fired) else None,
        "first step to alert": fired.step.iloc[0] if len(fired) else None,
    }


watched = monitor(stream, k)
chosen = score(watched)
pd.Series(chosen, name=f"k = {k}").to_frame()

# %%
steps_watched = ["classify", "urgency", "draft"]
fig, axes = plt.subplots(len(steps_watched), 1, figsize=(10, 7), dpi=100, sharex=True)
t_change = stream[stream.run >= change_at].t.min()
for ax, name in zip(axes, steps_watched, strict=True):
    g = watched[watched.step == name]
    ax.plot(g.t, g.rate, color="tab:blue", label=f"rolling failure rate ({window} executions)")
    ax.axhline(g.baseline.iloc[0], color="gray", linestyle=":", label="baseline p₀ (warm-up)")
    ax.axhline(g.threshold.iloc[0], color="tab:red", linestyle="--", label=f"alert: p₀ + {k:g}σ")
    fired = g[g.alert]
    ax.scatter(fired.t, fired.rate, color="tab:red", s=14, zorder=3, label="alert firing")
    ax.axvline(
        t_change,
        color="black",
        linewidth=1,
        label=f"fault rate {base_fault:.0%} → {raised_fault:.0%}",
    )
    ax.set_ylabel(f"{name}\nfailed share")
    ax.set_ylim(0, max(0.45, watched.rate.max() * 1.15))
axes[0].legend(loc="upper left", fontsize=8, ncol=2)
axes[-1].set_xlabel("simulated time since the stream began (s)")
fig.suptitle("Failure rate per step, and the alert, as the provider starts refusing more calls")
fig.tight_layout()

# %% [markdown]
# **The threshold is a trade.** The same stream, the same rule, for several `k`: a low `k`
# fires sooner after the change and more often before it.

# %%
sweep = pd.DataFrame({f"k = {kk:g}": score(monitor(stream, kk)) for kk in (1.0, 2.0, 3.0, 4.0)}).T
sweep[["false alarms", "false-alarm rate", "delay (runs)", "delay (simulated s)"]]

# %%
delay = chosen["delay (runs)"]
prose(
    f"Measured at k = {k:g}: "
    + (
        f"the alert first fired at run {chosen['first alert at run']} (on **{chosen['first step to alert']}**), "
        f"**{delay} runs and {chosen['delay (simulated s)']:.1f} simulated seconds** after the fault "
        f"rate was raised"
        if delay is not None
        else "the alert **did not fire** after the change"
    )
    + f"; before the change it fired on {chosen['false alarms']} of "
    f"{chosen['evaluations before the change']} evaluations (false-alarm rate "
    f"{chosen['false-alarm rate']:.1%}). The window is the price of both: {window} executions "
    f"must fill with enough failures before the rate crosses the line."
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
# - *as shipped*: the draft step passes a cut reply on (the incident of section 2);
# - *fixed*: `check_cut=True`;
# - *fixed, then a cost cut*: someone moves the urgency step to Haiku, the cheaper model.

# %%
VERSIONS = {
    "as shipped": {},
    "fixed": {"check_cut": True},
    "fixed + urgency on Haiku": {"check_cut": True, "urgency": "claude-haiku-5-5"},
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
    text = (
        f"Measured: as shipped, **{', '.join(failed['as shipped'])}** fails, and nothing else: "
        f"the unit test with a stubbed model catches the incident, which the golden run (no "
        f"faults in it) does not. Fixed, every test passes. After the move to Haiku, "
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
# prompt or a model changes, and on a schedule. Its thresholds come from the shipped version's
# measured accuracy minus a margin: on 60 tickets one ticket is 1.7 points, so a margin much
# smaller than that only measures noise.
#
# ## Interview angle
#
# - *"A user reports a bad answer from a 5-step pipeline. How do you find the step?"* Pull the
#   run's trace by its id; read each step's input and output (the per-step state diff), compare
#   with what it should have been; the first step whose output is wrong is the culprit, the
#   ones after only propagate. Then look at that step's LLM call: prompt, `stop_reason`,
#   tokens, model. Then count over many runs whether that cause dominates.
# - *"Everything is green but the answers are wrong."* Status codes measure loud failures only.
#   Quiet ones need checks on the outputs (golden sets offline, output validators and sampled
#   reviews online) and the trace to attribute them.
# - *"When do you alert?"* On a rate per step against its baseline, over a window: baseline +
#   k·σ, or an error-budget burn rate over two windows. Say what the window and `k` cost:
#   detection delay against false alarms, measured on history.
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
