"""The simulator's brain: the answer to a request, computed from the prompt (chapter 00).

One pipeline, each stage a module, none writing into an earlier stage's object or calling back
into it (``lint-imports`` holds the order):

    read   the request -> a frozen ``read.Prompt`` (turns, sections, material, tool calls)
    shape  -> a ``shape.Shape``: the task and the form the prompt asks for, no content
    fill   -> a ``fill.Content``: one function per form (``fill.FORMS``), one per task
              (``tasks.TASKS``); the quality dial acts here
    render -> an ``Answer``: text or a tool call (``decide`` then cuts it and counts tokens)

Before the answer, the model may think (``think``): ``frame`` reads and shapes the prompt once
and says how hard the task is, so that ``decide`` can set the quality dial and the thinking's
length from effort; ``answer`` then fills and renders, with the thinking's text.

Nothing looks an answer up, and every random choice comes from the ``rng`` passed in: same
request and rng state, same answer. Which prompts it understands, and how:
``docs/simulator-prompts.md``.

    >>> req = Request(model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user",
    ...     "content": "Classify into one of: billing, technical. Ticket: I was charged twice"}])
    >>> ans = answer(req, 1.0, random.Random(0))
    >>> ans.task, ans.text
    ('classify', 'billing')
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from orchestra.sim import fill, read, render, shape, think
from orchestra.sim.api import Request
from orchestra.sim.render import Answer
from orchestra.sim.shape import Shape, detect_task

__all__ = ["Answer", "Frame", "answer", "frame", "detect_task"]


@dataclass(frozen=True)
class Frame:
    """The prompt read and shaped, before any content: what ``decide`` needs to set the dials."""

    prompt: read.Prompt
    shape: Shape
    difficulty: float
    """How hard the task is (``think.difficulty``): 0.5 easy, 1, 2 hard."""


def frame(req: Request) -> Frame:
    """Read and shape a request: ``frame(req).shape.task``."""
    p = read.read(req)
    form = shape.shape_of(p, req)
    return Frame(p, form, think.difficulty(p, form))


def answer(
    req: Request,
    quality: float,
    rng: random.Random,
    framed: Frame | None = None,
    thinking_tokens: int = 0,
) -> Answer:
    """Compute the reply to one Messages API request, after ``thinking_tokens`` of thought.

    >>> req = Request(model="claude-haiku-4-5", max_tokens=100,
    ...               messages=[{"role": "user", "content": "TL;DR: Cats sleep. Dogs bark."}])
    >>> answer(req, 1.0, random.Random(0)).task
    'summarize'
    """
    f = framed or frame(req)
    content = fill.fill(f.prompt, f.shape, quality, rng)
    ans = render.render(f.shape, content)
    if thinking_tokens <= 0:
        return ans
    return dataclasses.replace(
        ans, thinking=think.trace(f.prompt, f.shape, thinking_tokens, req.model)
    )
