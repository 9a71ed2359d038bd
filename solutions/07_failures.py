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
# what it trades. The checks call your code on the notebook's cases **and** on cases they
# generate (seeded) against a reference: every kind of error, the last allowed attempt, a
# `retry-after` of 0, a model that is healthy, a clock that moves. Each says what it called,
# what came back and what was expected.

# %% tags=["parameters"]
backend = "sim"  # the checks stage faults: they need the simulator
model = "claude-haiku-5-5"
strong_model = "claude-sonnet-5-5"
seed = 0
time_scale = 0.0  # instant calls: the checks are about counts, not time

# %%
import asyncio
import random

from pydantic import BaseModel

from orchestra import LLM, CircuitBreaker, Workflow, errors, sim, step
from orchestra.exercise import called

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
    # raise NotImplementedError("Task 1: write should_retry")
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
# and 40 more, built as orchestra.LLM and the engine raise them (the same classes, other
# statuses and messages), each with the answer the error tree gives
KINDS = [
    (
        lambda s: errors.RetryableLLMError(f"{s} from the API", status=s),
        (429, 500, 502, 503, 529),
        True,
    ),
    (
        lambda s: errors.RetryableLLMError("429 slow down", status=429, retry_after=s),
        (0.0, 2.0),
        True,
    ),
    (
        lambda s: errors.RetryableLLMError(f"client timeout after {s} s", status=None),
        (10, 60),
        True,
    ),
    (
        lambda s: errors.FatalLLMError(f"{s} from the API", status=s),
        (400, 401, 403, 404, 413),
        False,
    ),
    (lambda s: errors.OutputFormatError(f"not JSON: {s}"), ("'{'", "'Sure! Here'"), True),
    (
        lambda s: errors.UngroundedAnswerError(f"cites {s}, which it was not given"),
        ("doc 9",),
        True,
    ),
    (lambda s: TimeoutError(f"step 'reply' took longer than {s} s"), (5, 30), True),
    (lambda s: errors.CircuitOpenError("open", name="m", retry_in=s), (0.0, 30.0), False),
    (lambda s: errors.ConfigError(f"unknown model {s!r}"), ("claude-sonnet-4-5",), False),
    (lambda s: errors.BudgetExceededError("over", spent=s, limit=1.0, unit="USD"), (1.5,), False),
    (lambda s: s(), (KeyError, ValueError, AttributeError, IndexError, TypeError), False),
]
rng = random.Random(7)
for n in range(40):
    make, values, expected = rng.choice(KINDS)
    cases[f"generated {n}"] = (make(rng.choice(values)), expected)
wrong = []
for name, (exc, expected) in cases.items():
    got = called(f"should_retry({exc!r})", should_retry, exc)
    if got is not expected:
        status = getattr(exc, "status", None)
        wrong.append(
            f"should_retry({type(exc).__name__}({str(exc)!r}"
            + (f", status={status}" if status else "")
            + f")) [{name}] returned {got!r}, expected {expected}"
        )
assert not wrong, (
    f"{len(wrong)} of {len(cases)} errors get the wrong answer (retry only what a later attempt "
    f"may fix: RetryableLLMError, OutputFormatError, TimeoutError):\n" + "\n".join(wrong)
)
print(f"check 1 passed: {len(cases)} errors")


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
    f"ask_with_retry(llm, PREFILLED) (a request Haiku 5.5 refuses with a 400) returned {got!r}; "
    f"expected the FatalLLMError itself, after one request"
)
assert requests() == 1, (
    f"ask_with_retry(llm, PREFILLED) sent the request {requests()} times, but a 400 cannot get "
    f"better: send it once"
)

simulator.configure(faults=sim.Faults(plan=[sim.Rule("overloaded", match="refund", nth=[1, 2])]))
got = await outcome(ask_with_retry(llm, "Summarize: I am still waiting for my refund."))
assert not isinstance(got, Exception), (
    f"ask_with_retry(llm, 'Summarize: I am still waiting for my refund.') (two 529s, then an "
    f"answer) raised {got!r}; expected the answer"
)
assert requests() == 3, (
    f"ask_with_retry(llm, 'Summarize: I am still waiting for my refund.') (two 529s, then an "
    f"answer) sent {requests()} requests; expected 3 (2 failures, 1 success)"
)

simulator.configure(faults=sim.Faults(plan=[sim.Rule("overloaded", match="invoice")]))  # always 529
got = await outcome(ask_with_retry(llm, "Summarize: the invoice is wrong.", max_attempts=4))
assert isinstance(got, errors.RetryableLLMError), (
    f"ask_with_retry(llm, 'Summarize: the invoice is wrong.', max_attempts=4) (a 529 every "
    f"time) returned {got!r}; expected the last 529 (RetryableLLMError) raised"
)
assert requests() == 4, (
    f"ask_with_retry(llm, 'Summarize: the invoice is wrong.', max_attempts=4) (a 529 every "
    f"time) sent {requests()} requests; expected 4"
)
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


