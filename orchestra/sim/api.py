"""The Messages API's contract as the simulator checks and answers it (chapter 00).

Pure functions, no I/O: ``parse`` turns a request body into a checked ``Request`` or raises
``ApiError`` with the status and error type Anthropic would send; ``message`` builds the
response body. The server in ``server.py`` adds time, rate limits and faults around them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orchestra.sim import schema, tokens
from orchestra.sim.models import profile

MODEL_SECONDS_HEADER = "orchestra-sim-model-seconds"
"""Response header with the call's simulated duration (one of the simulator's two additions)."""
TIME_SCALE_HEADER = "orchestra-sim-time-scale"
"""Response header with the wall-clock seconds the simulator sleeps per simulated second."""
PLACEHOLDER_KEY = "sim-placeholder-key"
"""The key clients send the simulator: not a secret, any non-empty key is accepted."""
MAX_NESTING = 256
"""The deepest JSON body the simulator reads; deeper is a 400, not a crash in a recursive walk."""

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class ApiError(Exception):
    """An error the API answers with: HTTP status plus Anthropic's JSON error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        model: str | None = None,
        fault: str | None = None,
        wait_s: float | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.model = status, message, model
        self.fault, self.wait_s, self.headers = fault, wait_s, headers or {}

    def body(self, request_id: str) -> dict:
        return {
            "type": "error",
            "request_id": request_id,
            "error": {"type": ERROR_TYPES.get(self.status, "api_error"), "message": self.message},
        }


@dataclass
class Request:
    """A checked Messages API request."""

    model: str
    messages: list[dict]
    system: str
    max_tokens: int
    temperature: float
    stop_sequences: list[str]
    tools: list[dict] | None
    tool_choice: dict | None
    stream: bool
    json_schema: dict | None = None
    """Structured output asked for (``output_format``, or ``output_config.format``): the answer
    is JSON text fitting this schema."""
    user: str | None = None
    """``metadata.user_id``: who the caller says the call is for. It never changes the answer;
    the simulator's log carries it, so calls can be counted per end user or per request."""

    def prompt(self) -> str:
        """All prompt text in one string: the system prompt, then every message's text."""
        return "\n".join([self.system, *(text_of(m["content"]) for m in self.messages)])

    def input_tokens(self) -> int:
        """Input tokens as the API bills them: text, a little per message, and the tool schemas."""
        n = tokens.count_tokens(self.prompt()) + 3 * len(self.messages) + (4 if self.system else 0)
        if self.tools:
            n += tokens.count_tokens(json.dumps(self.tools)) + 10
        return n


def text_of(content: str | list) -> str:
    """The text of a message's content, whether a string or a list of blocks."""
    if isinstance(content, str):
        return content
    parts = []
    for b in content:
        if b.get("type") == "text":
            parts.append(b.get("text", ""))
        elif b.get("type") == "tool_result":
            parts.append(text_of(b.get("content", "")) if b.get("content") else "")
        elif b.get("type") == "tool_use":
            parts.append(json.dumps(b.get("input", {})))
    return "\n".join(parts)


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise ApiError(400, message)


def _check_content(content: Any, where: str) -> None:
    """A string, or a list of blocks each with a ``type`` and the fields its type needs."""
    if isinstance(content, str):
        return
    _need(
        isinstance(content, list), f"{where}.content: Input should be a string or a list of blocks"
    )
    for j, b in enumerate(content):
        at = f"{where}.content.{j}"
        _need(
            isinstance(b, dict) and isinstance(b.get("type"), str),
            f"{at}: each block needs a 'type'",
        )
        if b["type"] == "text":
            _need(isinstance(b.get("text"), str), f"{at}.text: Field required")
            _need(b["text"] != "", f"{where.split('.')[0]}: text content blocks must be non-empty")
        elif b["type"] == "tool_use":
            _need(isinstance(b.get("input"), dict), f"{at}.input: Input should be an object")
        elif b["type"] == "tool_result":
            _need(isinstance(b.get("tool_use_id"), str), f"{at}.tool_use_id: Field required")
            inner = b.get("content", "")
            _need(
                isinstance(inner, (str, list)),
                f"{at}.content: Input should be a string or a list of blocks",
            )
            _check_content(inner, at)


