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
#       seed: 1
# ---

# %% [markdown]
# # Exercise 07 · Failures: what to retry, how long, and who shares a breaker
#
# Four tasks on chapter 07 (`notebooks/07_failures.ipynb`). Each code cell marked **TODO** is
# yours; the cell after it, tagged `check`, runs your code against the simulator and asserts
# what it must do. Grade yourself with `make grade` (or `make grade NB=exercises/07_failures.ipynb`):
# it runs the notebook in a fresh kernel and reports each check. Do not edit the checks.
#
# 1. Decide which errors are worth retrying (a predicate).
# 2. Fix a hand-written retry loop that never gives up and ignores the server's `retry-after`.
# 3. Fix a circuit breaker that never opens.
# 4. Answer an interview question (not graded by the checks: you score it against a rubric).
#
# Each task is one an interviewer sets for this pattern: design or repair a small piece and say
# what it trades. The checks say what your code did and what was expected.

# %% tags=["parameters"]
backend = "sim"  # the checks stage faults: they need the simulator
model = "claude-haiku-5-5"
strong_model = "claude-sonnet-5-5"
seed = 0
time_scale = 0.0  # instant calls: the checks are about counts, not time

# %%
import asyncio

from pydantic import BaseModel

from orchestra import LLM, CircuitBreaker, Workflow, errors, sim, step

simulator = sim.start(seed=seed, time_scale=time_scale)
llm = LLM(model, max_retries=0)  # SDK retries off: we retry ourselves
strong = LLM(strong_model, max_retries=0)


def requests():
    """How many requests the simulator received since it was last configured."""
    return len(simulator.log)


PREFILLED = [  # ends with the start of the answer: Haiku 4.5 continued it, the 5.5 models refuse
    {"role": "user", "content": "Summarize: the parcel is late."},
    {"role": "assistant", "content": "Summary:"},
]


# %% [markdown]
# ## Task 1 · A retry predicate
#
# Write `should_retry(exc)`: True when another attempt may succeed, False when it cannot. You get
# the exceptions `orchestra.LLM` raises (see the tree in `orchestra/errors.py`): among them a
# 400 for a request Haiku 5.5 refuses (an assistant prefill, left over from the 4.5 models),
# a 404 for an unknown model, and the `ConfigError` it raises before any request for a retired
# one; then a plain `TimeoutError` (a step timeout), our own `CircuitOpenError` and a bug in our
# code (`KeyError`).
# Do not call `orchestra.policies.retryable`: write the rule yourself (a few `isinstance` checks).


# %%
def should_retry(exc: BaseException) -> bool:
    """True if a later attempt may succeed (429, 529, 5xx, timeouts, bad output)."""
    ### BEGIN SOLUTION
    # RetryableLLMError: 429, 529, 500 and client timeouts; OutputFormatError: a new sample
    # may parse; TimeoutError: a step timeout. FatalLLMError (400, 401, 404) fails the same
    # way again; so does a ConfigError (a retired model); CircuitOpenError is our own refusal;
    # a KeyError is a bug: none can improve.
    return isinstance(exc, (errors.RetryableLLMError, errors.OutputFormatError, TimeoutError))
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO
    # raise NotImplementedError
    ### END STUB


# %% tags=["check"]
# check 1: should_retry says yes to 429/529/500/timeouts/bad output, no to 400/404/breaker/bugs
class Pair(BaseModel):
    urgency: str
    amount: float


async def provoke(call):
    try:
        await call()
    except errors.OrchestraError as exc:
        return exc
    raise AssertionError("the call was supposed to fail")


