"""What the model thinks before it answers (chapter 00): how hard a task is, how long the
thinking runs, and its text.

The thinking is a short, real reasoning trace built from the prompt, not filler: it restates the
task, goes over the candidates it weighs (labels, fields, sentences of the material) and ends
with a check. Its length is set by effort and by how hard the task is (``difficulty``):

    tokens = EFFORT_TOKENS[effort] * difficulty * jitter(0.8..1.2)

so a classification at low effort thinks little or not at all, and a plan at ``max`` effort
thinks long. Thinking tokens are output tokens: billed, timed and counted in ``max_tokens``.

    >>> length("medium", 0.5, random.Random(0)) < length("max", 2.0, random.Random(0))
    True
"""

from __future__ import annotations

import random
import re

from orchestra import tokens
from orchestra.sim.read import Prompt
from orchestra.sim.shape import Shape
from orchestra.sim.words import key_terms, sentences

EFFORT_TOKENS = {"low": 40, "medium": 120, "high": 300, "xhigh": 700, "max": 1500}
"""Thinking tokens at each effort, for a task of difficulty 1."""
BUDGET_EFFORT = "high"
"""A 4.5-generation model with ``thinking.type: enabled`` thinks like this effort, up to its
``budget_tokens``."""
BETWEEN_TOOLS_TOKENS = 40
"""Sonnet 5.5's ``between_tools``: a short progress note after a tool result, nothing up front."""

DIFFICULTY = {
    "classify": 0.5,
    "summarize": 0.5,
    "reply": 0.5,
    "write": 1.0,
    "generic": 1.0,
    "grounded": 1.0,
    "tools": 1.0,
    "extract": 1.0,
    "questions": 1.0,
    "select": 0.5,
    "score": 2.0,
    "review": 2.0,
    "plan": 2.0,
}
"""How hard each task is to get right: 0.5 easy, 1 middling, 2 hard (grading and planning)."""
ARITHMETIC = re.compile(r"\d\s*[-+*/×x]\s*\d|\b(?:sum|total|how many|calculate|compute)\b", re.I)


def difficulty(p: Prompt, shape: Shape) -> float:
    """How hard the prompt's task is: its task's ``DIFFICULTY``, raised to 2 for arithmetic and
    for extraction of many fields (with tools offered, the tools do the arithmetic)."""
    d = DIFFICULTY.get(shape.task, 1.0)
    if p.tools:
        return d
    many_fields = len(shape.fields) + len(shape.slots) + len(shape.tags) >= 4
    if ARITHMETIC.search(p.request) or (shape.task == "extract" and many_fields):
        d = 2.0
    return d


def length(effort: str, hardness: float, rng: random.Random) -> int:
    """Thinking tokens for this effort and difficulty (adaptive thinking may skip an easy task
    at low effort)."""
    if effort == "low" and hardness < 1:
        return 0
    return max(1, round(EFFORT_TOKENS[effort] * hardness * rng.uniform(0.8, 1.2)))


def trace(p: Prompt, shape: Shape, n: int, model: str) -> str:
    """A reasoning trace of about ``n`` tokens (on ``model``'s tokenizer) about this prompt."""
    if n <= 0:
        return ""
    ask = sentences(p.request)[:1] or [shape.task]
    lines = [f'The task is to {shape.task} this. The request says: "{clip(ask[0])}"']
    if shape.choices:
        lines.append(f"The candidates are: {', '.join(shape.choices)}.")
        lines += [
            f'Does "{label}" fit the text? Weigh what it says against it.'
            for label in shape.choices
        ]
    named = shape.fields or [s.name for s in shape.slots] or [t.name for t in shape.tags]
    if named:
        lines.append(f"The fields to fill: {', '.join(named)}.")
        lines += [f"For {name}, find where the text gives it." for name in named]
    terms = key_terms(p.payload() or p.request, 5)
    if terms:
        lines.append(f"The key terms: {', '.join(terms)}.")
    lines += [f'The text says: "{clip(s)}"' for s in sentences(p.payload())[:12]]
    lines.append(
        f"Check: the answer takes the {shape.form} form and uses only what the prompt gives."
    )
    out, have, step = [], 0, 0
    while have < n:  # bounded: each pass adds at least one token
        line = (
            lines[step]
            if step < len(lines)
            else f"Re-check point {step - len(lines) + 1}: " + lines[step % len(lines)]
        )
        out.append(line)
        have += tokens.count_tokens(line + "\n", model)
        step += 1
    return tokens.truncate("\n".join(out), n, model)


def clip(text: str, words: int = 25) -> str:
    cut = text.split()
    return " ".join(cut[:words]) + (" ..." if len(cut) > words else "")
