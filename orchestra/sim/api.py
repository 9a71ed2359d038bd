"""The Messages API's contract as the simulator checks and answers it (chapter 00).

``Request`` is a request body as a pydantic model: every field the simulator reads, checked
where it enters, and any other field kept (``extra="allow"``), so that a field the simulator
does not know yet still counts in the answer's random draw (``decide.fingerprint``). ``parse``
turns raw bytes into a ``Request`` or raises ``ApiError`` with the status, error type and
wording Anthropic would send; ``message`` and ``events`` build the response. Pure functions, no
I/O: the server in ``app.py`` adds time, rate limits and faults around them.

    >>> req = parse(b'{"model": "claude-haiku-4-5", "max_tokens": 50, '
    ...             b'"messages": [{"role": "user", "content": "Hi"}]}')
    >>> req.messages[0].text, req.temperature
    ('Hi', 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from orchestra import tokens
from orchestra.prices import EFFORTS
from orchestra.sim import schema
from orchestra.sim.models import profile

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


# ---------------------------------------------------------------- checks in the API's words


def refuse(message: str, at: str = "") -> PydanticCustomError:
    """A validation error in Anthropic's wording; ``at`` names a place inside the field."""
    return PydanticCustomError("api", "{message}", {"message": message, "at": at})


def must(ok: Callable[[Any], bool], message: str, at: str = "") -> BeforeValidator:
    """A check run before pydantic's own, so that a wrong value gets the API's message."""

    def check(value: Any) -> Any:
        if not ok(value):
            raise refuse(message, at)
        return value

    return BeforeValidator(check)


def blocks_of(message: str) -> BeforeValidator:
    """Content as a list of blocks: a string is one text block (an empty one, none)."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            return [{"type": "text", "text": value}] if value else []
        if not isinstance(value, list):
            raise refuse(message)
        return value

    return BeforeValidator(check)


def valid_schema(value: dict, at: str = "") -> dict:
    """A JSON schema the simulator can walk (``schema.problem`` says what is wrong)."""
    wrong = schema.problem(value, "schema")
    if wrong is not None:
        raise refuse(f"JSON schema is invalid: {wrong}", at)
    return value


def valid_tool(tool: Any) -> Any:
    """A tool has a name and a usable ``input_schema``; the API calls it a custom tool. A tool
    of another ``type`` (computer use, web search) is Anthropic's: its schema is built in."""
    if isinstance(tool, BaseModel):
        return tool
    if isinstance(tool, dict) and tool.get("type") not in (None, "custom"):
        if not isinstance(tool.get("name"), str):
            raise refuse("each tool needs a 'name'")
        return {"input_schema": {"type": "object", "properties": {}}, **tool}
    if not (
        isinstance(tool, dict)
        and isinstance(tool.get("name"), str)
        and isinstance(tool.get("input_schema"), dict)
    ):
        raise refuse("each tool needs a 'name' and an 'input_schema' object")
    valid_schema(tool["input_schema"], "custom.input_schema")
    return tool


Object = must(lambda v: isinstance(v, (dict, BaseModel)), "Input should be an object")
Schema = Annotated[dict, BeforeValidator(valid_schema), Object]  # the last runs first


# ---------------------------------------------------------------- the request

MAX_CACHE_BREAKPOINTS = 4
"""The most ``cache_control`` breakpoints one request may carry (the automatic one included)."""


class CacheControl(BaseModel):
    """A prompt-cache breakpoint: the prefix up to and including its block is cached."""

    model_config = ConfigDict(extra="allow")
    type: Literal["ephemeral"]
    ttl: Literal["5m", "1h"] = "5m"
    """How long the entry lives after its last use, in model time (``sim.cache``)."""


class Block(BaseModel):
    """A content block of a kind the simulator does not read (an image, a document): kept."""

    model_config = ConfigDict(extra="allow")
    type: str
    cache_control: CacheControl | None = None
    """A cache breakpoint on this block; it never changes the answer."""


class Text(Block):
    """Text: what a turn says."""

    type: Literal["text"]
    text: Annotated[str, must(lambda v: v != "", "text content blocks must be non-empty")]


class ToolUse(Block):
    """A tool call the assistant made."""

    type: Literal["tool_use"]
    input: Annotated[dict, Object]
    id: str | None = None
    name: str = ""


class Thinking(Block):
    """What the model thought before it answered, as it returned it: replayed in later turns
    unchanged, its signature lets the model check that nobody edited it."""

    type: Literal["thinking"]
    thinking: str
    signature: str