simulator.configure(
    faults=sim.Faults(
        plan=[
            sim.Rule(kind, match=f"case {kind}")
            for kind in ("rate_limit", "overloaded", "server_error", "hang", "bad_json")
        ]
    )
)
# an id the price table does not list goes to the API on the real backend (here pointed at the
# simulator), which answers 404; offline, LLM would refuse it itself
unknown = LLM("claude-2.1", backend="anthropic", base_url=simulator.url, max_retries=0)
async with LLM(model, max_retries=0, timeout=0.2) as impatient, unknown:
    cases = {
        "429": (await provoke(lambda: llm.ask("Summarize: case rate_limit")), True),
        "529": (await provoke(lambda: llm.ask("Summarize: case overloaded")), True),
        "500": (await provoke(lambda: llm.ask("Summarize: case server_error")), True),
        "client timeout": (await provoke(lambda: impatient.ask("Summarize: case hang")), True),
        "bad output": (
            await provoke(
                lambda: llm.ask(
                    "Extract the following fields as JSON: urgency, "
                    "amount. case bad_json. Text: urgent, 40 USD",
                    schema=Pair,
                )
            ),
            True,
        ),
        "400": (await provoke(lambda: llm.ask(PREFILLED)), False),
        "404": (await provoke(lambda: unknown.ask("hello")), False),
        "retired model": (
            await provoke(lambda: llm.with_model("claude-sonnet-4-5").ask("hi")),
            False,
        ),
    }
cases["step timeout"] = (TimeoutError(), True)
cases["breaker open"] = (errors.CircuitOpenError("open", name="m", retry_in=5.0), False)
cases["a bug in our code"] = (KeyError("category"), False)
wrong = [name for name, (exc, expected) in cases.items() if should_retry(exc) is not expected]
assert not wrong, f"should_retry is wrong for: {wrong}"
print("check 1 passed")


# %% [markdown]
# ## Task 2 · A retry loop that never gives up
#
# A colleague wrote this helper. It works in the demo, but in production, after the move to
# Haiku 5.5, one request the model refuses (a 400: an assistant prefill) kept a worker busy all
# night. Fix it so that it:
#
# - makes at most `max_attempts` attempts in all, then raises the last error;
# - never retries an error that cannot get better (use your `should_retry`);
# - after the n-th failure waits the server's `retry_after` (an attribute of
#   `RetryableLLMError`, seconds) when it is given, else `base_delay × 2^(n−1)` (no jitter here);
# - waits with the `sleep` it is given (a test passes a fake that records the waits).
#
# The trade-off to state: a short bound gives up on a service that would have recovered; a long
# one holds a worker (and a user) hostage. Guessing shorter than `retry-after` earns another 429.


# %%
async def ask_with_retry(llm, prompt, max_attempts=4, base_delay=0.01, sleep=asyncio.sleep):
    ### BEGIN SOLUTION
    """Ask, retrying failures with exponential backoff, at most max_attempts attempts."""
    for attempt in range(1, max_attempts + 1):
        try:
            return await llm.ask(prompt)
        except errors.LLMError as exc:
            if attempt == max_attempts or not should_retry(exc):
                raise  # bounded, and never a retry that cannot help
            told = getattr(exc, "retry_after", None)
            await sleep(told if told is not None else base_delay * 2 ** (attempt - 1))
    ### END SOLUTION
    ### BEGIN STUB
    # """Ask, retrying failures with exponential backoff."""
    # attempt = 0
    # while True:
    #     try:
    #         return await llm.ask(prompt)
    #     except errors.LLMError:
    #         attempt += 1
    #         await sleep(base_delay * 2**attempt)
    ### END STUB


# %% tags=["check"]
# check 2: ask_with_retry is bounded, never retries a 400, and recovers from transient errors
async def outcome(coro):
    try:
        return await asyncio.wait_for(coro, timeout=5)
    except TimeoutError:
        raise AssertionError(
            "ask_with_retry was still retrying after 5 s: is it bounded?"
        ) from None
    except errors.LLMError as exc:
        return exc


simulator.configure(faults=sim.Faults())
got = await outcome(ask_with_retry(llm, PREFILLED))  # every call of this request is a 400
assert isinstance(got, errors.FatalLLMError), (
    f"a 400 should come back as FatalLLMError after one request; ask_with_retry returned {got!r}"
)
assert requests() == 1, f"a 400 was sent {requests()} times; it cannot get better: send it once"

simulator.configure(faults=sim.Faults(plan=[sim.Rule("overloaded", match="refund", nth=[1, 2])]))
got = await outcome(ask_with_retry(llm, "Summarize: I am still waiting for my refund."))
assert not isinstance(got, Exception), (
    f"two 529s then a success should return the answer; ask_with_retry raised {got!r}"
)
assert requests() == 3, f"expected 3 requests (2 failures, 1 success), saw {requests()}"