def _depth(value: Any) -> int:
    """How deeply a parsed JSON value nests, counted without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:  # each item is taken once: bounded by the body's size
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            todo += [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            todo += [(v, depth + 1) for v in node]
    return deepest


def _check_schema(value: Any, where: str) -> None:
    _need(isinstance(value, dict), f"{where}: Input should be an object")
    wrong = schema.problem(value, "schema")
    _need(wrong is None, f"{where}: JSON schema is invalid: {wrong}")


def parse(raw: bytes, *, count_only: bool = False) -> Request:
    """Check a request body as the API does; raise ``ApiError`` for what it would reject."""
    too_deep = f"Request body nests JSON more than {MAX_NESTING} levels deep"
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid JSON in request body: check that it is valid JSON") from None
    except RecursionError:  # Python's parser gives up near 1,000 levels
        raise ApiError(400, too_deep) from None
    _need(_depth(body) <= MAX_NESTING, too_deep)
    _need(isinstance(body, dict), "Request body must be a JSON object")
    for key in ("model", "messages") if count_only else ("model", "messages", "max_tokens"):
        _need(key in body, f"{key}: Field required")
    model, messages = body["model"], body["messages"]
    _need(isinstance(model, str) and model != "", "model: Input should be a non-empty string")
    _need(
        isinstance(messages, list) and messages != [], "messages: at least one message is required"
    )
    for i, m in enumerate(messages):
        _need(isinstance(m, dict), f"messages.{i}: Input should be an object")
        _need(
            m.get("role") in ("user", "assistant"),
            f"messages.{i}.role: Input should be 'user' or 'assistant'",
        )
        _need("content" in m, f"messages.{i}.content: Field required")
        _check_content(m["content"], f"messages.{i}")
        _need(
            m["content"] not in ("", []) or (i == len(messages) - 1 and m["role"] == "assistant"),
            f"messages.{i}: all messages must have non-empty content except for the optional "
            "final assistant message",
        )
    _need(messages[0]["role"] == "user", "messages: the first message must use the 'user' role")
    max_tokens = body.get("max_tokens", 1)
    _need(
        type(max_tokens) is int and max_tokens >= 1, "max_tokens: Input should be an integer >= 1"
    )
    stream = body.get("stream", False)
    _need(type(stream) is bool, "stream: Input should be a valid boolean")
    temperature = body.get("temperature", 1.0)
    _need(
        type(temperature) in (int, float) and 0 <= temperature <= 1,
        "temperature: Input should be a number between 0 and 1",
    )
    system = body.get("system", "")
    _need(
        isinstance(system, (str, list)), "system: Input should be a string or a list of text blocks"
    )
    if isinstance(system, list):
        _check_content(system, "system")
        system = text_of(system)
    stops = body.get("stop_sequences") or []
    _need(
        isinstance(stops, list) and all(isinstance(s, str) and s for s in stops),
        "stop_sequences: Input should be a list of non-empty strings",
    )
    tools = body.get("tools")
    if tools is not None:
        _need(isinstance(tools, list), "tools: Input should be a list")
        for i, t in enumerate(tools):
            _need(
                isinstance(t, dict)
                and isinstance(t.get("name"), str)
                and isinstance(t.get("input_schema"), dict),
                f"tools.{i}: each tool needs a 'name' and an 'input_schema' object",
            )
            _check_schema(t["input_schema"], f"tools.{i}.custom.input_schema")
    choice = body.get("tool_choice")
    if choice is not None:
        _need(
            isinstance(choice, dict) and choice.get("type") in ("auto", "any", "tool", "none"),
            "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'",
        )
        if choice["type"] == "tool":
            _need(
                any(t["name"] == choice.get("name") for t in tools or []),
                f"tool_choice.name: no tool named {choice.get('name')!r} in tools",
            )
    config = body.get("output_config")
    _need(config is None or isinstance(config, dict), "output_config: Input should be an object")
    fmt = body.get("output_format") or (config or {}).get("format")
    if fmt is not None:
        _need(
            isinstance(fmt, dict)
            and fmt.get("type") == "json_schema"
            and isinstance(fmt.get("schema"), dict),
            "output_format: expected {'type': 'json_schema', 'schema': {...}}",
        )
        _check_schema(fmt["schema"], "output_format.schema")
    metadata = body.get("metadata") or {}
    _need(isinstance(metadata, dict), "metadata: Input should be an object")
    user = metadata.get("user_id")
    _need(user is None or isinstance(user, str), "metadata.user_id: Input should be a string")
    prof = profile(model)
    if prof is None:
        raise ApiError(404, f"model: {model}")
    _need(
        max_tokens <= prof.max_output_tokens,
        f"max_tokens: {max_tokens} > {prof.max_output_tokens}, which is the maximum allowed "
        f"number of output tokens for {model}",
    )
    return Request(
        model,
        messages,
        system,
        max_tokens,
        float(temperature),
        stops,
        tools,
        choice,
        stream,
        fmt["schema"] if fmt else None,
        user,
    )


def message(
    req: Request,
    msg_id: str,
    blocks: list[dict],
    input_tokens: int,
    output_tokens: int,
    stop_reason: str,
    stop_sequence: str | None,
) -> dict:
    """The response body of a non-streaming call."""
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def events(body: dict) -> list[tuple[str, dict]]:
    """The server-sent events that stream ``body``, in the order the SDK expects them."""
    start = dict(
        body,
        content=[],
        stop_reason=None,
        stop_sequence=None,
        usage=dict(body["usage"], output_tokens=1),
    )
    out: list[tuple[str, dict]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
    ]
    for i, block in enumerate(body["content"]):
        if block["type"] == "text":
            empty = {"type": "text", "text": ""}
            deltas = [
                {"type": "text_delta", "text": piece}
                for piece in _chunks(tokens.tokenize(block["text"]))
            ]
        else:
            empty = dict(block, input={})
            deltas = [
                {"type": "input_json_delta", "partial_json": piece}
                for piece in _chunks(tokens.tokenize(json.dumps(block["input"])))
            ]
        out.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": empty},
            )
        )
        out += [
            ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d})
            for d in deltas
        ]
        out.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": body["stop_reason"],
                    "stop_sequence": body["stop_sequence"],
                },
                "usage": {"output_tokens": body["usage"]["output_tokens"]},
            },
        )
    )
    out.append(("message_stop", {"type": "message_stop"}))
    return out


def _chunks(pieces: list[str], size: int = 4) -> list[str]:
    """Group tokens a few at a time, as the API's deltas do."""
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]
