"""The simulator's brain: answers computed from the prompt by small real algorithms (chapter 00).

Nothing here looks an answer up. A classifier scores labels by word overlap, a summary picks
the most central sentences, an extractor runs regexes, a grader checks each rubric line, and
a ``quality`` dial (0..1, from the model's profile) turns some answers into plausible mistakes.
Every random choice comes from the ``rng`` passed in: same inputs + same rng state, same answer.

    >>> ans = answer(None, [{"role": "user", "content": "Classify into one of: billing, "
    ...              "technical. Ticket: I was charged twice"}], None, None, 1.0, random.Random(0))
    >>> ans.task, ans.text
    ('classify', 'billing')

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
import re
from collections import Counter
from dataclasses import dataclass, field

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


# ---------------------------------------------------------------- shared helpers: words

STOPWORDS = frozenset("""a about above after again all also am an and any are as at be because
been before being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers him his how i if in into is it its itself just
me more most my no nor not now of off on once only or other our out over own same she should so
some such than that the their them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your yours
please i'm it's don't can't get got let make like one tell know want need explain give show
help describe thanks hi hello""".split())


def words(text: str) -> list[str]:
    """Lower-case words and numbers: ``words("It's 2 AM!")`` -> ``["it's", "2", "am"]``."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def stem(word: str) -> str:
    """Crude suffix stripping so word forms meet: ``stem("charges") == stem("charged")``."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[:-len(suffix)]
            if word[-1] == word[-2] and word[-1] not in "lsz":  # shipping -> shipp -> ship
                word = word[:-1]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def stems(text: str) -> list[str]:
    """Stems of the content words: ``stems("The invoices were wrong")`` -> ``["invoic", "wrong"]``."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def hits(query: list[str] | set[str], bag: set[str]) -> int:
    """How many query stems are in ``bag``; a long stem also meets its extensions (refund~refundable)."""
    return sum(1 for q in set(query)
               if q in bag or (len(q) >= 5 and any(b.startswith(q) or q.startswith(b)
                                                   for b in bag if len(b) >= 5)))


def sentences(text: str) -> list[str]:
    """Sentences and bullet lines of a text: ``sentences("A b. C d!")`` -> ``["A b.", "C d!"]``."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip(" -*•\t") for p in parts if len(p.strip(" -*•\t")) > 1]


def split_list(text: str) -> list[str]:
    """Items of an inline list: ``split_list("a, b and c.")`` -> ``["a", "b", "c"]``."""
    items = re.split(r",|;|\|| or | and |/", text.strip().rstrip("."))
    return [i.strip(" '\"`*.") for i in items if i.strip(" '\"`*.")]


def bullets(text: str) -> list[str]:
    """The items of bulleted or numbered lines: ``"- a\\n2. b"`` -> ``["a", "b"]``."""
    return re.findall(r"(?m)^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$", text)


def key_terms(text: str, k: int = 3) -> list[str]:
    """The most frequent content words, first-seen first on ties: the prompt's main nouns."""
    counts = Counter(w for w in words(text) if w not in STOPWORDS and len(w) > 2 and not w.isdigit())
    return [w for w, _ in counts.most_common(k)]


def word_limit(text: str) -> tuple[int | None, int | None]:
    """(at most, at least) a word count from phrases like "under 80 words", "at least 20 words"."""
    most = re.search(r"(?:at most|under|no more than|fewer than|less than|max(?:imum)?(?: of)?|"
                     r"up to|within|in)\s+(\d+)\s+words", text, re.I)
    least = re.search(r"(?:at least|more than|minimum(?: of)?|no fewer than)\s+(\d+)\s+words", text, re.I)
    return (int(most.group(1)) if most else None, int(least.group(1)) if least else None)


def wants_json(instructions: str, full: str = "") -> bool:
    """The prompt asks for JSON ("Respond in JSON", "as JSON", "a JSON object").

    Anywhere in the instructions; in the material only as an explicit request, since a ticket
    may well talk about JSON.
    """
    return bool(re.search(r"\bjson\b", instructions, re.I) or re.search(
        r"\b(?:respond|reply|answer|return|output|format)\w*\s+(?:\w+\s+){0,3}(?:in|as)\s+(?:a\s+)?json"
        r"|\bjson (?:object|only|format)\b", full, re.I))


# ---------------------------------------------------------------- reading the prompt

# Headers that start a section; the ones in PAYLOAD hold material, not instructions.
HEADERS = ("text", "ticket", "input", "message", "review", "article", "document",
           "documents", "passage", "context", "question", "draft", "previous draft", "feedback",
           "requirements", "rubric", "criteria", "categories", "labels", "classes", "fields",
           "task", "goal", "response", "answer", "summary", "description", "output")
PAYLOAD = ("text", "ticket", "input", "message", "review", "article", "document",
           "documents", "passage", "context", "draft", "previous draft", "response", "answer",
           "summary", "description", "output")
HEADER = re.compile(r"(?im)(?:^|(?<=[.!?] ))[ \t#*]*(" + "|".join(sorted(HEADERS, key=len, reverse=True))
                    + r")[ \t*]*:[ \t]*")


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
        lines = [l for l in self.user.splitlines() if l.strip()]
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
    return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")


