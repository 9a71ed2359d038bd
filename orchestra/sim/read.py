"""Stage 1 of the answer: read a request into the parts the later stages look at (chapter 00).

Pure reading, no decisions: who said what, which parts are material (a ticket, a document, a
draft) and which are instructions, what tools ran and what they returned, and whether the
assistant's turn was started for it (a prefill). ``shape`` reads a ``Prompt`` next.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# Headers that start a section; the ones in PAYLOAD hold material, not instructions.
HEADERS = (
    "text",
    "ticket",
    "input",
    "message",
    "review",
    "article",
    "document",
    "documents",
    "passage",
    "context",
    "question",
    "draft",
    "previous draft",
    "feedback",
    "requirements",
    "rubric",
    "criteria",
    "categories",
    "labels",
    "classes",
    "fields",
    "task",
    "goal",
    "response",
    "answer",
    "summary",
    "description",
    "output",
)
PAYLOAD = (
    "text",
    "ticket",
    "input",
    "message",
    "review",
    "article",
    "document",
    "documents",
    "passage",
    "context",
    "draft",
    "previous draft",
    "response",
    "answer",
    "summary",
    "description",
    "output",
)
HEADER = re.compile(
    r"(?im)(?:^|(?<=[.!?] ))[ \t#*]*("
    + "|".join(sorted(HEADERS, key=len, reverse=True))
    + r")[ \t*]*:[ \t]*"
)
# A line that tells the model what to do rather than giving it something to work on.
IMPERATIVE = re.compile(
    r"(?i)^\W*(?:please\s+)?(?:summari[sz]e|classify|categori[sz]e|extract|write|draft|compose|"
    r"rewrite|revise|translate|answer|respond|reply|return|output|provide|give|list|name|"
    r"identify|explain|describe|plan|break|score|grade|rate|evaluate|review|critique|assess|"
    r"analy[sz]e|read|use|think|put|format|create|generate|make|tl;?dr|begin|you must|"
    r"this is the expected|your (?:final )?(?:answer|response|output)|only|do not|don't)\b"
)


@dataclass
class Call:
    """A tool call the assistant made earlier in the conversation, and what it returned."""

    name: str
    input: dict
    result: str | None = None


@dataclass
class Prompt:
    """One request's text, cut into the parts the later stages read."""

    system: str
    """The system prompt, flattened."""
    user: str
    """The current user turn: every user message since the assistant last spoke, joined (other
    agents' consecutive turns arrive this way)."""
    request: str
    """The latest user text that is not only tool results: what the user asked for."""
    history: list[str]
    """Earlier user turns' text, oldest first."""
    said: list[str]
    """The assistant's earlier text turns, oldest first."""
    sections: dict[str, str]
    """Header (lower case) or tag name -> its body, e.g. ``{"ticket": "...", "labels": "..."}``."""
    instructions: str
    """System + user text with payload bodies removed: where the task and format are read."""
    material: str
    """The user text to work on when no section names it: the user turn without its
    instruction lines (those before the material, or appended after it)."""
    calls: list[Call] = field(default_factory=list)
    """Tool calls since the request, with their results when they came back."""
    tool_results: list[str] = field(default_factory=list)
    """Text of the tool results in the last user turn."""
    prefill: str = ""
    """The assistant's partial turn that the answer must continue, if the request ends with one."""
    tools: list[dict] = field(default_factory=list)
    """The tools offered."""
    memo: dict = field(default_factory=dict)
    """Scratch space for ``fill``: results computed once, so the fields of one answer agree."""

    def payload(self, *names: str) -> str:
        """The material to work on: a named section, a tag, quoted text, else ``material``."""
        for name in (*names, "quoted", *PAYLOAD):
            if self.sections.get(name):
                return self.sections[name]
        return self.material


