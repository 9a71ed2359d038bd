"""Stage 4 of the answer: write the content out in its shape, then cut and count (chapter 00).

``render`` turns a ``fill.Content`` into the reply's text or tool input (XML elements, JSON,
list lines, a continued prefill), one writer per form in ``WRITERS``; ``cut`` applies
``stop_sequences``, ``max_tokens`` and the output faults (``truncate``, ``bad_json``) and
counts the output tokens on the model's tokenizer. Thinking comes first and counts in
``max_tokens``: when it uses them up, the answer has no text at all.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from orchestra import tokens
from orchestra.sim.fill import Content
from orchestra.sim.read import Slot
from orchestra.sim.shape import Form, Shape, Tag


@dataclass
class Answer:
    """What the model says; ``cut`` turns it into content blocks."""

    text: str | None
    """Text content (None when answering with a tool)."""
    tool_name: str | None
    """The tool answered through, if any."""
    tool_input: dict | None
    """The tool call's input, built to fit the tool's ``input_schema``."""
    task: str
    """What the content was about (``shape.Shape.task``)."""
    is_json: bool
    """``text`` is JSON, so a fault injector may corrupt it."""
    thinking: str = ""
    """What the model thought before answering (``think.trace``); empty when it did not."""


def xml(tags: list[Tag], values: dict, indent: str = "") -> str:
    out = []
    for t in tags:
        v = values.get(t.name)
        if t.children and isinstance(v, list):  # a repeated group: once per item
            out += [
                f"<{t.name}>" + xml(t.children, row).replace("\n", "") + f"</{t.name}>" for row in v
            ]
        elif t.children:
            inner = xml(t.children, v or {}, indent)
            out.append(f"<{t.name}>\n{inner}\n</{t.name}>")
        elif isinstance(v, list):
            items = v or [""]
            if t.repeated:
                out += [f"<{t.name}>{item}</{t.name}>" for item in items]
            else:
                out.append(f"<{t.name}>\n" + "\n".join(f"- {i}" for i in items) + f"\n</{t.name}>")
        else:
            out.append(f"<{t.name}>{v}</{t.name}>")
    return "\n".join(out)


def template(slots: list[Slot], values: dict) -> str:
    """The template written back with its values, in its own syntax (labels or headings)."""
    out = []
    for s in slots:
        v = values.get(s.name, "")
        if isinstance(v, list) and (s.inline or re.search(r"(?i)comma|inline|one line", s.hint)):
            v = ", ".join(str(x).rstrip(".") for x in v)
        if s.style == "line":
            out.append(
                f"{s.name}:\n" + "\n".join(f"- {x}" for x in v)
                if isinstance(v, list)
                else f"{s.name}: {v}"
            )
        else:
            body = "\n".join(f"- {x}" for x in v) if isinstance(v, list) else str(v)
            out.append(f"{s.style} {s.name}\n{body}")
    joiner = "\n" if all(s.style == "line" for s in slots) else "\n\n"
    return joiner.join(out)


def continued(text: str, prefill: str) -> str:
    """The part of ``text`` after an assistant prefill (the API returns only the continuation)."""
    if not prefill:
        return text
    head = prefill.strip()
    at = text.find(head) if head else -1
    if at != -1 and at < 3:
        return text[at + len(head) :]
    return text if text[:1].isspace() else " " + text


def listed(shape: Shape, items: list) -> str:
    """A list's items in the marks asked for, or each in the row the prompt showed."""
    if shape.row:
        return "\n".join(shape.row.format(*row) for row in items)
    if shape.marks == "commas":
        return ", ".join(str(s).replace(",", "").rstrip(".") for s in items)
    mark = {"numbered": "{}. ", "bullets": "- ", "lines": ""}[shape.marks]
    return "\n".join(mark.format(i) + s for i, s in enumerate(items, 1))