simulator.configure(faults=sim.Faults(plan=[sim.Rule("overloaded", match="invoice")]))  # always 529
got = await outcome(ask_with_retry(llm, "Summarize: the invoice is wrong.", max_attempts=4))
assert isinstance(got, errors.RetryableLLMError), (
    f"after max_attempts 529s the last 529 should be raised; ask_with_retry returned {got!r}"
)
assert requests() == 4, f"max_attempts=4 but {requests()} requests were sent"
print("check 2 passed")


# %% tags=["check"]
# check 3: ask_with_retry waits what the server says (retry-after), else base_delay x 2^(n-1)
class Scripted:
    """A stand-in client: raises the scripted errors in order, then answers "ok"."""

    def __init__(self, *failures):
        self.failures, self.calls = list(failures), 0

    async def ask(self, prompt):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


waits = []


async def fake_sleep(seconds):
    waits.append(seconds)


script = Scripted(
    errors.RetryableLLMError("429 rate limited", status=429, retry_after=7.5),
    errors.RetryableLLMError("500 server error", status=500),
    errors.RetryableLLMError("529 overloaded", status=529),
)
try:
    got = await asyncio.wait_for(
        ask_with_retry(script, "hi", max_attempts=4, base_delay=0.25, sleep=fake_sleep), timeout=5
    )
except TimeoutError:
    raise AssertionError(
        "ask_with_retry did not return within 5 s although its sleep is a fake that returns at "
        "once: does it wait with the `sleep` it is given?"
    ) from None
assert got == "ok", (
    f"three failures then an answer, with max_attempts=4: expected 'ok', got {got!r}"
)
assert waits, "ask_with_retry never called the `sleep` it was given: wait with it"
assert waits[0] == 7.5, (
    f"after a 429 whose retry-after is 7.5 s you waited {waits[0]!r} s: wait what the server asks"
)
assert waits[1:] == [0.5, 1.0], (
    f"with no retry-after, failures 2 and 3 should wait base_delay x 2^(n-1) = 0.5 s and 1.0 s; "
    f"you waited {waits[1:]}"
)
print("check 3 passed")


# %% [markdown]
# ## Task 3 · A circuit breaker that never opens
#
# The strong model is down (every call answers 529), yet the breaker below lets every ticket try
# it, and stays closed. The reply step does fall back to the cheap model, as it should. Find out
# why the breaker never opens (read `CircuitBreaker.succeeded` in `orchestra/policies.py`) and fix
# `make_replies` so that after `failure_threshold` failures the strong model is no longer called,
# while every ticket still gets a reply.


# %%
class Ticket(BaseModel):
    text: str
    reply: str | None = None


def make_replies(strong, fast, clock):
    """A one-step workflow: reply on the strong model, fall back to the fast one."""
    ### BEGIN SOLUTION
    # One breaker per model. Shared, the fallback's successes on the fast model called
    # breaker.succeeded(), which resets the failure count: the breaker could never open.
    breakers = {
        m.model: CircuitBreaker(m.model, failure_threshold=2, reset_after=60, clock=clock)
        for m in (strong, fast)
    }

    @step(writes="reply", breaker=breakers[fast.model])
    async def reply_fast(t: Ticket) -> dict:
        return {
            "reply": (await fast.ask(f"Write a short reply to this ticket.\nTicket: {t.text}")).text
        }

    @step(writes="reply", breaker=breakers[strong.model], fallback=reply_fast)
    ### END SOLUTION
    ### BEGIN STUB
    # breaker = CircuitBreaker("claude", failure_threshold=2, reset_after=60, clock=clock)
    #
    # @step(writes="reply", breaker=breaker)
    # async def reply_fast(t: Ticket) -> dict:
    #     return {"reply": (await fast.ask(f"Write a short reply to this ticket.\nTicket: {t.text}")).text}
    #
    # @step(writes="reply", breaker=breaker, fallback=reply_fast)
    ### END STUB
    async def reply(t: Ticket) -> dict:
        return {
            "reply": (
                await strong.ask(f"Write a short reply to this ticket.\nTicket: {t.text}")
            ).text
        }

    return Workflow("replies", state=Ticket, steps=[reply])


