"""Stage 3 of the answer: fill the decided shape with content (chapter 00).

``fill`` picks the function for the shape's form in ``FORMS``: a tool call's arguments
(``tools``), the values of XML tags, template slots and JSON keys (``value`` and friends, one
named field at a time), list items, or the main answer as text. The main answer comes from the
task's function in ``tasks``, which is also where the ``quality`` dial acts; what is computed
is kept in the answer's ``tasks.Drawn``, so the fields agree. The shape stays what ``shape``
decided; ``render`` writes the content out next.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from orchestra.sim import tasks, tools
from orchestra.sim.agent import Next, next_call
from orchestra.sim.generate import questions
from orchestra.sim.read import IMPERATIVE, Prompt, Slot
from orchestra.sim.shape import Form, Shape, Tag, question_count, react_question
from orchestra.sim.tasks import Work
from orchestra.sim.understand import candidates, extract_field, field_kind, keywords, sentences
from orchestra.sim.words import (
    CITES,
    COUNTS,
    POSITIVE,
    bullets,
    caps_set,
    hits,
    key_terms,
    stems,
)

REASONING = r"think|thought|reason|scratch|analy|explan|rationale|justif|plan_?notes"
ANSWER = r"answer|result|final|response|output|solution|conclusion|reply|completion"
VERDICT = r"verdict|evaluation|decision|grade|assessment|judg|status|approval"
LABEL = r"label|categor|class|sentiment|intent|topic|tone|priority|urgency|type"
FEEDBACK = r"feedback|critique|suggestion|improvement|issue|comment|advice|problem"
ITEM = r"step|subtask|task|item|idea|point|action|bullet|todo|milestone|question|reason|tip"
REASONING_ONE = r"reason|rationale|explanation|justification|why"


@dataclass(frozen=True)
class Content:
    """What the reply says, in the shape's terms."""

    text: str = ""
    """The answer as text (form "text")."""
    values: dict | None = None
    """Tag, slot or key -> value (str, list or dict) for "xml", "template" and "json"; the
    tool input for "tool"."""
    items: list | None = None
    """The items of a "list": text, or a row's values (``Shape.row``)."""
    is_json: bool = False
    """The text is JSON, so a fault injector may corrupt it."""


def sentence_limit(hint: str) -> int | None:
    """Sentences a template's hint allows: ``sentence_limit("[one sentence]") == 1``."""
    m = re.search(r"(?i)\b(\d+|one|two|three|four|five)\s+sentences?\b", hint)
    return (COUNTS.get(m.group(1).lower()) or int(m.group(1))) if m else None


# ---------------------------------------------------------------- named fields


def reasoning(w: Work) -> str:
    terms = key_terms(w.p.payload(), 3) or key_terms(w.p.request, 3)
    evidence = quotes(w)[:1]
    said = f' The relevant part reads: "{evidence[0]}"' if evidence else ""
    return (
        f"The request is about {', '.join(terms) or 'the question'}.{said} "
        "I check it against what was asked before answering."
    )


def quotes(w: Work) -> list[str]:
    """Sentences of the material that share most words with the request's question."""
    material = w.p.payload()
    question = set(stems(w.p.sections.get("question") or w.p.instructions))
    sents = sentences(material)
    ranked = sorted(sents, key=lambda s: -hits(question, set(stems(s))))
    return [s for s in ranked[:2] if hits(question, set(stems(s)))] or sents[:1]


FORMAT = re.compile(
    r"(?is)\byour (?:response|answer|output|reply) should\b[^.\n]*[.\n]?|"
    r"\b(?:e\.?g\.?|for example)\s*:.*$"
)
"""What a request says of the reply's format ("Your response should be a list ..."), and the
examples after it: no material to list."""


def items(w: Work, n: int | None, name: str = "") -> list[str]:
    """List items: steps of a plan, or the material's key points, ``n`` of them if asked."""
    p = w.p
    if w.shape.task == "plan" or re.search(r"step|subtask|task|action|milestone", name, re.I):
        found = tasks.steps(w)
    elif re.search(r"(?i)reason|evidence|why", name) and (said := sentences(p.payload())):
        found = said  # what in the material the answer rests on
    elif w.shape.task == "summarize" or len(sentences(FORMAT.sub(" ", p.payload()))) >= 3:
        ranked = tasks.summary(w, quality=1.0)  # central sentences first
        found = sorted(sentences(p.payload()), key=lambda s: s not in ranked)
    else:  # the request's own words, not its format's ("eg: `foo, bar`"), its verb or count
        asked = FORMAT.sub(" ", f"{p.request}\n{p.payload()}")
        verb = re.match(r"\W*(\w+)", asked)
        verb = verb.group(1).lower() if verb and IMPERATIVE.match(verb.group(1)) else ""
        terms = [t for t in key_terms(asked, 10) if t != verb and t not in COUNTS]
        terms = terms[:8] or ["the request"]
        found = [f"Consider {t} and how it affects the result" for t in terms]
    if n:
        while len(found) < n:
            found.append(f"Check the remaining details ({len(found) + 1})")
        found = found[:n]
    return found