class ToolResult(Block):
    """What a tool call returned, sent back in a user turn."""

    type: Literal["tool_result"]
    tool_use_id: str
    content: Content = []


def kind_of(block: Any) -> str | None:
    """Which model reads a block: the type's own, or ``Block`` for any other type."""
    kind = block.get("type") if isinstance(block, dict) else getattr(block, "type", None)
    if not isinstance(kind, str):
        return None
    known = ("text", "tool_use", "tool_result", "thinking")
    return f"block:{kind}" if kind in known else "block:other"


AnyBlock = Annotated[
    Annotated[Text, Tag("block:text")]
    | Annotated[ToolUse, Tag("block:tool_use")]
    | Annotated[ToolResult, Tag("block:tool_result")]
    | Annotated[Thinking, Tag("block:thinking")]
    | Annotated[Block, Tag("block:other")],
    Discriminator(
        kind_of, custom_error_type="api", custom_error_message="each block needs a 'type'"
    ),
]
Content = Annotated[list[AnyBlock], blocks_of("Input should be a string or a list of blocks")]
ToolResult.model_rebuild()


def text_of(content: list[Block]) -> str:
    """The text of a message's content: its text, tool results and tool inputs, in order."""
    parts = []
    for b in content:
        if isinstance(b, Text):
            parts.append(b.text)
        elif isinstance(b, ToolResult):
            parts.append(text_of(b.content))
        elif isinstance(b, ToolUse):
            parts.append(json.dumps(b.input))
    return "\n".join(parts)


class Message(BaseModel):
    """One turn of the conversation."""

    model_config = ConfigDict(extra="allow")
    role: Literal["user", "assistant"]
    content: Content

    @cached_property  # read by the bill, the faults and the draw: computed once
    def text(self) -> str:
        return text_of(self.content)


class Tool(BaseModel):
    """A tool the model may call, described by the JSON schema of its input."""

    model_config = ConfigDict(extra="allow")
    name: str
    input_schema: dict
    description: str = ""
    type: str | None = None
    """Unset or ``custom`` for a tool you define; else one of Anthropic's (``computer_...``)."""
    cache_control: CacheControl | None = None
    """A cache breakpoint after this tool (tools come first in the cached prefix)."""


class ToolChoice(BaseModel):
    """Whether and which tool the model must call."""

    model_config = ConfigDict(extra="allow")
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None


class OutputFormat(BaseModel):
    """Structured output: the answer is JSON text fitting ``schema``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    type: Literal["json_schema"]
    json_schema: Schema = Field(alias="schema")


FORMAT = "expected {'type': 'json_schema', 'schema': {...}}"
Format = Annotated[
    OutputFormat | None,
    must(
        lambda v: (
            v is None
            or isinstance(v, OutputFormat)
            or (
                isinstance(v, dict)
                and v.get("type") == "json_schema"
                and isinstance(v.get("schema"), dict)
            )
        ),
        FORMAT,
    ),
]


Effort = Literal["low", "medium", "high", "xhigh", "max"]
assert EFFORTS == Effort.__args__  # the price table's list and this type say the same


class OutputConfig(BaseModel):
    """Settings of the output: its ``format`` (structured output) and ``effort``."""

    model_config = ConfigDict(extra="allow")
    format: Format = None
    effort: Effort | None = None
    """How much the model thinks before it answers; each model has its default (``prices``)."""


class ThinkingConfig(BaseModel):
    """Whether and how the model thinks before it answers (``thinking`` in the request)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["adaptive", "enabled", "disabled", "between_tools"]
    """``adaptive`` (the model decides, effort sets how much), ``enabled`` (a fixed budget, the
    4.5 generation), ``disabled``, or Sonnet 5.5's ``between_tools`` (no thinking up front)."""
    budget_tokens: int | None = None
    """``enabled`` only: most tokens the model may think (>= 1024, < ``max_tokens``)."""
    display: Literal["summarized", "omitted"] | None = None
    """``summarized``: the thinking text comes back; ``omitted``: an empty string with its
    signature. Unset: the model's default (``prices.Listing.display``)."""


class Metadata(BaseModel):
    """About the call, not part of it."""

    model_config = ConfigDict(extra="allow")
    user_id: Annotated[
        str | None, must(lambda v: v is None or isinstance(v, str), "Input should be a string")
    ] = None


