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
#     refusals_shown: 1
#     test_parameters:
#       backend: anthropic
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
fast_model = "claude-haiku-5-5"  # cheap steps, and the fallback
strong_model = "claude-sonnet-5-5"  # the plan and reply steps
seed = 0  # the simulator's seed: same seed, same answers, same faults
time_scale = 0.003  # wall-clock seconds per simulated second
n_runs = 10  # tickets per point of the fault-rate sweep (more: smoother curves, slower)
fault_rates = [0.0, 0.1, 0.2, 0.3, 0.4]  # share of calls that fail (529, 429, 500)
n_compare = 4  # tickets for the library comparison

# %% [markdown]
# ## Set-up
#
# The simulator, the ticket dataset (`orchestra/data/tickets.jsonl`, 60 hand-written support
# tickets) and two clients with `max_retries=0`. Under an engine `Retry` the client never retries
# by itself anyway (one retry layer, section 2); `max_retries=0` also keeps a step *without* a
# policy to one request, so every count below is a count of attempts. `stage(faults)` arms the
# simulator with a fault plan; on real Claude it prints a note instead, since real failures
# cannot be ordered on demand.
#
# **Units.** `Retry`'s delays are wall-clock seconds (what `asyncio.sleep` waits), and the engine
# counts a wait as wall seconds ÷ `time_scale` of simulated time. So `attempts(n)` below writes
# its delays as simulated seconds × `time_scale`: backoff from 0.5 to at most 8 simulated seconds,
# whatever `time_scale` is. (A bare `Retry(base_delay=0.01)` at `time_scale=0.01` would be a
# 1-second simulated wait.) The simulator scales its `retry-after` the same way.

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
from orchestra.calls import preview
from orchestra.policies import retryable
from orchestra.prices import LEGACY_HAIKU, OPUS
from orchestra.viz import prose

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
tickets = datasets.load("tickets")
MAX_TOKENS = 1024  # room for the thinking that comes before each answer (it counts here)
fast = LLM(fast_model, backend=backend, max_retries=0, max_tokens=MAX_TOKENS)
strong = LLM(strong_model, backend=backend, max_retries=0, max_tokens=MAX_TOKENS)


NO_FAULTS = "real Claude: {} cannot be staged, so this {} is skipped (it needs the simulator)"


def stage(faults):
    """Arm the simulator with these faults (and reset its log and counters)."""
    if simulator:
        simulator.configure(faults=faults)
    elif faults != sim.Faults():  # a quiet simulator is what real Claude is meant to be
        print("(real Claude: faults cannot be staged; this cell shows the no-fault path)")


def attempts(max_attempts=3):
    """`max_attempts` attempts; backoff from 0.5 to 8 simulated seconds (wall = sim × time_scale)."""
    return Retry(
        max_attempts=max_attempts,
        base_delay=0.5 * time_scale,
        max_delay=8 * time_scale,
        seed=seed,
    )


print(len(tickets), "tickets; backend:", backend, "| models:", fast_model, "and", strong_model)


# %% [markdown]
# ## 1. A taxonomy of errors
#
# We provoke each error for real and look at what arrives: the HTTP status, the SDK's exception,
# the named error `orchestra.LLM` turns it into (`orchestra/errors.py`), and the verdict of
# `orchestra.policies.retryable`, the predicate every `Retry` and `CircuitBreaker` uses. The
# transient ones are staged with a fault plan: each `Rule` fails the calls whose prompt matches.
# The 400 is the kind a migration to today's models meets: a request the 4.5 models took and
# the 5.5 ones refuse, here an **assistant prefill** (the messages end with the start of the
# answer, "Summary:", for the model to continue). The most common one, a `temperature` sent to
# a 5.x model, `orchestra.LLM` never sends (section 7 shows what the other clients do with it).
# A **retired** model (`claude-sonnet-4-5`) never reaches the network: the client knows the
# price table and refuses it with a `ConfigError` that names the replacement.


# %%
class Urgency(BaseModel):
    urgency: str
    amount: float


PREFILLED = [  # a 4.5-era trick: start the answer for the model; the 5.5 models refuse it
    {"role": "user", "content": "Summarize in one sentence: where is my refund?"},
    {"role": "assistant", "content": "Summary:"},
]


async def provoke(case):
    """Make one call that fails the way `case` says; return the error it raised."""
    timeout_llm = LLM(fast_model, backend=backend, max_retries=0, timeout=0.25)
    # an id the price table does not list: offline, LLM refuses it before any request; on the
    # real backend (here pointed at the simulator) it lets the API answer, as it must for a
    # model newer than the table
    unlisted = LLM("claude-2.1", backend="anthropic", base_url=base_url, max_retries=0)
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
        "400 refused request (prefill)": lambda: fast.ask(PREFILLED),
        "404 unknown model": lambda: unlisted.ask("hi"),
        "retired model": lambda: fast.with_model("claude-sonnet-4-5").ask("hi"),
    }
    try:
        await calls[case]()
    except errors.OrchestraError as exc:
        return exc
    finally:
        await timeout_llm.aclose()
        await unlisted.aclose()


def said(exc):
    """The API's own message when there was a response, else ours (first 90 characters)."""
    body = getattr(getattr(exc, "cause", None), "body", None)
    message = body.get("error", {}).get("message") if isinstance(body, dict) else None
    return preview(message or str(exc), 90)


WHY = {
    "429 rate limited": "too many requests now; wait what retry-after says",
    "529 overloaded": "the service is busy; a later try usually works",
    "500 server error": "a fault on their side, often transient",
    "timeout (no answer)": "the call may have been lost; retry (mind side effects)",
    "bad output": "the answer broke the schema; a new sample may fit",
    "400 refused request (prefill)": "our request is wrong; the same bytes fail again",
    "404 unknown model": "a wrong name does not start existing",
    "retired model": "refused before any request; move to the replacement",
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
                "HTTP status": getattr(exc, "status", None) or "-",
                "SDK exception": type(exc.cause).__name__ if getattr(exc, "cause", None) else "-",
                "orchestra error": type(exc).__name__,
                "retry?": retryable(exc),
                "why": why,
                "what it says": said(exc),
            }
        )
    taxonomy = pd.DataFrame(rows).set_index("case")