WRITERS: dict[Form, Callable[[Shape, Content], str]] = {
    "tool": lambda shape, c: json.dumps(c.values),  # structured output: the input as JSON text
    "xml": lambda shape, c: xml(shape.tags, c.values or {}),
    "template": lambda shape, c: template(shape.slots, c.values or {}),
    "json": lambda shape, c: (
        f"```json\n{json.dumps(c.values, ensure_ascii=False, indent=2)}\n```"
        if shape.fence
        else json.dumps(c.values, ensure_ascii=False)
    ),
    "list": lambda shape, c: listed(shape, c.items or []),
    "text": lambda shape, c: c.text,
    "action": lambda shape, c: (
        f"{shape.lead}\nAction: {c.values['action']}\nAction Input: {c.values['input']}"
    ),
}
"""The text of each form: the one place a form is written."""


def render(shape: Shape, content: Content) -> Answer:
    """The answer in its shape: a tool call, or text (JSON text for structured output)."""
    if shape.form == "tool" and not shape.structured:
        return Answer(None, shape.tool["name"], content.values, shape.task, False)
    if shape.form == "tool":
        return Answer(WRITERS["tool"](shape, content), None, None, shape.task, True)
    text = WRITERS[shape.form](shape, content)
    text = text if shape.form == "action" else shape.lead + text
    if shape.stop_word and shape.stop_word not in text:
        text = f"{text}\n\n{shape.stop_word}"
    return Answer(continued(text, shape.prefill), None, None, shape.task, content.is_json)


@dataclass
class Cut:
    """The reply as content blocks after the cuts, with its output token count."""

    blocks: list[dict]
    """The answer's blocks (text or tool use), without the thinking."""
    output_tokens: int
    """All output tokens, thinking included."""
    stop_reason: str
    stop_sequence: str | None
    thinking: str | None = None
    """The thinking text as far as it got (None: the model did not think)."""
    thinking_tokens: int = 0


def cut(
    ans: Answer,
    max_tokens: int,
    stop_sequences: list[str],
    fault: str | None,
    rng: random.Random,
    model: str | None = None,
) -> Cut:
    """Content blocks after thinking, stop sequences, ``max_tokens`` and output faults; with
    token counts on ``model``'s tokenizer."""
    if not ans.thinking:
        return cut_answer(ans, max_tokens, stop_sequences, fault, rng, model)
    thought = tokens.count_tokens(ans.thinking, model)
    if thought >= max_tokens:  # thinking used up max_tokens: no answer at all
        text = tokens.truncate(ans.thinking, max_tokens, model)
        return Cut([], max_tokens, "max_tokens", None, text, tokens.count_tokens(text, model))
    rest = cut_answer(ans, max_tokens - thought, stop_sequences, fault, rng, model)
    rest.output_tokens += thought
    rest.thinking, rest.thinking_tokens = ans.thinking, thought
    return rest


def cut_answer(
    ans: Answer,
    max_tokens: int,
    stop_sequences: list[str],
    fault: str | None,
    rng: random.Random,
    model: str | None,
) -> Cut:
    """The answer's blocks within ``max_tokens``."""
    if ans.tool_input is not None:
        data = dict(ans.tool_input)
        if fault == "bad_json" and data:
            data.pop(rng.choice(sorted(data)))
        block = {
            "type": "tool_use",
            "id": f"toolu_sim_{rng.getrandbits(48):012x}",
            "name": ans.tool_name,
            "input": data,
        }
        n_out = tokens.count_tokens(json.dumps(data), model) + 10
        if n_out <= max_tokens:
            return Cut([block], n_out, "tool_use", None)
        return Cut([], max_tokens, "max_tokens", None)
    text = ans.text or ""
    if fault == "bad_json" and ans.is_json:
        text = text[: max(1, len(text) - 2 - rng.randrange(max(1, len(text) // 3)))]
    stop_reason, stop_seq = "end_turn", None
    hits = [(text.find(s), s) for s in stop_sequences if s in text]
    if hits:
        at, stop_seq = min(hits)
        text, stop_reason = text[:at], "stop_sequence"
    limit = max_tokens
    if fault == "truncate":
        limit = min(limit, max(1, tokens.count_tokens(text, model) // 2))
    if tokens.count_tokens(text, model) > limit:
        text, stop_reason, stop_seq = tokens.truncate(text, limit, model), "max_tokens", None
    n_out = max(1, tokens.count_tokens(text, model))
    return Cut([{"type": "text", "text": text}], n_out, stop_reason, stop_seq)
