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
#       fault_rates:
#       - 0.0
#       - 0.3
#       n_compare: 3
#       n_runs: 6
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # 07 · Failures in a multi-step workflow: retry, breaker, fallback, skip, abort
#
# A workflow of seven steps makes six LLM calls. If each call fails 5% of the time (a 529
# "overloaded", a 429 "rate limited", a timeout), a run fails about one time in four. Failure
# handling is therefore not an edge case: it is most of the design. This chapter gives each kind
# of failure its own answer:
#
# | failure | answer | engine |
# | --- | --- | --- |
# | transient (429, 529, 500, timeout) | **retry** with exponential backoff, honouring the server's `retry-after` | `@step(retry=Retry(...))` |
# | our mistake (400, 401, 404) | **never retry**: fix the request | `Retry` asks `retryable(exc)` |
# | a model that keeps failing | **circuit breaker**: stop calling it for a while | `@step(breaker=CircuitBreaker(...))` |
# | the step still gives up | **fallback** to a cheaper model or a simpler prompt | `@step(fallback=other_step)` |
# | a step the result can live without | **skip** it: the run completes, marked degraded | `@step(optional=True)` |
# | anything else | **abort** with the partial state and an explanation | (the default) |
#
# **When not to use them:** retries on a non-idempotent side effect (sending an email, charging a
# card) can do it twice; breakers need traffic (with a few calls a day there is nothing to learn
# from); fallbacks hide a quality drop unless you watch which step answered.
#
# **Cost and latency:** a retry costs time (the backoff) and, when the failed call produced
# tokens, money; a failed HTTP call is free, a timeout is not (you waited). A fallback to a
# cheaper model lowers cost and quality. Skipping lowers both. Section 6 measures all of this
# over fault rates from 0 to 40%.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (no fault staging then)
fast_model = "claude-haiku-4-5"  # cheap steps, and the fallback
strong_model = "claude-sonnet-4-5"  # the plan and reply steps
seed = 0  # the simulator's seed: same seed, same answers, same faults
time_scale = 0.003  # wall-clock seconds per simulated second
n_runs = 10  # tickets per point of the fault-rate sweep (more: smoother curves, slower)
fault_rates = [0.0, 0.1, 0.2, 0.3, 0.4]  # share of calls that fail (529, 429, 500)
n_compare = 4  # tickets for the library comparison

# %% [markdown]
# ## Set-up
#
# The simulator, the ticket dataset (`orchestra/data/tickets.jsonl`, 60 hand-written support
# tickets) and two clients. Both have `max_retries=0`: the SDK's own retries are off, so the
# engine's `Retry` is the only thing that retries (section 2 shows why). `stage(faults)` arms the
# simulator with a fault plan; on real Claude it prints a note instead, since real failures
# cannot be ordered on demand.

# %%
import asyncio
import inspect

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from pydantic import BaseModel

from orchestra import (
    LLM,
    CircuitBreaker,
    Retry,
    Workflow,
    datasets,
    errors,
    log_steps,
    measure,
    sim,
    step,
    viz,
)
from orchestra.policies import retryable

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
tickets = datasets.load("tickets")
fast = LLM(fast_model, backend=backend, max_retries=0)
strong = LLM(strong_model, backend=backend, max_retries=0)


def stage(faults):
    """Arm the simulator with these faults (and reset its log and counters)."""
    if simulator:
        simulator.configure(faults=faults)
    else:
        print("(real Claude: faults cannot be staged; this cell shows the no-fault path)")


print(len(tickets), "tickets; backend:", backend, "| models:", fast_model, "and", strong_model)


# %% [markdown]
# ## 1. A taxonomy of errors
#
# We provoke each error for real and look at what arrives: the HTTP status, the SDK's exception,
# the named error `orchestra.LLM` turns it into (`orchestra/errors.py`), and the verdict of
# `orchestra.policies.retryable`, the predicate every `Retry` and `CircuitBreaker` uses. The
# transient ones are staged with a fault plan: each `Rule` fails the calls whose prompt matches.


# %%
class Urgency(BaseModel):
    urgency: str
    amount: float


