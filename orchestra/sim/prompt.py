"""Reading a request as the brain sees it: the prompt's parts, and the task it asks for (chapter 00)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------- reading the prompt

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


@dataclass
class Prompt:
    """One request's text, cut into the parts the task algorithms read."""

    system: str
    """The system prompt, flattened."""
    user: str
    """The last user message's text."""
    history: list[str]
    """Earlier user messages' text, oldest first."""
    sections: dict[str, str]
    """Header (lower case) or tag name -> its body, e.g. ``{"ticket": "...", "labels": "..."}``."""
    instructions: str
    """System + user text with payload bodies removed: where the task is detected."""
    tool_results: list[str] = field(default_factory=list)
    """Text of tool results in the last user message."""
    memo: dict = field(default_factory=dict)
    """Results already computed, so a schema's fields agree (label and confidence)."""

    def payload(self, *names: str) -> str:
        """The material to work on: a named section, a tag, quoted text, else the user text."""
        for name in (*names, "quoted", *PAYLOAD):
            if self.sections.get(name):
                return self.sections[name]
        lines = [line for line in self.user.splitlines() if line.strip()]
        if detect_task(self.user) == "generic":
            return self.user  # no instruction here (it is in the system prompt or a tool schema)
        if len(lines) > 1:
            return "\n".join(lines[1:])
        return self.user.split(":", 1)[-1]


def flatten(content) -> str:
    """Text of a message's content (a string or a list of blocks); images are ignored."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(
        b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
    )


def read_prompt(system, messages: list[dict]) -> Prompt:
    """Cut the request into sections, instructions and history."""
    system = flatten(system)
    users = [m for m in messages if m.get("role") == "user"]
    last = users[-1]["content"] if users else ""
    results = [
        flatten(b.get("content"))
        for b in (last if isinstance(last, list) else [])
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    user = flatten(last)
    full = f"{system}\n\n{user}".strip()
    sections: dict[str, str] = {}
    instructions = full
    for m in re.finditer(r"(?s)<(\w+)[^>]*>(.*?)</\1>", full):
        sections.setdefault(m.group(1).lower(), m.group(2).strip())
        if m.group(2).strip():
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
        system, user, [flatten(m["content"]) for m in users[:-1]], sections, instructions, results
    )


# ---------------------------------------------------------------- task detection

TASKS = [
    (
        "score",
        r"\brubric\b|\b(?:score|grade|evaluate|rate|assess)\b (?:the|this|that|it|each|"
        r"following|how)\b|\bcriteria\s*:",
    ),
    (
        "classify",
        r"\bclassif(?:y|ication)\b|\bcategori[sz]e\b|\b(?:categories|labels|classes)\s*:"
        r"|\binto one of\b",
    ),
    ("extract", r"\bextract\b|\bfields\s*:"),
    ("summarize", r"\bsummar(?:y|i[sz]e)\b|\btl;?dr\b"),
    (
        "plan",
        r"\bplan\b|\bbreak\b.{0,30}\bsteps\b|\bsteps (?:to|for|needed)\b|\bstep[- ]by[- ]step\b",
    ),
    ("grounded", r"\b(?:context|documents?|passage)\s*:|<context>|<document"),
    (
        "reply",
        r"\b(?:write|draft|compose)\s+(?:an?\s+)?(?:\w+\s+){0,2}(?:reply|response|answer|email)\b"
        r"|\b(?:reply|respond)\s+to\b",
    ),
    (
        "write",
        r"\b(?:write|draft|compose|rewrite|revise)\b"
        r"(?!\s+(?:\w+\s+){0,2}(?:summary|plan|reply|response|answer|email)\b)",
    ),
]


def detect_task(instructions: str) -> str:
    """The task whose cue comes first: ``detect_task("Summarize this: ...") == "summarize"``."""
    found = [
        (m.start(), task)
        for task, pattern in TASKS
        if (m := re.search(pattern, instructions, re.I))
    ]
    return min(found)[1] if found else "generic"