else:
    print(NO_FAULTS.format("the transient errors", "taxonomy") + "; the rule it shows:")
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
# another 429. A policy asking for 1 s and doubling, capped at 8 s:

# %%
print(inspect.getsource(Retry.delay))
policy = Retry(max_attempts=5, base_delay=1.0, max_delay=8.0, seed=seed)
print("our backoff after failures 1..4 (s):", [round(policy.delay(n), 2) for n in (1, 2, 3, 4)])


# %% [markdown]
# Now a step that meets two 529s in a row (staged: the 1st and 2nd matching calls fail). The
# step is retried, the log shows 3 attempts, and the simulator's log shows what the server said.
# Its simulated duration is what the simulator charged (the answered call's model-seconds; a
# refused call is not charged) plus the two waits, each counted as wall seconds ÷ `time_scale`.
# `sim_seconds(result)` reads both from the trace; it is used for every latency below.


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
done = await summarize_step(fast, attempts(4)).run(
    Note(text="My parcel left the depot on Monday. It has not moved since. Can you check?")
)
log_steps(False)
print(done.status, "|", done.state.summary)


def sim_seconds(result):
    """(model-seconds charged, waits in simulated seconds) of a sequential run, from its trace."""
    charged = sum(s.model_s for s in result.trace if s.kind == "llm")
    waited = sum(s.backoff_s for s in result.trace.steps())
    return charged, waited / time_scale if time_scale else 0.0


if simulator:  # on real Claude no 529 was staged, and no simulated seconds exist
    charged, waited = sim_seconds(done)
    print(
        f"simulated duration {charged + waited:.2f} s = {charged:.2f} s of model time "
        f"+ {waited:.2f} s waiting out the server's retry-after"
    )
    log = pd.DataFrame(list(simulator.log))[["status", "fault", "retry_after_s"]]
    if time_scale:
        log["retry_after (simulated s)"] = (log.pop("retry_after_s") / time_scale).round(2)
        asked = log["retry_after (simulated s)"].sum()
        print(
            f"the server asked for {asked:.2f} s in all; the waits came to {waited:.2f} s "
            f"(the retry-after-ms header carries wall-clock time to 0.1 ms, i.e. to "
            f"{0.0001 / time_scale:.2f} simulated s at this time_scale)"
        )
    display(log)
else:
    print("real Claude: no 529 could be staged, so the step answered at once (see the log line)")

# %% [markdown]
# ### One retry layer
#
# The SDK retries too (`max_retries=2` by default). Wrap it in a workflow retry of 3 attempts and
# each attempt could make 3 HTTP requests: 9 in all, two backoff schedules stacked, while the
# trace and the breaker count 3. The engine therefore keeps **one retry layer**: inside a step
# that has a `Retry`, the client does not retry by itself, whatever its `max_retries`
# (`orchestra.calls.policy_retries`); a step without a policy leaves the SDK's retries alone, and
# the call record says how many requests it took (`Call.requests`). LCEL has no such rule: a
# `ChatAnthropic(max_retries=2)` inside `.with_retry(stop_after_attempt=3)` multiplies. Against a
# model that is down (every matching call answers 529):

# %%
from tqdm.auto import tqdm

bar = tqdm(total=4, desc="importing LangChain, then three setups against a model that is down")
from langchain_anthropic import ChatAnthropic  # a few seconds, once per kernel
from langchain_core.output_parsers import StrOutputParser

bar.update()
INVOICE = "The invoice for May is missing its VAT number. Please send it again."


async def orchestra_layers(sdk_retries, retry):
    async with LLM(
        fast_model, backend=backend, max_retries=sdk_retries, max_tokens=MAX_TOKENS
    ) as llm:
        result = await summarize_step(llm, retry).run(Note(text=INVOICE))
    calls = [s for s in result.trace if s.kind == "llm"]
    return result.trace.steps()[0].attempts, sum(c.attempts for c in calls)  # requests per call


async def lcel_layers(sdk_retries, retry):
    chat = ChatAnthropic(
        model=fast_model, base_url=base_url, max_tokens=MAX_TOKENS, max_retries=sdk_retries
    )
    chain = (chat | StrOutputParser()).with_retry(
        retry_if_exception_type=(Exception,), stop_after_attempt=retry.max_attempts
    )
    try:
        await chain.ainvoke(f"Summarize in one sentence: {INVOICE}")
    except Exception:
        pass
    return retry.max_attempts, None


LAYERS = [
    ("orchestra, SDK retries only", orchestra_layers, 2, None),
    ("orchestra, Retry(3) + SDK max_retries=2", orchestra_layers, 2, attempts(3)),
    ("LCEL, with_retry(3) + SDK max_retries=2", lcel_layers, 2, attempts(3)),
]
if simulator:  # a model that is down, and the server's count of requests
    rows = []
    for label, layers, sdk_retries, retry in LAYERS:
        stage(sim.Faults(plan=[sim.Rule("overloaded", match="invoice")]))
        tries, recorded = await layers(sdk_retries, retry)
        rows.append(
            {
                "setup": label,
                "attempts the workflow counted": tries,
                "requests in the call records": recorded if recorded is not None else "-",
                "HTTP requests sent": len(simulator.log),
            }
        )
        bar.update()
    layers_table = pd.DataFrame(rows).set_index("setup")
else:
    layers_table = NO_FAULTS.format("a model that is down", "measurement")
bar.close()
layers_table

# %%
if simulator:
    sent_by = layers_table["HTTP requests sent"]
    assert sent_by.iloc[1] == 3 and sent_by.iloc[2] == 9, sent_by.to_dict()
    print(
        f"Under a Retry of 3 attempts orchestra sent {sent_by.iloc[1]} requests, one per attempt; "
        f"LCEL's with_retry around an SDK that retries twice sent {sent_by.iloc[2]}."
    )