async def provoke(case):
    """Make one call that fails the way `case` says; return the error it raised."""
    timeout_llm = LLM(fast_model, backend=backend, max_retries=0, timeout=0.25)
    calls = {
        "429 rate limited": lambda: fast.ask("Summarize in one sentence: case rate_limit."),
        "529 overloaded": lambda: fast.ask("Summarize in one sentence: case overloaded."),
        "500 server error": lambda: fast.ask("Summarize in one sentence: case server_error."),
        "timeout (no answer)": lambda: timeout_llm.ask("Summarize in one sentence: case hang."),
        "bad output": lambda: fast.ask(
            "Extract the following fields as JSON: urgency, amount. "
            "case bad_json. Text: urgent, 40 dollars",
            schema=Urgency,
        ),
        "400 bad request": lambda: fast.ask("Summarize in one sentence: hi.", temperature=1.5),
        "404 unknown model": lambda: fast.with_model("claude-2.1").ask("hi"),
    }
    try:
        await calls[case]()
    except errors.OrchestraError as exc:
        return exc
    finally:
        await timeout_llm.aclose()


WHY = {
    "429 rate limited": "too many requests now; wait what retry-after says",
    "529 overloaded": "the service is busy; a later try usually works",
    "500 server error": "a fault on their side, often transient",
    "timeout (no answer)": "the call may have been lost; retry (mind side effects)",
    "bad output": "the answer broke the schema; a new sample may fit",
    "400 bad request": "our request is wrong; the same bytes fail again",
    "404 unknown model": "a wrong name does not start existing",
}
if simulator:
    stage(
        sim.Faults(
            plan=[
                sim.Rule(kind, match=f"case {kind}")
                for kind in ("rate_limit", "overloaded", "server_error", "hang", "bad_json")
            ]
        )
    )
    rows = []
    for case, why in WHY.items():
        exc = await provoke(case)
        rows.append(
            {
                "case": case,
                "HTTP status": exc.status or "-",
                "SDK exception": type(exc.cause).__name__ if exc.cause else "-",
                "orchestra error": type(exc).__name__,
                "retry?": retryable(exc),
                "why": why,
            }
        )
    taxonomy = pd.DataFrame(rows).set_index("case")
else:
    taxonomy = pd.DataFrame({"retry?": {"429/529/500/timeout": True, "400/401/404": False}})
taxonomy

# %% [markdown]
# Not in the table: **401** (bad key) and **413** (request too large) behave like 400
# (`FatalLLMError`), and `CircuitOpenError` is not an HTTP error at all: our own breaker refused
# the call (section 5). The rule of thumb: retry what may succeed *later* (the service's state),
# never what is wrong *now* (the request's content). A timeout sits in between: the request may
# have been processed, so retry it only if the step is safe to repeat (idempotent).
#
# ## 2. Retry with backoff, and the server's `retry-after`
#
# `Retry.delay(n)` doubles a base delay after each failure, with seeded jitter so that clients
# that failed together do not retry together. When the server says how long to wait
# (`retry-after`, carried by the error as `retry_after`), that wins: guessing shorter earns
# another 429. Below, in simulated seconds (our delays are wall-clock; the simulator scales its
# `retry-after` by `time_scale`, so we divide by it).

# %%
print(inspect.getsource(Retry.delay))
policy = Retry(max_attempts=5, base_delay=1.0, max_delay=8.0, seed=seed)
print("our backoff after failures 1..4 (s):", [round(policy.delay(n), 2) for n in (1, 2, 3, 4)])


# %% [markdown]
# Now a step that meets two 529s in a row (staged: the 1st and 2nd matching calls fail). The
# step is retried, the log shows 3 attempts, and the simulator's log shows what the server said.


# %%
class Note(BaseModel):
    text: str
    summary: str | None = None


def summarize_step(llm, retry=None):
    @step(retry=retry, writes="summary")
    async def summarize(n: Note) -> dict:
        return {"summary": (await llm.ask(f"Summarize in one sentence: {n.text}")).text}

    return Workflow("summarize", state=Note, steps=[summarize])


stage(sim.Faults(plan=[sim.Rule("overloaded", match="parcel", nth=[1, 2])]))
log_steps()
done = await summarize_step(fast, Retry(max_attempts=4, base_delay=time_scale, seed=seed)).run(
    Note(text="My parcel left the depot on Monday. It has not moved since. Can you check?")
)
log_steps(False)
print(done.status, "|", done.state.summary)
if simulator:
    log = pd.DataFrame(list(simulator.log))[["status", "fault", "retry_after_s"]]
    log["retry_after (simulated s)"] = (log.pop("retry_after_s") / time_scale).round(2)
    display(log)

# %% [markdown]
# ### The double-retry trap
#
# The SDK retries too (`max_retries=2` by default). Put the engine's `Retry(max_attempts=3)`
# around it and each engine attempt makes up to 3 HTTP requests: 9 in all, with two backoff
# schedules stacked, before the step gives up. Against a model that is down, that is 3x the load
# for nothing. One layer should retry: here, the engine (it knows the step, the breaker, the
# fallback), so the clients keep `max_retries=0`.

