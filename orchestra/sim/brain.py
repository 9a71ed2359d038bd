"""The simulator's brain: the answer to a request, computed from the prompt (chapter 00).

One pipeline, each stage a module, none writing into an earlier stage's object or calling back
into it (``lint-imports`` holds the order):

    read   the request -> a frozen ``read.Prompt`` (turns, sections, material, tool calls)
    shape  -> a ``shape.Shape``: the task and the form the prompt asks for, no content
    fill   -> a ``fill.Content``: one function per form (``fill.FORMS``), one per task
              (``tasks.TASKS``); the quality dial acts here
    render -> an ``Answer``: text or a tool call (``decide`` then cuts it and counts tokens)

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

import random

from orchestra.sim import fill, read, render, shape
from orchestra.sim.api import Request
from orchestra.sim.render import Answer
from orchestra.sim.shape import detect_task

__all__ = ["Answer", "answer", "detect_task"]


def answer(req: Request, quality: float, rng: random.Random) -> Answer:
    """Compute the reply to one Messages API request.

    >>> req = Request(model="claude-haiku-4-5", max_tokens=100,
    ...               messages=[{"role": "user", "content": "TL;DR: Cats sleep. Dogs bark."}])
    >>> answer(req, 1.0, random.Random(0)).task
    'summarize'
    """
    p = read.read(req)
    form = shape.shape_of(p, req)
    content = fill.fill(p, form, quality, rng)
    return render.render(form, content)
