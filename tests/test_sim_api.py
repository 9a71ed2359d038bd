"""The simulator's request checks (``orchestra.sim.api``): what the real API rejects, it rejects.

Every bad body gets a 4xx with Anthropic's JSON error shape, never a plain-text 500 or a hang,
and the server answers a good request afterwards.
"""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

HAIKU = "claude-haiku-4-5"
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}
GOOD = {"model": HAIKU, "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
TOOL = {"name": "add", "input_schema": {"type": "object", "properties": {"a": {"type": "number"}}}}
CALLED = [
    {"role": "user", "content": "Add 2 and 3."},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t1", "name": "add", "input": {}}],
    },
]


def body(**fields) -> dict:
    """A good request with ``fields`` replaced."""
    return {**GOOD, **fields}


def result(content) -> dict:
    """A request whose last turn returns ``content`` as a tool result."""
    block = {"type": "tool_result", "tool_use_id": "t1", "content": content}
    return body(tools=[TOOL], messages=[*CALLED, {"role": "user", "content": [block]}])


def forced(input_schema: dict) -> dict:
    """A request that forces a call of a tool with ``input_schema``."""
    return body(
        tools=[{"name": "f", "input_schema": input_schema}],
        tool_choice={"type": "tool", "name": "f"},
    )


def nested(opening: bytes, closing: bytes, depth: int = 1000) -> bytes:
    """A good body whose ``metadata`` is nested ``depth`` levels deep."""
    inner = opening * depth + b"1" + closing * depth
    return json.dumps(GOOD).encode()[:-1] + b', "metadata": ' + inner + b"}"


def error_of(r: httpx.Response) -> dict:
    """The error of an Anthropic-shaped error body (fails on any other shape)."""
    assert r.headers["content-type"].startswith("application/json"), r.text[:200]
    data = r.json()
    assert data["type"] == "error" and set(data["error"]) == {"type", "message"}
    assert isinstance(data["error"]["message"], str) and data["error"]["message"]
    return data["error"]


def post(sim, raw: bytes | dict) -> httpx.Response:
    content = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    # A short timeout: a body that sends the server into a loop fails here instead of hanging.
    return httpx.post(f"{sim.url}/v1/messages", headers=HEADERS, content=content, timeout=10)


def still_serving(sim) -> None:
    assert post(sim, GOOD).status_code == 200


SELF_REF = {"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}}

# -- malformed bodies (reliability issue, defect 6) ---------------------------------------------
MALFORMED = {
    "array nested 1000 deep": nested(b"[", b"]"),
    "object nested 1000 deep": nested(b'{"a": ', b"}"),
    "tool_result content an int": result(5),
    "tool_result content a list of non-blocks": result([1, "x"]),
    "input_schema properties a list": forced({"type": "object", "properties": [1]}),
    "input_schema items a string": forced(
        {"type": "object", "properties": {"xs": {"type": "array", "items": "x"}}}
    ),
    "output_config a number": body(output_config=5),
    "output_config a list": body(output_config=[1]),
    "self-referencing $ref in output_format": body(
        output_format={"type": "json_schema", "schema": SELF_REF}
    ),
    "self-referencing $ref in a tool": forced({"type": "object", **SELF_REF}),
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_bodies_get_a_json_4xx_and_the_server_keeps_serving(sim, raw):
    r = post(sim, raw)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert error_of(r)["type"] == "invalid_request_error"
    still_serving(sim)


def test_a_recursive_schema_still_works(sim):
    """A tree of nodes refers to itself through its properties: a valid schema, unlike A = A."""
    tree = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
                "required": ["name", "children"],
            }
        },
    }
    r = post(sim, body(max_tokens=400, output_format={"type": "json_schema", "schema": tree}))
    assert r.status_code == 200
    assert "name" in json.loads(r.json()["content"][0]["text"])