# %%
rows = []
for sdk_retries in (0, 2):
    stage(sim.Faults(plan=[sim.Rule("overloaded", match="invoice")]))  # every matching call fails
    async with LLM(fast_model, backend=backend, max_retries=sdk_retries) as llm:
        result = await summarize_step(
            llm, Retry(max_attempts=3, base_delay=time_scale, seed=seed)
        ).run(Note(text="The invoice for May is missing its VAT number. Please send it again."))
    rows.append(
        {
            "SDK max_retries": sdk_retries,
            "engine max_attempts": 3,
            "run status": result.status,
            "HTTP requests sent": len(simulator.log) if simulator else "n/a",
        }
    )
pd.DataFrame(rows).set_index("SDK max_retries")

# %% [markdown]
# ### Timeouts
#
# A call that never answers is the worst failure: it costs the whole timeout before anything can
# be retried. `LLM(timeout=...)` bounds one HTTP request (`@step(timeout=...)` bounds a whole
# attempt, several calls included). The simulator's `hang` fault sends nothing until the client
# hangs up; the first matching call hangs, the retry answers.

# %%
stage(sim.Faults(plan=[sim.Rule("hang", match="tracking", nth=1)]))
log_steps()
async with LLM(fast_model, backend=backend, max_retries=0, timeout=0.25) as patient:
    done = await summarize_step(
        patient, Retry(max_attempts=3, base_delay=time_scale, seed=seed)
    ).run(
        Note(
            text="The tracking page shows an error for order 5521. I would like to know where it is."
        )
    )
log_steps(False)
print(done.status, "|", done.state.summary)


# %% [markdown]
# ### No retry for a 400
#
# A step with a bug (temperature 1.5; the API accepts 0 to 1) and a generous `Retry(max_attempts=5)`:
# one attempt, then the run aborts, because `retryable` says a 400 cannot get better. The reason
# says which step, which error and what to do.


# %%
@step(retry=Retry(max_attempts=5, base_delay=time_scale, seed=seed), writes="summary")
async def creative_summary(n: Note) -> dict:
    return {
        "summary": (await fast.ask(f"Summarize in one sentence: {n.text}", temperature=1.5)).text
    }


stage(sim.Faults())
log_steps()
bad = await Workflow("buggy", state=Note, steps=[creative_summary]).run(
    Note(text="Where is my refund?")
)
log_steps(False)
print("status:", bad.status)
print("reason:", bad.reason.split(": Error code")[0], "...", bad.reason.split("; ")[-1])


# %% [markdown]
# ## 3. The seven-step workflow
#
# A support ticket is classified (category, urgency), summarized, given a priority (plain code,
# no model), then the strong model plans the resolution and drafts the reply, and a note for the
# knowledge base is written. The failure policy is a set of arguments, so the same workflow can
# be built with no policy, with retries, with fallbacks and with optional steps.


# %%
class Ticket(BaseModel):
    text: str
    category: str | None = None
    urgency: str | None = None
    summary: str | None = None
    priority: str | None = None
    plan: str | None = None
    reply: str | None = None
    kb_note: str | None = None


PROMPTS = {
    "category": "Classify this support ticket into one of: billing, account, shipping, technical, other.\nTicket: {text}",
    "urgency": "Classify the urgency of this ticket into one of: high, normal, low.\nTicket: {text}",
    "summary": "Summarize this ticket in one sentence.\nText: {text}",
    "plan": "Plan the steps to resolve this {category} ticket: {text}",
    "reply": "Write a short reply to this ticket.\nTicket: {text}",
    "kb_note": "Summarize in at most 12 words for the knowledge base: {text}",
}


def priority_of(s: dict) -> str:
    """P1 for urgent or billing tickets, else P2 (plain code: it cannot fail)."""
    return "P1" if s["urgency"] == "high" or s["category"] == "billing" else "P2"


