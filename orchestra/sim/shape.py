"""Stage 2 of the answer: decide the shape the prompt asks for (chapter 00).

Format first: whatever the content turns out to be, the reply has the form the prompt asks for.
From a ``read.Prompt`` this stage decides the task (what the content is about) and the form:

- a tool call (``tool_choice`` any/tool, or a tool on auto that the request needs, ``agent``);
- JSON fitting a schema (structured output) or an example object written in the prompt;
- a plain-text template ("Summary: [one sentence]", "## Verdict" headings) kept line for line;
- XML fields named in the instructions or shown in a template, in order, repeated elements
  for lists ("each subtask in <subtask> tags"), a set of values inside a template tag
  (``<evaluation>PASS, NEEDS_IMPROVEMENT, or FAIL</evaluation>``) kept as that field's choices;
- a numbered or bulleted list of the requested length, bare lines or comma-separated when
  asked, or one line per pick in the form the prompt shows ("Doc: 9, Relevance: 7");
- a pick among numbered choices ("(2) Useful for questions about batteries");
- a score on the first line, then the reasoning;
- one choice from a set the prompt names (labels, verdicts, "respond with APPROVE when ...");
- plain text, "only" the answer when asked, continuing an assistant prefill.

``fill`` computes the content for this shape next; nothing here computes content (which tool
to call is decided here, the values to call it with in ``fill``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Literal

from orchestra.sim.agent import next_call
from orchestra.sim.api import Request
from orchestra.sim.read import GENERAL, IMPERATIVE, Prompt, Slot
from orchestra.sim.words import CITES, COUNTS, POSITIVE, bullets, caps_set, split_list

Task = Literal[
    "classify",
    "summarize",
    "extract",
    "score",
    "plan",
    "grounded",
    "write",
    "reply",
    "review",
    "tools",
    "questions",
    "select",
    "generic",
]
"""What the content is about; ``tasks.TASKS`` has a function for each."""
Form = Literal["tool", "json", "xml", "template", "list", "text", "action"]
"""How the content is written out; ``fill.FORMS`` and ``render.render`` handle each."""
Marks = Literal["numbered", "bullets", "lines", "commas"]
"""How a list's items are marked: "1. ", "- ", nothing (one a line), or commas on one line."""