WAITS = (
    "ask_with_retry(<a client raising a 429 (retry-after 7.5 s), a 500, a 529, then answering "
    "'ok'>, 'hi', max_attempts=4, base_delay=0.25, sleep=fake_sleep)"
)
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
        f"{WAITS} did not return within 5 s although its sleep is a fake that returns at once: "
        f"does it wait with the `sleep` it is given?"
    ) from None
assert got == "ok", (
    f"ask_with_retry(<a client raising a 429 (retry-after 7.5 s), a 500, a 529, then answering "
    f"'ok'>, 'hi', max_attempts=4, base_delay=0.25, sleep=fake_sleep) returned {got!r}; "
    f"expected 'ok'"
)
assert waits, f"{WAITS} never called the `sleep` it was given: wait with it"
assert waits[0] == 7.5, (
    f"{WAITS} waited {waits}; expected [7.5, 0.5, 1.0]: after the 429 whose retry-after is "
    f"7.5 s, wait what the server asks"
)
assert waits[1:] == [0.5, 1.0], (
    f"{WAITS} waited {waits}; expected [7.5, 0.5, 1.0]: with no retry-after, failures 2 and 3 "
    f"wait base_delay x 2^(n-1) = 0.5 s and 1.0 s"
)
print("check 3 passed")


# %% tags=["check"]
# check 4: ask_with_retry on 40 generated failure scripts against a reference: the number of
# calls, each wait, the answer or the last error (on the last allowed attempt too, and with a
# retry-after of 0), and the caller's prompt unchanged
def reference_retry(failures, max_attempts, base_delay):
    """(what comes back: ("answer", a) or ("error", exc), calls made, waits)."""
    waits = []
    for attempt in range(1, max_attempts + 1):
        if attempt > len(failures):
            return ("answer", "ok"), attempt, waits
        exc = failures[attempt - 1]
        retry = isinstance(exc, (errors.RetryableLLMError, errors.OutputFormatError))
        if attempt == max_attempts or not retry:
            return ("error", exc), attempt, waits
        told = getattr(exc, "retry_after", None)
        waits.append(told if told is not None else base_delay * 2 ** (attempt - 1))


class Recording(Scripted):
    """A scripted client that also keeps a copy of each prompt it was sent."""

    def __init__(self, *failures):
        super().__init__(*failures)
        self.prompts = []

    async def ask(self, prompt):
        self.prompts.append(repr(prompt))
        return await super().ask(prompt)


FAILURES = [
    lambda: errors.RetryableLLMError("529 overloaded", status=529),
    lambda: errors.RetryableLLMError("500 server error", status=500),
    lambda: errors.RetryableLLMError("429 rate limited", status=429, retry_after=3.0),
    lambda: errors.RetryableLLMError("429 rate limited", status=429, retry_after=0.0),
    lambda: errors.OutputFormatError("not JSON"),
    lambda: errors.FatalLLMError("400 prefill refused", status=400),
]


def label(exc):
    told = getattr(exc, "retry_after", None)
    return str(exc) + (f" (retry-after {told} s)" if told is not None else "")


rng = random.Random(8)
scripts = [  # (failures, max_attempts, base_delay): the boundaries first
    ([FAILURES[0](), FAILURES[1]()], 3, 0.5),  # the last allowed attempt answers
    ([FAILURES[0](), FAILURES[1](), FAILURES[4]()], 3, 0.5),  # the last allowed attempt fails
    ([FAILURES[3](), FAILURES[0]()], 4, 0.25),  # a retry-after of 0 s: retry at once
    ([FAILURES[0]()], 1, 0.5),  # one attempt allowed: no retry, no wait
    ([], 2, 0.5),  # answers at once
]
while len(scripts) < 40:
    failures = [rng.choice(FAILURES)() for _ in range(rng.randint(0, 6))]
    scripts.append((failures, rng.randint(1, 5), rng.choice([0.1, 0.25, 1.0])))
