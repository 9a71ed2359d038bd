"""A tool call's arguments: a JSON schema filled property by property from the prompt (chapter 00).

Part of stage 3 (``fill``). Values come from the request: the values of the call ``agent`` planned
(operands in order, a written call's arguments), quoted strings in any script, names and
places, enum values classified by meaning, contact fields extracted, scores graded, steps
planned. Every property the schema requires is present, with the schema's type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from orchestra.sim import tasks
from orchestra.sim.agent import Next
from orchestra.sim.generate import questions
from orchestra.sim.read import Prompt
from orchestra.sim.schema import resolve
from orchestra.sim.shape import Shape, question_count
from orchestra.sim.tasks import Drawn, Said, Work
from orchestra.sim.understand import (
    candidates,
    classify,
    extract_field,
    field_kind,
    line_items,
)
from orchestra.sim.words import CITES, hits, key_terms, stems

ENTITY = re.compile(r"(?i)^(?:city|location|place|country|region|town|destination|where)")
NUMBERISH = re.compile(
    r"(?i)^(?:a|b|c|x|y|z|n|m|num\d*|number\d*|first|second|left|right|"
    r"input|value|operand\d*|arg\d*|lhs|rhs|int\d*|float\d*|\w*_?num)$"
)


@dataclass
class Ask:
    """Filling one tool call's input: the answer's work, the planned call, and what is left.

    ``positional`` and ``quotes`` are used up as properties take them, so that two operands
    never get the same number.
    """

    w: Work
    call: Next | None = None
    """The call ``agent`` planned, with its operands."""
    root: dict = field(default_factory=dict)
    """The whole schema, for its ``$ref``s."""
    positional: list = field(default_factory=list)
    """Values for the call, in order, not yet used."""
    quotes: list[str] = field(default_factory=list)
    """Quoted strings of the request, not yet used."""
    named: Callable[..., Any] | None = None
    """The JSON form's filler for one named field (``fill.value``): an output tool's prose
    fields (feedback, reasons, key points) hold what the JSON form's keys of that name would."""

    @property
    def p(self) -> Prompt:
        return self.w.p

    @property
    def labels(self) -> dict[str, str]:
        """Labels the prompt describes (to describe enum values)."""
        return self.w.shape.choices


def first_enum(a: Ask) -> list | None:
    """The values of the schema's first enum property: what a confidence refers to."""
    for sub in a.root.get("properties", {}).values():
        sub = resolve(sub, a.root)[0]
        if sub.get("enum"):
            return sub["enum"]
    return None


def quoted(text: str) -> list[str]:
    """Quoted strings, in any script and quote style: ``'你好啊集团'``, "Acme", «x»."""
    return [
        next(g for g in m.groups() if g)
        for m in re.finditer(
            r"'([^'\n]{1,80})'(?!\w)|\"([^\"\n]{1,80})\"|“([^”\n]{1,80})”|‘([^’\n]{1,80})’|«([^»\n]{1,80})»|「([^」\n]{1,80})」",
            text,
        )
    ]


def place(text: str) -> str | None:
    """A place named after "in", "for", "at": ``place("weather in San Francisco?")``."""
    m = re.search(
        r"\b(?:in|for|at|near|of|to|from)\s+((?:[A-Z][\w'-]+)(?:[ ,]+[A-Z][\w'-]+)*)", text
    )
    if m:
        return m.group(1).strip(" ,")
    m = re.search(
        r"(?i)\b(?:weather|temperature|forecast|time)\s+(?:in|for|at)\s+([a-z][\w'-]+(?: [a-z][\w'-]+)?)",
        text,
    )
    return m.group(1).title() if m else None


# Fields whose value is prose about the material, filled as the JSON form's keys are.
PROSE = re.compile(
    r"(?i)feedback|critique|suggestion|improvement|issue|comment|advice|reason|rationale|"
    r"explanation|justification|key_?points|points|highlights|takeaways|bullets|tips|title|"
    r"headline|quotes?|evidence"
)


FEEDBACK_LIST = re.compile(r"(?i)feedback|issue|suggestion|missing|improvement")