def read_prompt(system, messages: list[dict]) -> Prompt:
    """Cut the request into sections, instructions and history."""
    system = flatten(system)
    users = [m for m in messages if m.get("role") == "user"]
    last = users[-1]["content"] if users else ""
    results = [flatten(b.get("content")) for b in (last if isinstance(last, list) else [])
               if isinstance(b, dict) and b.get("type") == "tool_result"]
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
    for h, nxt in zip(heads, heads[1:] + [None]):
        name, body = h.group(1).lower(), full[h.end():nxt.start() if nxt else len(full)].strip()
        sections.setdefault(name, body)
        if name in PAYLOAD and body:
            instructions = instructions.replace(body, " ")
    return Prompt(system, user, [flatten(m["content"]) for m in users[:-1]], sections,
                  instructions, results)


# ---------------------------------------------------------------- task detection

TASKS = [
    ("score", r"\brubric\b|\b(?:score|grade|evaluate|rate|assess)\b (?:the|this|that|it|each|"
              r"following|how)\b|\bcriteria\s*:"),
    ("classify", r"\bclassif(?:y|ication)\b|\bcategori[sz]e\b|\b(?:categories|labels|classes)\s*:"
                 r"|\binto one of\b"),
    ("extract", r"\bextract\b|\bfields\s*:"),
    ("summarize", r"\bsummar(?:y|i[sz]e)\b|\btl;?dr\b"),
    ("plan", r"\bplan\b|\bbreak\b.{0,30}\bsteps\b|\bsteps (?:to|for|needed)\b|\bstep[- ]by[- ]step\b"),
    ("grounded", r"\b(?:context|documents?|passage)\s*:|<context>|<document"),
    ("reply", r"\b(?:write|draft|compose)\s+(?:an?\s+)?(?:\w+\s+){0,2}(?:reply|response|answer|email)\b"
              r"|\b(?:reply|respond)\s+to\b"),
    ("write", r"\b(?:write|draft|compose|rewrite|revise)\b"
              r"(?!\s+(?:\w+\s+){0,2}(?:summary|plan|reply|response|answer|email)\b)"),
]


def detect_task(instructions: str) -> str:
    """The task whose cue comes first: ``detect_task("Summarize this: ...") == "summarize"``."""
    found = [(m.start(), task) for task, pattern in TASKS
             if (m := re.search(pattern, instructions, re.I))]
    return min(found)[1] if found else "generic"


# ---------------------------------------------------------------- classify

# Words that describe common label names, so a bare list ("billing, technical") or an enum
# ("high", "negative") can be matched at all. Descriptions in the prompt add to these.
LEXICON = {
    "billing": "invoice charge refund payment price card subscription bill",
    "technical": "error bug crash broken slow login fail",
    "account": "password profile username email sign",
    "shipping": "delivery package parcel tracking arrive courier",
    "high": "urgent asap immediately critical outage down blocked emergency now broken",
    "urgent": "asap immediately critical outage down blocked emergency now",
    "low": "whenever minor curious someday question suggestion idea",
    "positive": "love great thanks excellent happy good amazing wonderful best",
    "negative": "bad terrible angry broken hate disappointed worst awful poor refund",
    "spam": "winner prize free click offer lottery crypto",
}
FALLBACK_LABELS = ("other", "unknown", "general", "none", "misc", "neutral", "medium")


def label_item(item: str) -> tuple[str, str]:
    """A label line as (name, description): ``"billing: refunds"`` -> ``("billing", "refunds")``."""
    parts = re.split(r"\s*[:=–—]\s*|\s+-\s+", item, maxsplit=1)
    return parts[0].strip(" '\"`*"), parts[1] if len(parts) > 1 else ""


def parse_labels(p: Prompt) -> dict[str, str]:
    """Label -> its description, from a "Labels:" block or an "into one of:" list."""
    for name in ("labels", "categories", "classes"):
        body = p.sections.get(name, "")
        items = bullets(body) or split_list(body.splitlines()[0] if body else "")
        if items:
            return dict(label_item(i) for i in items)
    m = re.search(r"(?:one of|among|either|following)[\w ]{0,25}:[ \t]*([^\n]*)", p.instructions, re.I)
    if not m:
        return {}
    if m.group(1).strip():
        return {label: "" for label in split_list(m.group(1).split(". ")[0])}
    block = re.match(r"(?:[ \t]*\n)*((?:[ \t]*(?:[-*•]|\d+[.)])[ \t]+.+(?:\n|$))+)", p.instructions[m.end():])
    return dict(label_item(i) for i in bullets(block.group(1))) if block else {}