TASKS = [
    (
        "questions",  # LangChain's multi-query and condense-question, LlamaIndex's quiz
        r"\b(?:rephrase|reformulate)\b[^.\n]{0,60}\bquestion\b|\b(?:generate|write|create|set ?up|"
        r"come up with|produce)\s+(?:only\s+)?(?:\d+\s+|two\s+|three\s+|four\s+|five\s+)?"
        r"(?:\w+\s+){0,2}?(?:questions|versions of (?:the|this|that|a)\s+(?:\w+\s+){0,2}question)\b",
    ),
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
        r"\bplan\b|\bbreak\b.{0,30}\b(?:steps|subtasks|tasks)\b|\bsteps (?:to|for|needed)\b"
        r"|\bstep[- ]by[- ]step\b|\bsubtasks?\b",
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
# Tags that hold material the prompt gives, never fields of the answer.
INPUT_TAGS = set(
    """document documents doc text question context ticket email article passage input data
    example examples query user_input instructions code transcript report contract review
    message conversation history paper source sources article_text user_query request task
    story essay letter policy rubric criteria draft previous_draft notes search_results
    tools tool_description function functions""".split()
)
EVALUATIVE = re.compile(
    r"(?i)\b(?:good enough|satisf|addressed|acceptable|approv|meets?|pass|no (?:further|more) "
    r"(?:changes|suggestions|feedback|issues)|happy with|ready|correct|looks good)"
)


@dataclass
class Tag:
    """One XML field of the answer."""

    name: str
    repeated: bool = False
    """A list: the element repeats once per item."""
    choices: list[str] = field(default_factory=list)
    """The values the prompt allows inside this tag, if it names a set."""
    children: list[Tag] = field(default_factory=list)
    hint: str = ""
    """The template's body for this tag when it describes the value ("the option you chose",
    "a number from 1 to 10"); empty for "…" or no template."""


@dataclass
class Shape:
    """The form of the reply, decided before any content."""

    task: Task
    """What the content is: a verdict on a draft is "review", an answer after tool results
    "tools"."""
    form: Form = "text"
    tool: dict | None = None
    """The tool to call (form "tool"): its ``input_schema`` is what to fill."""
    offered: list[dict] = field(default_factory=list)
    """The tools it was chosen among (``fill`` plans the call's operands among the same)."""
    required: bool = False
    """A call had to be made (``tool_choice`` any or tool)."""
    structured: bool = False
    """Structured output: the "tool" call is sent as JSON text."""
    example: dict | None = None
    """A JSON object written in the prompt: the answer takes its keys and nesting."""
    json_list: str = ""
    """What a bare JSON array asked for holds ("Return the tags ... as a JSON list": tags)."""
    tags: list[Tag] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    """The plain-text template's slots (form "template"), from ``read.Prompt.template``."""
    choices: dict[str, str] = field(default_factory=dict)
    """Allowed answers -> their descriptions (labels, verdicts); empty when free."""
    verdict: bool = False
    """The choices judge a draft (pass/fail, APPROVE) rather than label a text."""
    open_verdict: bool = False
    """A verdict word is said only to approve; otherwise the reply is feedback."""
    stop_word: str | None = None
    """A word the prompt asks to end with once the task is done ("TERMINATE")."""
    count: int | None = None
    """Items a list must have."""
    marks: Marks = "numbered"
    """How a list's items are written: "1. ", "- ", one bare item a line, or all on one line
    separated by commas."""
    row: str = ""
    """The line each item of a list is written in, as the prompt's example shows it, its
    numbers as ``{0}``, ``{1}`` ("Doc: {0}, Relevance: {1}"); empty for plain items."""
    every: str = ""
    """Every match of this kind is the answer, an item each ("Copy every email address")."""
    scale: tuple[int, int] | None = None
    """A score the prompt asks for in this range (a row's second number, or a reply that is a
    score on its first line and then the reasoning)."""
    only: bool = False
    """Nothing but the answer ("respond with only the label")."""
    prefill: str = ""
    fields: list[str] = field(default_factory=list)
    """The fields to extract (task "extract")."""
    fence: bool = False
    """JSON goes in a markdown ```json block, as the prompt shows."""
    at_end: bool = False
    """The verdict goes on the reply's last line, after the reasoning ("then print Y or N on
    its own line")."""
    lead: str = ""
    """Text the reply starts with in a text agent format: ``Final Answer: `` after a thought
    (CrewAI, ReAct); for form "action" (a ReAct tool call written out), the thought."""


def detect_task(instructions: str) -> Task:
    """The task whose cue comes first: ``detect_task("Summarize this: ...") == "summarize"``."""
    found = [
        (m.start(), task)
        for task, pattern in TASKS
        if (m := re.search(pattern, instructions, re.I))
    ]
    return min(found)[1] if found else "generic"


JSON_LIST = re.compile(r"(?i)\bjson\s+(?:list|array)(?:\s+of\s+(\w+))?")
LISTED_NOUN = re.compile(  # "Return the tags", "list five keywords", "give me the names"
    r"(?i)\b(?:return|list|give|extract|output|provide|generate|suggest|name)\s+(?:me\s+)?"
    r"(?:the\s+|all\s+|some\s+|(?:\d+|three|four|five|six|ten)\s+)?(?!json\b)([a-z]+s)\b"
)


def wants_json(instructions: str, full: str = "") -> bool:
    """The prompt asks for JSON ("Respond in JSON", "as JSON", "a JSON object").

    Anywhere in the instructions; in the material only as an explicit request, since a ticket
    may well talk about JSON.
    """
    return bool(
        re.search(r"\bjson\b", instructions, re.I)
        or re.search(
            r"\b(?:respond|reply|answer|return|output|format)\w*\s+(?:\w+\s+){0,3}(?:in|as)\s+(?:a\s+)?json"
            r"|\bjson (?:object|only|format)\b",
            full,
            re.I,
        )
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


KEYS = re.compile(
    r"(?i)\b(?:keys?|fields?|properties|attributes)\b(?:\s+(?:named|called))?\s*:?\s*([^\n]+)"
)
NAME = r"[A-Za-z_][\w-]*"


def prose_keys(text: str) -> dict | None:
    """Keys described in prose, as an example object to fill.

    ``prose_keys('JSON with two keys: "answer" (a sentence) and "sources" (a list of ids)')``
    gives ``{"answer": "", "sources": []}``: a key is a list when its description or plural
    citing name says so, a number when it is "the number of" something. Unquoted names count
    only when every item is a bare name ("a JSON object with fields answer and sources").
    """
    for m in KEYS.finditer(text):
        body = m.group(1)
        described = dict(re.findall(rf"[\"'`“]({NAME})[\"'`”]\s*(\([^()]*\))?", body))
        if not described:
            bare = re.sub(r"\([^()]*\)", "", re.split(r"[.:;](?:\s|$)", body)[0])
            items = split_list(re.sub(r"(?i)^(?:the|a|an)\s+", "", bare.strip()))
            if not items or not all(re.fullmatch(NAME, i) for i in items) or len(items) > 8:
                continue
            described = dict.fromkeys(items, "")
        return {
            k: []
            if re.search(r"(?i)\b(?:list|array|ids)\b", v) or (CITES.search(k) and k.endswith("s"))
            else 0
            if re.search(r"(?i)\bthe number of\b", v)
            else ""
            for k, v in described.items()
        }
    return None


# ---------------------------------------------------------------- choices


def label_item(item: str) -> tuple[str, str]:
    """A label line as (name, description): ``"billing: refunds"`` -> ``("billing", "refunds")``."""
    parts = re.split(r"\s*[:=–—]\s*|\s+-\s+", item, maxsplit=1)
    return parts[0].strip(" '\"`*"), parts[1] if len(parts) > 1 else ""


def parse_labels(p: Prompt, loose: bool = True) -> dict[str, str]:
    """Label -> its description, from a "Labels:" block or an "into one of:" list.

    ``loose`` also reads "among:" and "the following:" lists (for a classification prompt).
    """
    for name in ("labels", "categories", "classes"):
        body = p.sections.get(name, "")
        items = bullets(body) or split_list(body.splitlines()[0] if body else "")
        if items:
            return dict(label_item(i) for i in items)
    cue = r"one of|either|among|following" if loose else r"one of|either"
    m = re.search(rf"(?:{cue})[\w ]{{0,25}}:[ \t]*([^\n]*)", p.instructions, re.I)
    if m and m.group(1).strip():
        return {label: "" for label in split_list(m.group(1).split(". ")[0])}
    if m:
        block = re.match(
            r"(?:[ \t]*\n)*((?:[ \t]*(?:[-*•]|\d+[.)])[ \t]+.+(?:\n|$))+)",
            p.instructions[m.end() :],
        )
        return dict(label_item(i) for i in bullets(block.group(1))) if block else {}
    m = re.search(
        r"\b(?:one of|either)\s+(?:these\s+)?([^\n.:?]+)", p.instructions, re.I
    ) or re.search(
        r"\b(?:classify|categori[sz]e|label|tag|rate|mark|grade)\b[^.\n:]{0,60}?\b(?:as|into)\s+(?:either\s+)?([^\n.:?]+)",
        p.instructions,
        re.I,
    )
    items = (
        split_list(re.split(r"\s+(?:in|inside|within|and then|then)\s+", m.group(1))[0])
        if m
        else []
    )
    if 2 <= len(items) <= 12 and all(len(i.split()) <= 2 for i in items):
        return {label: "" for label in items}
    return {}


VAGUE = {"fields", "following fields", "data", "information", "details", "info", "following"}


def parse_fields(p: Prompt) -> list[str]:
    """Field names from "Fields:" lines or "extract the following fields: a, b, c"."""
    body = p.sections.get("fields", "")
    names = [label_item(b)[0] for b in bullets(body)] or split_list(
        body.splitlines()[0] if body else ""
    )
    for pattern in (
        r"\bextract\s+(?:the\s+)?([^:\n]+?)\s+(?:from|in|out of)\b",  # "extract X from"
        r"\bextract\b[^:\n]*:[ \t]*([^\n]+)",
    ):  # "extract ...: X"
        if names:
            break
        m = re.search(pattern, p.instructions, re.I)
        names = (
            [n for n in split_list(m.group(1).split(". ")[0]) if n.lower() not in VAGUE]
            if m
            else []
        )
    return [n.strip().replace(" ", "_") for n in names] or ["name", "email", "date"]


def said_word(text: str) -> tuple[str, str] | None:
    """A word the prompt asks to say under a condition: ("APPROVE", "when the draft is good")."""
    m = re.search(
        r"(?i:\b(?:respond|reply|answer|say|output|write|return|end)\s+(?:\w+\s+){0,2}?"
        r"(?:with|by saying)?\s*(?:only\s+|the word\s+|exactly\s+)?)"
        r"[\"'“‘`]?([A-Z][A-Z_]{2,})[\"'”’`]?"
        r"[^.\n]{0,12}?(?i:\b(when|if|once|after|to (?:approve|indicate|signal))\b)([^.\n]*)",
        text,
    )
    if m:
        return m.group(1), m.group(3)
    m = re.search(
        r"(?i:\b(when|if|once)\b)([^.\n]*?),\s*(?i:(?:respond|reply|answer|say|output|write)\s+"
        r"(?:with\s+)?(?:only\s+)?)[\"'“‘`]?([A-Z][A-Z_]{2,})\b",
        text,
    )
    return (m.group(3), m.group(2)) if m else None


YES_NO = re.compile(r"(?i)\b(yes|true)\s*(?:or|/)\s*(no|false)\b|\b(no)\s*(?:or|/)\s*(yes)\b")
QUOTED_SET = re.compile(
    r"[\"'“]([\w\[\] -]{1,20})[\"'”](?:[^\"'“\n():]{0,40}?(?:,|or|and|/)\s*(?:or\s+)?"
    r"[\"'“]([\w\[\] -]{1,20})[\"'”])+"
)  # "CORRECT" or "INCORRECT"; "[[A]]" if A is better, "[[B]]" if B is better, and "[[C]]"


def choices_of(p: Prompt, text: str) -> tuple[dict[str, str], bool]:
    """The answers a prompt allows, and whether they are a verdict on a draft."""
    labels = parse_labels(p, loose=detect_task(text) == "classify")
    if labels:
        return labels, any(POSITIVE.match(x) for x in labels) and len(labels) <= 4 and all(
            x.isupper() for x in labels if x.isalpha()
        )
    caps = caps_set(text)
    if caps:
        return {c: "" for c in caps}, any(POSITIVE.match(c) for c in caps)
    m = QUOTED_SET.search(text)
    if m and re.search(
        r"(?i)\b(?:answer|respond|reply|classify|label|output|print|select|choose|pick|verdict|"
        r"one of|either)\b",
        text[: m.start()][-80:],
    ):
        items = re.findall(r"[\"'“]([\w\[\] -]{1,20})[\"'”]", m.group())
        return {i: "" for i in dict.fromkeys(items)}, any(POSITIVE.match(i) for i in items)
    m = YES_NO.search(text)
    if m and re.search(r"(?i)\b(?:answer|respond|reply|output|say|return)\b", text):
        pair = [g for g in m.groups() if g]
        return {pair[0]: "", pair[1]: ""}, False
    return {}, False


# ---------------------------------------------------------------- XML fields


def placeholder(body: str) -> bool:
    """A template's body: empty, "...", "[your answer]", a set of values, or a short description."""
    b = body.strip()
    return (
        not b
        or bool(re.fullmatch(r"[.…\s]*|\[.*\]|\{.*\}|\(.*\)", b, re.S))
        or bool(caps_set(b))
        or len(b.split()) <= 12
    )


def template_group(text: str, name: str) -> bool:
    """``<name>`` is shown as a template's group: it holds other elements, each a placeholder."""
    body = re.search(rf"(?s)<{name}>(.*?)</{name}>", text)
    inner = re.findall(r"(?s)<(\w+)>(.*?)</\1>", body.group(1)) if body else []
    return bool(inner) and all(placeholder(b) for _, b in inner)


def output_tags(p: Prompt) -> list[Tag]:
    """The XML fields the answer must have, in the order the instructions name them."""
    text = p.instructions
    names: list[str] = []
    for m in re.finditer(r"</?([A-Za-z][\w-]*)>", text):
        name = m.group(1)
        if name in names or (
            name.lower() in INPUT_TAGS
            and not (p.docs and CITES.search(name))
            and not template_group(text, name)
        ):  # <sources> is material, unless documents are given and it asks for their ids;
            continue  # <task> holding <name>…</name><owner>…</owner> is a template's group
        body = p.sections.get(name.lower())
        if body is not None and not placeholder(body):
            continue
        if body is not None and name.lower() in p.user.lower() and not placeholder(body):
            continue
        names.append(name)
    tags = {}
    for name in names:
        body_m = re.search(rf"(?s)<{name}>(.*?)</{name}>", text)
        body = body_m.group(1) if body_m else ""
        before = text[: text.find(f"<{name}>") if f"<{name}>" in text else 0][-80:]
        after_m = re.search(rf"<{name}>(?:</{name}>)?\s*(?:tags?|elements?)?([^.\n]{{0,40}})", text)
        after = after_m.group(1) if after_m else ""
        repeated = (
            len(re.findall(rf"<{name}>", text)) >= 2
            or bool(
                re.search(r"(?i)\b(?:each|every|per|separate|individual)\b[^.\n<]{0,40}$", before)
            )
            or bool(re.search(r"(?i)\b(?:each|for every|per)\b", after))
        )
        hint = body.strip() if re.search(r"[A-Za-z]", body) and "<" not in body else ""
        tags[name] = Tag(
            name, repeated, caps_set(body) or [c for c in split_list(body) if c.isupper()], [], hint
        )
    # Nesting from templates: a tag whose template body holds other tags is their container.
    top = []
    for name, tag in tags.items():
        body_m = re.search(rf"(?s)<{name}>(.*?)</{name}>", text)
        inner = [n for n in tags if n != name and body_m and f"<{n}>" in body_m.group(1)]
        inner = [  # direct children only: <items><item><kind> gives items [item], item [kind]
            n
            for n in inner
            if not any(
                o != n
                and (bm := re.search(rf"(?s)<{o}>(.*?)</{o}>", body_m.group(1)))
                and f"<{n}>" in bm.group(1)
                for o in inner
            )
        ]
        tag.children = [tags[n] for n in inner]
        if tag.children:
            tag.choices = []
        if not any(
            (bm := re.search(rf"(?s)<{o}>(.*?)</{o}>", text)) and f"<{name}>" in bm.group(1)
            for o in tags
            if o != name
        ):
            top.append(tag)
    for tag in list(top):  # <subtasks> and <subtask> named without a template: container + items
        child = next(
            (t for t in top if t is not tag and tag.name.lower() == t.name.lower() + "s"), None
        )
        if child is not None and not tag.children:
            tag.children = [child]
            top.remove(child)
    for tag in top:  # a plural container's singular child repeats: <steps><step>
        for child in tag.children:
            if (
                tag.name.lower().rstrip("s") == child.name.lower()
                or tag.name.lower() == child.name.lower() + "s"
            ):
                child.repeated = True
    return top


# ---------------------------------------------------------------- the shape


def list_request(text: str) -> tuple[int | None, bool] | None:
    """(item count, numbered) when the prompt asks for a list."""
    n = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few)"
    m = re.search(
        rf"(?i)\b(?:list|give|name|provide|suggest|generate|write|brainstorm|come up with|"
        rf"share|offer|propose|outline|what are)\s+(?:me\s+|us\s+)?(?:the\s+|exactly\s+|at least\s+)?{n}\s+"
        rf"(?:\w+[\s-]+){{0,3}}?(?:ideas|reasons|tips|ways|examples|steps|items|points|names|"
        rf"questions|options|suggestions|benefits|risks|facts|things|titles|bullet points|bullets|"
        rf"sentences|words|features|pros|cons|factors|strategies|recommendations|\w+s)\b",
        text,
    ) or re.search(rf"(?i)\b{n}\s+(?:bullet points|bullets|numbered items|items)\b", text)
    numbered = not re.search(r"(?i)\bbullet", text)
    if m:
        raw = m.group(1).lower()
        if re.search(rf"(?i){re.escape(m.group(0))}\s*(?:sentences?|words)\b", text) or re.search(
            r"(?i)\b(?:sentences|words)\b", m.group(0)
        ):
            return None
        return (COUNTS.get(raw) or int(raw)), numbered
    if re.search(
        r"(?i)\b(?:numbered|bulleted|bullet(?:ed)?[- ]point) list\b|\bas (?:a )?list\b|\bbullet points\b",
        text,
    ):
        return None, numbered
    return None


# A role prompt's sentences about who the assistant is ("You are a support writer.", "You read
# tickets all day.", "Your personal goal is: ..."): not "You must/should ..." (instructions).
PERSONA = re.compile(
    r"(?im)(?:^|(?<=[.!?])[ \t]+)(?:you(?:'re| are)\b|you (?!must|should|will|need|can|may|"
    r"have to|are to)\w+s?\b|your (?:personal )?(?:goal|backstory|role|job|mission)\b)[^.!?\n]*"
    r"[.!?]?"
)


def task_text(p: Prompt) -> str:
    """The instructions to read the task from. Lines about the final answer in general go; so
    do the system prompt's persona sentences when the user turn has instructions of its own
    (an imperative line, a "Task:" label aside): a role ("You write short replies") does not
    turn the user's question into a writing task. With no instruction in the user turn, the
    persona is all there is, and it stays."""
    text = GENERAL.sub(" ", p.instructions)
    lines = [
        re.sub(r"^[ \t#*]*[\w ]{1,30}:[ \t]*", "", x) for x in GENERAL.sub("", p.user).splitlines()
    ]
    if p.system and any(IMPERATIVE.match(x) for x in lines):
        text = text.replace(p.system, PERSONA.sub(" ", p.system), 1)
    return text


FINAL = re.compile(r"(?m)^[ \t]*Final Answer\s*:")
ACTION_INPUT = re.compile(r"(?m)^[ \t]*Action Input\s*:")
SEARCH = re.compile(r"(?i)search|look ?up|wiki|web|retriev")


def text_tools(text: str) -> list[dict]:
    """Tools a ReAct prompt lists in its text ("search: look up facts"), as tool definitions."""
    m = re.search(r"(?i)\bthe following tools\s*:[ \t]*\n(?:[ \t]*\n)*", text)
    block = (
        re.match(r"(?:[ \t]*[A-Za-z_][\w-]*[ \t]*[:-][ \t]*.+(?:\n|$))+", text[m.end() :])
        if m
        else None
    )
    rows = (
        re.findall(r"(?m)^[ \t]*([A-Za-z_][\w-]*)[ \t]*[:-][ \t]*(.+)$", block.group())
        if block
        else []
    )
    schema = {"type": "object", "properties": {"input": {"type": "string"}}}
    return [{"name": n, "description": d, "input_schema": schema} for n, d in rows]


def react_question(p: Prompt) -> str:
    """The question a ReAct prompt asks: its last "Question:" line."""
    asked = re.findall(r"(?m)^[ \t]*Question:[ \t]*(\S.*)$", p.user)
    return asked[-1].strip() if asked else p.request


def react(p: Prompt, shape: Shape) -> bool:
    """A text agent format (CrewAI's "Final Answer:", ReAct's Thought/Action/Action Input):
    the reply calls a listed tool while the question needs one and no observation came back,
    else gives its final answer after a thought. False when the prompt shows no such format."""
    full = f"{p.system}\n{p.user}"
    if not FINAL.search(full):
        return False
    cont = bool(re.search(r"Thought:\s*$", p.user))  # the prompt ends mid-format: continue it
    thought = "" if cont else "Thought: "
    shape.lead = f"{thought}I now can give a great answer\nFinal Answer: "
    tools = text_tools(full)
    question = react_question(p)
    if not ACTION_INPUT.search(full) or not tools or "Observation:" in p.user.split(question)[-1]:
        return True
    asked = dataclasses.replace(p, request=question, user=question)
    planned = next_call(asked, tools, required=False)
    tool = planned.tool if planned else None
    if tool is None and question.rstrip().endswith("?"):
        tool = next((t for t in tools if SEARCH.search(f"{t['name']} {t['description']}")), None)
    if tool is not None:
        shape.form, shape.tool, shape.offered = "action", tool, tools
        shape.lead = f"{thought}I should use the {tool['name']} tool to answer this."
    return True


def schema_example(data: dict | None) -> dict | None:
    """A JSON schema shown as the format (LangChain's Pydantic instructions: ``{"properties":
    {"setup": {"type": "string"}}}``) as an example object; any other object as it is."""
    props = (data or {}).get("properties")
    if not isinstance(props, dict) or not all(isinstance(v, dict) for v in props.values()):
        return data
    blank = {"array": [], "object": {}, "integer": 0, "number": 0.0, "boolean": False}
    return {k: blank.get(v.get("type"), "") for k, v in props.items()}


def commented_keys(text: str) -> dict | None:
    """Keys of a schema written as ``"answer": string  // what it holds`` lines (LangChain's
    structured output parser), as an example object; None when there are none."""
    rows = re.findall(r'(?m)^\s*"(\w+)"\s*:\s*(string|number|integer|boolean|list|array)\b', text)
    blank = {"list": [], "array": [], "integer": 0, "number": 0.0, "boolean": False}
    return {k: blank.get(t, "") for k, t in rows} or None


# ---------------------------------------------------------------- picks, scores, questions

SELECT = re.compile(
    r"(?i)\b(?:return|select|choose|pick|respond with|give)\b[^.\n]{0,60}?\b(?:choices?|"
    r"documents?|options?)\b"
)
ROW = re.compile(
    r"(?m)^[ \t]*[A-Z][\w ]{0,20}:[ \t]*\d+(?:,[ \t]*[A-Z][\w ]{0,20}:[ \t]*\d+)+[ \t]*$"
)
"""An example answer line of numbers ("Doc: 9, Relevance: 7"): each item is written in it."""
SCALE = re.compile(
    r"(?i)\b(?:between|from)\s+(\d+)\s*(?:and|to|-|–)\s*(\d+)\b|"
    r"\b(?:number|score|integer|rating)\b\D{0,20}?(\d+)\s*(?:to|-|–)\s*(\d+)\b"
)
ONE_SCORE = re.compile(r"(?i)\b(?:a single|one|only the)\s+score\b")
EVERY = re.compile(
    r"(?i)\b(?:copy|extract|list|find|pull out|collect)\s+(?:out\s+)?(?:every|all(?:\s+the)?|each)"
    r"\s+((?:e-?mail|phone|url|date|price|amount)\w*(?:\s+(?:address|number)\w*)?)"
)
"""A request for every match of one kind ("Copy every email address"): ``Shape.every``."""
N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"


def scale_of(text: str) -> tuple[int, int] | None:
    """The range a score is asked in: ``scale_of("between 1 and 5") == (1, 5)``."""
    m = SCALE.search(text)
    if not m:
        return None
    low, high = sorted(int(g) for g in m.groups() if g)
    return (low, high) if low < high else None


def marks_of(text: str, numbered: bool = True) -> Marks:
    """How a list's items are to be written: ``marks_of("comma separated values") == "commas"``."""
    if re.search(r"(?i)\bnumbered\b", text):
        return "numbered"
    if re.search(r"(?i)\bcomma[- ]separated\b|\bseparated by commas\b", text):
        return "commas"
    if re.search(r"(?i)\bseparated by new ?lines\b|\bone per line\b|\bnewline-separated\b", text):
        return "lines"
    return "numbered" if numbered else "bullets"


def picking(p: Prompt, shape: Shape, text: str) -> Shape:
    """Numbered choices to pick from: a row per pick when the prompt shows one ("Doc: 9,
    Relevance: 7"), JSON when asked, else the number alone."""
    shape.task = "select"
    row = ROW.search(p.user)
    if row:
        n = iter(range(10))
        shape.row = re.sub(r"\d+", lambda _: f"{{{next(n)}}}", row.group().strip())
        shape.form, shape.marks, shape.scale = "list", "lines", scale_of(text) or (1, 10)
    elif wants_json(text, p.user):
        shape.form, shape.example = "json", json_in(p.user) or prose_keys(text)
    return shape


def question_count(text: str) -> int:
    """How many questions the prompt asks for: ``question_count("setup 2 questions") == 2``."""
    m = re.search(rf"(?i)\b{N}\s+(?:\w+\s+){{0,2}}?(?:questions|versions|queries)\b", text)
    return (COUNTS.get(m.group(1).lower()) or int(m.group(1))) if m else 1


def material_task(p: Prompt, task: Task) -> Task:
    """The task once the material is seen: a question over documents or over a context is
    answered from them (its own words, "plan" or "summary", are no task, nor is a persona's
    habit, "You write replies")."""
    if p.docs:
        asked = p.sections.get("question", "")
        own = task_text(p)
        task = detect_task(own.replace(asked, " ") if asked.endswith("?") else own)
        task = "grounded" if task == "generic" else task
    if (
        task == "generic"
        and p.sections.get("context")
        and (p.sections.get("question") or p.sections.get("query"))
    ):
        task = "grounded"  # a query over a context, whatever its cue words
    return task


def picks(p: Prompt, text: str) -> bool:
    """Numbered choices to pick among ("return the top choices ... most relevant")."""
    return bool(p.listed and SELECT.search(text))


def shape_of(p: Prompt, req: Request) -> Shape:
    """The shape of the reply to ``p``, read from the request ``req``: its tool choice and
    structured-output schema."""
    text = p.instructions
    task = detect_task(task_text(p))
    choice = req.tool_choice.type if req.tool_choice else "auto"
    name = req.tool_choice.name if req.tool_choice else None
    shape = Shape(task, prefill=p.prefill, structured=req.json_schema is not None)
    if req.json_schema is not None:
        choice, name = "tool", "output"
        tools = [{"name": "output", "input_schema": req.json_schema}]
    else:
        tools = p.tools if choice != "none" else []
    if tools and choice == "tool":
        tool = next((t for t in tools if t.get("name") == name), tools[0])
        shape.tool, shape.offered, shape.required = tool, [tool], True
    elif tools and choice in ("any", "auto") and not p.prefill:
        planned = next_call(p, tools, required=choice == "any")
        if planned is not None:
            shape.tool, shape.offered, shape.required = planned.tool, tools, choice == "any"
    if shape.tool is not None:
        shape.form = "tool"
        shape.choices = parse_labels(p)
        if choice == "tool":  # an output tool: its fields hold the answer to the prompt's task
            shape.task = "select" if picks(p, text) else material_task(p, task)
        return shape
    if react(p, shape) and shape.form == "action":
        return shape
    task = shape.task = "tools" if p.calls else material_task(p, task)  # results in: use them
    if picks(p, text):
        return picking(p, shape, text)
    shape.choices, shape.verdict = choices_of(p, text)
    for slot in p.template:  # "## Verdict / APPROVE or REQUEST_CHANGES": the set is the slot's
        if not shape.choices and (named := caps_set(slot.hint)):
            shape.choices = {c: "" for c in named}
            shape.verdict = any(POSITIVE.match(c) for c in named)
    said = said_word(p.system + "\n" + text)
    if said and said[0] not in shape.choices:
        word, condition = said
        if EVALUATIVE.search(condition) or re.search(r"(?i)draft|feedback|review", condition):
            shape.choices, shape.verdict, shape.open_verdict = {word: ""}, True, True
        else:
            shape.stop_word = word
    if shape.verdict:
        shape.task = "review"
    elif shape.choices and (task not in ("score", "extract") or not p.sections.get("rubric")):
        shape.task = "classify"
    shape.only = bool(
        re.search(
            r"(?i)\b(?:respond|reply|answer|output|return)\s+(?:with\s+)?only\b|\bonly\s+"
            r"(?:output|return|respond|reply|answer|give|write)\b|\bnothing else\b|\bjust the\b"
            r"|\bno (?:other text|explanation|preamble|additional text)\b|\bonly the (?:label|"
            r"answer|number|word|category|name|result|value)\b",
            text,
        )
    )
    if shape.choices and re.search(r"\n[ \t]*[A-Z][\w ]{0,30}:[ \t]*$", p.user):
        shape.only = True  # the prompt ends on the answer's own cue ("GRADE:", "Answer:")
    shape.at_end = bool(
        shape.choices
        and re.search(r"(?i)\bon (?:its|a) own line\b|\bat the end\b|\b(?:last|final) line\b", text)
    )
    if shape.task == "extract":
        shape.fields = parse_fields(p)
    shape.tags = output_tags(p)
    if shape.tags:
        shape.form = "xml"
        return shape
    if p.template:
        shape.form, shape.slots = "template", p.template
        return shape
    if wants_json(text, p.user):
        shape.form, shape.example = "json", schema_example(json_in(p.user) or json_in(text))
        shape.example = shape.example or commented_keys(p.user)
        shape.fence = bool(re.search(r"(?i)markdown code snippet|```json", text))
        listing = JSON_LIST.search(text)
        if shape.example is None and listing:  # a bare array: of what the request names
            named = LISTED_NOUN.search(text)
            shape.json_list = (named.group(1) if named else listing.group(1) or "items").lower()
            return shape
        if shape.example is None and shape.task not in ("extract", "score"):
            shape.example = prose_keys(text)
        return shape
    scale = scale_of(text)
    if scale and ONE_SCORE.search(text) and re.search(r"(?i)\bline\b", text):
        shape.task, shape.scale = "score", scale  # the score on its line, then the reasoning
        return shape
    if shape.task == "questions":
        n = question_count(text)
        if n > 1:
            shape.form, shape.count, shape.marks = "list", n, marks_of(text)
        return shape
    every = EVERY.search(text)
    if every:
        shape.task, shape.every, shape.form = "extract", every.group(1), "list"
        shape.marks = marks_of(text, numbered=False)
        shape.marks = "lines" if shape.marks == "bullets" else shape.marks
        return shape
    listed = list_request(text)
    if listed and not shape.choices:
        shape.form, (shape.count, numbered) = "list", listed
        shape.marks = marks_of(text, numbered)
    return shape
