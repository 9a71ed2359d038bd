"""Tiny fakes shared by the engine tests: a state, two steps, an LLM call record without any LLM."""

import time

from pydantic import BaseModel

from orchestra import clock
from orchestra.calls import Call, record
from orchestra.steps import step


def fake_call(
    model: str = "claude-haiku-5-5",
    tokens: tuple[int, int] = (100, 20),
    cost: float = 0.001,
    prompt: str = "prompt",
    output: str = "output",
    model_s: float = 0.5,
) -> None:
    """Record one LLM call, as the client would after a real one (``model_s`` on the clock)."""
    now = time.time()
    start = clock.now()
    record(
        Call(
            model,
            now,
            now + 0.001,
            "ok",
            tokens[0],
            tokens[1],
            cost,
            model_s,
            start,
            clock.advance(model_s),
            prompt_preview=prompt,
            output_preview=output,
        )
    )


class S(BaseModel):
    """The state most engine tests carry."""

    n: int = 0
    kind: str = "a"
    notes: list[str] = []
    docs: list[str] = []
    out: list[str | None] = []
    ok: bool | None = None


@step(writes="n")
async def inc(s: S) -> dict:
    return {"n": s.n + 1}


def note(text: str):
    @step(name=f"note_{text}", writes="notes")
    async def add(s: S) -> dict:
        return {"notes": [text]}

    return add