def classify(p: Prompt, labels: dict[str, str], quality: float, rng: random.Random) -> tuple[str, float]:
    """The label whose name and description best overlap the text, and a confidence.

    With probability 1 - quality the runner-up wins instead: a plausible mistake.
    """
    key = ("classify", tuple(labels))
    if key in p.memo:
        return p.memo[key]
    text = stems(p.payload("ticket", "text", "input", "message", "review"))
    bag = set(text)
    scores = []
    for label, desc in labels.items():
        label_stems = set(stems(f"{label} {desc} {LEXICON.get(label.lower(), '')}".replace("_", " ")))
        scores.append((hits(label_stems, bag) / (1 + 0.1 * len(label_stems)), label))
    ranked = sorted(scores, key=lambda s: -s[0])  # stable: ties keep the prompt's order
    if ranked[0][0] == 0:  # nothing matches: a catch-all label if there is one
        fallback = next((l for l in labels if l.lower() in FALLBACK_LABELS), ranked[0][1])
        ranked = [(0.0, fallback)] + [r for r in ranked if r[1] != fallback]
    best, second = ranked[0], ranked[min(1, len(ranked) - 1)]
    confidence = 0.5 + 0.5 * (best[0] - second[0]) / best[0] if best[0] else 0.4
    if rng.random() > quality:
        best, confidence = second, confidence * rng.uniform(0.5, 0.8)
    p.memo[key] = (best[1], round(min(max(confidence, 0.05), 0.99), 2))
    return p.memo[key]


# ---------------------------------------------------------------- summarize

def summarize(p: Prompt, quality: float, rng: random.Random) -> str:
    """The top sentences by word frequency, in their original order, within the asked size."""
    if "summary" in p.memo:
        return p.memo["summary"]
    text = p.payload("text", "article", "document", "input", "message", "passage")
    sents = sentences(text)
    freq = Counter(stems(text))
    top = max(freq.values(), default=1)
    def centrality(s: str) -> float:
        content = stems(s)
        return sum(freq[w] / top for w in content) / (len(content) + 1) ** 0.5
    ranked = sorted(range(len(sents)), key=lambda i: -centrality(sents[i]))
    n = re.search(r"\b(\d+|one|two|three|four|five|a single)\s+sentences?\b", p.instructions, re.I)
    k = 1 if re.search(r"tl;?dr|one-line|a sentence", p.instructions, re.I) else 2
    if n:
        k = {"one": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5}.get(n.group(1).lower()) \
            or int(n.group(1))
    chosen = ranked[:k]
    if chosen and len(ranked) > k and rng.random() > quality:
        chosen[0] = ranked[rng.randrange(k, len(ranked))]  # a less central sentence slips in
    most, _ = word_limit(p.instructions)
    picked, used = [], 0
    for i in chosen:
        n_words = len(sents[i].split())
        if most is None or used + n_words <= most or not picked:
            picked.append(i)
            used += n_words
    out = " ".join(sents[i] for i in sorted(picked))
    if most is not None and len(out.split()) > most:
        out = " ".join(out.split()[:most]).rstrip(",;:") + "."
    p.memo["summary"] = out
    return out


# ---------------------------------------------------------------- extract

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|" \
        r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