# %% tags=["check"]
# check 4: with the strong model down, the breaker opens after 2 failures and every ticket gets a reply
simulator.configure(faults=sim.Faults(plan=[sim.Rule("overloaded", model=strong_model)]))
replies = make_replies(strong, llm, clock=lambda: 0.0)  # a frozen clock: the breaker cannot reset
texts = [
    "My parcel is late.",
    "I was charged twice.",
    "I cannot log in.",
    "The invoice has the wrong address.",
    "Please cancel my plan.",
    "The app crashes on start.",
]
results = [await replies.run(Ticket(text=t)) for t in texts]
statuses = [r.status for r in results]
assert all(r.status == "completed" and r.state.reply for r in results), (
    f"every ticket needs a reply from the fallback; the runs ended {statuses}"
)
strong_requests = sum(e["model"] == strong_model for e in simulator.log)
fast_requests = sum(e["model"] == model for e in simulator.log)
assert strong_requests == 2, (
    f"the strong model was called {strong_requests} times for {len(texts)} "
    f"tickets; an open breaker should stop it after 2 failures"
)
assert fast_requests == len(texts), (
    f"the fast model answered {fast_requests} of {len(texts)} tickets: its own breaker must stay "
    f"closed while it works"
)
print("check 4 passed")

# %% [markdown]
# ## Task 4 · Interview question
#
# *"A teammate wants to wrap every step in `Retry(max_attempts=10, retry_on=lambda e: True)` 'to
# be safe', and leaves the SDK's default `max_retries=2` on. What do you tell them?"*
#
# Write your answer in `answer` (a few sentences, as you would say it). Then run the
# cell after it: it shows the points a strong answer makes and a model answer, and you score
# yourself, one point per point you made. With `backend = "anthropic"` and an API key, Claude
# grades your answer against the same points and explains. Nothing here is a pass/fail check.

# %% tags=["answer-07"]
### BEGIN SOLUTION
answer = """
Retrying everything is not safe. A 400, 401 or 404 fails the same way every time: retrying it
ten times only burns time and rate limit, and a bug in our own code is not fixed by running it
again. Retry only transient errors (429, 529, 5xx, timeouts, bad output), with exponential
backoff and jitter, honouring retry-after, and a small bound. With the SDK's max_retries=2
inside an engine retry of 10 attempts the retries multiply: up to 30 requests per step, two
backoff schedules stacked, hammering a service that is already overloaded; keep one layer
(orchestra turns the client's retries off under a Retry). When a model keeps failing, a circuit
breaker shared per model stops calling it and a fallback (cheaper model, simpler prompt)
answers, or the step is optional, or the run aborts with its partial state and resumes later.
Retries also repeat side effects, so the step must be idempotent.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# TODO: your answer here.
# """
### END STUB

# %% tags=["rubric"]
# The interview answer: score yourself against the rubric (no automatic pass or fail)
from orchestra.interview import review

RUBRIC = [
    "Never retry what cannot improve: 400/401/404/413 and bugs in our code fail the same way.",
    "Retry only transient errors (429, 529, 5xx, timeouts, bad output), a small bounded number.",
    "Back off exponentially with jitter, and honour the server's retry-after.",
    "Two retry layers multiply: 10 engine attempts x 3 SDK requests = 30 per step; keep one.",
    "A model that keeps failing needs a breaker (shared per model) and a fallback, not more tries.",
    "Retries repeat side effects: the step must be idempotent.",
]
MODEL_ANSWER = """\
Retry only what may succeed later (429 with its retry-after, 529, 5xx, timeouts, unparseable
output), a few times, with capped exponential backoff and jitter. A 400 or a bug fails
identically ten times. Keep one retry layer: 10 attempts around an SDK that retries twice is up
to 30 requests per step against a service that is already struggling. When a model is down,
a breaker per model stops the calls and a fallback answers; and any retried step must be
idempotent, because a retry repeats its side effects."""

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
await llm.aclose()
await strong.aclose()
simulator.stop()