def value(w: Work, name: str, choices: list[str] | None = None, repeated: bool = False):
    """The content of one named field (an XML tag or a JSON key)."""
    low, shape = name.lower(), w.shape
    if w.p.docs and CITES.search(low) and not choices:
        return tasks.cited(w, name) if repeated else ", ".join(tasks.cited(w, name))
    if choices:
        if any(POSITIVE.match(c) for c in choices):
            return tasks.verdict(w, choices).word
        return tasks.label(w, {c: "" for c in choices})[0]
    if shape.task == "select":  # "choice" (the number of the choice), "reason" (why)
        said = tasks.main(w).data
        return said["reason"] if re.search(rf"{REASONING}|why", low) else said["choice"]
    if re.fullmatch(r"key_?words?|key_?terms|tags", low):
        most = re.search(
            r"(?i)\b(\d+|three|four|five|six|seven|eight|ten) (?:key)?words\b", w.p.request
        )
        k = (COUNTS.get(most.group(1).lower()) or int(most.group(1))) if most else 5
        found = keywords(w.p.payload(), k, w.quality, w.rng)
        return found if repeated else ", ".join(found)
    one_reason = not repeated and re.fullmatch(REASONING_ONE, low)  # "reason": one, in words
    if not one_reason and (
        repeated or re.fullmatch(rf"(?:{ITEM})s?", low) or re.search(rf"(?:{ITEM})s$", low)
    ):
        if re.search(r"quote|evidence|citation", low):
            return quotes(w)
        if re.search(r"question|quer", low) and shape.task not in ("plan", "review", "score"):
            n = shape.count or question_count(w.p.instructions)
            return questions(w.p, n, w.quality, w.rng)  # questions on the material
        kind = field_kind(name)
        if repeated and kind and (found := candidates(kind, w.p.payload())):
            return found  # "names": every person the material names
        if re.search(FEEDBACK, low):
            return tasks.verdict(w, list(shape.choices) or ["PASS", "FAIL"]).feedback
        return items(w, shape.count, name)
    if re.search(r"quote|evidence|citation", low):
        return "\n".join(quotes(w))
    if shape.choices and any(c.lower() in low for c in shape.choices if len(c) > 2):
        return value(w, name, list(shape.choices))  # <correctness> for 'correct'/'incorrect'
    if re.search(REASONING, low):
        return reasoning(w)
    if re.search(VERDICT, low) and shape.choices:
        if shape.task == "review":
            return tasks.verdict(w, list(shape.choices)).word
        return tasks.main(w).text
    if re.search(LABEL, low) and shape.choices:
        return tasks.label(w, shape.choices)[0]
    if re.search(FEEDBACK, low):
        if shape.verdict:
            fb = tasks.verdict(w, list(shape.choices)).feedback
        else:
            tasks.criteria(w)
            fb = tasks.graded(w)["feedback"]
        return " ".join(f"{f.rstrip('.')}." for f in fb) or "No further changes needed."
    if re.search(r"summary|tl_?dr|gist", low):
        return tasks.summary(w)
    if re.search(r"^(?:score|rating|total)$", low):
        tasks.criteria(w)
        return tasks.graded(w)["total"]
    if re.search(ANSWER, low):
        return tasks.main(w).text
    if re.search(r"title|headline|subject", low):
        return " ".join(t.capitalize() for t in key_terms(w.p.payload(), 4))
    if field_kind(name) and shape.task in ("extract", "generic"):
        found = extract_field(name, w.p.payload(), w.quality, w.rng)
        if found is not None:
            return found
    return tasks.main(w).text


def example(w: Work, template):
    """Fill a JSON example's keys, keeping its nesting and value types."""
    if isinstance(template, dict):
        return {k: typed(w, k, v) for k, v in template.items()}
    return template