NAME = r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
# Each kind: patterns tried in order; group 1, when a pattern has one, is the value.
PATTERNS = {
    "email": [r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"],
    "phone": [r"(?<![\w-])\+?\(?\d[\d ().-]{6,}\d(?![\w-])"],
    "date": [rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
             rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\s+\d{{4}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{4}}\b"],
    "money": [r"[$€£]\s?\d[\d,]*(?:\.\d+)?|\b(?:USD|EUR|GBP)\s?\d[\d,]*(?:\.\d+)?|"
              r"\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|dollars|euros)\b"],
    "percent": [r"\b\d+(?:\.\d+)?\s?%"],
    "number": [r"\b\d+(?:[.,]\d+)*\b"],
    "company": [r"\b[A-Z][\w&]*(?:\s+[A-Z][\w&]*)*\s+(?:Inc|Ltd|LLC|Corp|GmbH|Co|Group|Labs|Systems)\b\.?",
                r"\b(?:at|of|for|from|with)\s+([A-Z][\w&]+(?:\s+[A-Z][\w&]+)*)"],
    "person": [rf"(?i:my name is|\bi am|\bi'm|this is|regards,|thanks,|cheers,|best,|sincerely,)\s+({NAME})",
               rf"\b({NAME}) here\b", r"\b[A-Z][a-z]+\s+[A-Z][a-z]+\b"],
    "place": [r"\b(?:in|to|from|near)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)"],
    "product": [r"\b(?:ordered|bought|purchased|using|the|my|our)\s+([A-Z][\w-]*(?:\s+[A-Z0-9][\w-]*)*)"],
}
KINDS = [("email", "email"), ("phone", "phone tel mobile cell"), ("date", "date deadline due day birthday when"),
         ("money", "amount price cost total fee budget salary payment refund charge"),
         ("percent", "percent rate discount pct"),
         ("company", "company organization organisation org employer vendor brand business firm"),
         ("person", "name person customer contact sender author manager who"),
         ("product", "product item device model"), ("place", "city location place country where"),
         ("number", "count quantity qty number age year size seats")]
NOT_NAMES = {"dear", "hi", "hello", "thanks", "regards", "best", "the", "team", "support"}


def field_kind(name: str) -> str | None:
    """Which extractor a field name calls for: ``field_kind("customer_email") == "email"``."""
    parts = {stem(w) for w in re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())}
    return next((kind for kind, cues in KINDS if parts & {stem(c) for c in cues.split()}), None)


def to_iso(date: str) -> str:
    """A written date as ISO: ``to_iso("March 3, 2025") == "2025-03-03"``; ISO stays as is."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return date
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", date):
        return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"  # US order
    month = next(i + 1 for i, mo in enumerate(MONTHS) if mo in date.lower())
    day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", date).group(1)
    year = re.search(r"\d{4}", date).group()
    return f"{year}-{month:02d}-{int(day):02d}"


def candidates(kind: str, text: str) -> list[str]:
    """Every match of one kind, best patterns first: ``candidates("email", "a@b.io or c@d.io")``.

    Greetings and months are not names, and a company is not a person.
    """
    found = [(m.group(1) if m.re.groups else m.group()).strip()
             for pattern in PATTERNS[kind] for m in re.finditer(pattern, text)]
    if kind == "phone":
        found = [f for f in found if 7 <= sum(c.isdigit() for c in f) <= 15
                 and not re.search(PATTERNS["date"][0], f)]
    if kind == "date":
        found = [to_iso(f) for f in found]
    if kind in ("person", "company", "product", "place"):
        taken = set(re.findall(PATTERNS["company"][0], text)) if kind == "person" else set()
        found = [f for f in found if f.split()[0].lower() not in NOT_NAMES
                 and not re.match(MONTH, f) and not any(f in t for t in taken)]
    return list(dict.fromkeys(found))


def key_values(text: str) -> dict[str, str]:
    """"Key: value" lines of a text: ``{"Order id": "A-17"}``."""
    return {k.strip(): v.strip() for k, v in re.findall(r"(?m)^[ \t\-*]*([A-Za-z][\w /-]{0,30}?)\s*[:=]\s*(\S.*?)\s*$", text)}


def extract_field(name: str, text: str, quality: float, rng: random.Random) -> str | None:
    """One field's value: a "Key: value" line whose key resembles the name, else a regex match.

    With probability 1 - quality the field is dropped (None) or takes a neighbouring match.
    """
    kind = field_kind(name)
    name_stems = set(stems(name.replace("_", " ")))
    found: list[str] = []
    for key, value in key_values(text).items():
        key_stems = set(stems(key))
        if name_stems and key_stems and len(name_stems & key_stems) / len(name_stems | key_stems) >= 0.5:
            inner = candidates(kind, value) if kind else []
            found.append(inner[0] if inner else value)
    if kind:
        found += [c for c in candidates(kind, text) if c not in found]
    if rng.random() > quality:
        return found[1] if len(found) > 1 and rng.random() < 0.5 else None
    return found[0] if found else None


VAGUE = {"fields", "following fields", "data", "information", "details", "info", "following"}


def parse_fields(p: Prompt) -> list[str]:
    """Field names from "Fields:" lines or "extract the following fields: a, b, c"."""
    body = p.sections.get("fields", "")
    names = [label_item(b)[0] for b in bullets(body)] or split_list(body.splitlines()[0] if body else "")
    for pattern in (r"\bextract\s+(?:the\s+)?([^:\n]+?)\s+(?:from|in|out of)\b",  # "extract X from"
                    r"\bextract\b[^:\n]*:[ \t]*([^\n]+)"):                      # "extract ...: X"
        if names:
            break
        m = re.search(pattern, p.instructions, re.I)
        names = [n for n in split_list(m.group(1).split(". ")[0]) if n.lower() not in VAGUE] if m else []
    return [n.strip().replace(" ", "_") for n in names] or ["name", "email", "date"]


# ---------------------------------------------------------------- score (rubric)

TONES = {
    "friendly": "you your you'll love enjoy happy great welcome thanks easy perfect delight !",
    "positive": "love great excellent happy good amazing wonderful best enjoy",
    "enthusiastic": "love amazing incredible ! exciting best",
    "formal": "", "professional": "",
}


def parse_criteria(p: Prompt) -> list[str]:
    """Rubric lines from a "Rubric:" / "Criteria:" block, else any bullet in the instructions."""
    body = p.sections.get("rubric") or p.sections.get("criteria") or ""
    return bullets(body) or split_list(body) or bullets(p.instructions) or ["Clear and relevant"]


def score_one(criterion: str, text: str) -> tuple[float, str]:
    """One criterion's score in 0..1 and the feedback if it is not met."""
    n_words = len(text.split())
    most, least = word_limit(criterion)
    if most is not None:  # any overshoot scores below the 0.7 feedback line
        return (1.0 if n_words <= most else max(0.0, 0.6 - (n_words - most) / most),
                f"Use at most {most} words (the text has {n_words})")
    if least is not None:
        return min(1.0, n_words / least), f"Use at least {least} words (the text has {n_words})"
    bag = set(stems(text))
    m = re.search(r"\b(?:mentions?|includes?|contains?|states?|names?|covers?|references?|lists?)\s+(.+)",
                  criterion, re.I)
    if m:  # "Mentions the price": the word, or a value of its kind ("$49" is a price)
        need = [w for w in words(m.group(1)) if w not in STOPWORDS]
        met = sum(1 for w in need if hits([stem(w)], bag) or
                  (field_kind(w) not in (None, "person", "number") and candidates(field_kind(w), text)))
        return met / max(len(need), 1), f"Mention {m.group(1).strip().rstrip('.')}"
    m = re.search(r"\b(?:no|avoid|does not mention|never)\s+(.+)", criterion, re.I)
    if m:
        return (0.0 if hits(stems(m.group(1)), bag) else 1.0), f"Remove {m.group(1).strip().rstrip('.')}"
    tone = next((t for t in TONES if t in criterion.lower()), None)
    if tone in ("formal", "professional"):
        casual = len(re.findall(r"\w'\w|!|\b(?:hey|gonna|awesome|cool)\b", text, re.I))
        return max(0.0, 1 - 0.25 * casual), f"Use a {tone} tone"
    if tone:
        lexicon = set(TONES[tone].split())
        found = sum(1 for w in words(text) if w in lexicon) + text.count("!") * ("!" in lexicon)
        return min(1.0, found / 3), f"Use a {tone} tone"
    if re.search(r"\b(?:concise|brief|short)\b", criterion, re.I):
        return min(1.0, 60 / max(n_words, 1)), "Make it shorter"
    need = stems(criterion)
    return hits(need, bag) / max(len(set(need)), 1), f"Address: {criterion.rstrip('.')}"


def score(p: Prompt, quality: float, rng: random.Random) -> dict:
    """Grade the text against each rubric line: {"scores", "total", "feedback"}.

    A weak grader is noisy (noise grows with 1 - quality) and sometimes misses an unmet line.
    """
    if "score" in p.memo:
        return p.memo["score"]
    text = p.payload("text", "draft", "response", "answer", "output", "summary", "description")
    scale = 5 if re.search(r"\b(?:1|0)\s*(?:-|to)\s*5\b|out of 5", p.instructions) else 1
    scores, feedback = {}, []
    for criterion in parse_criteria(p):
        value, advice = score_one(criterion, text)
        if value < 0.7 and rng.random() < (1 - quality) * 0.5:
            value = rng.uniform(0.7, 1.0)  # the weak grader did not notice
        value = min(1.0, max(0.0, value + rng.gauss(0, 0.3 * (1 - quality))))
        if value < 0.7:
            feedback.append(advice)
        scores[criterion.strip().rstrip(".")] = round(value * scale) if scale == 5 else round(value, 2)
    total = sum(scores.values()) / (scale * len(scores))
    p.memo["score"] = {"scores": scores, "total": round(total, 2), "feedback": feedback}
    return p.memo["score"]


# ---------------------------------------------------------------- write

OPENINGS = ["Meet {s}.", "Introducing {s}.", "Say hello to {s}."]
POINT_LINES = ["It comes with {p}.", "You also get {p}.", "It offers {p}.", "Expect {p}."]
FILLERS = ["It has been designed with care, tested thoroughly and refined over many rounds so that "
           "it fits into your daily routine without any fuss at all.",
           "Every detail was considered, from the first sketch to the final finish, because small "
           "things add up when you use something every single day.",
           "Whether at home, at work or on the move, it is ready whenever you are and keeps going "
           "long after you expected it to stop."]


def point_of(advice: str) -> str:
    """What a feedback line asks for: ``point_of("Mention the price") == "the price"``."""
    return re.sub(r"^(?:please\s+)?(?:mention|include|add|cover|state|name|address:?)\s+", "",
                  advice.strip().rstrip("."), flags=re.I)


def write(p: Prompt, quality: float, rng: random.Random) -> str:
    """A draft built from the brief: each required point is a sentence, if the dice allow.

    A first draft includes each point with probability 0.7 * quality; a point the feedback asks
    for gets in with probability quality + (1 - quality) / 2; points already in the previous
    draft stay. The word limit is respected when a quality roll succeeds.
    """
    brief = p.instructions
    m = re.search(r"\b(?:write|draft|compose|rewrite|revise)\s+(?:(?:a|an|the|short|new)\s+)*"
                  r"(.{0,40}?)\s+(?:for|about|of|on)\s+([^.\n]+)", brief, re.I)
    subject = m.group(2) if m else " ".join(key_terms(p.user, 2)) or "this"
    subject = re.split(r",|\s+(?:in|under|within|using|that|which|and)\s", subject)[0].strip()
    points = split_list(m2.group(1)) if (m2 := re.search(
        r"\b(?:must|should|to)\s+(?:mention|include|cover|contain)\s*:?\s*([^\n]+?)(?:\.\s|\.?$|\n)",
        brief, re.I | re.M)) else []
    points += bullets(p.sections.get("requirements", ""))
    previous = p.sections.get("previous draft", "")
    advice = bullets(p.sections.get("feedback", "")) or split_list(p.sections.get("feedback", ""))
    asked = [point_of(a) for a in advice if not re.search(r"\bwords?\b|\btone\b|shorter", a, re.I)]
    points += [a for a in asked if not any(hits(stems(a), set(stems(q))) for q in points)]
    prev_bag = set(stems(previous))
    include = []
    for point in points:
        need = stems(point)
        if previous and need and hits(need, prev_bag) == len(set(need)):
            include.append(point)
        elif any(hits(stems(a), set(need)) for a in asked):  # the grader asked for it
            if rng.random() < quality + (1 - quality) / 2:
                include.append(point)
        elif rng.random() < 0.7 * quality:
            include.append(point)
    lines = [rng.choice(OPENINGS).format(s=subject)]
    lines += [rng.choice(POINT_LINES).format(p=re.sub(r"^(?:the|a|an)\s+", "", pt, flags=re.I))
              for pt in include]
    if re.search(r"friendly|warm", brief + " ".join(advice), re.I):
        lines.append("You'll love it!")
    most, _ = word_limit(brief + "\n" + "\n".join(advice))
    if most is None:
        return " ".join(lines + FILLERS[:rng.randrange(2)])
    if rng.random() < (quality + (1 - quality) / 2 if previous else quality):
        words_ = " ".join(lines).split()  # the limit holds: cut what does not fit
        return " ".join(lines) if len(words_) <= most else " ".join(words_[:most]).rstrip(",;:") + "."
    for filler in FILLERS:  # the limit was forgotten: the draft rambles past it
        if len(" ".join(lines).split()) > most:
            break
        lines.insert(1, filler)
    return " ".join(lines)


# ---------------------------------------------------------------- plan

def plan(p: Prompt, quality: float, rng: random.Random) -> list[str]:
    """Steps for a goal: one imperative step per sub-goal, then a review step."""
    if "plan" in p.memo:
        return p.memo["plan"]
    goal = p.sections.get("task") or p.sections.get("goal")
    if not goal:
        m = re.search(r"(?:steps?\s+(?:to|for|needed to)|plan\s+(?:how\s+)?(?:to|for)|into\s+(?:\w+\s+)?"
                      r"steps\s*:?|plan\s*:)\s*(.+)", p.instructions, re.I | re.S)
        goal = m.group(1) if m else p.payload()
    goal = re.split(r"(?<=[.!?])\s+|\n\s*\n", goal.strip())[0]  # the goal is one sentence
    goal = re.sub(r"\s+", " ", goal).strip().rstrip(".")
    goal = goal.split(":", 1)[-1]  # "launch a newsletter: pick a platform, ..." -> the sub-goals
    parts = re.split(r",\s*(?:and\s+|then\s+)?|;\s*|\s+and then\s+|\s+then\s+|\s+and\s+(?=\w+\s+\w)", goal)
    parts = [re.sub(r"^(?:(?:i|we) (?:need|want|have) to|to|first|finally|also|next)\s+", "", s.strip(),
                    flags=re.I).rstrip(".") for s in parts if s.strip()]
    steps = [s[0].upper() + s[1:] for s in parts if s]
    if len(steps) == 1:
        steps.insert(0, f"Gather what you need to {parts[0][0].lower() + parts[0][1:]}")
    steps.append("Review the result and verify that each step is done")
    if len(steps) > 2 and rng.random() > quality:
        i = rng.randrange(len(steps) - 2)
        if rng.random() < 0.5:
            steps[i], steps[i + 1] = steps[i + 1], steps[i]
        else:
            del steps[i]
    p.memo["plan"] = steps
    return steps


# ---------------------------------------------------------------- grounded

DONT_KNOW = "I don't know based on the provided context."


def grounded(p: Prompt, quality: float, rng: random.Random) -> str:
    """The context sentence(s) that best overlap the question, or "I don't know"."""
    if "grounded" in p.memo:
        return p.memo["grounded"]
    ctx = next((p.sections[k] for k in ("context", "document", "documents", "passage") if k in p.sections),
               "")
    question = p.sections.get("question") or next(
        (s for s in reversed(sentences(p.user)) if s.endswith("?")), p.user)
    ctx = ctx.split("Question:")[0] if "Question:" in ctx else ctx
    q = set(stems(question))
    sents = sentences(ctx)
    ranked = sorted(((hits(q, set(stems(s))), -i, s) for i, s in enumerate(sents)), reverse=True)
    if not ranked or ranked[0][0] < max(1.0, 0.25 * len(q)):  # too little in common
        out = DONT_KNOW
    else:
        best = ranked[1] if len(ranked) > 1 and rng.random() > quality else ranked[0]
        picked = [best]
        rest = q - set(stems(best[2]))  # a second sentence if it covers what the first missed
        extra = next((r for r in ranked if r is not best and rest and hits(rest, set(stems(r[2])))), None)
        if extra and extra[0] > 0:
            picked.append(extra)
        out = " ".join(s for _, _, s in sorted(picked, key=lambda r: -r[1]))
    p.memo["grounded"] = out
    return out


# ---------------------------------------------------------------- reply

# What a support agent says they will do, by the topic the message is about (found with the
# same classifier as ``classify``, over the LEXICON's topics).
NEXT_STEP = {
    "billing": "I have asked our billing team to review the charge; any duplicate payment is refunded within 5 business days.",
    "technical": "Our engineers are looking into the error; in the meantime, signing out and back in often clears it.",
    "shipping": "I have asked the courier for the parcel's status and will send you an update within 24 hours.",
    "account": "I have sent a secure link to your email address so you can update your account details.",
    "other": "I have passed your message to the right team, and we will get back to you within one business day.",
}
TOPIC_PHRASE = {"billing": "your payment", "technical": "the app", "shipping": "your delivery",
                "account": "your account"}
UPSET = set(stems("sorry broken charged twice wrong late missing never failed crash crashes refund "
                  "angry disappointed damaged error cannot can't lost"))


def reply(p: Prompt, quality: float, rng: random.Random) -> str:
    """A support reply: acknowledge the message, apologise if it is a complaint, say what happens next.

    A weaker model (the quality roll fails) forgets the concrete next step.
    """
    text = p.payload("ticket", "message", "text", "input", "email", "customer") or p.user
    topic, _ = classify(Prompt(p.system, text, [], {}, "", []),
                        {k: LEXICON.get(k, "") for k in NEXT_STEP}, 1.0, rng)
    terms = key_terms(text, 1)
    about = TOPIC_PHRASE.get(topic) or (f"the {terms[0]}" if terms else "your message")
    opening = (f"I'm sorry about the trouble with {about}." if UPSET & set(stems(text))
               else f"thank you for reaching out about {about}.")
    action = NEXT_STEP[topic] if rng.random() < quality else "We will look into it."
    return f"Hello, {opening} {action} Best regards, the support team"


# ---------------------------------------------------------------- generic

def generic(p: Prompt) -> str:
    """A short reply about the prompt's key terms; reads earlier turns when asked to.

    Deterministic on purpose: the same chat prompt opens the same way at any temperature.
    """
    if p.tool_results:
        return f"Here is what I found: {' '.join(p.tool_results).strip()[:400]}"
    if re.search(r"what did i (?:say|tell|ask)|repeat|earlier|what was my|what is my|what's my|remind me",
                 p.user, re.I) and p.history:
        said = " ".join(p.history)
        if (name := re.search(r"my name is ([A-Z][a-z]+)", said)) and "name" in p.user.lower():
            return f"Your name is {name.group(1)}."
        return f'Earlier you said: "{p.history[-1].strip()}"'
    terms = key_terms(p.user) or key_terms(p.system) or ["your request"]
    about = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " and " + terms[-1]
    middle = (f"In short, {terms[0]} is easiest to understand through how it relates to {terms[1]}."
              if len(terms) > 1 else f"In short, {terms[0]} is worth a closer look, one step at a time.")
    return f"Here is a short answer on {about}. {middle} Let me know if you want more detail."


# ---------------------------------------------------------------- tools

def resolve(schema: dict, root: dict) -> tuple[dict, bool]:
    """Follow ``$ref`` and unwrap ``anyOf [X, null]``: (the schema, whether null is allowed)."""
    nullable = False
    while True:
        if "$ref" in schema:
            schema = {**root.get("$defs", {}).get(schema["$ref"].split("/")[-1], {}),
                      **{k: v for k, v in schema.items() if k != "$ref"}}
        elif "anyOf" in schema or "oneOf" in schema:
            options = schema.get("anyOf") or schema.get("oneOf")
            nullable |= any(o.get("type") == "null" for o in options)
            real = [o for o in options if o.get("type") != "null"] or [{"type": "string"}]
            schema = {**real[0], **{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}}
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            kind = schema.get("type", "string")
            if isinstance(kind, list):
                nullable |= "null" in kind
                schema = {**schema, "type": next((k for k in kind if k != "null"), "string")}
            return schema, nullable


def enum_labels(values: list, p: Prompt) -> dict[str, str]:
    """An enum's values as labels, described by the prompt's label block when it has one."""
    described = parse_labels(p)
    return {str(v): described.get(str(v), "") for v in values}


def first_enum(p: Prompt) -> list | None:
    """The values of the tool schema's first enum property: what a confidence refers to."""
    root = p.memo.get("root", {})
    for sub in root.get("properties", {}).values():
        sub = resolve(sub, root)[0]
        if sub.get("enum"):
            return sub["enum"]
    return None


def fill(name: str, schema: dict, p: Prompt, quality: float, rng: random.Random, depth: int = 0):
    """A value for one property, from the task algorithm its name and type call for.

    ``depth`` bounds the walk, so a recursive schema (a tree of nodes) ends in empty leaves.
    """
    root = p.memo["root"]
    schema, nullable = resolve(schema, root)
    kind, low = schema.get("type", "string"), name.lower()
    if depth > 3 and kind in ("object", "array"):
        return {} if kind == "object" else []
    values = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
    if values:
        label = classify(p, enum_labels(values, p), quality, rng)[0]
        return next(v for v in values if str(v) == label)
    if kind == "object":
        props = schema.get("properties")
        if props:
            return {k: fill(k, v, p, quality, rng, depth + 1) for k, v in props.items()}
        return score(p, quality, rng)["scores"] if "score" in low else {}
    if kind == "array":
        item = resolve(schema.get("items", {}), root)[0]
        if re.search(r"step|plan|action|task", low):
            return plan(p, quality, rng)
        if re.search(r"feedback|issue|suggestion|missing|improvement", low):
            return score(p, quality, rng)["feedback"]
        if item.get("type", "string") != "string" or item.get("enum"):
            return [fill(name, schema.get("items", {}), p, quality, rng, depth + 1)]
        if field_kind(name):  # "emails", "dates": every match
            return candidates(field_kind(name), p.payload())
        return key_terms(p.payload(), 3)
    if kind == "boolean":
        if re.search(r"pass|approv|accept|valid", low):
            return score(p, quality, rng)["total"] >= 0.8
        return bool(hits(set(stems(name.replace("_", " "))), set(stems(p.payload()))))
    if kind in ("integer", "number"):
        return fill_number(name, schema, nullable, p, quality, rng)
    if re.search(r"summary|tl_?dr|gist", low):
        return summarize(p, quality, rng)
    if re.search(r"label|category|intent|class|topic|sentiment", low) and parse_labels(p):
        return classify(p, parse_labels(p), quality, rng)[0]
    if re.search(r"reason|rationale|explanation|justification", low):
        return f"Based on the key terms: {', '.join(key_terms(p.payload()))}."
    if re.fullmatch(r"query|search|question|q", low):
        return p.sections.get("question") or p.user.strip()
    if "expression" in low:
        m = re.search(r"[\d(][\d\s+\-*/().^]*[\d)]", p.user)
        return m.group().strip() if m else ""
    if re.search(r"text|draft|description|body|content|message|reply|answer|response|result|output", low):
        return text_answer(detect_task(p.instructions), p, quality, rng)
    value = extract_field(name, p.payload(), quality, rng)
    if value is None and not nullable:
        value = " ".join(key_terms(p.payload(), 2)) or name
    return value


def fill_number(name: str, schema: dict, nullable: bool, p: Prompt, quality: float,
                rng: random.Random) -> float | int | None:
    """A number for one property: a confidence, a grade scaled to the schema, or an extracted one."""
    low, integer = name.lower(), schema.get("type") == "integer"
    if re.search(r"confidence|probability|certainty", low):
        values = first_enum(p)
        labels = enum_labels(values, p) if values else parse_labels(p) or {"yes": "", "no": ""}
        return classify(p, labels, quality, rng)[1]
    if re.search(r"score|total|rating|grade", low):
        value = score(p, quality, rng)["total"] * schema.get("maximum", 5 if integer else 1)
    else:
        raw = extract_field(name, p.payload(), quality, rng) or ""
        digits = re.sub(r"[^\d.]", "", raw.replace(",", ""))
        if not re.fullmatch(r"\d+(?:\.\d+)?", digits):
            return None if nullable else max(0, schema.get("minimum", 0))
        value = float(digits)
    value = min(max(value, schema.get("minimum", value)), schema.get("maximum", value))  # Field(ge=, le=)
    return round(value) if integer else round(value, 2)


def tool_call(tool: dict, p: Prompt, quality: float, rng: random.Random) -> dict:
    """The input for one tool: every property filled; a weak model may leave out a required one."""
    root = tool.get("input_schema") or {}
    p.memo["root"] = root
    schema = resolve(root, root)[0]  # a recursive model's schema is a bare "$ref"
    props = schema.get("properties", {})
    data = {k: fill(k, v, p, quality, rng) for k, v in props.items()}
    required = [k for k in schema.get("required", []) if k in data]
    if required and rng.random() < (1 - quality) * 0.2:
        del data[rng.choice(required)]  # an invalid call, as real models occasionally make
    return data


def pick_tool(tools: list[dict], p: Prompt, threshold: int) -> dict | None:
    """The tool whose name and description overlap the prompt most, if by at least ``threshold``."""
    bag = set(stems(p.user + " " + p.system))
    def overlap(t: dict) -> int:
        name = set(stems(t.get("name", "").replace("_", " "))) - {"get", "set", "run", "tool"}
        return 2 * hits(name, bag) + hits(stems(t.get("description", "")), bag)
    best = max(tools, key=overlap)  # the first on ties
    return best if overlap(best) >= threshold else None


# ---------------------------------------------------------------- the dispatcher

def text_answer(task: str, p: Prompt, quality: float, rng: random.Random) -> str:
    """The plain-text answer for a task (the JSON forms are built in ``answer``)."""
    if task == "classify":
        return classify(p, parse_labels(p) or {"other": ""}, quality, rng)[0]
    if task == "plan":
        return "\n".join(f"{i}. {s}" for i, s in enumerate(plan(p, quality, rng), 1))
    if task == "extract":
        text = p.payload("text", "input", "message", "document")
        return json.dumps({f: extract_field(f, text, quality, rng) for f in parse_fields(p)})
    if task == "score":
        return json.dumps(score(p, quality, rng))
    if task == "summarize":
        return summarize(p, quality, rng)
    if task == "grounded":
        return grounded(p, quality, rng)
    if task == "write":
        return write(p, quality, rng)
    if task == "reply":
        return reply(p, quality, rng)
    return generic(p)


def answer(system: str | None, messages: list[dict], tools: list[dict] | None,
           tool_choice: dict | None, quality: float, rng: random.Random) -> Answer:
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
        return Answer(json.dumps({"label": label, "confidence": confidence}), None, None, task, True)
    if task == "plan" and wants_json(p.instructions, p.user):
        return Answer(json.dumps({"steps": plan(p, quality, rng)}), None, None, task, True)
    text = text_answer(task, p, quality, rng)
    if task in ("extract", "score"):
        return Answer(text, None, None, task, True)
    if wants_json(p.instructions, p.user) and task != "classify":
        key = {"summarize": "summary", "grounded": "answer", "write": "text",
               "reply": "reply"}.get(task, "response")
        return Answer(json.dumps({key: text}), None, None, task, True)
    return Answer(text, None, None, task, False)