# %%
def support_workflow(fast, strong, *, retry=None, fallback=False, optional=(), breaker=None):
    """The 7-step ticket workflow; the keyword arguments choose its failure policy."""

    def ask_step(field, llm, name=None, **policy):
        async def run(t: Ticket) -> dict:
            reply = await llm.ask(PROMPTS[field].format(**t.model_dump()), max_tokens=200)
            return {field: reply.text}

        skip = field in optional  # optional: one attempt, then skip (not worth a wait)
        return step(
            run,
            name=name or field,
            writes=field,
            retry=None if skip else retry,
            optional=skip,
            **policy,
        )

    def strong_step(field):  # the expensive model; its fallback is the cheap one
        backup = ask_step(field, fast, name=f"{field}_fallback") if fallback else None
        return ask_step(field, strong, breaker=breaker, fallback=backup)

    @step(writes="priority")
    async def priority(t: Ticket) -> dict:
        return {"priority": priority_of(t.model_dump())}

    return Workflow(
        "support",
        state=Ticket,
        steps=[
            ask_step("category", fast),
            ask_step("urgency", fast),
            ask_step("summary", fast),
            priority,
            strong_step("plan"),
            strong_step("reply"),
            ask_step("kb_note", fast),
        ],
    )


# %% [markdown]
# A clean run, one line per step (key, status, attempts, tokens, cost, simulated seconds):

# %%
stage(sim.Faults())
log_steps()
clean = await support_workflow(fast, strong).run(Ticket(text=tickets[0]["text"]))
log_steps(False)
print(f"{clean.status}: {clean.tokens} tokens, ${clean.cost_usd:.5f}")
print("reply:", clean.state.reply)

# %% [markdown]
# ## 4. Abort, fallback, skip
#
# **Abort with a partial result.** The strong model is down for planning (every `Plan the steps`
# call to it answers 529). With retries but no fallback, the run stops at step 4: status `aborted`, the
# state as far as it got, the steps that did not run, and a reason that says what to do.

# %%
stage(sim.Faults(plan=[sim.Rule("overloaded", match="Plan the steps", model=strong_model)]))
log_steps()
aborted = await support_workflow(
    fast, strong, retry=Retry(max_attempts=3, base_delay=time_scale, seed=seed)
).run(Ticket(text=tickets[0]["text"]))
log_steps(False)
print("status: ", aborted.status)
print("missing:", aborted.missing)
print(
    "kept:   ",
    {
        k: v
        for k, v in aborted.state.model_dump().items()
        if k in ("category", "urgency", "priority")
    },
)
print("spent:  ", f"${aborted.cost_usd:.5f} for a ticket with no reply")
print("reason: ", aborted.reason.split("; ")[-1])

# %% [markdown]
# **Fallback.** The same outage, now with `fallback=True`: after its retries, each strong step
# hands over to the same prompt on the cheap model. The run completes; the log says who answered.
# It costs less than the clean run, and the reply is the cheap model's.

# %%
log_steps()
rescued = await support_workflow(
    fast, strong, retry=Retry(max_attempts=3, base_delay=time_scale, seed=seed), fallback=True
).run(Ticket(text=tickets[0]["text"]))
log_steps(False)
print(f"{rescued.status}: ${rescued.cost_usd:.5f} (clean run: ${clean.cost_usd:.5f})")
print(
    "answered by:", {s.key: s.answered_by for s in rescued.trace.steps() if s.status == "fallback"}
)

# %% [markdown]
# **Skip an optional step.** The knowledge-base note is nice to have, not worth a wait: our
# workflow gives an optional step one attempt, no retry. When its call fails (a 500), it gives up
# quietly: the run completes, `degraded` lists what was skipped, and the trace keeps the reason.
# Degraded output is a result, not a success: count it.

# %%
stage(sim.Faults(plan=[sim.Rule("server_error", match="knowledge base")]))
log_steps()
skipped = await support_workflow(
    fast,
    strong,
    retry=Retry(max_attempts=2, base_delay=time_scale, seed=seed),
    optional=("kb_note",),
).run(Ticket(text=tickets[0]["text"]))
log_steps(False)
print(skipped.status, "| degraded:", skipped.degraded, "| kb_note:", skipped.state.kb_note)

# %% [markdown]
# ## 5. A circuit breaker, opening and closing
#
# When a model is down, every retry of every step waits and fails. A breaker, **shared by every
# step that calls that model**, notices: after 3 failures in a row it *opens* and refuses calls
# at once (`CircuitOpenError`), so the fallback answers immediately. After `reset_after` it is
# *half open*: one probe call goes through; success closes it, failure opens it again.
#
# We send 12 tickets one after another through the reply step. The strong model fails its 2nd
# to 5th calls (staged). The breaker reads a **simulated clock** (one tick per ticket) instead of
# the wall clock, so the table reproduces exactly.

# %%
now = 0
breaker = CircuitBreaker(strong_model, failure_threshold=3, reset_after=3, clock=lambda: now)


@step(writes="reply")
async def reply_fast(t: Ticket) -> dict:
    return {"reply": (await fast.ask(PROMPTS["reply"].format(text=t.text))).text}