# %% [markdown]
# ### Timeouts
#
# A call that never answers is the worst failure: it costs the whole timeout before anything can
# be retried. `LLM(timeout=...)` bounds one HTTP request (`@step(timeout=...)` bounds a whole
# attempt, several calls included). The simulator's `hang` fault sends nothing until the client
# hangs up; the first matching call hangs, the retry answers.

# %%
if simulator:
    stage(sim.Faults(plan=[sim.Rule("hang", match="tracking", nth=1)]))
    log_steps()
    async with LLM(
        fast_model, backend=backend, max_retries=0, timeout=0.25, max_tokens=MAX_TOKENS
    ) as patient:
        done = await summarize_step(patient, attempts(3)).run(
            Note(
                text="The tracking page shows an error for order 5521. I would like to know where it is."
            )
        )
    log_steps(False)
    print(done.status, "|", done.state.summary)
else:
    print(NO_FAULTS.format("a call that hangs", "demonstration"))


# %% [markdown]
# ### No retry for a 400
#
# A step carried over from the 4.5 models (it prefills the answer with "Summary:", which
# Haiku 5.5 refuses) and a generous `Retry(max_attempts=5)`: one attempt, then the run aborts,
# because `retryable` says a 400 cannot get better. The reason says which step, which error and
# what to do.


# %%
@step(retry=attempts(5), writes="summary")
async def creative_summary(n: Note) -> dict:
    messages = [
        {"role": "user", "content": f"Summarize in one sentence: {n.text}"},
        {"role": "assistant", "content": "Summary:"},
    ]
    return {"summary": (await fast.ask(messages)).text}


stage(sim.Faults())
log_steps()
bad = await Workflow("buggy", state=Note, steps=[creative_summary]).run(
    Note(text="Where is my refund?")
)
log_steps(False)
print("status: ", bad.status)
print("reason: ", bad.reason.split(": Error code")[0], "...", bad.reason.split("; ")[-1])
print("the API:", said(bad.error.cause))


# %% [markdown]
# ## 3. The seven-step workflow
#
# A support ticket is classified (category, urgency), summarized, given a priority (plain code,
# no model), then the strong model plans the resolution and drafts the reply, and a note for the
# knowledge base is written. The failure policy is a set of arguments, so the same workflow can
# be built with no policy, with retries, with fallbacks and with optional steps.
#
# **Counting steps.** Steps are numbered from 0, as their keys in the log and in a checkpoint's
# journal: "step 4" is `04.plan`, the fifth step. Chapter 08 counts the same way.


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
            reply = await llm.ask(PROMPTS[field].format(**t.model_dump()))
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
if simulator:
    stage(sim.Faults(plan=[sim.Rule("overloaded", match="Plan the steps", model=strong_model)]))
    log_steps()
    aborted = await support_workflow(fast, strong, retry=attempts(3)).run(
        Ticket(text=tickets[0]["text"])
    )
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
else:
    print(NO_FAULTS.format("an outage", "demonstration"))

# %% [markdown]
# **Fallback.** The same outage, now with `fallback=True`: after its retries, each strong step
# hands over to the same prompt on the cheap model. The run completes; the log says who answered.
# The plan is the cheap model's, so the run costs less than the clean one (checked below).

# %%
if simulator:
    log_steps()
    rescued = await support_workflow(fast, strong, retry=attempts(3), fallback=True).run(
        Ticket(text=tickets[0]["text"])
    )
    log_steps(False)
    print(f"{rescued.status}: ${rescued.cost_usd:.5f} (clean run: ${clean.cost_usd:.5f})")
    assert rescued.status == "completed" and rescued.cost_usd < clean.cost_usd
    print(
        "answered by:",
        {s.key: s.answered_by for s in rescued.trace.steps() if s.status == "fallback"},
    )
else:
    print(NO_FAULTS.format("an outage", "demonstration"))

# %% [markdown]
# **Skip an optional step.** The knowledge-base note is nice to have, not worth a wait: our
# workflow gives an optional step one attempt, no retry. When its call fails (a 500), it gives up
# quietly: the run completes, `degraded` lists what was skipped, and the trace keeps the reason.
# Degraded output is a result, not a success: count it.

# %%
if simulator:
    stage(sim.Faults(plan=[sim.Rule("server_error", match="knowledge base")]))
    log_steps()
    skipped = await support_workflow(
        fast,
        strong,
        retry=attempts(2),
        optional=("kb_note",),
    ).run(Ticket(text=tickets[0]["text"]))
    log_steps(False)
    print(skipped.status, "| degraded:", skipped.degraded, "| kb_note:", skipped.state.kb_note)
else:
    print(NO_FAULTS.format("a failing call", "demonstration"))

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
if simulator:
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
        log = [e for e in simulator.log if e.get("model") == strong_model]
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
    display(timeline)
else:
    print(NO_FAULTS.format("failures of the strong model", "timeline"))

# %%
if simulator:
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
# What the table says, in numbers (generated from it):

# %%
if simulator:
    refused = timeline.index[timeline["strong model"] == "refused (open)"].tolist()
    back = [
        t
        for t in refused
        if t > timeline.index[timeline["strong model"].str.startswith("probe")].min()
    ]
    display(
        prose(
            f"While the breaker was open, {len(refused)} tickets (ticks {refused}) got their reply "
            "from the cheap model at once, without sending the strong model a request and waiting "
            "for it to fail (with retries, several requests each). The price: the breaker only "
            f"learns that the model is back from a probe, so ticks {back} got the cheap answer "
            "although the strong model had recovered (its staged failures ended with call 5). "
            "`reset_after` trades load on a sick service against time spent on the fallback."
        )
    )

