"""The simulator's brain: answers computed from the prompt by small real algorithms (chapter 00).

Nothing here looks an answer up. A classifier scores labels by word overlap, a summary picks
the most central sentences, an extractor runs regexes, a grader checks each rubric line, and
a ``quality`` dial (0..1, from the model's profile) turns some answers into plausible mistakes.
Every random choice comes from the ``rng`` passed in: same inputs + same rng state, same answer.

    >>> ans = answer(None, [{"role": "user", "content": "Classify into one of: billing, "
    ...              "technical. Ticket: I was charged twice"}], None, None, 1.0, random.Random(0))
    >>> ans.task, ans.text
    ('classify', 'billing')

The algorithms live beside this module: ``understand`` (classify, summarize, extract, score,
grounded), ``generate`` (write, plan, reply, generic), ``tools`` (answers through a tool),
``prompt`` (reading a request, detecting its task), ``words`` (stems, sentences, key terms).

Prompt conventions (case-insensitive; the earliest instruction in system + last user message
picks the task; add "JSON" anywhere, e.g. "Respond in JSON", to get a JSON answer):

- classify: "Classify ... into one of: billing, technical, account", or a "Labels:" /
  "Categories:" block of lines "- billing: charges, refunds, invoices". The text to classify
  follows "Ticket:" / "Text:" / "Input:" (or sits in triple quotes or <text> tags). A label
  named other/unknown/general catches texts that match nothing. Text: the label alone;
  JSON: {"label": ..., "confidence": 0..1}.
- summarize: "Summarize ... in N sentences" / "in at most N words" / "TL;DR". Extractive:
  sentences of the text, in their original order. JSON: {"summary": ...}.
- extract: "Extract the following fields as JSON: name, email, phone, company, date, amount"
  (or a "Fields:" list). Always JSON; a field not found is null; dates come out as ISO.
- score: "Score the following text against this rubric:" + criteria lines ("1. Mentions the
  price", "- At most 80 words", "- Friendly tone") + "Text:" (or "Draft:"). Always JSON:
  {"scores": {criterion: 0..1}, "total": 0..1, "feedback": ["Mention the price", ...]};
  say "1-5" / "out of 5" for 0..5 scores.
- write: "Write a product description for X. It must mention: a, b, c" (or "Requirements:"),
  optionally "At most N words", "Feedback:" lines from a grader and "Previous draft:". Points
  named in the feedback are added far more often than on a first draft, so a write -> score
  -> rewrite loop improves.
- reply: "Write a (short, polite...) reply to ..." / "Reply to this customer:" + the message
  (after "Ticket:" / "Message:" or inline). Acknowledges the topic (found by the classifier),
  apologises for a complaint, and says what happens next; a weak model leaves the next step vague.
- plan: "Plan the steps to ...", "Break this task into steps: ..." (or "Task:" / "Goal:").
  A numbered list ending with a review step; JSON: {"steps": [...]}.
- grounded: "Context: ... Question: ..." (or <context> / <document> tags). The best matching
  context sentence(s), or "I don't know based on the provided context."
- generic: anything else; a short reply about the prompt's key terms. "What did I say" or
  "repeat" reads earlier turns.

Tools: with tool_choice {"type": "tool"} or {"type": "any"} the answer is a tool call whose
input is built property by property from the tool's JSON schema (enums are classified, email /
date / amount / name fields extracted, score / feedback graded, steps planned, summary /
answer fields summarized or answered). With "auto" a tool is used only when the prompt names
what it does. A weak model (low quality) occasionally leaves out a required field.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from orchestra.sim.generate import plan, text_answer
from orchestra.sim.prompt import detect_task, read_prompt
from orchestra.sim.tools import pick_tool, tool_call
from orchestra.sim.understand import classify, parse_labels
from orchestra.sim.words import wants_json

__all__ = ["Answer", "answer", "detect_task"]


@dataclass
class Answer:
    """What the brain decided to say; the server turns it into content blocks."""

    text: str | None
    """Text content (None when answering with a tool)."""
    tool_name: str | None
    """The tool answered through, if any."""
    tool_input: dict | None
    """The tool call's input, built to fit the tool's ``input_schema``."""
    task: str
    """"classify" | "summarize" | "extract" | "score" | "plan" | "grounded" | "write" | "reply" | "generic"."""
    is_json: bool
    """``text`` is JSON, so a fault injector may corrupt it."""


# ---------------------------------------------------------------- the dispatcher


def answer(
    system: str | None,
    messages: list[dict],
    tools: list[dict] | None,
    tool_choice: dict | None,
    quality: float,
    rng: random.Random,
) -> Answer:
    """Compute the reply to one Messages API request.

    >>> answer(None, [{"role": "user", "content": "TL;DR: Cats sleep. Dogs bark."}], None, None,
    ...        1.0, random.Random(0)).task
    'summarize'
    """
    p = read_prompt(system, messages)
    task = detect_task(p.instructions)
    choice = (tool_choice or {"type": "auto"}).get("type", "auto")
    tool = None
    if tools and choice == "tool":
        tool = next((t for t in tools if t.get("name") == tool_choice.get("name")), None)
    elif tools and choice == "any":
        tool = pick_tool(tools, p, 0)
    elif tools and choice == "auto" and not p.tool_results:
        tool = pick_tool(tools, p, 2)
    if tool is not None:
        return Answer(None, tool["name"], tool_call(tool, p, quality, rng), task, False)
    if p.tool_results:
        task = "generic"  # after a tool ran, report what it returned
    if task == "classify" and wants_json(p.instructions, p.user):
        label, confidence = classify(p, parse_labels(p) or {"other": ""}, quality, rng)
        return Answer(
            json.dumps({"label": label, "confidence": confidence}), None, None, task, True
        )
    if task == "plan" and wants_json(p.instructions, p.user):
        return Answer(json.dumps({"steps": plan(p, quality, rng)}), None, None, task, True)
    text = text_answer(task, p, quality, rng)
    if task in ("extract", "score"):
        return Answer(text, None, None, task, True)
    if wants_json(p.instructions, p.user) and task != "classify":
        key = {"summarize": "summary", "grounded": "answer", "write": "text", "reply": "reply"}.get(
            task, "response"
        )
        return Answer(json.dumps({key: text}), None, None, task, True)
    return Answer(text, None, None, task, False)