for failures, max_attempts, base_delay in scripts:
    client = Recording(*failures)
    waits.clear()
    prompt = [{"role": "user", "content": "Summarize: the parcel is late."}]
    given = repr(prompt)
    expected, calls, expected_waits = reference_retry(failures, max_attempts, base_delay)
    call = (
        f"ask_with_retry(<a client raising {[label(e) for e in failures]} then answering "
        f"'ok'>, prompt, max_attempts={max_attempts}, base_delay={base_delay}, sleep=<a fake>)"
    )
    try:
        got = (
            "answer",
            await asyncio.wait_for(
                ask_with_retry(
                    client,
                    prompt,
                    max_attempts=max_attempts,
                    base_delay=base_delay,
                    sleep=fake_sleep,
                ),
                timeout=5,
            ),
        )
    except TimeoutError:
        raise AssertionError(f"{call} was still running after 5 s: is it bounded?") from None
    except errors.LLMError as exc:
        got = ("error", exc)
    except NotImplementedError as exc:
        raise AssertionError(f"{call}: not written yet ({exc})") from None
    except Exception as exc:
        raise AssertionError(f"{call} raised {type(exc).__name__}: {exc}") from exc
    said = (
        f"{call} made {client.calls} call(s), waited {waits} and "
        + (f"returned {got[1]!r}" if got[0] == "answer" else f"raised {label(got[1])!r}")
        + f"; expected {calls} call(s), waits {expected_waits}, and "
        + (
            f"the answer {expected[1]!r}"
            if expected[0] == "answer"
            else f"the error {label(expected[1])!r}"
        )
    )
    assert client.calls == calls and waits == expected_waits, said
    assert got[0] == expected[0] and got[1] is expected[1] or got == expected, (
        said + " (raise the last error itself, not a new one)"
    )
    assert repr(prompt) == given and all(p == given for p in client.prompts), (
        f"{call} changed the prompt: the caller's list is now {prompt!r}, and the client was "
        f"sent {client.prompts}; send the same prompt each time and leave the caller's alone"
    )
print(f"check 4 passed: {len(scripts)} failure scripts")


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
# check 5: with the strong model down, the breaker opens after 2 failures and every ticket gets a
# reply; a healthy strong model answers every ticket; the breaker probes again once the clock it
# was given passes reset_after; the models used are the ones passed in
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
    f"make_replies(strong, llm, clock=<frozen at 0 s>) with the strong model down ran "
    f"{len(texts)} tickets {statuses}; every ticket needs a reply from the fallback"
)
strong_requests = sum(e["model"] == strong_model for e in simulator.log)
fast_requests = sum(e["model"] == model for e in simulator.log)
assert strong_requests == 2, (
    f"make_replies(strong, llm, clock=<frozen at 0 s>) with the strong model down: the strong "
    f"model was called {strong_requests} times for {len(texts)} "
    f"tickets; an open breaker should stop it after 2 failures"
)
assert fast_requests == len(texts), (
    f"make_replies(strong, llm, clock=<frozen at 0 s>) with the strong model down: the fast "
    f"model answered {fast_requests} of {len(texts)} tickets: its own breaker must stay "
    f"closed while it works"
)


async def scenario(strong_llm, fast_llm, texts, clock=lambda: 0.0, faults=(), at=None):
    """Run the tickets through make_replies; the requests each model received, and the runs."""
    simulator.configure(faults=sim.Faults(plan=list(faults)))
    replies = called(
        "make_replies(strong, fast, clock)", make_replies, strong_llm, fast_llm, clock=clock
    )
    results = []
    for i, text in enumerate(texts):
        if at:
            at(i)
        results.append(await replies.run(Ticket(text=text)))
    counts = {m: sum(e["model"] == m for e in simulator.log) for m in (model, strong_model)}
    return counts, [r.status for r in results]


# the strong model is healthy: it answers every ticket, the fallback is never asked
counts, statuses = await scenario(strong, llm, texts)
assert statuses == ["completed"] * len(texts) and counts == {strong_model: len(texts), model: 0}, (
    f"with both models healthy, make_replies(strong, llm, clock) ran {len(texts)} tickets "
    f"{statuses} with {counts} requests per model; expected each completed, the strong model "
    f"answering all {len(texts)} and the fast one none"
)
# the clock moves: after reset_after (60 s) the breaker lets one probe through to the strong model
now = [0.0]
counts, statuses = await scenario(
    strong,
    llm,
    texts,
    clock=lambda: now[0],
    faults=[sim.Rule("overloaded", model=strong_model)],
    at=lambda i: now.__setitem__(0, 61.0 if i >= 4 else 0.0),
)
assert counts[strong_model] == 3 and statuses == ["completed"] * len(texts), (
    f"with the strong model down and the clock passed to make_replies at 0 s for tickets 1-4, "
    f"then 61 s, the strong model got {counts[strong_model]} requests ({statuses}); expected 3: "
    f"2 before the breaker opens, 1 probe once the clock passes reset_after (60 s). Give the "
    f"breakers the clock you are given"
)
# roles swapped: the models are the arguments, not the notebook's globals
counts, statuses = await scenario(
    llm, strong, texts[:4], faults=[sim.Rule("overloaded", model=model)]
)
assert statuses == ["completed"] * 4 and counts == {model: 2, strong_model: 4}, (
    f"make_replies(llm, strong, clock) (now {model} is the primary, and down; {strong_model} "
    f"the fallback) ran 4 tickets {statuses} with {counts} requests per model; expected "
    f"{{{model!r}: 2, {strong_model!r}: 4}}: use the models passed in, not the globals"
)
print("check 5 passed: the breaker opens, stays shut while healthy, probes after reset_after")

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