# %% [markdown]
# **A probe that never returns.** Half open, the breaker lets exactly one probe through and
# refuses everything else until the probe answers. If the probe's task is *cancelled* (a caller's
# deadline, a sibling's failure in a `gather`), it never answers either way; the breaker frees
# the probe when the attempt ends without an answer (`CircuitBreaker.release`), so the next call
# probes again instead of being refused for ever. Below: a breaker opens on one 529; after the
# cool-down the probe hangs and its run is cancelled by a deadline; the next ticket probes, and
# closes the breaker.

# %%
if simulator:
    now = 0
    probe_breaker = CircuitBreaker(
        strong_model, failure_threshold=1, reset_after=3, clock=lambda: now
    )

    @step(writes="reply", breaker=probe_breaker, fallback=reply_fast)
    async def guarded_reply(t: Ticket) -> dict:
        return {"reply": (await strong.ask(PROMPTS["reply"].format(text=t.text))).text}

    guarded = Workflow("guarded", state=Ticket, steps=[guarded_reply])
    stage(
        sim.Faults(
            plan=[
                sim.Rule("overloaded", model=strong_model, nth=[1]),
                sim.Rule("hang", model=strong_model, nth=[1]),  # rules count their own matches
            ]
        )
    )
    events = []
    first_result = await guarded.run(Ticket(text=tickets[0]["text"]))
    events.append(("t=0: a call fails (529)", first_result.status, probe_breaker.state))
    now = 5  # past reset_after: the next call is a probe
    try:
        await asyncio.wait_for(guarded.run(Ticket(text=tickets[1]["text"])), timeout=0.5)
    except TimeoutError:
        events.append(
            ("t=5: the probe hangs; its run is cancelled", "cancelled", probe_breaker.state)
        )
    after = await guarded.run(Ticket(text=tickets[2]["text"]))
    events.append(
        (
            f"t=5: the next ticket (answered by {after.trace.steps()[0].answered_by})",
            after.status,
            probe_breaker.state,
        )
    )
    display(pd.DataFrame(events, columns=["event", "run", "breaker after"]).set_index("event"))
else:
    print(NO_FAULTS.format("a probe that hangs", "demonstration"))

# %% [markdown]
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
# Latency is each completed run's duration in **simulated seconds**, `sim_seconds(result)`: the
# model-seconds the simulator charged for its calls plus the waits of its retries (wall seconds ÷
# `time_scale`). Runs of one cell go concurrently; each ticket's prompts are its own, so the
# faults do not depend on the order.

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
    retry = attempts(3) if policy.get("retry") else None
    wf = support_workflow(
        fast,
        strong,
        retry=retry,
        fallback=policy.get("fallback", False),
        optional=policy.get("optional", ()),
    )
    result = await wf.run(Ticket(text=ticket["text"]))
    return {
        "completed": result.status == "completed",
        "degraded": bool(result.degraded),
        "latency_s": sum(sim_seconds(result)),
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
) if rows else NO_FAULTS.format("fault rates", "sweep")

# %%
if rows:
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.9), dpi=100)
    panels = [
        ("success rate", "runs completed (share of runs)"),
        ("latency (sim s)", "latency of completed runs (simulated s)"),
        ("cost per completed run ($)", "cost per completed run (USD)"),
    ]
    styles = [  # (marker, line, size, x offset in points of %): coinciding lines stay visible
        ("o", "-", 9, -1.2),
        ("s", "--", 7, -0.4),
        ("^", "-.", 7, 0.4),
        ("D", ":", 6, 1.2),
    ]
    for ax, (column, label) in zip(axes, panels, strict=True):
        for (name, group), (marker, line, size, dx) in zip(
            sweep.groupby("policy", sort=False), styles, strict=True
        ):
            ax.plot(
                group["fault rate"] * 100 + dx,
                group[column],
                marker=marker,
                linestyle=line,
                markersize=size,
                markerfacecolor="none" if dx < 0 else None,
                label=name,
            )
        ax.set_xlabel("fault rate (% of calls; points nudged apart)")
        ax.set_ylabel(label)
        ax.set_title(label.split(" (")[0], fontsize=10)
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=9, frameon=False
    )
    fig.suptitle(f"Failure policies over fault rates, {n_runs} tickets per point")
    fig.tight_layout(rect=(0, 0.08, 1, 1))

# %% [markdown]
# How to read it (the numbers are the sweep's):

# %%
if rows:
    at = sweep.set_index(["fault rate", "policy"])
    low = min(r for r in fault_rates if r > 0) if any(fault_rates) else 0.0
    high = max(fault_rates)
    ok = lambda rate, policy: at.loc[(rate, policy), "success rate"]  # noqa: E731
    lat = lambda rate, policy: at.loc[(rate, policy), "latency (sim s)"]  # noqa: E731
    cost = lambda rate, policy: at.loc[(rate, policy), "cost per completed run ($)"]  # noqa: E731
    assert all(ok(r, "retry") >= ok(r, "none") for r in fault_rates)
    assert all(ok(r, "retry + fallback") >= ok(r, "retry") for r in fault_rates)
    degraded = at.xs("retry + fallback + optional", level="policy")["degraded"]
    display(
        prose(
            f"""
- **none** collapses fast: a run makes six calls, so at a {low:.0%} fault rate only
  {(1 - low) ** 6:.0%} of runs should survive ((1 − {low:g})⁶); {ok(low, "none"):.0%} of our
  {n_runs} did, and {ok(high, "none"):.0%} at {high:.0%}.
- **retry** buys most of the recovery: {ok(low, "retry"):.0%} completed at {low:.0%},
  {ok(high, "retry"):.0%} at {high:.0%}. Its price is latency: each retried failure waits
  its backoff or the server's `retry-after`, so a completed run took {lat(0.0, "retry"):.2f}
  simulated seconds without faults and {lat(high, "retry"):.2f} at {high:.0%}. Failed calls
  are not billed, so cost per *completed* run moves little (${cost(0.0, "retry"):.5f} →
  ${cost(high, "retry"):.5f}), while *none* pays for partial runs that deliver nothing
  (${cost(low, "none"):.5f} per completed run at {low:.0%}).
- **fallback** rescues runs whose strong steps ran out of attempts ({ok(high, "retry"):.0%} →
  {ok(high, "retry + fallback"):.0%} at {high:.0%}), answered by the cheap model: cheaper,
  lower quality, recorded in the trace. Wherever no strong step used up its attempts, its
  success line lies on top of **retry**'s (the nudge keeps both visible).
- **optional** turns failures of the two enrichment steps into degraded completions (up to
  {degraded.max():.0%} of runs, the `degraded` column): the ticket gets its reply without a
  summary or a note, sooner, since those steps no longer wait out retries
  ({lat(high, "retry + fallback + optional"):.2f} against {lat(high, "retry + fallback"):.2f}
  simulated seconds at {high:.0%}).
"""
        )
    )