def output_tool(w: Work) -> bool:
    """The one tool the request forces (``tool_choice`` tool, structured output): its fields
    hold the answer, not a call's operands."""
    return w.shape.required and len(w.shape.offered) == 1


def item_type(schema: dict, a: Ask) -> str:
    return resolve(schema.get("items", {}), a.root)[0].get("type", "string")


PRICED = re.compile(r"(?i)qty|quantity|count|units|price|cost|rate|amount|total")


def item_field(name: str, schema: dict, row: dict[str, str], a: Ask):
    """One field of a listed item: its name, quantity, unit price, or quantity x price."""
    schema, nullable = resolve(schema, a.root)
    kind, low = schema.get("type", "string"), name.lower()
    price = float(re.sub(r"[^\d.]", "", row["price"].replace(",", "")))
    if re.search(r"qty|quantity|count|units", low):
        value: Any = int(row["quantity"])
    elif re.search(r"total|amount|line|subtotal|sum", low):
        value = round(int(row["quantity"]) * price, 2)
    elif re.search(r"price|cost|rate|each", low):
        value = price if kind in ("number", "integer") else row["price"]
    elif re.search(r"name|description|product|item|title|sku|article", low):
        value = row["name"]
    else:
        return None if nullable else ""
    if kind == "string":
        return str(value)
    return round(value) if kind == "integer" and isinstance(value, float) else value


def records(item: dict, a: Ask, depth: int) -> list[dict] | None:
    """One object per entity the material names, for a list of records ("people": each
    person with the fields said near their name); None when no field anchors a record."""
    props = item.get("properties", {})
    anchor = next(
        (k for k in props if field_kind(k) in ("person", "company", "email") or k == "name"),
        None,
    )
    text = a.p.payload()
    kind = (field_kind(anchor) or "person") if anchor else None
    found = candidates(kind, text) if kind else []
    if len(found) < 2:  # no two named records: listed items with a quantity and a price?
        rows = line_items(text)
        if len(rows) > 1 and a.w.rng.random() > a.w.quality:  # a weaker model misses one
            rows.pop(a.w.rng.randrange(len(rows)))
        if rows and any(PRICED.search(k) for k in props):
            return [{k: item_field(k, v, row, a) for k, v in props.items()} for row in rows]
        return None  # one record or none: the fields are read from the whole material
    starts = sorted({text.find(f) for f in found if f in text})
    out = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        part = text[start:end]
        w = replace(a.w, p=replace(a.p, material=part, sections={}), drawn=tasks.Drawn())
        sub = Ask(w, None, a.root, quotes=quoted(part), named=a.named)
        need = set(item.get("required", props))
        out.append({k: property_value(k, v, sub, depth + 1, k in need) for k, v in props.items()})
    return out


