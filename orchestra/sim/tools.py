"""Answering through a tool: a JSON schema filled property by property from the prompt
(chapter 00). Enums are classified, contact fields extracted, scores graded, steps planned."""

from __future__ import annotations

import random
import re

from orchestra.sim.generate import plan, text_answer
from orchestra.sim.prompt import Prompt, detect_task
from orchestra.sim.understand import (
    candidates,
    classify,
    extract_field,
    field_kind,
    parse_labels,
    score,
    summarize,
)
from orchestra.sim.words import hits, key_terms, stems

# ---------------------------------------------------------------- tools


def resolve(schema: dict, root: dict) -> tuple[dict, bool]:
    """Follow ``$ref`` and unwrap ``anyOf [X, null]``: (the schema, whether null is allowed)."""
    nullable = False
    while True:
        if "$ref" in schema:
            schema = {
                **root.get("$defs", {}).get(schema["$ref"].split("/")[-1], {}),
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
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
    if re.search(
        r"text|draft|description|body|content|message|reply|answer|response|result|output", low
    ):
        return text_answer(detect_task(p.instructions), p, quality, rng)
    value = extract_field(name, p.payload(), quality, rng)
    if value is None and not nullable:
        value = " ".join(key_terms(p.payload(), 2)) or name
    return value


def fill_number(
    name: str, schema: dict, nullable: bool, p: Prompt, quality: float, rng: random.Random
) -> float | int | None:
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
    value = min(
        max(value, schema.get("minimum", value)), schema.get("maximum", value)
    )  # Field(ge=, le=)
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