# %% [markdown]
# With independent faults, a fallback is mostly "three more attempts on another model". It
# shines when one model is down for a while, as in section 4, and with a breaker, as in section 5.
#
# ## 7. The library equivalents: LCEL, tenacity, LangGraph, LlamaIndex Workflows
#
# The same seven steps and the same policy (3 attempts per step, the strong steps falling back to
# the cheap model, summary and note optional: one attempt, then skipped) in four libraries,
# against the same staged faults: two 529s on the summary, a 429 on one plan, the strong model
# down for replies, and the note failing for one ticket. All clients have SDK retries off, for
# the reason of section 2, and all are given our `retryable` predicate, because their defaults
# differ (measured after the comparison).
#
# - **LCEL**: `runnable.with_retry(retry_if_exception_type=..., stop_after_attempt=3)` and
#   `runnable.with_fallbacks([...])`; an optional step is a fallback to a runnable returning None.
#   `with_retry` waits on its own exponential schedule: it cannot honour `retry-after`.
#   `retry_if_exception_type` takes exception types or, as here, a predicate.
# - **tenacity**: `@retry(stop=..., retry=..., wait=...)` on one function; `wait` can be any
#   function of the attempt, so it can read `retry-after`. Fallback and skip are a `try/except`.
# - **LangGraph**: `add_node(..., retry_policy=RetryPolicy(max_attempts=3, retry_on=...))` reruns
#   a node; the wait is `initial_interval × backoff_factor^n` plus, with `jitter=True` (the
#   default), a uniform 0-1 **seconds** that does not scale with anything, so it is off here. No
#   `retry-after`, no fallback primitive: the node reads its attempt number
#   (`runtime.execution_info.node_attempt`) and switches to the cheap model after 3.
# - **LlamaIndex Workflows**: `@step(retry_policy=retry_policy(retry=..., wait=..., stop=...))`
#   reruns a step. There is no fallback primitive either: the step picks the cheap model once the
#   retry number says the strong one has had its 3 attempts.
#
# On real Claude (`backend="anthropic"`) the faults cannot be staged, so the measured comparison
# (and the two measurements after it) needs the simulator; the code below still shows each
# library's way.


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
from langchain_core.runnables import RunnableLambda, RunnablePassthrough


