"""Wrong solutions of exercise 07 (failures); blocks: 0 should_retry, 1 ask_with_retry,
2 make_replies, 3 the interview answer (not checked: self-scored against a rubric).

Checks, 0-based: 0 the retry predicate (the simulator's errors and 40 generated ones), 1 the
loop's bound and its refusal to retry a 400, 2 the loop's waits (retry-after, else
exponential), 3 the loop on 40 generated failure scripts (calls, waits, the answer or the last
error, the caller's prompt unchanged), 4 the breaker (opens, stays shut while healthy, probes on
the clock it is given, uses the models passed in).
"""

from mutants import Mutant

LOOP = """
for attempt in range(1, {attempts}):
    try:
        return await llm.ask(prompt)
    except errors.LLMError as exc:
        if {give_up}:
            raise
        told = getattr(exc, "retry_after", None)
        await sleep({wait})
"""


def loop(
    attempts="max_attempts + 1",
    give_up="attempt == max_attempts or not should_retry(exc)",
    wait="told if told is not None else base_delay * 2 ** (attempt - 1)",
):
    return LOOP.format(attempts=attempts, give_up=give_up, wait=wait)


REPLIES = """
{breakers}

@step(writes="reply", breaker={fast_breaker})
async def reply_fast(t: Ticket) -> dict:
    return {{"reply": (await {fast}.ask(f"Write a short reply to this ticket.\\nTicket: {{t.text}}")).text}}

@step(writes="reply", breaker={strong_breaker}, fallback=reply_fast)
"""
PER_MODEL = """breakers = {{
    m.model: CircuitBreaker(m.model, failure_threshold={threshold}, reset_after=60{clock})
    for m in (strong, fast)
}}"""


def replies(fast="fast", threshold=2, clock=", clock=clock"):
    return REPLIES.format(
        breakers=PER_MODEL.format(threshold=threshold, clock=clock),
        fast_breaker="breakers[fast.model]",
        strong_breaker="breakers[strong.model]",
        fast=fast,
    )


MUTANTS = [
    # task 1: the predicate
    Mutant(
        "retries every LLMError, a 400 included, and forgets step timeouts",
        0,
        "return isinstance(exc, errors.LLMError)",
        caught_by=0,
    ),
    Mutant(
        "retries everything but a 400 (a 404 and a bug in our code too)",
        0,
        "return getattr(exc, 'status', None) != 400",
        caught_by=0,
    ),
    Mutant(
        "reads the errors' .retryable only: a step's TimeoutError is not retried",
        0,
        "return getattr(exc, 'retryable', False)",
        caught_by=0,
    ),
    Mutant(
        "status codes only (429, 500, 529): a 502, a 503, a client timeout and bad output missed",
        0,
        "return getattr(exc, 'status', None) in (429, 500, 529) or isinstance(exc, TimeoutError)",
        caught_by=0,
    ),
    # task 2: the retry loop
    Mutant(
        "ignores retry_after: exponential backoff only",
        1,
        loop(wait="base_delay * 2 ** (attempt - 1)"),
        caught_by=2,
    ),
    Mutant(
        "honours retry_after but sleeps with asyncio.sleep, not the sleep it is given",
        1,
        loop().replace("await sleep(", "await asyncio.sleep("),
        caught_by=2,
    ),
    Mutant(
        "adds the backoff to retry_after instead of waiting what the server asked",
        1,
        loop(wait="(told or 0.0) + base_delay * 2 ** (attempt - 1)"),
        caught_by=2,
    ),
    Mutant(
        "wrong statistic: backs off base_delay x 2^n, one doubling too many",
        1,
        loop(wait="told if told is not None else base_delay * 2**attempt"),
        caught_by=2,
    ),
    Mutant(
        "one attempt too many: max_attempts retries after the first",
        1,
        """
        for attempt in range(max_attempts + 1):
            try:
                return await llm.ask(prompt)
            except errors.LLMError as exc:
                if attempt == max_attempts or not should_retry(exc):
                    raise
                told = getattr(exc, "retry_after", None)
                await sleep(told if told is not None else base_delay * 2**attempt)
        """,
        caught_by=1,
    ),
    Mutant(
        "bounded, but retries a 400 (never asks should_retry)",
        1,
        loop(give_up="attempt == max_attempts"),
        caught_by=1,
    ),
    Mutant(
        "nothing succeeds: after the last attempt it returns None instead of raising",
        1,
        loop(give_up="not should_retry(exc)"),
        caught_by=1,
    ),
    Mutant(
        "boundary: a retry-after of 0 s is taken as no retry-after (`or`)",
        1,
        loop(wait="told or base_delay * 2 ** (attempt - 1)"),
        caught_by=3,
    ),
    Mutant(
        "ignores the max_attempts argument: four attempts, always",
        1,
        loop(attempts="5", give_up="attempt == 4 or not should_retry(exc)"),
        caught_by=3,
    ),
    Mutant(
        "raises the first error, not the last",
        1,
        """
        first = None
        for attempt in range(1, max_attempts + 1):
            try:
                return await llm.ask(prompt)
            except errors.LLMError as exc:
                first = first or exc
                if attempt == max_attempts or not should_retry(exc):
                    raise first from None
                told = getattr(exc, "retry_after", None)
                await sleep(told if told is not None else base_delay * 2 ** (attempt - 1))
        """,
        caught_by=3,
    ),
    Mutant(
        "side effect: appends a nudge to the caller's messages before each retry",
        1,
        loop(
            wait="told if told is not None else base_delay * 2 ** (attempt - 1)"
            ')\n        if isinstance(prompt, list):\n            prompt.append({"role": "user", '
            '"content": "Please try again."}'
        ),
        caught_by=3,
    ),
    # task 3: the breaker
    Mutant(
        "one breaker shared by both models (the fallback's successes close it)",
        2,
        """
        breaker = CircuitBreaker("claude", failure_threshold=2, reset_after=60, clock=clock)

        @step(writes="reply", breaker=breaker)
        async def reply_fast(t: Ticket) -> dict:
            return {"reply": (await fast.ask(f"Write a short reply to this ticket.\\nTicket: {t.text}")).text}

        @step(writes="reply", breaker=breaker, fallback=reply_fast)
        """,
        caught_by=4,
    ),
    Mutant(
        "no breaker on the strong step: every ticket tries the dead model",
        2,
        """
        @step(writes="reply")
        async def reply_fast(t: Ticket) -> dict:
            return {"reply": (await fast.ask(f"Write a short reply to this ticket.\\nTicket: {t.text}")).text}

        @step(writes="reply", fallback=reply_fast)
        """,
        caught_by=4,
    ),
    Mutant(
        "a breaker per model, but opening after 3 failures, not 2",
        2,
        replies(threshold=3),
        caught_by=4,
    ),
    Mutant(
        "ignores the clock argument: the breakers read time.monotonic",
        2,
        replies(clock=""),
        caught_by=4,
    ),
    Mutant(
        "reads the notebook's global `llm` in the fallback, not the `fast` it is given",
        2,
        replies(fast="llm"),
        caught_by=4,
    ),
]