@step(writes="reply", breaker=breaker, fallback=reply_fast)
async def reply(t: Ticket) -> dict:
    return {"reply": (await strong.ask(PROMPTS["reply"].format(text=t.text))).text}


replies = Workflow("reply", state=Ticket, steps=[reply])
stage(sim.Faults(plan=[sim.Rule("overloaded", model=strong_model, nth=[2, 3, 4, 5])]))
rows, strong_calls = [], 0
for now, ticket in enumerate(tickets[:12], start=1):
    before = breaker.state
    result = await replies.run(Ticket(text=ticket["text"]))
    log = [e for e in simulator.log if e.get("model") == strong_model] if simulator else []
    called, failed = len(log) > strong_calls, bool(log) and log[-1]["status"] != 200
    strong_calls = len(log)
    what = (
        "refused (open)"
        if not called
        else ("probe " if before == "open" else "call ") + ("failed: 529" if failed else "ok")
    )
    rows.append(
        {
            "tick": now,
            "breaker before": before,
            "strong model": what,
            "answered by": result.trace.steps()[0].answered_by,
            "breaker after": breaker.state,
        }
    )
timeline = pd.DataFrame(rows).set_index("tick")
timeline

# %%
# the breaker keeps its own story: (clock time, new state) at each change
print(" → ".join(["closed"] + [f"{state} (t={t})" for t, state in breaker.history]))
print(
    "strong-model calls:",
    strong_calls,
    "for",
    len(rows),
    "tickets;",
    sum(r["strong model"] == "refused (open)" for r in rows),
    "refused without a call",
)

# %% [markdown]
# While the breaker was open, 4 tickets got their reply from the cheap model at once, without
# sending the strong model a request and waiting for it to fail (with retries, several requests
# each). The price: the breaker only learns that the model is back from a probe, so tickets 8 and
# 9 got the cheap answer although the strong model might have given a better one. `reset_after`
# trades load on a sick service against time spent on the fallback.
#
# The breaker is state that outlives one run: create one per model, at the level of the process,
# and pass it to every step that calls that model (exercise 07 has a breaker shared the wrong way).
#
# ## 6. Each policy over fault rates from 0 to 40%
#
# Four policy sets, each on the same `n_runs` tickets at each fault rate (half the failing calls
# are 529s, a quarter 429s, a quarter 500s; seeded, so the same calls fail for every policy):
#
# - **none**: the first error aborts the run;
# - **retry**: 3 attempts per step, backoff honouring `retry-after`;
# - **retry + fallback**: and the strong steps fall back to the cheap model;
# - **retry + fallback + optional**: and the summary and the note get one attempt, then are skipped.
#
# Latency is in **simulated seconds**: the model-seconds of the calls plus the backoff waited
# (each step's span records its waits in `backoff_s`, wall-clock seconds: divided by
# `time_scale` they are simulated seconds). Runs of one cell go concurrently; each ticket's prompts are its own, so
# the faults do not depend on the order.

# %%
POLICIES = {
    "none": {},
    "retry": {"retry": True},
    "retry + fallback": {"retry": True, "fallback": True},
    "retry + fallback + optional": {
        "retry": True,
        "fallback": True,
        "optional": ("summary", "kb_note"),
    },
}


async def one_run(ticket, policy):
    retry = Retry(max_attempts=3, base_delay=time_scale, seed=seed) if policy.get("retry") else None
    wf = support_workflow(
        fast,
        strong,
        retry=retry,
        fallback=policy.get("fallback", False),
        optional=policy.get("optional", ()),
    )
    result = await wf.run(Ticket(text=ticket["text"]))
    backoff = sum(s.backoff_s for s in result.trace.steps())
    waited = backoff / time_scale if time_scale else 0.0
    model_s = sum(s.model_s for s in result.trace if s.kind == "llm")
    return {
        "completed": result.status == "completed",
        "degraded": bool(result.degraded),
        "latency_s": model_s + waited,
        "cost_usd": result.cost_usd,
    }


# %%
from tqdm.auto import tqdm

rows = []
if simulator:
    for rate in tqdm(fault_rates, desc="fault rates"):
        for name, policy in POLICIES.items():
            stage(sim.Faults(overloaded=rate / 2, rate_limit=rate / 4, server_error=rate / 4))
            runs = await asyncio.gather(*(one_run(t, policy) for t in tickets[:n_runs]))
            done = [r for r in runs if r["completed"]]
            rows.append(
                {
                    "fault rate": rate,
                    "policy": name,
                    "success rate": len(done) / len(runs),
                    "degraded": sum(r["degraded"] for r in runs) / len(runs),
                    "latency (sim s)": sum(r["latency_s"] for r in done) / len(done)
                    if done
                    else float("nan"),
                    "cost per completed run ($)": sum(r["cost_usd"] for r in runs) / len(done)
                    if done
                    else float("nan"),
                }
            )