# -- what the Messages API rejects (reliability issue, defect 10) -------------------------------
REJECTED = {
    "max_tokens 10**300": (body(max_tokens=10**300), "maximum allowed number of output tokens"),
    "max_tokens over the model's limit": (
        body(max_tokens=64_001),
        "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for",
    ),
    "max_tokens 0": (body(max_tokens=0), "max_tokens"),
    "max_tokens a float": (body(max_tokens=5.5), "max_tokens"),
    "stream a string": (body(stream="yes"), "stream"),
    "stream a number": (body(stream=1), "stream"),
    "content an empty string": (
        body(messages=[{"role": "user", "content": ""}]),
        "messages.0: all messages must have non-empty content",
    ),
    "content an empty list": (
        body(messages=[{"role": "user", "content": []}]),
        "messages.0: all messages must have non-empty content",
    ),
    "an empty earlier assistant turn": (
        body(
            messages=[
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": []},
                {"role": "user", "content": "again"},
            ]
        ),
        "messages.1: all messages must have non-empty content",
    ),
    "an empty text block": (
        body(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}]),
        "text content blocks must be non-empty",
    ),
    "temperature above 1": (body(temperature=1.5), "temperature"),
    "temperature below 0": (body(temperature=-0.1), "temperature"),
    "no messages": (body(messages=[]), "messages"),
    "an assistant first turn": (
        body(messages=[{"role": "assistant", "content": "hi"}]),
        "first message must use the 'user' role",
    ),
}


@pytest.mark.parametrize("raw, wanted", REJECTED.values(), ids=REJECTED.keys())
def test_what_the_api_rejects_is_a_400(sim, raw, wanted):
    r = post(sim, raw)
    assert r.status_code == 400, r.text[:200]
    err = error_of(r)
    assert err["type"] == "invalid_request_error" and wanted in err["message"]
    still_serving(sim)


@pytest.mark.parametrize("raw, wanted", REJECTED.values(), ids=REJECTED.keys())
def test_the_sdk_raises_bad_request_for_what_the_api_rejects(sim, raw, wanted):
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0, timeout=10)
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(**raw)
    assert wanted in info.value.message


def test_the_largest_allowed_max_tokens_and_an_empty_prefill_are_accepted(sim):
    assert post(sim, body(max_tokens=64_000)).status_code == 200
    prefill = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}]
    assert post(sim, body(messages=prefill)).status_code == 200


def test_metadata_user_id_is_logged_and_never_changes_the_answer(sim):
    plain = post(sim, GOOD).json()["content"]
    tagged = post(sim, body(metadata={"user_id": "req-7:classify"})).json()["content"]
    assert tagged == plain
    assert [r["user"] for r in sim.log] == [None, "req-7:classify"]
    r = post(sim, body(metadata={"user_id": 7}))
    assert r.status_code == 400 and "metadata.user_id" in error_of(r)["message"]


# -- the draw is keyed to the request's content (issue 26) -------------------------------------
def test_a_new_request_field_counts_in_the_draw_once_set():
    """A field that changes the answer is added to the request model and read by the stage
    that uses it; the random draw (``decide.fingerprint``) counts it with no change of its own:
    set, it draws anew; left at its default, the request draws what it drew before."""
    from typing import Literal

    from orchestra.sim.api import Request
    from orchestra.sim.decide import Decider, Faults, Limits, fingerprint

    class WithEffort(Request):  # a field the real API does not have
        effort_hint: Literal["low", "medium", "high"] = "medium"

    def drawn(model, **fields) -> str:
        return fingerprint(model.model_validate(body(**fields)))

    before = drawn(Request)
    assert drawn(WithEffort) == before and drawn(WithEffort, effort_hint="medium") == before
    assert drawn(WithEffort, effort_hint="high") != before
    assert drawn(Request, stream=True, metadata={"user_id": "u-1"}) == before  # transport
    assert drawn(Request, top_k=5) != before and drawn(Request, top_k=None) == before
    decider = Decider(0, 0.0, Faults(), Limits())
    default = decider.decide(WithEffort.model_validate(GOOD), "k").record["request"]
    high = decider.decide(WithEffort.model_validate(body(effort_hint="high")), "k").record[
        "request"
    ]
    assert default == before and high != before
