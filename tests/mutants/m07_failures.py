"""Wrong solutions of exercise 07 (failures); blocks: 0 should_retry, 1 ask_with_retry,
2 make_replies, 3 the interview answer (not checked: self-scored against a rubric).

Checks, 0-based: 0 the retry predicate, 1 the loop's bound and its refusal to retry a 400,
2 the loop's waits (retry-after, else exponential), 3 the breaker.
"""

from mutants import Mutant

MUTANTS = [
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
        "ignores retry_after: exponential backoff only",
        1,
        """
        for attempt in range(1, max_attempts + 1):
            try:
                return await llm.ask(prompt)
            except errors.LLMError as exc:
                if attempt == max_attempts or not should_retry(exc):
                    raise
                await sleep(base_delay * 2 ** (attempt - 1))
        """,
        caught_by=2,
    ),
    Mutant(
        "honours retry_after but sleeps with asyncio.sleep, not the sleep it is given",
        1,
        """
        for attempt in range(1, max_attempts + 1):
            try:
                return await llm.ask(prompt)
            except errors.LLMError as exc:
                if attempt == max_attempts or not should_retry(exc):
                    raise
                told = getattr(exc, "retry_after", None)
                await asyncio.sleep(told if told is not None else base_delay * 2 ** (attempt - 1))
        """,
        caught_by=2,
    ),
    Mutant(
        "adds the backoff to retry_after instead of waiting what the server asked",
        1,
        """
        for attempt in range(1, max_attempts + 1):
            try:
                return await llm.ask(prompt)
            except errors.LLMError as exc:
                if attempt == max_attempts or not should_retry(exc):
                    raise
                told = getattr(exc, "retry_after", None) or 0.0
                await sleep(told + base_delay * 2 ** (attempt - 1))
        """,
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
        """
        for attempt in range(1, max_attempts + 1):
            try:
                return await llm.ask(prompt)
            except errors.LLMError as exc:
                if attempt == max_attempts:
                    raise
                told = getattr(exc, "retry_after", None)
                await sleep(told if told is not None else base_delay * 2 ** (attempt - 1))
        """,
        caught_by=1,
    ),
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
        caught_by=3,
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
        caught_by=3,
    ),
]