def typed(w: Work, key: str, sample):
    """One key of a JSON example, with the type of the example's value."""
    if isinstance(sample, dict):
        return example(w, sample)
    if isinstance(sample, list):
        got = value(w, key, repeated=True)
        got = got if isinstance(got, list) else [got]
        if sample and isinstance(sample[0], dict):
            return [example(w, sample[0])]
        return got
    choices = (
        [c for c in re.split(r"\s*\|\s*|\s+or\s+|\s*/\s*", str(sample)) if c]
        if isinstance(sample, str)
        else []
    )
    got = value(
        w,
        key,
        choices if len(choices) >= 2 and all(len(c.split()) <= 2 for c in choices) else None,
    )
    if isinstance(sample, bool):
        return bool(got) and str(got).lower() not in ("false", "no", "fail")
    if isinstance(sample, (int, float)):
        m = re.search(r"-?\d+(?:\.\d+)?", str(got))
        if isinstance(got, (int, float)):
            return got
        return (int if isinstance(sample, int) else float)(float(m.group())) if m else sample
    return (
        got
        if isinstance(got, str)
        else json.dumps(got)
        if isinstance(got, (dict, list))
        else str(got)
    )


def slot_value(w: Work, slot: Slot):
    """One template slot: a choice, a list, an extracted field, or the material's best line."""
    choices = caps_set(slot.hint)
    listed = slot.items or slot.inline or re.search(r"(?i)\blist\b|\bbullets?\b", slot.hint)
    if w.p.docs and CITES.search(slot.name):  # "Sources: [ids of the passages used]"
        return value(w, slot.name, repeated=bool(listed))
    if choices:
        return value(w, slot.name, choices)
    if listed and w.shape.verdict:  # "## Reasons" under a verdict: why it passed or not
        feedback = tasks.verdict(w, list(w.shape.choices)).feedback
        tasks.criteria(w)
        met = [f"Meets: {c}" for c in tasks.rubric(w)]
        return (feedback or met)[: slot.items or None]
    if listed:
        got = value(w, slot.name, repeated=True)
        return (got if isinstance(got, list) else [got])[: slot.items or None]
    kind = next((n for n in (slot.name, slot.hint.strip("[]<>{}() ")) if field_kind(n)), "")
    if kind:
        found = extract_field(kind, w.p.payload(), w.quality, w.rng)
        return "Not stated" if found is None else found
    known = rf"{REASONING}|{ANSWER}|summary|tl_?dr|gist|title|headline|score|rating|keywords"
    if re.search(known, slot.name, re.I) or w.shape.verdict:
        got = value(w, slot.name)
        most = sentence_limit(slot.hint)
        return " ".join(sentences(got)[:most]) if most and isinstance(got, str) else got
    return relevant(w, f"{slot.name} {slot.hint}")


def relevant(w: Work, about: str) -> str:
    """The material's sentence that shares most words with ``about``, else its central one."""
    sents = sentences(w.p.payload())
    need = set(stems(about))
    best = max(sents, key=lambda s: hits(need, set(stems(s))), default="")
    if best and hits(need, set(stems(best))):
        return best
    return (tasks.summary(w) or best).split("\n")[0]


OPTION = re.compile(r"(?i)\b(?:option|choice|pick|one of (?:the|them))\b")
RANGE = re.compile(
    r"(?i)\b(?:number|score|integer|rating)\b\D{0,20}?(\d+)\s*(?:to|-|–|and)\s*(\d+)"
)


def options(w: Work) -> list[str]:
    """The options a prompt lists under "Options:" / "Choices:" (one bullet each)."""
    m = re.search(
        r"(?is)\b(?:options|choices|candidates)\s*:\s*\n((?:\s*(?:[-*•]|\d+[.)]).*\n?)+)",
        w.p.request,
    )
    return bullets(m.group(1)) if m else []


def described(w: Work, t: Tag):
    """A tag whose template body describes its value: a listed option, a number in a range, or
    the answer itself ("your answer here"); None when the hint names none of these."""
    listed = options(w) if OPTION.search(t.hint) else []
    if listed:
        return tasks.label(w, {o: "" for o in listed})[0]
    m = RANGE.search(t.hint)
    if m:
        low, high = sorted(int(x) for x in m.groups())
        tasks.criteria(w)
        total = float(tasks.graded(w)["total"])  # 0..1, the rubric's share met
        return str(round(low + total * (high - low)))
    if re.search(r"(?i)\byour (?:answer|response|reply)\b", t.hint):
        return tasks.main(w).text
    return None


def overview(w: Work) -> str:
    """An overview with no material to summarise: what the request is about, in one line."""
    ask = re.split(r"(?<=[.?!])\s|\n", w.p.request.strip())[0]
    return f"In brief: {ask.rstrip('.:')}, covered item by item below."


def how_many(w: Work, name: str) -> int:
    """How many times a repeated group appears: "2-3 approaches" (within), "exactly 3 tasks"."""
    n = r"(\d+|one|two|three|four|five|six)"
    m = re.search(rf"(?i)\b{n}\s*(?:-|–|to|or)\s*{n}\s+\w+", w.p.request)
    if m:
        return max(COUNTS.get(g.lower()) or int(g) for g in m.groups())
    m = re.search(rf"(?i)\b(?:exactly|into|give|list|suggest)\s+{n}\s+\w+", w.p.request)
    if m:
        return COUNTS.get(m.group(1).lower()) or int(m.group(1))
    return w.shape.count or 2


