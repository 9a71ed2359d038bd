"""The simulator's brain: the answer to a request, computed from the prompt (chapter 00).

One pipeline, each stage a module, none calling back into an earlier one:

    read (the request's parts) -> shape (the form the prompt asks for) ->
    fill (the content; the quality dial acts here) -> render (text or a tool call; then cut)

Nothing looks an answer up. A classifier scores labels by meaning, a summary picks the most
central sentences, an extractor runs regexes, a grader checks each rubric line, an agent step
computes which tool the task still needs. Every random choice comes from the ``rng`` passed
in: same inputs + same rng state, same answer.

    >>> req = Request(model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user",
    ...     "content": "Classify into one of: billing, technical. Ticket: I was charged twice"}])
    >>> ans = answer(req, 1.0, random.Random(0))
    >>> ans.task, ans.text
    ('classify', 'billing')

How to write prompts it understands (case-insensitive):

- Format first. XML tags named in the instructions ("put your answer in <answer> tags") or
  shown in a template come back in order, one element per item when repeated ("each subtask
  in its own <subtask> tag"); "JSON" (or a JSON example) gets JSON with the example's keys;
  "list 3 ideas" gets a numbered list of 3; "respond with only the label" gets just it; an
  assistant prefill is continued. A set of answers the prompt names (a "Labels:" block, "one
  of: a, b", "PASS, NEEDS_IMPROVEMENT, or FAIL", "yes or no", "respond with APPROVE when the
  draft is good enough") is always answered with one of them.
- Tasks: classify ("Classify ... into one of: billing, technical" or a "Labels:" block of
  "- name: description" lines), summarize ("Summarize ... in N sentences", "TL;DR"), extract
  ("Extract the following fields as JSON: name, email, date"), score ("Score the following
  text against this rubric:" + criteria lines; JSON {"scores", "total", "feedback"}), write
  ("Write a product description for X. It must mention: a, b"; "Feedback:" lines and
  "Previous draft:" make a revision add what was asked for), reply ("Write a reply to this
  customer: ..."), plan ("Plan the steps to ..."), grounded ("Context: ... Question: ..."),
  review (a verdict on a draft against the rubric, or the task's key terms and length),
  generic (arithmetic computed, questions answered from the given text, else a short reply).
- Documents with identifiers (``<passage id="X">``, ``<doc id=7>``, Anthropic's ``<documents>
  <document index="1"><source>…</source><document_content>…``): a question over them is
  answered from the most relevant one, within the sentences asked for; a key, tag or slot
  asking for sources, citations, ids or indices gets the ids of the documents the answer used,
  as a list, most relevant first. Their markup never reaches the answer. JSON keys described
  in prose ("two keys: "answer" (...) and "sources" (...)") are the reply's keys.
- Agent frameworks (CrewAI, AutoGen): a role prompt in the system prompt ("You are <role>.
  You <habit>. Your goal is: ...") picks no task when the user turn has instructions of its
  own; closing lines about "the final answer" in general name none; a retry turn ("answer
  again, as asked") keeps the JSON form the first request showed; "Previous result:" is
  material. A classify prompt's text to label may stand under "Question:".
- Tools: on ``tool_choice`` tool/any, or on auto when the request needs one (arithmetic to math
  tools, a place to a weather tool, a written call ``f(3)``), a ``tool_use`` whose input fills
  the schema from the prompt; after ``tool_result``s, the next call the task needs, or text
  that uses the results. Structured output (``output_format``) is filled the same way.
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
    form = shape.decide(p, req.tool_choice, req.json_schema)
    content = fill.fill(p, form, quality, rng)
    return render.render(form, content, json_text=req.json_schema is not None)