class Request(BaseModel):
    """A checked Messages API request: what the handler passes, whole, to the answer."""

    model_config = ConfigDict(extra="allow")
    model: Annotated[
        str, must(lambda v: isinstance(v, str) and v != "", "Input should be a non-empty string")
    ]
    """A model id or alias: its profile sets speed and quality."""
    messages: Annotated[
        list[Annotated[Message, Object]],
        must(lambda v: isinstance(v, list) and v != [], "at least one message is required"),
    ]
    """The conversation, oldest first; a final assistant turn is a prefill to continue."""
    max_tokens: Annotated[
        int, must(lambda v: type(v) is int and v >= 1, "Input should be an integer >= 1")
    ]
    """Where the answer is cut."""
    stream: Annotated[bool, must(lambda v: type(v) is bool, "Input should be a valid boolean")] = (
        False
    )
    """Transport only: the same answer, sent as server-sent events."""
    temperature: Annotated[
        float,
        must(
            lambda v: type(v) in (int, float) and 0 <= v <= 1,
            "Input should be a number between 0 and 1",
        ),
    ] = 1.0
    """Above 0, each repeat of the same request is a new sample; a little lower quality too.
    The 5.x models refuse any value but 1 (``rules``)."""
    top_p: Annotated[
        float | None,
        must(
            lambda v: v is None or (type(v) in (int, float) and 0 <= v <= 1),
            "Input should be a number between 0 and 1",
        ),
    ] = None
    """Nucleus sampling; read by no answer here, refused by the 5.x models."""
    top_k: Annotated[
        int | None,
        must(lambda v: v is None or (type(v) is int and v >= 1), "Input should be an integer >= 1"),
    ] = None
    """Top-k sampling; read by no answer here, refused by the 5.x models."""
    thinking: ThinkingConfig | None = None
    """Thinking before answering; unset, each model does its default (``prices.Listing``)."""
    system: Annotated[
        list[AnyBlock], blocks_of("Input should be a string or a list of text blocks")
    ] = []
    """The system prompt, as blocks (a string is one text block)."""
    stop_sequences: Annotated[
        list[str],
        must(
            lambda v: isinstance(v, list) and all(isinstance(s, str) and s for s in v),
            "Input should be a list of non-empty strings",
        ),
        BeforeValidator(lambda v: v or []),  # the last runs first: null is no stop sequence
    ] = []
    """The answer stops before the first of these it says."""
    tools: Annotated[
        list[Annotated[Tool, BeforeValidator(valid_tool)]] | None,
        must(lambda v: v is None or isinstance(v, list), "Input should be a list"),
    ] = None
    """Tools the model may call."""
    tool_choice: Annotated[
        ToolChoice | None,
        must(
            lambda v: v is None or isinstance(v, (dict, ToolChoice)),
            "Input should be 'auto', 'any', 'tool' or 'none'",
            at="type",
        ),
    ] = None
    """Whether a tool must be called (any), which (tool), or none; auto by default."""
    output_config: Annotated[
        OutputConfig | None,
        must(
            lambda v: v is None or isinstance(v, (dict, OutputConfig)), "Input should be an object"
        ),
    ] = None
    """Output settings: its ``format`` asks for structured output (JSON text fitting a schema)."""
    output_format: Format = None
    """Structured output, the beta spelling of ``output_config.format``."""
    metadata: Annotated[
        Metadata | None,
        must(lambda v: v is None or isinstance(v, (dict, Metadata)), "Input should be an object"),
        BeforeValidator(lambda v: v or None),  # the last runs first: null or {} is no metadata
    ] = None
    """Transport only: ``user_id`` says who the call is for; it never changes the answer (the
    simulator's log carries it, so calls can be counted per end user or per request)."""
    _auto_cache: CacheControl | None = PrivateAttr(None)

    @model_validator(mode="after")
    def across_fields(self) -> Request:
        """The checks that read more than one field."""
        if self.messages[0].role != "user":
            raise refuse("the first message must use the 'user' role", "messages")
        last = len(self.messages) - 1
        for i, m in enumerate(self.messages):
            if not m.content and not (i == last and m.role == "assistant"):
                raise refuse(
                    "all messages must have non-empty content except for the optional final "
                    "assistant message",
                    f"messages.{i}",
                )
        choice = self.tool_choice
        if choice is not None and choice.type == "tool":
            if not any(t.name == choice.name for t in self.tools or []):
                raise refuse(f"no tool named {choice.name!r} in tools", "tool_choice.name")
        return self

    @cached_property
    def system_text(self) -> str:
        """The system prompt's text."""
        return text_of(self.system)

    @property
    def json_schema(self) -> dict | None:
        """Structured output asked for (``output_format``, or ``output_config.format``): the
        answer is JSON text fitting this schema."""
        fmt = self.output_format or (self.output_config.format if self.output_config else None)
        return fmt.json_schema if fmt else None

    @property
    def effort(self) -> str | None:
        """``output_config.effort`` as sent, or None."""
        return self.output_config.effort if self.output_config else None

    @property
    def user(self) -> str | None:
        """``metadata.user_id``: who the caller says the call is for."""
        return self.metadata.user_id if self.metadata else None

    def tool_dicts(self) -> list[dict] | None:
        """The tools as sent (JSON objects), without their cache breakpoints: a breakpoint
        changes neither the answer nor the token count."""
        return (
            [t.model_dump(exclude_unset=True, exclude={"cache_control"}) for t in self.tools]
            if self.tools is not None
            else None
        )

    @property
    def auto_cache(self) -> CacheControl | None:
        """The top-level ``cache_control`` (automatic caching: a breakpoint on the last block).

        It is kept out of the request's fields, so that it changes nothing the answer reads."""
        return self._auto_cache

    @cached_property  # read by the checks and by the cache: computed once
    def pieces(self) -> list[Piece]:
        """The prompt as the cache sees it: every tool, system block and message block in the
        order the API processes them (tools, system, messages), each with its tokens and mark.

        The mark of the top-level ``cache_control`` lands on the last block. A change to
        ``tool_choice`` or ``thinking`` changes every message block's prefix, as on the API."""
        out: list[Piece] = []
        for i, (tool, sent) in enumerate(
            zip(self.tools or [], self.tool_dicts() or [], strict=True)
        ):
            n = tokens.count_tokens(json.dumps(sent), self.model) + (10 if i == 0 else 0)
            out.append(Piece(f"tools.{i}", json.dumps(sent, sort_keys=True), n, tool.cache_control))
        for i, b in enumerate(self.system):
            n = tokens.count_tokens(text_of([b]), self.model) + (4 if i == 0 else 0)
            out.append(Piece(f"system.{i}", _key_of(b), n, b.cache_control))
        settings = json.dumps(
            [
                self.tool_choice and self.tool_choice.model_dump(exclude_unset=True),
                self.thinking and self.thinking.model_dump(exclude_unset=True),
            ],
            sort_keys=True,
        )
        for j, m in enumerate(self.messages):
            for i, b in enumerate(m.content):
                text = b.thinking if isinstance(b, Thinking) else text_of([b])
                n = tokens.count_tokens(text, self.model) + (3 if i == 0 else 0)
                key = (f"{settings}|" if (i, j) == (0, 0) else "") + f"{m.role}|{_key_of(b)}"
                out.append(Piece(f"messages.{j}.content.{i}", key, n, b.cache_control))
        if self.auto_cache is not None and out and out[-1].mark is None:
            out[-1] = out[-1]._replace(mark=self.auto_cache)
        return out

    def prompt(self) -> str:
        """All prompt text in one string: the system prompt, then every message's text."""
        return "\n".join([self.system_text, *(m.text for m in self.messages)])

    def input_tokens(self) -> int:
        """Input tokens as the API bills them, on the model's tokenizer: text, a little per
        message, the tool schemas, and replayed thinking."""
        n = tokens.count_tokens(self.prompt(), self.model) + 3 * len(self.messages)
        n += 4 if self.system_text else 0
        if self.tools:
            n += tokens.count_tokens(json.dumps(self.tool_dicts()), self.model) + 10
        thought = [b.thinking for m in self.messages for b in m.content if isinstance(b, Thinking)]
        if thought:
            n += tokens.count_tokens("\n".join(thought), self.model)
        return n


