"""Stage 1 of the answer: read a request into the parts the later stages look at (chapter 00).

Pure reading, no decisions: who said what, which parts are material (a ticket, a document, a
draft) and which are instructions, what tools ran and what they returned, and whether the
assistant's turn was started for it (a prefill). ``shape`` reads a ``Prompt`` next.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from orchestra.sim import documents
from orchestra.sim.api import Block, Request, Text
from orchestra.sim.documents import Doc
from orchestra.sim.words import bullets

# Headers that start a section. Those in PAYLOAD hold material to work on (in the order
# ``Prompt.payload`` prefers them); the others say what to do with it.
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
    "previous result",  # an agent framework's retry after a failed check quotes the last reply
    "response",
    "answer",
    "submission",
    "summary",
    "description",
    "output",
)
HEADERS = PAYLOAD + (
    "question",
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
    "query",
    "follow up input",
    "follow up question",
    "chat history",
    "information",
    "claim",
    "statement",
    "submission",
    "reference answer",
    "true answer",
    "student answer",
    "generated answer",
    "user query",
    "objective",
)
# "Original task:", "Your draft:" name the same sections; "Content to evaluate:" is the text.
QUALIFIER = (
    r"(?:(?:the|an?)\s+)?(?:(?:original|initial|overall|main|current|final|proposed|candidate|"
    r"existing|your|the)\s+)?"
)
JUDGED = r"[\w-]+(?:\s+[\w-]+)?\s+to\s+(?:evaluate|review|grade|check|assess|critique|judge|score)"
ATTEMPTS = re.compile(
    r"(?im)^[ \t]*previous (?:attempts?|drafts?|responses?|versions?|answers?|generations?)"
    r"[ \t]*:[ \t]*\n((?:[ \t]*[-•*][ \t]+.+\n?(?:(?![ \t]*[-•*][ \t]|\s*<).+\n?)*)+)"
)
HEADER = re.compile(
    r"(?im)(?:^|(?<=[.!?] ))[ \t#*\[]*(?:[-•][ \t]+)?"
    + QUALIFIER
    + "("
    + "|".join(sorted(HEADERS, key=len, reverse=True))
    + "|"
    + JUDGED
    + r")\]?(?:\s+is(?:\s+as\s+follows)?)?[ \t*]*:[ \t]*"
)
# Earlier output handed to this task: CrewAI's context section, a "Previous result:" block, the
# reply "above" (a chain of calls in one chat), a graph's state pasted in. It is what the task
# works on (``Prompt.handed``).
HANDED = re.compile(
    r"(?im)^[ \t]*(?:this is the context you're working with|here is the (?:output|result) of "
    r"the previous (?:task|step|agent))[ \t]*:[ \t]*\n?"
)
ABOVE = re.compile(
    r"(?i)\b(?:the|this|that|your)\s+(?:\w+\s+){0,2}above\b|\bthe above\b|"
    r"\byour (?:previous|last) (?:answer|reply|response|output|summary)\b"
)
# A turn that asks for the same task again after a refusal ("Your answer was refused: ...
# Answer again, as asked."), and a framework's retry block inside a task's own prompt (CrewAI's
# guardrail: "Previous attempt failed validation: <why> ... Previous result: <draft> ... Try
# again"). Either way the task is the original request, with the reason as feedback
# (``retried``).
AGAIN = re.compile(
    r"(?i)\b(?:answer|try|respond|reply|write|do)\s+(?:it\s+|that\s+)?again\b|"
    r"\bonce more\b|\bretry\b|\bredo\b"
)
FAILED = re.compile(
    r"(?ims)(?:^[^\n]*\bcontext\b[^\n]*:[ \t]*\n)?^[ \t#]*previous attempt failed[^:\n]*:"
    r"[ \t]*(?P<why>.*?)\n\s*\n[ \t#]*previous (?:result|output|answer)[ \t]*:[ \t]*\n?"
    r"(?P<draft>.*?)\n\s*\n[ \t]*(?P<again>[^\n]*\bagain\b[^\n]*)(?:\n|$)"
)
MARKDOWN_SECTION = re.compile(
    r"(?m)^[ \t]*#{1,4}[ \t]+([^\n#]+?)[ \t#]*\n((?:(?![ \t]*#).*(?:\n|$))*)"
)
"""A markdown heading over its text, up to the next heading."""
DELIMITED = re.compile(r"(?m)^[ \t]*-{5,}[ \t]*\n(.+?)\n[ \t]*-{5,}[ \t]*$", re.S)
"""Text between two rules of dashes (LlamaIndex's templates): the context."""
# An agent framework's closing lines about the answer in general ("This is the expected
# criteria for your final answer", "return the complete content, not a summary"): they end a
# section's body and name no task.
GENERAL = re.compile(
    r"(?im)(?:^|(?<=[.!?] ))[^.!?\n]*\b(?:final answer|complete (?:response|content|answer)|"
    r"expected criteria)\b[^.!?\n]*[.!?]?"
)
# A line that tells the model what to do rather than giving it something to work on.
IMPERATIVE = re.compile(
    r"(?i)^\W*(?:please\s+)?(?:summari[sz]e|classify|categori[sz]e|extract|write|draft|compose|"
    r"rewrite|revise|translate|answer|respond|reply|return|output|provide|give|list|name|"
    r"identify|explain|describe|plan|break|fill(?: in| out)?|complete|score|grade|rate|evaluate|review|critique|assess|"
    r"turn|convert|condense|shorten|rephrase|paraphrase|reformat|copy|select|choose|suggest|"
    r"propose|brainstorm|"
    r"analy[sz]e|read|use|think|put|format|create|generate|make|tl;?dr|begin|you must|"
    r"this is the expected|your (?:final )?(?:answer|response|output)|only|do not|don't)\b"
)


# A template's slot: "Summary: [one sentence]", "Name:", "**Owner:** <name>", or a heading
# ("## Verdict") over a placeholder body. Two or more in a row make a template to fill.
LABEL_LINE = re.compile(
    r"(?m)^[ \t]*(\*\*)?([A-Z][\w'/() -]{0,40}?)(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*(.*?)[ \t]*$"
)
FORMAT_WORDS = re.compile(r"(?i)\b(?:format|template|structure|sections?|headings?|layout)\b")
HEADING = re.compile(r"(?m)^[ \t]*(#{1,4})[ \t]+(\S[^\n]*?)[ \t#]*$")
PLACEHOLDER = re.compile(
    r"(?s)|\[.*\]|<[^<>]*>|\{.*\}|\(.*\)|[.…_\s]+|[A-Z][A-Z_]+(?:\s*(?:,|/|\||or)\s*(?:or\s+)?[A-Z][A-Z_]+)+"
)


@dataclass
class Slot:
    """One field of a plain-text template the reply must fill, in the template's own syntax."""

    name: str
    """The label as written: "Order number"."""
    hint: str
    """What the template shows for it: "[one sentence]", "APPROVE or REQUEST_CHANGES", ""."""
    style: str
    """"line" (``Label: value``) or a heading's hashes (``## Label`` over the value)."""
    items: int = 0
    """Bullets the template shows under it (a list of that many), else 0."""
    inline: bool = False
    """A list goes on the slot's one line, comma-separated ("in the following comma-separated
    format: 'KEYWORDS: <keywords>'")."""


def placeholder_list(body: str) -> int:
    """How many bullets a template shows ("- reason 1\\n- reason 2" is 2), else 0."""
    listed = bullets(body)
    lines = [x for x in body.splitlines() if x.strip()]
    return (
        len(listed)
        if listed and len(listed) == len(lines) and all(len(x.split()) <= 6 for x in listed)
        else 0
    )


# One slot quoted as the reply's whole format: "in the following format: 'KEYWORDS: <keywords>'".
QUOTED_SLOT = re.compile(
    r"(?i)\bformat\b[^:\n]{0,40}:[ \t]*(['\"`])((?-i:[A-Z][\w ]{0,30})):[ \t]*"
    r"(<[^<>\n]*>|\[[^\]\n]*\])\1"
)


def slots(text: str) -> tuple[list[Slot], list[str]]:
    """The template in ``text`` (two or more slots in a row) and the blocks it occupies.

    Labels over bracketed, empty or ALL-CAPS-choice values are a template; labels over real
    text ("Notes: The team met...") are material, so the two never mix. Headings count when
    each holds a short description, a placeholder or a few placeholder bullets.
    """
    runs: list[tuple[list[Slot], int, int]] = []
    run: list[Slot] = []
    first = last = 0
    for m in LABEL_LINE.finditer(text):
        ok = len(m.group(2).split()) <= 5 and PLACEHOLDER.fullmatch(m.group(3))
        if ok and run and text[last : m.start()].strip() == "":
            run.append(Slot(m.group(2).strip(), m.group(3), "line"))
        else:
            if len(run) >= 2:
                runs.append((run, first, last))
            run = [Slot(m.group(2).strip(), m.group(3), "line")] if ok else []
            first = m.start()
        last = m.end()
    if len(run) >= 2:
        runs.append((run, first, last))
    run = []
    heads = list(HEADING.finditer(text))
    for h, nxt in zip(heads, heads[1:] + [None], strict=False):
        body = text[h.end() : nxt.start() if nxt else len(text)]
        own = re.split(r"\n\s*\n", body.strip("\n"), maxsplit=1)[0].strip()
        n = placeholder_list(own)
        ok = n or ("\n" not in own and (len(own.split()) <= 12 or PLACEHOLDER.fullmatch(own)))
        if ok and not run:
            first = h.start()
        if ok:
            run.append(Slot(h.group(2).strip(" *"), "" if n else own, h.group(1), n))
            last = text.find(own, h.end()) + len(own) if own else h.end()
        # the run goes on only while nothing but this slot's body stands before the next heading
        if ok and nxt is not None and text[last : nxt.start()].strip() == "":
            continue
        if (
            len(run) >= 2
            and FORMAT_WORDS.search(text)
            and any(x.items or (x.hint and PLACEHOLDER.fullmatch(x.hint)) for x in run)
        ):
            runs.append((run, first, last))
        run = []
    quoted = QUOTED_SLOT.search(text)
    if quoted and not any(a <= quoted.start(1) < b for _, a, b in runs):
        comma = bool(re.search(r"(?i)comma", text[max(0, quoted.start() - 40) : quoted.end()]))
        slot = Slot(quoted.group(2).strip(), quoted.group(3), "line", inline=comma)
        runs.append(([slot], quoted.start(1), quoted.end()))
    runs.sort(key=lambda r: r[1])
    return [s for r, _, _ in runs for s in r], [text[a:b] for _, a, b in runs]


# Numbered things to pick among: LlamaIndex's choices ("(2) Useful for questions about ...")
# and its documents ("Document 2:" over a summary). The example's placeholders are no choices.
CHOICE = re.compile(r"(?m)^[ \t]*\((\d+)\)[ \t]+(\S.*?)[ \t]*$")
NUMBERED = re.compile(
    r"(?m)^[ \t]*(?:Document|Doc|Choice|Option)[ \t]+(\d+)[ \t]*:[ \t]*\n?((?:[ \t]*\S.*(?:\n|$))+)"
)


def listed(text: str) -> dict[str, str]:
    """Number -> text of the numbered choices or documents in ``text``, a later one of a number
    replacing an earlier (the real ones follow the example): ``listed("(1) cats\n(2) dogs")``."""
    found = {}
    for m in sorted([*CHOICE.finditer(text), *NUMBERED.finditer(text)], key=lambda m: m.start()):
        body = " ".join(m.group(2).split())
        if body and not re.fullmatch(r"<[^<>]*>|\[[^\]]*\]", body):
            found[m.group(1)] = body
    return dict(sorted(found.items(), key=lambda kv: int(kv[0])))


@dataclass
class ToolCall:
    """A tool call the assistant made earlier in the conversation, and what it returned."""

    name: str
    input: dict
    result: str | None = None


@dataclass(frozen=True)
class Prompt:
    """One request's text, cut into the parts the later stages read; read-only after ``read``."""

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
    calls: list[ToolCall] = field(default_factory=list)
    """Tool calls since the request, with their results when they came back."""
    tool_results: list[str] = field(default_factory=list)
    """Text of the tool results in the last user turn."""
    prefill: str = ""
    """The assistant's partial turn that the answer must continue, if the request ends with one."""
    tools: list[dict] = field(default_factory=list)
    """The tools offered."""
    template: list[Slot] = field(default_factory=list)
    """A plain-text template the reply fills ("Summary: [one sentence]"), cut out of the text."""
    docs: list[Doc] = field(default_factory=list)
    """Documents given in tags with identifiers (``<passage id="X">``, Anthropic's
    ``<document><source>``), in the order written; their markup is gone from the other parts."""
    handed: str = ""
    """Earlier output handed to this task (``HANDED``, "Previous result:", the reply "above", a
    state field), when there is one: what the task works on."""
    listed: dict[str, str] = field(default_factory=dict)
    """Numbered choices or documents to pick among (``listed``): number -> text."""

    def payload(self, *names: str) -> str:
        """The material to work on: a named section, a tag, quoted text, a payload section, a
        ``Question:`` (the item itself when nothing else is: "Classify the question ..."), else
        ``material``."""
        for name in (*names, "quoted", *PAYLOAD, "question"):
            if self.sections.get(name):
                return self.sections[name]
        return self.material


def flatten(content: list[Block]) -> str:
    """The text blocks of a message's content; images, tool calls and results are not text."""
    return "\n".join(b.text for b in content if isinstance(b, Text))


def blocks(content: list[Block], kind: str) -> list:
    return [b for b in content if b.type == kind]


def material_of(user: str) -> str:
    """The user text without instruction paragraphs before or after it.

    "Summarize this: <text>" gives the text; a passage followed by a framework's closing
    instructions ("This is the expected criteria for your final answer: ...") gives the passage.
    """
    paras = [q for q in re.split(r"\n\s*\n", user.strip()) if q.strip()]
    while len(paras) > 1 and (
        IMPERATIVE.match(paras[-1]) or re.fullmatch(r"[\w ]{1,30}:\s*", paras[-1])
    ):  # "Begin! ...", a cue left open for the answer ("Thought:")
        paras.pop()
    lines = [line for line in "\n\n".join(paras).splitlines() if line.strip()]
    if not lines:
        return user
    if IMPERATIVE.match(re.sub(r"^(?:current |your )?task:\s*", "", lines[0], flags=re.I)):
        if len(lines) > 1:
            rest = "\n".join(lines[1:])
            label = re.match(r"[A-Z][\w ]{0,25}:[ \t]+(?=\S)", rest)  # "Notes: The team met..."
            return rest[label.end() :] if label and len(label.group().split()) <= 3 else rest
        return lines[0].split(":", 1)[-1] if ":" in lines[0] else lines[0]
    return "\n".join(lines)


def trailing(body: str) -> str:
    """A section's body without the instruction paragraphs after it ("Turn the result into
    3 bullets"): the last section of a prompt runs to its end."""
    paras = re.split(r"\n\s*\n", body)
    while len(paras) > 1 and (IMPERATIVE.match(paras[-1]) or GENERAL.search(paras[-1])):
        paras.pop()
    return "\n\n".join(paras).strip()


def state_fields(text: str) -> tuple[dict[str, str], str]:
    """A graph's state pasted as a dict literal (``{'topic': ..., 'draft': ...}``): its text
    fields, and the literal as written; empty when there is none."""
    for m in re.finditer(r"(?m)^[ \t]*(\{.*\})[ \t]*$", text):
        try:
            data = ast.literal_eval(m.group(1))
        except (ValueError, SyntaxError):
            continue
        if not isinstance(data, dict):
            continue
        texts = {str(k).lower(): v for k, v in data.items() if isinstance(v, str)}
        if any(len(v.split()) >= 8 for v in texts.values()):
            return texts, m.group(1)  # not a JSON example to fill: it holds text to work on
    return {}, ""


def handed_over(user: str, said: list[str], sections: dict[str, str]) -> str:
    """The earlier output this turn hands over to work on, or ""."""
    m = HANDED.search(user)
    if m:
        paras = re.split(r"\n\s*\n", user[m.end() :].strip())
        keep = []
        for para in paras:
            if keep and (IMPERATIVE.match(para) or GENERAL.search(para)):
                break
            keep.append(para)
        sections = {"previous result": "\n\n".join(keep).strip()}
    found = sections.get("previous result") or (said[-1] if said and ABOVE.search(user) else "")
    label = re.match(r"[A-Z][\w ]{0,25}:[ \t]+(?=\S)", found)  # "Research notes: ..."
    return found[label.end() :] if label and len(label.group().split()) <= 3 else found


def is_retry(turn: str) -> bool:
    """A user turn that only asks for the task again after a refusal: it says "again" and
    brings no material of its own (no tagged documents, no second paragraph of text)."""
    paras = [x for x in re.split(r"\n\s*\n", turn.strip()) if x.strip()]
    return bool(AGAIN.search(turn)) and len(paras) <= 2 and "<passage" not in turn


def retried(
    user: str, earlier: list[str], said: list[str]
) -> tuple[str, list[str], list[str], dict[str, str]]:
    """The turn to answer when this one retries a refused answer: (user, earlier, said,
    sections), the sections naming the reason (``feedback``) and the refused draft (``previous
    draft``). A retry turn gives way to the last request before it that was no retry; a retry
    block inside the task is cut out of it. Anything else comes back as it was."""
    block = FAILED.search(user)
    if block:
        rest = (user[: block.start()] + user[block.end() :]).strip()
        notes = {"feedback": block["why"].strip(), "previous draft": block["draft"].strip()}
        return rest, earlier, said, notes
    if not (said and earlier and is_retry(user)):
        return user, earlier, said, {}
    first = len(earlier) - 1
    while first > 0 and is_retry(earlier[first]):
        first -= 1
    notes = {"feedback": user.strip(), "previous draft": said[-1]}
    return earlier[first], earlier[:first], said[:-1], notes


def read(req: Request) -> Prompt:
    """Cut the request into turns, sections, instructions, material and tool calls."""
    system = req.system_text
    messages = list(req.messages)
    prefill = ""
    if messages and messages[-1].role == "assistant":
        prefill = flatten(messages[-1].content).rstrip()
        messages = messages[:-1]
    # The current user turn: user messages after the last assistant message.
    tail = len(messages)
    while tail > 0 and messages[tail - 1].role == "user":
        tail -= 1
    current = messages[tail:]
    earlier = [flatten(m.content) for m in messages[:tail] if m.role == "user"]
    said = [flatten(m.content) for m in messages[:tail] if m.role == "assistant"]
    user = "\n\n".join(t for t in (flatten(m.content) for m in current) if t.strip())
    user, earlier, said, retry = retried(user, earlier, said)
    numbered = listed(f"{system}\n\n{user}")  # before the template is cut: it may hold some
    template = []
    for text in (system, user):  # a template is format, not material: read it, then cut it out
        found, spans = slots(text)
        template += found
        for span in spans:
            system, user = system.replace(span, ""), user.replace(span, "")
    results = [flatten(b.content) for m in current for b in blocks(m.content, "tool_result")]
    # What the user asked for, and the tool calls made since (an agent loop).
    texts = [(i, flatten(m.content)) for i, m in enumerate(messages) if m.role == "user"]
    asked = [i for i, t in texts if t.strip()]
    start = asked[-1] if asked else 0
    request = user if retry else flatten(messages[start].content) if messages else ""
    if not user.strip():
        user = request
        if start < tail:  # the request came before the tool loop: it is not history
            earlier = [flatten(m.content) for m in messages[:start] if m.role == "user"]
    calls, by_id = [], {}
    for m in messages[start:]:
        for b in blocks(m.content, "tool_use"):
            by_id[b.id] = call = ToolCall(b.name, dict(b.input))
            calls.append(call)
        for b in blocks(m.content, "tool_result"):
            if b.tool_use_id in by_id:
                by_id[b.tool_use_id].result = flatten(b.content)
    full = f"{system}\n\n{user}".strip()
    sections: dict[str, str] = dict(retry)
    docs = documents.find(full)
    instructions = documents.unmark(full, docs, keep=False) if docs else full
    tagged = re.finditer(
        r"(?s)<(\w+ \w+)>((?:(?!<\1>).)*?)</\1>|<(\w+)[^>]*>(.*?)</\3>", full
    )  # <user input>
    for m in tagged:
        name, inner = (m.group(1) or m.group(3)).lower(), m.group(2) or m.group(4)
        sections.setdefault(name, inner.strip())
        if len(inner.split()) > 12 and not IMPERATIVE.match(
            inner.strip()
        ):  # material; a short body may be a format template, an imperative one is the task
            instructions = instructions.replace(inner, " ")
    quoted = re.search(r'(?s)("""|```)(.*?)\1', full) or re.search(  # a quote ending the turn
        r"""(?s)(?<=[:?.!] )(["'“‘])((?:(?!\1).){20,}?)(?:["'”’])[ \t]*\.?\s*$""", full
    )  # "What is the sentiment of this review? 'The blender broke.'": the review is material
    shown = (
        quoted
        and re.search(  # a block after "the output schema:" shows the form
            r"(?i)\b(?:schema|format|template)\b[^\n]{0,40}:?\s*$", full[: quoted.start()][-80:]
        )
    )
    if quoted and quoted.group(2).strip() and not shown:
        sections["quoted"] = quoted.group(2).strip()
        instructions = instructions.replace(quoted.group(2), " ")
    attempts = ATTEMPTS.search(full)
    if attempts:  # "Previous attempts:" drafts and "Feedback:" items: the latest of each counts
        items = re.findall(
            r"(?m)^[ \t]*[-•*][ \t]+(.+(?:\n(?![ \t]*[-•*][ \t]|\s*<).+)*)", attempts.group(1)
        )
        notes = [i.split(":", 1)[1].strip() for i in items if re.match(r"(?i)feedback\s*:", i)]
        drafts = [i.strip() for i in items if not re.match(r"(?i)feedback\s*:", i)]
        sections.update({"previous draft": drafts[-1]} if drafts else {})
        sections.update({"feedback": notes[-1]} if notes else {})
        instructions = instructions.replace(attempts.group(1), " ")
    heads = list(HEADER.finditer(full))
    for h, nxt in zip(heads, heads[1:] + [None], strict=False):
        name, body = h.group(1).lower(), full[h.end() : nxt.start() if nxt else len(full)].strip()
        name = "text" if re.fullmatch(JUDGED, name, re.I) else name
        body = re.split(r"\n\s*<\w[\w ]*>", body)[0].strip()  # a tag line starts other material
        body = body[: m.start()].strip() if (m := GENERAL.search(body)) else body
        body = trailing(body) if name in PAYLOAD else body
        body = body if re.search(r"\w", body) else ""  # 'SUMMARY:"""' opens the answer
        parts = re.split(r"\n[ \t]*[*=-]{3,}[ \t]*(?=\n|$)", "\n" + body)  # a rule ends it
        body = next((x.strip() for x in parts if x.strip()), "")
        if "question" in name or "query" in name:  # a question ends at its question mark
            body = re.split(r"(?<=\?)[ \t]*\n", body, maxsplit=1)[0]
        sections.setdefault(name, body)
        if name in PAYLOAD and body:
            instructions = instructions.replace(body, " ")
    for h in MARKDOWN_SECTION.finditer(full):  # "## Reference Answer" over its text
        name, body = h.group(1).strip().lower(), h.group(2).strip()
        if name in HEADERS and body:
            sections.setdefault(name, body)
            instructions = instructions.replace(body, " ") if name in PAYLOAD else instructions
    delimited = DELIMITED.search(full)
    if delimited:  # LlamaIndex's "----" rules around the context
        sections.setdefault("context", delimited.group(1).strip())
        instructions = instructions.replace(delimited.group(1), " ")
    state, literal = state_fields(user)
    for name, value in state.items():
        sections.setdefault(name, value)
    instructions = instructions.replace(literal, " ") if literal else instructions
    handed = handed_over(user, said, sections)
    if handed:
        sections["previous result"] = handed
        instructions = instructions.replace(handed, " ")
    if docs:  # documents are material: their text, never their tags
        sections = {k: documents.unmark(v, docs) if "<" in v else v for k, v in sections.items()}
    return Prompt(
        system,
        user,
        request,
        earlier,
        said,
        sections,
        instructions,
        material_of(documents.unmark(user, docs) if docs else user),
        calls,
        results,
        prefill,
        req.tool_dicts() or [],
        template,
        docs,
        handed or next((v for k, v in state.items() if k in PAYLOAD), ""),
        numbered,
    )