def property_value(name: str, schema: dict, a: Ask, depth: int = 0, required: bool = True):
    """A value for one property, from the algorithm its name and type call for.

    ``depth`` bounds the walk, so a recursive schema (a tree of nodes) ends in empty leaves.
    """
    p, quality, rng, w = a.p, a.w.quality, a.w.rng, a.w
    schema, nullable = resolve(schema, a.root)
    kind, low = schema.get("type", "string"), name.lower()
    if depth > 3 and kind in ("object", "array"):
        return {} if kind == "object" else []
    values = schema.get("enum") or ([schema["const"]] if "const" in schema else None)
    if values:
        described = {str(v): a.labels.get(str(v), "") for v in values}
        label = tasks.label(w, described)[0]
        return next(v for v in values if str(v) == label)
    if a.p.docs and CITES.search(low) and kind in ("array", "string"):  # the ids it drew on
        return tasks.cited(w, name) if kind == "array" else ", ".join(tasks.cited(w, name))
    if w.shape.task == "select" and kind in ("integer", "number", "string"):  # a numbered pick
        said = tasks.main(w).data
        if re.search(r"reason|why|rationale|explanation", low):
            return said["reason"]
        if re.search(r"index|choice|number|pick|selection|option|id$", low):
            choice = str(said["choice"])
            return int(choice) if kind != "string" and choice.isdigit() else choice
    prose = kind == "string" or (
        kind == "array" and item_type(schema, a) == "string" and not FEEDBACK_LIST.search(low)
    )  # a list of feedback is the rubric's, below
    if a.named and output_tool(w) and prose and PROSE.search(low):  # an output tool's prose
        got = a.named(w, name, repeated=kind == "array")
        if kind == "array":
            return got if isinstance(got, list) else [got]
        return " ".join(map(str, got)) if isinstance(got, list) else str(got)  # the type holds
    if kind == "array" and item_type(schema, a) == "object" and output_tool(w):
        rows = records(resolve(schema.get("items", {}), a.root)[0], a, depth)
        if rows is not None:
            return rows
    if kind == "object":
        props = schema.get("properties")
        if props:
            need = set(schema.get("required", props))
            return {k: property_value(k, v, a, depth + 1, k in need) for k, v in props.items()}
        return tasks.graded(w)["scores"] if "score" in low else {}
    if kind == "array":
        item = resolve(schema.get("items", {}), a.root)[0]
        if re.search(r"step|plan|action|task", low):
            if item.get("type") == "object" and item.get("properties"):
                return [step_object(item, text, i, a) for i, text in enumerate(tasks.steps(w))]
            return tasks.steps(w)
        if FEEDBACK_LIST.search(low):
            return tasks.graded(w)["feedback"]
        if output_tool(w) and re.search(r"question|quer", low):  # questions on the material
            n = question_count(f"{schema.get('description', '')} {p.instructions}")
            return questions(p, n, quality, rng)
        if item.get("type", "string") not in ("string",) or item.get("enum"):
            return [property_value(name, schema.get("items", {}), a, depth + 1)]
        if field_kind(name):  # "emails", "dates": every match
            return candidates(field_kind(name), p.payload())
        return key_terms(p.payload(), 3)
    if kind == "boolean":
        if re.search(r"pass|approv|accept|valid", low):
            return tasks.graded(w)["total"] >= 0.8
        return bool(hits(set(stems(name.replace("_", " "))), set(stems(p.payload()))))
    if kind in ("integer", "number"):
        return fill_number(name, schema, nullable, a)
    if a.positional and isinstance(a.positional[0], str):
        return a.positional.pop(0)
    if output_tool(w) and re.search(r"^(?:next_)?(?:inputs?|request|query|question)$", low):
        return p.payload("request", "question", "query", "input")  # what to pass on
    if a.call and a.call.expression and re.search(r"expr|formula|input|query|math|calc", low):
        return a.call.expression
    if ENTITY.search(low) or field_kind(name) == "place":
        found = place(p.request)
        if found:
            return found
    if a.quotes and re.search(
        r"name|title|label|text|query|term|string|word|company|customer", low
    ):
        return a.quotes.pop(0)
    if re.search(r"summary|tl_?dr|gist", low):
        return tasks.summary(w)
    if re.search(r"label|category|intent|class|topic|sentiment", low) and a.labels:
        return tasks.label(w, a.labels)[0]
    if re.search(r"reason|rationale|explanation|justification", low):
        return f"Based on the key terms: {', '.join(key_terms(p.payload()))}."
    if re.fullmatch(r"query|search|question|q|search_query|keywords?|topic|term", low):
        return p.sections.get("question") or p.request.strip()
    if "expression" in low:
        m = re.search(r"[\d(][\d\s+\-*/().^]*[\d)]", p.request)
        return m.group().strip() if m else ""
    if re.search(
        r"text|draft|description|body|content|message|reply|answer|response|result|output", low
    ):
        return tasks.main(w).text
    value = extract_field(name, p.payload(), quality, rng)
    if value is None and a.quotes:
        value = a.quotes.pop(0)
    if value is None and not nullable:
        value = " ".join(key_terms(p.payload(), 2)) or name
    return value


def step_tool(text: str, a: Ask) -> str:
    """The listed tool for one planned step, as a model picks it by meaning.

    The step's action (its first word) must be something a listed tool says it does; when no
    tool does, the model names the tool it would need after that action: a tool that does not
    exist, which an executor must catch. A weaker model sometimes picks the runner-up.
    """
    verb = (stems(text) or [""])[0]
    if not any(
        verb in stems(f"{name} {desc}".replace("_", " ")) for name, desc in a.labels.items()
    ):
        return re.sub(r"\W+", "_", text.split()[0].lower()) if text.split() else "unknown"
    step = Prompt(a.p.system, text, text, [], [], {}, "", text)
    return classify(step, a.labels, a.w.quality, a.w.rng)[0]