class Piece(NamedTuple):
    """One block of the prompt as the cache sees it (``Request.pieces``)."""

    at: str
    """Where it is in the request, as the API's messages name it: ``system.1``."""
    key: str
    """Its content, as text: what a cached prefix must match exactly."""
    tokens: int
    """Its input tokens."""
    mark: CacheControl | None
    """Its breakpoint, if it has one."""


def _key_of(block: Block) -> str:
    return json.dumps(block.model_dump(mode="json", exclude={"cache_control"}), sort_keys=True)


def check_breakpoints(req: Request) -> None:
    """The API's checks on cache breakpoints: at most four, and no 1-hour one after a 5-minute."""
    marks = [p for p in req.pieces if p.mark is not None]
    if len(marks) > MAX_CACHE_BREAKPOINTS:
        raise ApiError(
            400,
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {len(marks)}.",
        )
    short = False
    for p in marks:
        if p.mark.ttl == "1h" and short:
            raise ApiError(
                400,
                f"{p.at}.cache_control.ttl: a ttl='1h' cache_control block must not come after "
                "a ttl='5m' cache_control block. Note that blocks are processed in the following "
                "order: `tools`, `system`, `messages`.",
            )
        short = short or p.mark.ttl == "5m"


def depth(value: Any) -> int:
    """How deeply a parsed JSON value nests, counted without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:  # each item is taken once: bounded by the body's size
        node, level = todo.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            todo += [(v, level + 1) for v in node.values()]
        elif isinstance(node, list):
            todo += [(v, level + 1) for v in node]
    return deepest


def message_of(error: ValidationError) -> str:
    """The first problem, as the API words it: "messages.0.role: Input should be ...".

    A missing required field comes first, as the API checks those before any value."""
    errors = error.errors(include_url=False)
    e = next((e for e in errors if e["type"] == "missing" and len(e["loc"]) == 1), errors[0])
    at = [str(x) for x in e["loc"] if not str(x).startswith("block:")]
    at += [(e.get("ctx") or {}).get("at", "")]
    where = ".".join(x for x in at if x)
    return f"{where}: {e['msg']}" if where else e["msg"]


def parse(raw: bytes, *, count_only: bool = False) -> Request:
    """Check a request body as the API does; raise ``ApiError`` for what it would reject."""
    too_deep = f"Request body nests JSON more than {MAX_NESTING} levels deep"
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid JSON in request body: check that it is valid JSON") from None
    except RecursionError:  # Python's parser gives up near 1,000 levels
        raise ApiError(400, too_deep) from None
    if depth(body) > MAX_NESTING:
        raise ApiError(400, too_deep)
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    if count_only:  # counting tokens needs no max_tokens
        body.setdefault("max_tokens", 1)
    auto = body.pop("cache_control", None)  # kept apart: it must not change the answer
    try:
        req = Request.model_validate(body)
    except ValidationError as exc:
        raise ApiError(400, message_of(exc)) from None
    try:
        req._auto_cache = None if auto is None else CacheControl.model_validate(auto)
    except ValidationError as exc:
        raise ApiError(400, f"cache_control.{message_of(exc)}") from None
    prof = profile(req.model)
    if prof is None:
        raise ApiError(404, f"model: {req.model}")
    if req.max_tokens > prof.max_output_tokens:
        raise ApiError(
            400,
            f"max_tokens: {req.max_tokens} > {prof.max_output_tokens}, which is the maximum "
            f"allowed number of output tokens for {req.model}",
        )
    check_breakpoints(req)
    return req


def message(
    req: Request,
    msg_id: str,
    blocks: list[dict],
    input_tokens: int,
    output_tokens: int,
    stop_reason: str,
    stop_sequence: str | None,
    thinking_tokens: int | None = None,
) -> dict:
    """The response body of a non-streaming call; ``thinking_tokens`` (of ``output_tokens``)
    when the model thought."""
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    }
    if thinking_tokens is not None:
        usage["output_tokens_details"] = {"thinking_tokens": thinking_tokens}
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage,
    }


def events(body: dict) -> list[tuple[str, dict]]:
    """The server-sent events that stream ``body``, in the order the SDK expects them."""
    first = {k: v for k, v in body["usage"].items() if k != "output_tokens_details"}
    start = dict(body, content=[], stop_reason=None, stop_sequence=None, usage=first)
    start["usage"]["output_tokens"] = 1
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
        elif block["type"] == "thinking":  # the text, then its signature, as the SDK expects
            empty = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": piece}
                for piece in _chunks(tokens.tokenize(block["thinking"]))
            ] + [{"type": "signature_delta", "signature": block["signature"]}]
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
                "usage": {
                    k: v
                    for k, v in body["usage"].items()
                    if k in ("output_tokens", "output_tokens_details")
                },
            },
        )
    )
    out.append(("message_stop", {"type": "message_stop"}))
    return out


def _chunks(pieces: list[str], size: int = 4) -> list[str]:
    """Group tokens a few at a time, as the API's deltas do."""
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]
