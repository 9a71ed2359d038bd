"""The JSON schemas of tools and structured outputs: checked once, walked with bounds (chapter 00).

``problem`` says what makes a schema unusable (``api.parse`` answers 400 with it); ``resolve``
follows ``$ref`` and unwraps ``anyOf [X, null]`` for ``tools``, with a seen-set so that a
cycle of references ends instead of looping. Neither recurses deeper than ``MAX_DEPTH``.

    >>> problem({"type": "object", "properties": [1]}, "input_schema")
    'input_schema.properties: Input should be an object of schemas'
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64
"""The deepest schema the simulator accepts (a sane schema is a few levels deep)."""
TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}
MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
"""Keywords whose value maps names to schemas."""
SINGLE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
"""Keywords whose value is one schema."""
LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
"""Keywords whose value is a non-empty list of schemas."""
NUMBERS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


def target(root: Any, ref: str) -> Any:
    """What a local ``$ref`` (``#/$defs/Node``) points at in ``root``, or None."""
    if not ref.startswith("#"):
        return None  # remote references are not fetched
    node = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def problem(schema: Any, where: str, root: Any = None) -> str | None:
    """What is wrong with ``schema`` (a message naming the place), or None if it can be used."""
    root = schema if root is None else root
    found: list[str] = []

    def walk(node: Any, at: str, depth: int) -> None:
        if found:
            return
        if depth > MAX_DEPTH:
            found.append(f"{at}: schema is nested more than {MAX_DEPTH} levels deep")
        elif isinstance(node, bool):
            return  # `true` accepts anything, `false` nothing
        elif not isinstance(node, dict):
            found.append(f"{at}: Input should be a schema object")
        else:
            found.extend(own(node, at, root)[:1])
            for key in MAPS:
                if key in node and isinstance(node[key], dict):
                    for name, sub in node[key].items():
                        walk(sub, f"{at}.{key}.{name}", depth + 1)
            for key in SINGLE:
                if key in node:
                    walk(node[key], f"{at}.{key}", depth + 1)
            for key in LISTS:
                for j, sub in enumerate(node.get(key) or []):
                    walk(sub, f"{at}.{key}.{j}", depth + 1)

    walk(schema, where, 0)
    return found[0] if found else None


def own(node: dict, at: str, root: Any) -> list[str]:
    """The problems of one schema object's own keywords (not its sub-schemas')."""
    out = []
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if kind is not None and not (kinds and all(isinstance(k, str) and k in TYPES for k in kinds)):
        out.append(f"{at}.type: Input should be one of {', '.join(sorted(TYPES))}")
    out += [
        f"{at}.{key}: Input should be an object of schemas"
        for key in MAPS
        if key in node and not isinstance(node[key], dict)
    ]
    out += [
        f"{at}.{key}: Input should be a non-empty list of schemas"
        for key in LISTS
        if key in node and not (isinstance(node[key], list) and node[key])
    ]
    required = node.get("required", [])
    if not (isinstance(required, list) and all(isinstance(r, str) for r in required)):
        out.append(f"{at}.required: Input should be a list of property names")
    if "enum" in node and not (isinstance(node["enum"], list) and node["enum"]):
        out.append(f"{at}.enum: Input should be a non-empty list")
    out += [
        f"{at}.{key}: Input should be a number"
        for key in NUMBERS
        if key in node and (type(node[key]) not in (int, float))
    ]
    out += [
        f"{at}.{key}: Input should be a non-negative integer"
        for key in COUNTS
        if key in node and not (type(node[key]) is int and node[key] >= 0)
    ]
    if "$ref" in node:
        out += ref_problem(node["$ref"], at, root)
    return out


def ref_problem(ref: Any, at: str, root: Any) -> list[str]:
    """A ``$ref`` must point at a schema, and not only at itself through other references."""
    seen: set[str] = set()
    while isinstance(ref, str) and ref not in seen:  # each turn adds a reference: bounded
        seen.add(ref)
        node = target(root, ref)
        if not isinstance(node, (dict, bool)):
            return [f"{at}.$ref: {ref!r} does not point at a schema in this document"]
        ref = node.get("$ref") if isinstance(node, dict) else None
        if ref is None:
            return []
    if isinstance(ref, str):
        return [f"{at}.$ref: {ref!r} refers to itself and never reaches a schema"]
    return [f"{at}.$ref: Input should be a string"]


def resolve(schema: Any, root: Any) -> tuple[dict, bool]:
    """Follow ``$ref`` and unwrap ``anyOf [X, null]``: (the schema, whether null is allowed).

    A reference met twice is a cycle (``A = anyOf [A, null]``): it stops there, as an
    unconstrained value.
    """
    nullable, seen = False, set()
    for _ in range(4 * MAX_DEPTH):  # each turn follows a new reference or unwraps a level
        if not isinstance(schema, dict):
            return {}, nullable  # `true`: anything goes
        if "$ref" in schema:
            ref, rest = schema["$ref"], {k: v for k, v in schema.items() if k != "$ref"}
            found = target(root, ref) if isinstance(ref, str) and ref not in seen else None
            seen.add(str(ref))
            schema = {**(found if isinstance(found, dict) else {}), **rest}
        elif "anyOf" in schema or "oneOf" in schema:
            options = schema.get("anyOf") or schema.get("oneOf") or []
            options = [o if isinstance(o, dict) else {} for o in options]
            nullable |= any(o.get("type") == "null" for o in options)
            real = [o for o in options if o.get("type") != "null"] or [{"type": "string"}]
            schema = {**real[0], **{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}}
        elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            first = schema["allOf"][0] if isinstance(schema["allOf"][0], dict) else {}
            schema = {**first, **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            kind = schema.get("type", "string")
            if isinstance(kind, list):
                nullable |= "null" in kind
                schema = {**schema, "type": next((k for k in kind if k != "null"), "string")}
            return schema, nullable
    return {}, nullable