def flatten(content) -> str:
    """Text of a message's content (a string or a list of blocks); images are ignored."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(
        b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
    )


def blocks(content, kind: str) -> list[dict]:
    return (
        [b for b in content if isinstance(b, dict) and b.get("type") == kind]
        if isinstance(content, list)
        else []
    )


def material_of(user: str) -> str:
    """The user text without instruction paragraphs before or after it.

    "Summarize this: <text>" gives the text; a passage followed by a framework's closing
    instructions ("This is the expected criteria for your final answer: ...") gives the passage.
    """
    paras = [q for q in re.split(r"\n\s*\n", user.strip()) if q.strip()]
    while len(paras) > 1 and IMPERATIVE.match(paras[-1]):
        paras.pop()
    lines = [line for line in "\n\n".join(paras).splitlines() if line.strip()]
    if not lines:
        return user
    if IMPERATIVE.match(lines[0]):
        if len(lines) > 1:
            return "\n".join(lines[1:])
        return lines[0].split(":", 1)[-1] if ":" in lines[0] else lines[0]
    return "\n".join(lines)


def read(system, messages: list[dict], tools: list[dict] | None = None) -> Prompt:
    """Cut the request into turns, sections, instructions, material and tool calls."""
    system = flatten(system)
    messages = list(messages)
    prefill = ""
    if messages and messages[-1].get("role") == "assistant":
        prefill = flatten(messages[-1].get("content")).rstrip()
        messages = messages[:-1]
    # The current user turn: user messages after the last assistant message.
    tail = len(messages)
    while tail > 0 and messages[tail - 1].get("role") == "user":
        tail -= 1
    current = messages[tail:]
    earlier = [flatten(m.get("content")) for m in messages[:tail] if m.get("role") == "user"]
    said = [flatten(m.get("content")) for m in messages[:tail] if m.get("role") == "assistant"]
    user = "\n\n".join(t for t in (flatten(m.get("content")) for m in current) if t.strip())
    results = [
        flatten(b.get("content")) if not isinstance(b.get("content"), str) else b["content"]
        for m in current
        for b in blocks(m.get("content"), "tool_result")
    ]
    # What the user asked for, and the tool calls made since (an agent loop).
    texts = [(i, flatten(m.get("content"))) for i, m in enumerate(messages) if m["role"] == "user"]
    asked = [i for i, t in texts if t.strip()]
    start = asked[-1] if asked else 0
    request = flatten(messages[start].get("content")) if messages else ""
    if not user.strip():
        user = request
        if start < tail:  # the request came before the tool loop: it is not history
            earlier = [flatten(m.get("content")) for m in messages[:start] if m["role"] == "user"]
    calls, by_id = [], {}
    for m in messages[start:]:
        for b in blocks(m.get("content"), "tool_use"):
            by_id[b.get("id")] = call = Call(b.get("name", ""), dict(b.get("input") or {}))
            calls.append(call)
        for b in blocks(m.get("content"), "tool_result"):
            if b.get("tool_use_id") in by_id:
                c = b.get("content")
                by_id[b["tool_use_id"]].result = c if isinstance(c, str) else flatten(c)
    full = f"{system}\n\n{user}".strip()
    sections: dict[str, str] = {}
    instructions = full
    for m in re.finditer(r"(?s)<(\w+)[^>]*>(.*?)</\1>", full):
        sections.setdefault(m.group(1).lower(), m.group(2).strip())
        if len(m.group(2).split()) > 12:  # material; a short body may be a format template
            instructions = instructions.replace(m.group(2), " ")
    quoted = re.search(r'(?s)("""|```)(.*?)\1', full)
    if quoted and quoted.group(2).strip():
        sections["quoted"] = quoted.group(2).strip()
        instructions = instructions.replace(quoted.group(2), " ")
    heads = list(HEADER.finditer(full))
    for h, nxt in zip(heads, heads[1:] + [None], strict=False):
        name, body = h.group(1).lower(), full[h.end() : nxt.start() if nxt else len(full)].strip()
        sections.setdefault(name, body)
        if name in PAYLOAD and body:
            instructions = instructions.replace(body, " ")
    return Prompt(
        system,
        user,
        request,
        earlier,
        said,
        sections,
        instructions,
        material_of(user),
        calls,
        results,
        prefill,
        list(tools or []),
    )


def json_in(text: str) -> dict | None:
    """The first JSON object written in a text (an example of the answer's shape), or None."""
    for m in re.finditer(r"\{", text):
        depth = 0
        for j in range(m.start(), len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                try:
                    data = json.loads(text[m.start() : j + 1])
                except ValueError:
                    break
                return data if isinstance(data, dict) and data else None
    return None