sweep = pd.DataFrame(rows)
sweep.set_index(["fault rate", "policy"]).round(
    {"degraded": 2, "latency (sim s)": 2, "cost per completed run ($)": 6}
) if rows else "needs the simulator"

# %%
if rows:
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), dpi=100)
    panels = [
        ("success rate", "runs completed (share)"),
        ("latency (sim s)", "latency of completed runs (simulated s)"),
        ("cost per completed run ($)", "cost per completed run (USD)"),
    ]
    for ax, (column, label) in zip(axes, panels, strict=True):
        for (name, group), style in zip(
            sweep.groupby("policy", sort=False), ["o-", "s--", "^-.", "D:"], strict=True
        ):
            ax.plot(group["fault rate"] * 100, group[column], style, label=name, alpha=0.85)
        ax.set_xlabel("fault rate (% of calls)")
        ax.set_ylabel(label)
        ax.set_title(label.split(" (")[0], fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Failure policies over fault rates, {n_runs} tickets per point")
    fig.tight_layout()


# %% [markdown]
# How to read it:
#
# - **none** collapses fast: a run makes six calls, so at a 10% rate only 0.9⁶ ≈ 53% of runs
#   should survive (our sample of `n_runs` tickets lands near that).
# - **retry** buys most of the recovery. Its price is latency: each retried failure waits the
#   server's `retry-after` (about a simulated second here), so completed runs get slower as the
#   rate rises. Failed calls are not billed, so cost per *completed* run barely moves, while
#   *none* pays for partial runs that deliver nothing.
# - **fallback** rescues runs whose strong steps ran out of attempts, and answers from the cheap
#   model: cheaper, lower quality, recorded in the trace.
# - **optional** turns failures of the two enrichment steps into degraded completions (the
#   `degraded` column): the ticket gets its reply without a summary or a note, sooner, since
#   those steps no longer wait out retries.
#
# With independent faults, a fallback is mostly "three more attempts on another model". It
# shines when one model is down for a while, as in section 4, and with a breaker, as in section 5.
#
# ## 7. The library equivalents: LCEL, tenacity, LlamaIndex Workflows
#
# The same seven steps and the same policy (3 attempts per step, the strong steps falling back to
# the cheap model, summary and note optional: one attempt, then skipped) in three libraries, against the same staged faults:
# two 529s on the summary, a 429 on one plan, the strong model down for replies, and the note
# failing for one ticket. All clients have SDK retries off, for the reason of section 2.
#
# - **LCEL**: `runnable.with_retry(retry_if_exception_type=..., stop_after_attempt=3)` and
#   `runnable.with_fallbacks([...])`; an optional step is a fallback to a runnable returning None.
#   `with_retry` waits on its own exponential schedule: it cannot honour `retry-after`.
# - **tenacity**: `@retry(stop=..., retry=..., wait=...)` on one function; `wait` can be any
#   function of the attempt, so it can read `retry-after`. Fallback and skip are a `try/except`.
# - **LlamaIndex Workflows**: `@step(retry_policy=retry_policy(retry=..., wait=..., stop=...))`
#   reruns a step. There is no fallback primitive: the step picks the cheap model once the
#   retry number says the strong one has had its 3 attempts.


# %%
def compare_faults():
    return sim.Faults(
        plan=[
            sim.Rule(
                "overloaded", match="Summarize this ticket", nth=[1, 2]
            ),  # two 529s, then fine
            sim.Rule("rate_limit", match="Plan the steps", nth=[3]),  # one 429
            sim.Rule(
                "overloaded", match="Write a short reply", model=strong_model
            ),  # strong model down
            sim.Rule("server_error", match="knowledge base", nth=[4]),  # one ticket loses its note
        ]
    )


OPTIONAL = ("summary", "kb_note")
FALLBACK = {"plan": fast_model, "reply": fast_model}
STAGES = [
    ("category", fast_model),
    ("urgency", fast_model),
    ("summary", fast_model),
    ("priority", None),
    ("plan", strong_model),
    ("reply", strong_model),
    ("kb_note", fast_model),
]

# %%
import anthropic
from langchain_anthropic import ChatAnthropic
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda, RunnablePassthrough


def lcel_support(base_url):
    def ask(field, model, attempts=3):
        chat = ChatAnthropic(
            model=model, base_url=base_url, temperature=0, max_tokens=200, max_retries=0
        )
        prompt = RunnableLambda(lambda s: PROMPTS[field].format(**s))
        return (prompt | chat | StrOutputParser()).with_retry(
            retry_if_exception_type=retryable,
            stop_after_attempt=attempts,
            exponential_jitter_params={"initial": time_scale, "max": 8 * time_scale},
        )

    chain = RunnablePassthrough()
    for field, model in STAGES:
        if model is None:
            runnable = RunnableLambda(priority_of)
        else:
            runnable = ask(field, model, attempts=1 if field in OPTIONAL else 3)
            if field in FALLBACK:
                runnable = runnable.with_fallbacks([ask(field, FALLBACK[field])])
            if field in OPTIONAL:
                runnable = runnable.with_fallbacks([RunnableLambda(lambda s: None)])
        chain = chain | RunnablePassthrough.assign(**{field: runnable})
    return chain


# %%
import tenacity


def wait_retry_after(state):
    """The server's retry-after if it sent one, else exponential backoff."""
    response = getattr(state.outcome.exception(), "response", None)
    if response is not None and "retry-after-ms" in response.headers:
        return float(response.headers["retry-after-ms"]) / 1000
    return min(8 * time_scale, time_scale * 2**state.attempt_number)


def tenacity_support(client):
    @tenacity.retry(
        stop=tenacity.stop_after_attempt(3),
        retry=tenacity.retry_if_exception(retryable),
        wait=wait_retry_after,
        reraise=True,
    )
    async def ask(model, prompt):
        msg = await client.messages.create(
            model=model,
            max_tokens=200,
            temperature=0,
            messages=[{"role": "user", "content": prompt}],
        )
        return msg.content[0].text

    async def run(text):
        s = {"text": text}
        for field, model in STAGES:
            if model is None:
                s[field] = priority_of(s)
                continue
            prompt = PROMPTS[field].format(**s)
            try:
                if field in OPTIONAL:  # one attempt only
                    s[field] = await ask.retry_with(stop=tenacity.stop_after_attempt(1))(
                        model, prompt
                    )
                else:
                    s[field] = await ask(model, prompt)
            except anthropic.APIError:
                if field in FALLBACK:
                    s[field] = await ask(FALLBACK[field], prompt)
                elif field in OPTIONAL:
                    s[field] = None
                else:
                    raise
        return s

    return run


# %%
from llama_index.core.workflow import Context, Event, StartEvent, StopEvent
from llama_index.core.workflow import Workflow as LlamaWorkflow
from llama_index.core.workflow import step as llama_step
from llama_index.llms.anthropic import Anthropic
from workflows.retry_policy import (
    retry_if_exception,
    retry_policy,
    stop_after_attempt,
    wait_exponential,
)


def llama_support(base_url):
    llms = {
        m: Anthropic(model=m, base_url=base_url, temperature=0, max_tokens=200, max_retries=0)
        for m in (fast_model, strong_model)
    }

    class Next(Event):
        s: dict
        stage: int

    class Support(LlamaWorkflow):
        @llama_step(
            retry_policy=retry_policy(
                retry=retry_if_exception(retryable),
                stop=stop_after_attempt(6),
                wait=wait_exponential(multiplier=time_scale, max=8 * time_scale),
            )
        )
        async def advance(self, ctx: Context, ev: StartEvent | Next) -> Next | StopEvent:
            s, i = (ev.s, ev.stage) if isinstance(ev, Next) else ({"text": ev.text}, 0)
            if i == len(STAGES):
                return StopEvent(result=s)
            field, model = STAGES[i]
            tries = ctx.retry_info().retry_number
            if model is None:
                value = priority_of(s)
            elif field in OPTIONAL and tries >= 1:  # optional: one attempt, then skip
                value = None
            elif tries >= 3 and field not in FALLBACK:  # 3 attempts used and no fallback
                raise RuntimeError(f"{field} failed after 3 attempts")
            else:
                model = FALLBACK[field] if tries >= 3 else model
                value = (await llms[model].acomplete(PROMPTS[field].format(**s))).text
            return Next(s={**s, field: value}, stage=i + 1)

    return Support(timeout=60)


# %% [markdown]
# Each run below goes through the same tickets with the same fault plan (re-armed before each
# library). `measure.Meter` reads calls, failed calls, tokens and cost from the simulator's log,
# so every library is measured the same way.

# %%
sample = [t["text"] for t in tickets[:n_compare]]
answers, meters = {}, []

stage(compare_faults())
with measure.Meter(simulator, "orchestra", code=[support_workflow]) as m:
    wf = support_workflow(
        fast,
        strong,
        retry=Retry(max_attempts=3, base_delay=time_scale, seed=seed),
        fallback=True,
        optional=OPTIONAL,
    )
    answers["orchestra"] = [(await wf.run(Ticket(text=t))).state.model_dump() for t in sample]
meters.append(m.result)

stage(compare_faults())
with measure.Meter(simulator, "LCEL", code=[lcel_support]) as m:
    chain = lcel_support(base_url)
    answers["LCEL"] = [await chain.ainvoke({"text": t}) for t in sample]
meters.append(m.result)

stage(compare_faults())
with measure.Meter(simulator, "tenacity", code=[tenacity_support, wait_retry_after]) as m:
    async with anthropic.AsyncAnthropic(base_url=base_url, max_retries=0) as client:
        run = tenacity_support(client)
        answers["tenacity"] = [await run(t) for t in sample]
meters.append(m.result)

stage(compare_faults())
with measure.Meter(simulator, "LlamaIndex Workflows", code=[llama_support]) as m:
    flow = llama_support(base_url)
    answers["LlamaIndex Workflows"] = [await flow.run(text=t) for t in sample]
meters.append(m.result)

comparison = measure.table(meters)
comparison["completed"] = [len(a) for a in answers.values()]
comparison["notes skipped"] = [sum(s["kb_note"] is None for s in a) for a in answers.values()]
comparison.drop(columns=["wall_s"]).round({"cost_usd": 6, "model_s": 2})

# %% [markdown]
# The four meet the same failures and make the same number of calls: the policies agree. LCEL
# and tenacity send byte-for-byte the requests orchestra sends, so tokens and cost are identical.
# LlamaIndex's client sends each message as a list of content blocks instead of a string; the
# simulator seeds its sampling on the exact request, so on some tickets its answers (and output
# tokens) can differ. Do the replies agree?

# %%
same = {
    name: [s["reply"] for s in a] == [s["reply"] for s in answers["orchestra"]]
    for name, a in answers.items()
}
print("same replies as orchestra:", same)
print("first reply:", answers["orchestra"][0]["reply"])

# %% tags=["nbval-ignore-output"]
print(comparison["wall_s"].round(3).to_string())

# %%
fig = viz.compare(comparison, title=f"Same failure policy, {n_compare} tickets, staged faults")

# %% [markdown]
# The wall-clock panel varies from run to run; the others are seeded. Lines of code count the
# policy *and* the pipeline. In orchestra the policy is a few keyword arguments; in LCEL, retry
# and fallback are methods on any runnable, nearly as short; tenacity is plain Python you can
# read in one go, the longest; LlamaIndex spreads it over an event loop and retry numbers. What the libraries do not give you is the rest of the record: which step answered,
# which was skipped, why the run stopped and with what partial state (`RunResult` here), and a
# breaker shared across steps (none of the three has one; `pybreaker` and `aiobreaker` do).
#
# ## Interview angle
#
# - *"Which errors do you retry?"* Transient ones: 429 (honour `retry-after`), 529, 5xx,
#   timeouts, connection resets, malformed output (a new sample may parse). Never 400/401/404/413:
#   the same request fails the same way. Decide it in one predicate, tested.
# - *"How do you back off?"* Exponential with jitter, capped, bounded attempts; the server's
#   `retry-after` overrides your schedule. Only one layer retries (the double-retry trap: SDK
#   retries inside workflow retries multiply attempts and load).
# - *"What is a circuit breaker for, and where does it live?"* To stop hammering a failing
#   dependency and fail over fast; closed → open after N failures → half open after a cool-down
#   → one probe closes or reopens it. One per dependency (model), shared by all callers;
#   only transient failures count.
# - *"Fallback or abort?"* Fallback when a degraded answer beats none (cheaper model, simpler
#   prompt, cached answer) and you record that it happened; skip optional enrichments; abort with
#   the partial state and a reason when the output would be wrong, and make the run resumable
#   (chapter 08).
# - *"What does a retry cost?"* Latency (backoff), load on a struggling service, and money when
#   the failure came after tokens were generated (timeouts, bad output). A timeout also raises
#   the idempotency question: the first attempt may have had its effect.

# %%
await fast.aclose()
await strong.aclose()
if simulator:
    simulator.stop()