def lcel_support(base_url):
    def ask(field, model, attempts=3):
        chat = ChatAnthropic(model=model, base_url=base_url, max_tokens=MAX_TOKENS, max_retries=0)
        prompt = RunnableLambda(lambda s: PROMPTS[field].format(**s))
        return (prompt | chat | StrOutputParser()).with_retry(
            retry_if_exception_type=retryable,
            stop_after_attempt=attempts,
            exponential_jitter_params={"initial": 0.5 * time_scale, "max": 8 * time_scale},
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
    return min(8 * time_scale, 0.5 * time_scale * 2 ** (state.attempt_number - 1))


def tenacity_support(client):
    @tenacity.retry(
        stop=tenacity.stop_after_attempt(3),
        retry=tenacity.retry_if_exception(retryable),
        wait=wait_retry_after,
        reraise=True,
    )
    async def ask(model, prompt):
        msg = await client.messages.create(
            model=model, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": prompt}]
        )
        return "".join(b.text for b in msg.content if b.type == "text")  # after the thinking

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
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

SupportState = TypedDict("SupportState", {f: str | None for f in Ticket.model_fields}, total=False)


def langgraph_support(base_url):
    chats = {
        m: ChatAnthropic(model=m, base_url=base_url, max_tokens=MAX_TOKENS, max_retries=0)
        for m in (fast_model, strong_model)
    }
    policy = lambda attempts: RetryPolicy(  # noqa: E731
        max_attempts=attempts,
        initial_interval=0.5 * time_scale,
        max_interval=8 * time_scale,
        jitter=False,  # its jitter adds 0-1 s whatever the interval: off
        retry_on=retryable,
    )

    def node(field, model):
        async def run(s: SupportState, runtime: Runtime) -> dict:
            if model is None:
                return {field: priority_of(s)}
            prompt = PROMPTS[field].format(**s)
            if field in OPTIONAL:  # one attempt, then skip
                try:
                    return {field: (await chats[model].ainvoke(prompt)).text}
                except anthropic.APIError:
                    return {field: None}
            tries = runtime.execution_info.node_attempt  # 1-based
            chosen = FALLBACK[field] if field in FALLBACK and tries > 3 else model
            return {field: (await chats[chosen].ainvoke(prompt)).text}

        return run

    graph, previous = StateGraph(SupportState), START
    for field, model in STAGES:
        tries = 1 if model is None or field in OPTIONAL else (6 if field in FALLBACK else 3)
        graph.add_node(field, node(field, model), retry_policy=policy(tries))
        graph.add_edge(previous, field)
        previous = field
    graph.add_edge(previous, END)
    return graph.compile()


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
        m: Anthropic(model=m, base_url=base_url, max_tokens=MAX_TOKENS, max_retries=0)
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
                wait=wait_exponential(multiplier=0.5 * time_scale, max=8 * time_scale),
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
if simulator:
    sample = [t["text"] for t in tickets[:n_compare]]
    answers, completed, meters = {}, {}, []

    async def each(label, run_one):
        """Run every ticket; a run that raises did not complete (its answer is None)."""
        outs, done = [], 0
        for text in sample:
            try:
                out, ok = await run_one(text)
            except Exception:
                out, ok = None, False
            outs.append(out)
            done += ok
        answers[label], completed[label] = outs, done

    async def orchestra_one(text):
        result = await wf.run(Ticket(text=text))
        return result.state.model_dump(), result.status == "completed"

    async def returned(value):
        return await value, True  # a library run that returns has completed

    wf = support_workflow(fast, strong, retry=attempts(3), fallback=True, optional=OPTIONAL)
    stage(compare_faults())
    with measure.Meter(simulator, "orchestra", code=[support_workflow]) as m:
        await each("orchestra", orchestra_one)
    meters.append(m.result)

    chain = lcel_support(base_url)
    stage(compare_faults())
    with measure.Meter(simulator, "LCEL", code=[lcel_support]) as m:
        await each("LCEL", lambda t: returned(chain.ainvoke({"text": t})))
    meters.append(m.result)

    stage(compare_faults())
    with measure.Meter(simulator, "tenacity", code=[tenacity_support, wait_retry_after]) as m:
        async with anthropic.AsyncAnthropic(base_url=base_url, max_retries=0) as client:
            run = tenacity_support(client)
            await each("tenacity", lambda t: returned(run(t)))
    meters.append(m.result)

    graph = langgraph_support(base_url)
    stage(compare_faults())
    with measure.Meter(simulator, "LangGraph", code=[langgraph_support]) as m:
        await each("LangGraph", lambda t: returned(graph.ainvoke({"text": t})))
    meters.append(m.result)

    flow = llama_support(base_url)
    stage(compare_faults())
    with measure.Meter(simulator, "LlamaIndex Workflows", code=[llama_support]) as m:
        await each("LlamaIndex Workflows", lambda t: returned(flow.run(text=t)))
    meters.append(m.result)

    comparison = measure.table(meters)
    comparison["tickets completed"] = [completed[label] for label in comparison.index]
    comparison["notes skipped"] = [
        sum(a is not None and a["kb_note"] is None for a in answers[label])
        for label in comparison.index
    ]
    display(comparison.drop(columns=["wall_s"]).round({"cost_usd": 6, "model_s": 2, "sim_s": 2}))
else:
    print(NO_FAULTS.format("the faults the libraries are compared under", "comparison"))

# %% [markdown]
# What agrees and what does not, read from the table and the answers:

# %%
if simulator:
    same = {
        name: [a and a["reply"] for a in outs] == [a["reply"] for a in answers["orchestra"]]
        for name, outs in answers.items()
    }
    agree = [
        c
        for c in ("calls", "failed_calls", "tickets completed", "notes skipped")
        if comparison[c].nunique() == 1
    ]
    differ = [
        c for c in ("input_tokens", "output_tokens", "cost_usd") if comparison[c].nunique() > 1
    ]
    tickets_done = comparison["tickets completed"]
    done_min, done_max = tickets_done.min(), tickets_done.max()
    display(
        prose(
            f"All {len(comparison)} implementations complete "
            f"{done_min if done_min == done_max else f'{done_min} to {done_max}'} of {n_compare} "
            f"tickets. Identical across them: {', '.join(agree) or 'nothing'}; different: "
            f"{', '.join(differ) or 'nothing'}. Same replies as orchestra: "
            f"{', '.join(k for k, v in same.items() if v and k != 'orchestra') or 'none'}. (Every "
            "call is a fresh sample, and the simulator gives the k-th identical request of a run "
            "its k-th sample; `stage` resets it before each library, so identical requests met "
            "the same samples. A library whose requests differed in their bytes would get "
            "others.) The simulated makespan counts the answered calls, one after another, and "
            "not the waits between attempts, for every library alike; so with the same calls it "
            "is the same. The chart below draws the tickets completed first, equal or not (the "
            "same answers is the finding), and of the costs only the panels that differ."
        )
    )

# %% tags=["nbval-ignore-output"]
if simulator:
    print(comparison["wall_s"].round(3).to_string())

# %%
if simulator:
    fig = viz.compare(
        comparison,
        quality=["tickets completed"],
        title=f"Same failure policy, {n_compare} tickets, staged faults",
    )

# %%
if simulator:
    loc = comparison["lines"].sort_values()
    display(
        prose(
            f"Lines of code count the policy *and* the pipeline: from {loc.index[0]} "
            f"({loc.iloc[0]}) to {loc.index[-1]} ({loc.iloc[-1]}). In orchestra the policy is a "
            "few keyword arguments; in LCEL retry and fallback are methods on any runnable; "
            "tenacity is plain Python you can read in one go; LangGraph and LlamaIndex need the "
            "attempt number to express a fallback. What the libraries do not give you is the rest "
            "of the record: which step answered, which was skipped, why the run stopped and with "
            "what partial state (`RunResult` here), and a breaker shared across steps (none of "
            "the four has one; `pybreaker` and `aiobreaker` do)."
        )
    )

# %% [markdown]
# ### The migration's 400, through each client
#
# The 400 a team moving to today's models meets first is a `temperature` on a 5.x model: code
# that pinned `temperature=0` for reproducible answers, unchanged. What happens depends on the
# client, and not only on the model. Read in the installed sources: **LangChain**'s
# `ChatAnthropic` refuses a non-default temperature itself, with a `ValueError` before any
# request, for the models it lists (`_assert_valid_model_configuration`: Sonnet 5.5 and the
# Fable models), and sends it to the others; **LlamaIndex**'s `Anthropic` drops the temperature
# for the models in its `ANTHROPIC_NO_TEMP_MODELS`; the **raw SDK** sends what it is given;
# **orchestra**'s `LLM` does not send it to a model the price table says refuses it, and warns
# once. Measured: `temperature=0`, once per client and model, SDK retries off.

# %%
import warnings

from langchain_core.messages import AIMessage, HumanMessage

TEXT = "Summarize in one sentence: case default. The parcel is late."
TRIED = [LEGACY_HAIKU, fast_model, strong_model, OPUS]


async def sdk_at(model, temperature):
    async with anthropic.AsyncAnthropic(base_url=base_url, max_retries=0) as client:
        await client.messages.create(
            model=model,
            max_tokens=MAX_TOKENS,
            temperature=temperature,
            messages=[{"role": "user", "content": TEXT}],
        )


async def orchestra_at(model, temperature):
    async with LLM(model, backend=backend, max_retries=0, max_tokens=MAX_TOKENS) as llm:
        await llm.ask(TEXT, temperature=temperature)


async def langchain_at(model, temperature):
    chat = ChatAnthropic(
        model=model,
        base_url=base_url,
        max_tokens=MAX_TOKENS,
        max_retries=0,
        temperature=temperature,
    )
    await chat.ainvoke(TEXT)


async def llama_at(model, temperature):
    llm = Anthropic(
        model=model,
        base_url=base_url,
        max_tokens=MAX_TOKENS,
        max_retries=0,
        temperature=temperature,
    )
    await llm.acomplete(TEXT)


async def what_happens(call, faults=None):
    """(HTTP requests sent, how it ended, the last status, temperature warnings) for the
    coroutine ``call``, against a quiet simulator or the ``faults`` given."""
    stage(faults or sim.Faults())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            await call
            ended = "answered"
        except Exception as exc:
            cause = getattr(exc, "cause", None) or exc
            ended = type(cause).__name__
    sent = len(simulator.log) if simulator else None
    status = simulator.log[-1]["status"] if simulator and simulator.log else None
    return sent, ended, status, [w for w in caught if "temperature" in str(w.message)]


clients = {
    "anthropic SDK": sdk_at,
    "orchestra LLM": orchestra_at,
    "LangChain ChatAnthropic": langchain_at,
    "LlamaIndex Anthropic": llama_at,
}
migration = {}
if simulator:
    for label, send in clients.items():
        for m in TRIED:
            sent, ended, status, warned = await what_happens(send(m, 0.0))
            if ended == "answered":
                how = "answered" + (" (warned, not sent)" if warned else "")
            elif sent:
                how = f"HTTP {status}: {ended}"
            else:
                how = f"{ended}, no request"
            migration.setdefault(label, {})[m] = how
else:
    print("real Claude: the requests each client sends are counted in the simulator's log; skipped")
migration = pd.DataFrame(migration).T.rename_axis("temperature=0 through")
migration if simulator else None

# %%
if simulator:
    assert (migration[LEGACY_HAIKU] == "answered").all(), migration  # Haiku 4.5 takes one
    assert migration.loc["anthropic SDK", fast_model].startswith("HTTP 400"), migration
    assert migration.loc["orchestra LLM", fast_model] == "answered (warned, not sent)"
    lc = migration.loc["LangChain ChatAnthropic"]
    display(
        prose(
            f"Through LangChain the same line of code is a 400 from the API on {fast_model} "
            f"({lc[fast_model]}), a client-side refusal on {strong_model} ({lc[strong_model]}), "
            f"and {lc[OPUS].split(':')[0]} on {OPUS}. LlamaIndex answered on "
            f"{sum(migration.loc['LlamaIndex Anthropic'] == 'answered')} of {len(TRIED)} "
            f"models, silently. A retry policy meets each of these differently: a `ValueError` "
            f"is not an HTTP error at all."
        )
    )

# %% [markdown]
# ### What each library retries when you do not say
#
# Above (the seven-step comparison), every library was handed our predicate. Their defaults,
# read in the installed sources:
#
# - LCEL `with_retry()`: `retry_if_exception_type=(Exception,)`: everything.
# - tenacity `@retry`: `retry_if_exception_type()`: everything (and, without `stop=`, for ever).
# - LangGraph `RetryPolicy()` (`langgraph._internal._retry.default_retry_on`): never `ValueError`,
#   `TypeError`, `ArithmeticError`, `ImportError`, `LookupError`, `NameError`, `SyntaxError`,
#   `RuntimeError`, `ReferenceError`, `StopIteration`, `StopAsyncIteration` or `OSError`;
#   `httpx` and `requests` HTTP errors only on a 5xx; **every other exception, yes**. The
#   `anthropic` SDK's errors are none of those classes, so a 400 or a 404 is retried.
# - LlamaIndex `retry_policy()`: every exception, 3 attempts, 5 s apart.
# - orchestra `Retry()`: `retryable`, which asks the error (400/401/404: no).
#
# Measured: each library's default predicate, 3 attempts allowed, no wait, SDK retries off, each
# through its own client as a team migrating would have written it (LCEL and LangGraph around
# `ChatAnthropic`, tenacity around the raw SDK, orchestra's `Retry` around `LLM`), against the
# migration's two 400s on Haiku 5.5 (a temperature, an assistant prefill), an unknown model, the
# retired Sonnet 4.5 and an overloaded model.

# %%
import httpx  # noqa: F401  (LangGraph's default predicate imports it)

CASES = {
    "400 temperature=0": {"temperature": 0.0},
    "400 assistant prefill": {"prefill": True},
    "404 unknown model": {"model": "claude-2.1"},
    "404 retired model": {"model": "claude-sonnet-4-5"},
    "529 overloaded": {},
}


def messages_for(prefill):
    """The request's messages as the raw SDK and orchestra take them."""
    said = [{"role": "user", "content": TEXT}]
    return said + [{"role": "assistant", "content": "Summary:"}] if prefill else said


def chat_messages(prefill):
    """The same, as LangChain messages."""
    return [HumanMessage(TEXT)] + ([AIMessage("Summary:")] if prefill else [])


async def orchestra_default(model, temperature=None, prefill=False):
    # the real-API path, pointed at the simulator: an id the table does not list is the API's
    # to refuse (offline, LLM refuses it itself); a retired one is a ConfigError right here
    llm = LLM(model, backend="anthropic", base_url=base_url, max_retries=0, max_tokens=MAX_TOKENS)

    @step(retry=Retry(max_attempts=3, base_delay=0.0), writes="summary")
    async def summarize(n: Note) -> dict:
        return {"summary": (await llm.ask(messages_for(prefill), temperature=temperature)).text}

    try:
        result = await Workflow("defaults", state=Note, steps=[summarize]).run(Note(text=TEXT))
    finally:
        await llm.aclose()
    if result.status != "completed":
        raise result.error.cause  # how the run ended: the error behind its StepError


def chat_for(model, temperature):
    settings = {} if temperature is None else {"temperature": temperature}
    return ChatAnthropic(
        model=model, base_url=base_url, max_tokens=MAX_TOKENS, max_retries=0, **settings
    )


async def lcel_default(model, temperature=None, prefill=False):
    chat = chat_for(model, temperature).with_retry(
        stop_after_attempt=3, wait_exponential_jitter=False
    )
    await chat.ainvoke(chat_messages(prefill))


async def tenacity_default(model, temperature=None, prefill=False):
    settings = {} if temperature is None else {"temperature": temperature}
    async with anthropic.AsyncAnthropic(base_url=base_url, max_retries=0) as client:

        @tenacity.retry(stop=tenacity.stop_after_attempt(3), reraise=True)
        async def send():  # an async def, so that tenacity awaits (and retries) the call
            return await client.messages.create(
                model=model, max_tokens=MAX_TOKENS, messages=messages_for(prefill), **settings
            )

        await send()


async def langgraph_default(model, temperature=None, prefill=False):
    chat = chat_for(model, temperature)

    async def summarize(s: SupportState) -> dict:
        return {"summary": (await chat.ainvoke(chat_messages(prefill))).text}

    g = StateGraph(SupportState)
    g.add_node("summary", summarize, retry_policy=RetryPolicy(initial_interval=0.0, jitter=False))
    g.add_edge(START, "summary")
    g.add_edge("summary", END)
    await g.compile().ainvoke({"text": TEXT})


defaults, endings = {}, {}
if simulator:
    for library, attempt in {
        "orchestra Retry()": orchestra_default,
        "LCEL with_retry()": lcel_default,
        "tenacity @retry": tenacity_default,
        "LangGraph RetryPolicy()": langgraph_default,
    }.items():
        for case, change in CASES.items():
            args = {"model": fast_model, **change}
            down = sim.Faults(plan=[sim.Rule("overloaded", match="case default")])
            sent, ended, _, _ = await what_happens(
                attempt(**args), down if case.startswith("529") else None
            )
            defaults.setdefault(library, {})[case] = sent
            endings.setdefault(library, {})[case] = ended
else:
    print(NO_FAULTS.format("an overloaded model", "measurement") + "; it also counts requests")
by_default = pd.DataFrame(defaults).T.rename_axis("HTTP requests sent (3 attempts allowed)")
by_default if simulator else None

# %% [markdown]
# And how each call ended (the exception the caller finally sees, or an answer):

# %%
pd.DataFrame(endings).T.rename_axis("ended with") if endings else None

# %%
if defaults:
    fig, ax = plt.subplots(figsize=(10, 3.6), dpi=100)
    width = 0.8 / len(by_default)
    for i, (library, row) in enumerate(by_default.iterrows()):
        ax.bar([x + i * width for x in range(len(row))], row.values, width, label=library)
    ax.set_xticks(
        [x + 0.4 - width / 2 for x in range(len(by_default.columns))],
        [c.replace(" ", "\n", 1) for c in by_default.columns],
    )
    ax.set_ylabel("HTTP requests sent")
    ax.set_yticks([0, 1, 2, 3])
    ax.set_xlabel("request (every attempt of a case meets the same answer)")
    ax.set_title("What each default retry predicate sends again (3 attempts allowed)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    ours = by_default.loc["orchestra Retry()"]
    wasted = [lib for lib, row in by_default.iterrows() if row["400 temperature=0"] > 1]
    assert ours["400 assistant prefill"] == 1 and ours["404 retired model"] == 0, ours
    display(
        prose(
            f"By default {', '.join(wasted)} sent the temperature the model refuses "
            f"{by_default['400 temperature=0'].max()} times, the prefill "
            f"{by_default['400 assistant prefill'].max()} times and the retired model "
            f"{by_default['404 retired model'].max()} times. orchestra did not send the "
            f"temperature at all (the call was "
            f"{endings['orchestra Retry()']['400 temperature=0']}; its client warns once), sent "
            f"the prefill "
            f"{ours['400 assistant prefill']} time(s), and refused the retired model before "
            f"any request ({endings['orchestra Retry()']['404 retired model']}). All retried the "
            f"529 ({by_default['529 overloaded'].min()} requests). A default predicate is a "
            f"decision someone made for you: pass your own (`retry_on=`, "
            f"`retry_if_exception_type=`, `retry=`)."
        )
    )

# %% [markdown]
# ## Interview angle
#
# - *"Which errors do you retry?"* Transient ones: 429 (honour `retry-after`), 529, 5xx,
#   timeouts, connection resets, malformed output (a new sample may parse). Never 400/401/404/413:
#   the same request fails the same way. Decide it in one predicate, tested.
# - *"How do you back off?"* Exponential with jitter, capped, bounded attempts; the server's
#   `retry-after` overrides your schedule. Only one layer retries (SDK retries inside workflow
#   retries multiply attempts and load; orchestra turns the client's off under a `Retry`). Know
#   your library's default predicate: LCEL, tenacity, LangGraph and LlamaIndex retry a 400.
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
# - *"You moved to the 5.5 models and every call fails with a 400. What happened, and what
#   did your retries do?"* A setting the new models refuse (a `temperature`, an assistant
#   prefill, a thinking budget) is still in the request; no retry can fix it, and a default
#   predicate that retries it multiplies the failures (measured above). Read what your client
#   does with the setting (sends it, drops it, or raises before sending), remove it, and use
#   effort or structured output instead.

# %%
await fast.aclose()
await strong.aclose()
if simulator:
    simulator.stop()