def group(w: Work, t: Tag) -> list[dict]:
    """A repeated element with children (``<item><kind/><detail/></item>``), one per item: the
    first child names the item, the others say it in full."""
    n = how_many(w, t.name)
    found = [x for x in tasks.steps(w) if "<" not in x] if not w.p.payload().strip() else []
    if len(found) < n:  # the material's points, minus the template's own lines
        found = [x for x in items(w, n + 3, t.name) if not re.search(r"<|…|\bformat\b", x)]
    found = (found + [f"Another option ({i + 1})" for i in range(n)])[:n]
    out = []
    for k, text in enumerate(found, 1):
        row = {}
        for i, c in enumerate(t.children):
            if c.children:
                row[c.name] = tag_values(w, c.children)
            elif re.search(r"(?i)\bdate\b|\bwhen\b|deadline|due", f"{c.name} {c.hint}"):
                row[c.name] = f"Week {k}"  # a date the plan can keep: one step a week
            elif re.search(r"(?i)\bwho\b|owner|person|assignee", f"{c.name} {c.hint}"):
                row[c.name] = "The project lead"
            elif i == 0:
                row[c.name] = " ".join(k.capitalize() for k in key_terms(text, 3)) or text
            else:
                row[c.name] = text
        out.append(row)
    return out


def tag_value(w: Work, t: Tag):
    if t.children:
        if t.repeated:
            return group(w, t)
        return tag_values(w, t.children)
    got = described(w, t) if t.hint and not t.choices else None
    if got is None and re.search(r"(?i)overview|intro", t.name) and not w.p.payload().strip():
        got = overview(w)
    return got if got is not None else value(w, t.name, t.choices, t.repeated)


def tag_values(w: Work, tags: list[Tag]) -> dict:
    return {t.name: tag_value(w, t) for t in tags}


# ---------------------------------------------------------------- one function per form


def planned_call(w: Work) -> Next:
    """The call ``shape`` chose, with the values the request gives for it (its operands)."""
    s = w.shape
    planned = next_call(w.p, s.offered, s.required)
    return planned if planned and planned.tool is s.tool else Next(s.tool)


def tool_input(w: Work) -> Content:
    schema = w.shape.tool.get("input_schema") or {}
    return Content(values=tools.arguments(w, planned_call(w), schema, named=value))


def action(w: Work) -> Content:
    """A ReAct tool call written out: the tool, and its input (the arithmetic, else the
    question)."""
    asked = react_question(w.p)
    planned = next_call(replace(w.p, request=asked, user=asked), w.shape.offered, False)
    said = planned.expression if planned and planned.expression else asked
    return Content(values={"action": w.shape.tool["name"], "input": said})


def json_object(w: Work) -> Content:
    if w.shape.json_list:  # a bare array of strings
        got = value(w, w.shape.json_list, repeated=True)
        got = got if isinstance(got, list) else [got]
        return Content(values=[str(x) for x in got], is_json=True)
    if w.shape.example:
        return Content(values=example(w, w.shape.example), is_json=True)
    return Content(values=tasks.main(w).data, is_json=True)


def listing(w: Work) -> Content:
    """A list's items: the task's own when it makes a list (questions, picks, every match of
    a kind), else ``items``."""
    if w.shape.task in ("questions", "select") or w.shape.every:
        return Content(items=tasks.main(w).items)
    return Content(items=items(w, w.shape.count))


def plain_text(w: Work) -> Content:
    said, shape = tasks.main(w), w.shape
    labelled = shape.task == "classify" and said.text in shape.choices and not shape.only
    if labelled and tasks.EXPLAIN.search(w.p.instructions):  # "then explain in one sentence"
        return Content(text=f"{said.text}\n{tasks.why_label(w, said.text)}")
    return Content(text=said.text, is_json=said.is_json)


FORMS: dict[Form, Callable[[Work], Content]] = {
    "tool": tool_input,
    "xml": lambda w: Content(values=tag_values(w, w.shape.tags)),
    "template": lambda w: Content(values={s.name: slot_value(w, s) for s in w.shape.slots}),
    "json": json_object,
    "list": listing,
    "text": plain_text,
    "action": action,
}
"""The content of each form: the one place a form is filled."""


def fill(p: Prompt, shape: Shape, quality: float, rng: random.Random) -> Content:
    """The content for ``shape``: tool arguments, field values, list items or text."""
    return FORMS[shape.form](Work(p, shape, quality, rng))