def step_object(schema: dict, text: str, i: int, a: Ask) -> dict:
    """One step of a plan as an object: its tool, its text, its number; other fields as usual.

    Used when a schema asks for a list of step objects rather than of strings. The tool comes
    from the tools the prompt lists ("one of these tools:" and a "- name: what it does" line
    each), chosen for this step alone.
    """
    props, out = schema["properties"], {}
    prompt = Prompt(a.p.system, text, text, [], [], {}, "", text)
    done = Drawn(said=Said(text, {}))  # the step's own answer is its text
    step = Ask(Work(prompt, Shape("generic"), a.w.quality, a.w.rng, done), root=a.root)
    for name, sub in props.items():
        sub, low = resolve(sub, a.root)[0], name.lower()
        kind = sub.get("type", "string")
        if re.search(r"tool|function|skill|agent|worker", low) and a.labels and kind == "string":
            out[name] = step_tool(text, a)
        elif kind in ("integer", "number") and re.search(r"id|index|number|order|position", low):
            out[name] = i + 1
        elif kind == "string" and re.search(
            r"step|instruction|description|action|task|what|text", low
        ):
            out[name] = text
        else:
            out[name] = property_value(name, sub, step, depth=3)
    return out


def fill_number(name: str, schema: dict, nullable: bool, a: Ask) -> float | int | None:
    """A number for one property: an operand, a confidence, a grade, or an extracted number."""
    p, quality, rng = a.p, a.w.quality, a.w.rng
    low, integer = name.lower(), schema.get("type") == "integer"
    nums = [v for v in a.positional if isinstance(v, (int, float))]
    if nums and (NUMBERISH.match(low) or (a.call and a.call.values)):
        a.positional.remove(nums[0])
        value = nums[0]
    elif re.search(r"confidence|probability|certainty", low):
        values = first_enum(a)
        labels = (
            {str(v): a.labels.get(str(v), "") for v in values}
            if values
            else a.labels or {"yes": "", "no": ""}
        )
        return tasks.label(a.w, labels)[1]
    elif re.search(r"score|rating|grade", low) or (
        low == "total" and a.w.shape.task in ("score", "review")
    ):
        value = tasks.graded(a.w)["total"] * schema.get("maximum", 5 if integer else 1)
    else:
        raw = extract_field(name, p.payload(), quality, rng) or ""
        digits = re.sub(r"[^\d.]", "", raw.replace(",", ""))
        if not re.fullmatch(r"\d+(?:\.\d+)?", digits):
            if nullable:
                return None
            if nums:  # a required number the request gives without naming it
                a.positional.remove(nums[0])
                digits = str(nums[0])
            else:
                return max(0, schema.get("minimum", 0))
        value = float(digits)
    value = min(max(value, schema.get("minimum", value)), schema.get("maximum", value))
    return round(value) if integer else round(value, 2)


def arguments(
    w: Work, call: Next | None, schema: dict, named: Callable[..., Any] | None = None
) -> dict:
    """The input for one tool call: every property filled, the required ones always.
    ``named``: the JSON form's filler for an output tool's prose fields (``fill.value``)."""
    a = Ask(w, call, root=schema, named=named)
    schema = resolve(schema, schema)[0]  # a recursive model's schema is a bare "$ref"
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    if a.call is not None:
        a.positional = list(a.call.values)
        if not a.positional and not a.call.expression:  # numbers in the request, in order
            a.positional = [
                float(n) if "." in n else int(n)
                for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", a.p.request)
            ]
    a.quotes = quoted(a.p.request)
    # Required properties first, so operands and quotes go where the tool needs them.
    order = sorted(props, key=lambda k: k not in required)
    data = {k: property_value(k, props[k], a, required=k in required) for k in order}
    return {k: data[k] for k in props if k in required or data[k] not in (None, "", [])}
