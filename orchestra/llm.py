"""The LLM client: the one module that touches the ``anthropic`` SDK (chapter 00).

``LLM.ask`` sends one Messages API call through ``AsyncAnthropic`` and returns a ``Reply``:
the text (or validated structured data), usage, cost from the price table and latency. It talks
to the offline simulator by default and to real Claude when you pick ``backend="anthropic"``;
the key is read only then, never at import.

    >>> llm = LLM("claude-haiku-5-5")            # simulator; start it first: orchestra.sim.start()
    >>> reply = await llm.ask("Summarize: ...")
    >>> reply.text, reply.cost_usd, reply.thinking_tokens

Today's models think before they answer (adaptive thinking) and take no sampling parameters:
``effort=`` is the dial between quality, cost and latency. ``LLM`` sends only what a model
accepts (``orchestra.prices`` says which), reads the answer by block type, refuses a retired
model before any request and warns once about a deprecated one.

Prompt caching (chapter 12): ``cache="5m"`` or ``"1h"`` marks the system prompt as a cache
breakpoint, and ``block(text, cache=...)`` a document block in the prompt; the reply says how
many prompt tokens were written to the cache and read from it, and its cost bills them at the
cache prices. ``request(...)`` builds the body ``ask`` would send, for ``orchestra.batch``,
which sends many at half price through the Message Batches API (``submit_batch``,
``batch_status``, ``batch_results`` here are its three requests).

    >>> reply = await llm.ask([block(policy, cache="1h"), block(question)], system=rules, cache="1h")
    >>> reply.cache_write_tokens, reply.cache_read_tokens

Every call is also reported to the active ``recording()`` (``orchestra.calls``), which is how
the engine's traces learn about tokens and cost without knowing anything of the SDK.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import warnings
import weakref
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import anthropic
import httpx
from httpx_aiohttp import AiohttpTransport
from pydantic import BaseModel, ValidationError

from orchestra import clock
from orchestra.calls import Call, preview, record, recording, retried_by_policy
from orchestra.errors import (
    ConfigError,
    FatalLLMError,
    LLMError,
    OutputFormatError,
    RetryableLLMError,
)
from orchestra.prices import HAIKU, PRICES, listing, usage_cost_usd
from orchestra.tokens import count_tokens
from orchestra.wire import MODEL_SECONDS_HEADER, PLACEHOLDER_KEY, TIME_SCALE_HEADER

__all__ = [
    "LLM",
    "Reply",
    "Backend",
    "CacheTTL",
    "block",
    "is_retryable",
    "Call",
    "recording",
    "record",
    "preview",
]

Backend = Literal["sim", "anthropic"]
CacheTTL = Literal["5m", "1h"]
"""How long a prompt-cache entry lives after its last use: five minutes or one hour."""
REAL_URL = "https://api.anthropic.com"
REHEARSAL_URL = "ORCHESTRA_ANTHROPIC_URL"


@dataclass
class Reply:
    """What one call returned, with what it cost."""

    text: str
    """The answer's text ("" when structured data was asked for)."""
    data: Any
    """The validated structured answer when ``schema`` was given, else None."""
    model: str
    """The model that answered."""
    input_tokens: int
    """Prompt tokens billed."""
    output_tokens: int
    """Output tokens billed: the answer and the thinking before it."""
    cost_usd: float
    """Cost from the price table in ``orchestra.prices``."""
    latency_s: float
    """Wall-clock seconds for the call, SDK retries included (overhead too: see model_s)."""
    model_s: float | None
    """Simulated model-seconds the simulator charged (None on real Claude)."""
    stop_reason: str
    """``end_turn``, ``max_tokens``, ``stop_sequence`` or ``tool_use``."""
    thinking_tokens: int = 0
    """Of ``output_tokens``, how many the model spent thinking (billed, never shown whole)."""
    thinking: str = ""
    """The thinking as the response shows it: a summary, or "" when its display is omitted."""
    cache_write_tokens: int = 0
    """Prompt tokens written to the prompt cache (billed above the input price), not in
    ``input_tokens``: ``usage.cache_creation_input_tokens``."""
    cache_read_tokens: int = 0
    """Prompt tokens read from the prompt cache (a tenth of the input price), not in
    ``input_tokens``: ``usage.cache_read_input_tokens``."""

    @property
    def prompt_tokens(self) -> int:
        """Every prompt token: uncached, written to the cache and read from it."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens


def block(text: str, *, cache: CacheTTL | None = None) -> dict:
    """A text content block for ``ask``'s prompt, a cache breakpoint when ``cache`` is given.

    Everything up to and including a breakpoint is cached as one prefix (tools, then system,
    then messages): put what every request shares first, and what varies after it.

        >>> await llm.ask([block(contract, cache="5m"), block("Who may terminate it?")])
    """
    out: dict[str, Any] = {"type": "text", "text": text}
    if cache is not None:
        out["cache_control"] = _cache_control(cache)
    return out


def _cache_control(ttl: str) -> dict:
    if ttl not in ("5m", "1h"):
        raise ConfigError(f"cache={ttl!r}: a prompt-cache entry lives '5m' or '1h'")
    return {"type": "ephemeral", "ttl": ttl}


def is_retryable(exc: BaseException) -> bool:
    """Whether another attempt may succeed: 429, 529, 5xx, timeouts and bad output, not 4xx."""
    if isinstance(exc, (RetryableLLMError, OutputFormatError)):
        return True
    if isinstance(exc, (anthropic.APITimeoutError, anthropic.APIConnectionError)):
        return True
    if isinstance(exc, anthropic.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def _wrap(exc: anthropic.AnthropicError, model: str) -> LLMError:
    """Turn an SDK exception into our named error, keeping the SDK's as ``.cause``."""
    status = getattr(exc, "status_code", None)
    kind = RetryableLLMError if is_retryable(exc) else FatalLLMError
    what = f"HTTP {status}" if status else type(exc).__name__
    hint = (
        "retry later or lower the request rate"
        if kind is RetryableLLMError
        else "fix the request; retrying will not help"
    )
    message = f"{model}: {what}: {preview(str(exc), 200)} ({hint})"
    if kind is FatalLLMError:
        return kind(message, model=model, status=status, cause=exc)
    return kind(message, model=model, status=status, cause=exc, retry_after=_retry_after(exc))


def _retry_after(exc: anthropic.AnthropicError) -> float | None:
    """The wait the server asked for, in seconds: ``retry-after-ms`` or ``retry-after``."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name, unit in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / unit
        except (KeyError, ValueError):
            continue
    return None


class _Transport(AiohttpTransport):
    """The SDK's aiohttp transport, with one session per event loop.

    An aiohttp session belongs to the loop it was opened on, and a script may use one ``LLM``
    under several ``asyncio.run`` calls: a request from another loop retires the old session and
    opens a new one. An ``LLM`` collected unclosed retires its session too.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self.client
        if isinstance(session, aiohttp.ClientSession) and session._loop is not (
            asyncio.get_running_loop()
        ):
            self.retire()
        return await super().handle_async_request(request)

    def retire(self) -> None:
        """Close this transport's session, if it has one open, without aiohttp's "Unclosed
        client session" (which its loop's error handler prints into whatever notebook cell is
        running). The session is marked closed (``detach``) and its sockets are closed on the
        loop they belong to: a notebook's loop keeps running, so that is soon; a loop already
        closed (after ``asyncio.run``) has nothing left to run them, and its connector is only
        marked closed."""
        session, self.client = self.client, None
        if not isinstance(session, aiohttp.ClientSession) or session.closed:
            return
        connector, loop = session.connector, session._loop
        session.detach()
        if loop.is_closed():
            connector._close()
        else:
            loop.call_soon_threadsafe(lambda: loop.create_task(connector.close()))


class LLM:
    """An async client for one model; cheap to create, so make one per model you use."""

    def __init__(
        self,
        model: str = HAIKU,
        *,
        backend: Backend = "sim",
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float = 60.0,
        max_tokens: int = 2048,
        effort: str | None = None,
        thinking: str | dict | None = None,
        temperature: float | None = None,
        limiter: Any = None,
        http_client: Any = None,
    ):
        if backend not in ("sim", "anthropic"):
            raise ConfigError(f"unknown backend {backend!r}: use 'sim' (offline) or 'anthropic'")
        _check_model(model, backend)
        self.model, self.backend = model, backend
        self.max_tokens, self.effort, self.thinking = max_tokens, effort, thinking
        self.temperature, self.limiter = temperature, limiter
        self.time_scale = clock.time_scale() if backend == "sim" else 1.0
        """Wall-clock seconds per simulated second, as the simulator last said (1 on Claude):
        ``orchestra.batch`` sleeps this long per simulated second it waits between polls."""
        if backend == "sim":
            url = base_url or os.environ.get("ANTHROPIC_BASE_URL")
            if not url:
                raise ConfigError(
                    "no simulator to talk to: run `sim = orchestra.sim.start()` "
                    "and `sim.use()` first, or pass base_url=sim.url"
                )
            key = PLACEHOLDER_KEY
        else:
            # ORCHESTRA_ANTHROPIC_URL rehearses the real path against a simulator (the tests do);
            # ANTHROPIC_BASE_URL is not read here: sim.use() sets it, and a real run must
            # never end up on a simulator by accident.
            url = base_url or os.environ.get(REHEARSAL_URL) or REAL_URL
            key = os.environ.get("ANTHROPIC_API_KEY", "")
            if not key:
                raise ConfigError(
                    "backend='anthropic' needs ANTHROPIC_API_KEY in the environment; "
                    "or use backend='sim' to stay offline"
                )
        # The SDK's aiohttp transport by default: it spends about half the CPU per call of
        # httpx's connection pool (5.9 against 10.4 ms, 200 calls 8 at a time), the largest
        # cost of a call to the simulator. An LLM that is never closed closes it when collected.
        own = http_client is None
        if own:  # the limits the SDK gives its own clients
            limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
            http_client = anthropic.DefaultAioHttpClient(transport=_Transport(limits=limits))
        self._client = anthropic.AsyncAnthropic(
            api_key=key,
            base_url=url,
            max_retries=max_retries,
            timeout=timeout,
            http_client=http_client,
        )
        if own:
            weakref.finalize(self._client, http_client._transport.retire)
        hooks = http_client.event_hooks  # every HTTP request the SDK sends, retries included
        if _count_request not in hooks["request"]:  # a shared client counts each request once
            http_client.event_hooks = {**hooks, "request": [*hooks["request"], _count_request]}
        # Under an engine retry policy the policy is the one layer that retries (and counts).
        self._once = self._client.with_options(max_retries=0)

    def __repr__(self) -> str:  # never shows the key
        return f"LLM(model={self.model!r}, backend={self.backend!r})"

    async def aclose(self) -> None:
        """Close the HTTP connections now instead of at garbage collection."""
        await self._client.close()

    async def __aenter__(self) -> LLM:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def with_model(self, model: str) -> LLM:
        """The same settings on another model: ``strong = llm.with_model("claude-opus-5-5")``."""
        return self.with_(model=model)

    def with_(self, **changes: Any) -> LLM:
        """The same client with some settings changed: ``llm.with_(effort="high")``.

        ``model``, ``effort``, ``thinking``, ``max_tokens`` and ``temperature`` may change; the
        connection is shared. A retry policy's ``escalate`` steps are applied this way.
        """
        unknown = set(changes) - {"model", "effort", "thinking", "max_tokens", "temperature"}
        if unknown:
            raise ConfigError(f"LLM.with_ cannot change {sorted(unknown)}")
        if "model" in changes:
            _check_model(changes["model"], self.backend)
        other = object.__new__(LLM)
        other.__dict__.update(self.__dict__, **changes)
        return other

    async def ask(
        self,
        prompt: str | list[dict],
        *,
        system: str | None = None,
        max_tokens: int | None = None,
        effort: str | None = None,
        thinking: str | dict | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        schema: type[BaseModel] | None = None,
        cache: CacheTTL | None = None,
    ) -> Reply:
        """Send one message and return the reply: ``await llm.ask("Classify: ...", system=...)``.

        ``prompt`` is the user's text, a list of content blocks (``block``) for one user turn,
        or a list of messages. With ``schema`` (a pydantic model) the answer is asked for as
        JSON fitting the model's schema (structured output, ``output_config.format``);
        ``Reply.data`` is then a validated instance. ``effort`` and ``thinking`` override the
        client's for this call; ``temperature`` is sent only to a model that takes sampling
        parameters. ``cache`` ("5m" or "1h") makes the system prompt a cache breakpoint.
        """
        kwargs = self.request(
            prompt,
            system=system,
            max_tokens=max_tokens,
            effort=effort,
            thinking=thinking,
            temperature=temperature,
            stop=stop,
            schema=schema,
            cache=cache,
        )
        messages = kwargs["messages"]
        slot = (
            self.limiter.slot(count_tokens(json.dumps(messages))) if self.limiter else nullcontext()
        )
        queued = time.time()
        async with slot:  # a shared limiter may make us wait here; that is not the call's latency
            started = time.time()
            if self.limiter is not None:  # the wait, in simulated time at the limiter's scale
                clock.advance((started - queued) / (getattr(self.limiter, "minute_s", 60.0) / 60))
            known = listing(self.model)
            asked = kwargs.get("output_config", {}).get("effort")
            call = Call(
                self.model,
                started,
                started,
                "ok",
                sim_start=clock.now(),
                prompt_preview=preview(prompt if isinstance(prompt, str) else messages[-1]),
                effort=asked or (known.default_effort if known else None),
            )
            box = [0]  # the request hook counts into it, the SDK's retries included
            sent = _sent.set(box)
            try:
                reply = await self._send(kwargs, schema, call)
            except anthropic.AnthropicError as exc:
                error = _wrap(exc, self.model)
                self._finish(call, box, error=error)
                raise error from None
            except OutputFormatError as exc:  # answered and billed, but unusable
                self._finish(call, box, error=exc)
                raise
            finally:
                _sent.reset(sent)
        call.output_preview = preview(reply.text or json.dumps(_plain(reply.data)))
        self._finish(call, box)
        return reply

    def request(
        self,
        prompt: str | list[dict],
        *,
        system: str | None = None,
        max_tokens: int | None = None,
        effort: str | None = None,
        thinking: str | dict | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        schema: type[BaseModel] | None = None,
        cache: CacheTTL | None = None,
    ) -> dict:
        """The Messages API body ``ask`` would send, with the same arguments (for a batch).

        >>> llm.request("Summarize: ...", system=rules, cache="1h")["system"][0]["cache_control"]
        {'type': 'ephemeral', 'ttl': '1h'}
        """
        if isinstance(prompt, str):
            messages = [{"role": "user", "content": prompt}]
        elif prompt and all("role" not in part for part in prompt):  # content blocks: one turn
            messages = [{"role": "user", "content": list(prompt)}]
        else:
            messages = prompt
        kwargs: dict[str, Any] = dict(
            model=self.model, messages=messages, max_tokens=max_tokens or self.max_tokens
        )
        kwargs.update(
            self._settings(
                self.effort if effort is None else effort,
                self.thinking if thinking is None else thinking,
                self.temperature if temperature is None else temperature,
            )
        )
        if system and cache is not None:
            kwargs["system"] = [block(system, cache=cache)]
        elif system:
            kwargs["system"] = system
        elif cache is not None:
            raise ConfigError(
                "cache= marks the system prompt as a cache breakpoint, and there is none: pass "
                "system=..., or mark a block of the prompt with block(text, cache=...)"
            )
        if stop:
            kwargs["stop_sequences"] = stop
        if schema is not None:
            fmt = {"type": "json_schema", "schema": anthropic.transform_schema(schema)}
            kwargs["output_config"] = {**kwargs.get("output_config", {}), "format": fmt}
        return kwargs

    async def _send(self, kwargs: dict, schema: type[BaseModel] | None, call: Call) -> Reply:
        client = self._once if retried_by_policy() else self._client
        raw = await client.messages.with_raw_response.create(**kwargs)
        msg = raw.parse()
        # What the answer cost, in money and in time, is known now: record it before checking
        # its format, so an unusable answer is still charged (the API billed it).
        # Simulated time is the simulator's; on the real backend (even one rehearsed against a
        # simulator) there is none, so the code that reads it is exercised as on real Claude.
        sim = self.backend == "sim"
        header = raw.headers.get(MODEL_SECONDS_HEADER) if sim else None
        scale = raw.headers.get(TIME_SCALE_HEADER) if sim else None
        if scale:
            self.time_scale = float(scale)
            clock.set_time_scale(self.time_scale)
        call.model_s = float(header) if header else None
        latency = time.time() - call.started
        reply = self._reply(msg, latency, call.model_s, batch=False)
        call.input_tokens, call.output_tokens = reply.input_tokens, reply.output_tokens
        call.cache_write_tokens, call.cache_read_tokens = (
            reply.cache_write_tokens,
            reply.cache_read_tokens,
        )
        call.stop_reason, call.cost_usd = msg.stop_reason, reply.cost_usd
        call.thinking_tokens = reply.thinking_tokens
        call.sim_end = clock.advance(call.model_s if call.model_s is not None else latency)
        if schema is not None:
            reply.data = self._structured(reply.text, schema, msg.stop_reason)
            reply.text = ""
        return reply

    def _reply(self, msg: Any, latency: float, model_s: float | None, *, batch: bool) -> Reply:
        """A ``Reply`` from an SDK ``Message``: usage, cost (cache and batch prices) and text."""
        usage = msg.usage
        written = getattr(usage, "cache_creation_input_tokens", None) or 0
        read = getattr(usage, "cache_read_input_tokens", None) or 0
        details = getattr(usage, "output_tokens_details", None)
        # The answer is read by block type: a thinking block may come first.
        return Reply(
            text="".join(b.text for b in msg.content if b.type == "text"),
            data=None,
            model=msg.model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=_cost(self.model, usage, batch=batch),
            latency_s=latency,
            model_s=model_s,
            stop_reason=msg.stop_reason or "end_turn",
            thinking_tokens=getattr(details, "thinking_tokens", 0) or 0,
            thinking="".join(b.thinking for b in msg.content if b.type == "thinking"),
            cache_write_tokens=written,
            cache_read_tokens=read,
        )

    # ---------------------------------------------------------------- Message Batches API
    # Three requests; orchestra.batch.run_batch polls, orders and records around them.

    async def submit_batch(self, requests: dict[str, dict]) -> dict:
        """Create a Message Batch of ``{custom_id: body}`` (bodies from ``request``); its status.

        The status is a plain dict: ``id``, ``processing_status`` (``in_progress``,
        ``canceling``, ``ended``), ``request_counts`` and ``created_at``/``ended_at``.
        """
        items = [{"custom_id": cid, "params": body} for cid, body in requests.items()]
        return await self._batch_call(lambda c: c.messages.batches.create(requests=items))

    async def batch_status(self, batch_id: str) -> dict:
        """The status of a Message Batch (see ``submit_batch``): poll it until ``ended``."""
        return await self._batch_call(lambda c: c.messages.batches.retrieve(batch_id))

    async def batch_results(self, batch_id: str) -> dict[str, Reply | LLMError]:
        """An ended batch's results by ``custom_id``: a ``Reply`` (billed at the batch price),
        or the named error of a request that errored, expired or was canceled."""
        try:
            lines = await self._client.messages.batches.results(batch_id)
            out: dict[str, Reply | LLMError] = {}
            async for line in lines:
                out[line.custom_id] = self._batch_result(line.result)
            return out
        except anthropic.AnthropicError as exc:
            raise _wrap(exc, self.model) from None

    async def _batch_call(self, send: Any) -> dict:
        try:
            raw = await send(self._client.with_raw_response)
        except anthropic.AnthropicError as exc:
            raise _wrap(exc, self.model) from None
        scale = raw.headers.get(TIME_SCALE_HEADER) if self.backend == "sim" else None
        if scale:
            self.time_scale = float(scale)
            clock.set_time_scale(self.time_scale)
        return raw.parse().model_dump(mode="json")

    def _batch_result(self, result: Any) -> Reply | LLMError:
        if result.type == "succeeded":
            return self._reply(result.message, 0.0, None, batch=True)
        if result.type == "errored":
            error = result.error.error  # the ErrorResponse's error object
            kind = (
                RetryableLLMError
                if error.type in ("rate_limit_error", "overloaded_error", "api_error")
                else FatalLLMError
            )
            return kind(
                f"{self.model}: batch request errored: {error.type}: {error.message}",
                model=self.model,
            )
        return RetryableLLMError(  # expired (not processed within 24 h) or canceled
            f"{self.model}: batch request {result.type}; submit it again", model=self.model
        )

    def _structured(self, text: str, schema: type[BaseModel], stop_reason: str | None) -> Any:
        """The JSON answer validated against ``schema``, or ``OutputFormatError``."""
        if not text.strip():
            why = "thinking used up max_tokens" if stop_reason == "max_tokens" else "no text"
            raise OutputFormatError(
                f"{self.model} gave no JSON answer ({why}); raise max_tokens or lower the effort",
                model=self.model,
            )
        try:
            return schema.model_validate_json(text)
        except ValidationError as exc:
            cut = " (cut at max_tokens)" if stop_reason == "max_tokens" else ""
            raise OutputFormatError(
                f"{self.model}'s answer does not fit {schema.__name__}{cut}: "
                f"{preview(str(exc), 200)}",
                model=self.model,
                cause=exc,
            ) from None

    def _settings(self, effort: str | None, thinking: str | dict | None, temperature: float | None):
        """The request fields for effort, thinking and sampling, as this model takes them."""
        out: dict[str, Any] = {}
        if effort is not None:
            out["output_config"] = {"effort": effort}
        if thinking is not None:
            out["thinking"] = {"type": thinking} if isinstance(thinking, str) else thinking
        if temperature is not None:
            known = listing(self.model)
            if known is None or known.sampling:
                out["temperature"] = temperature
            else:
                _warn_once(
                    ("temperature", known.id),
                    f"{known.id} takes no temperature (the API refuses it); not sent. "
                    f"Each call is a fresh sample; use effort= to trade quality for cost",
                    UserWarning,
                )
        return out

    def _finish(self, call: Call, sent: list[int], error: BaseException | None = None) -> None:
        call.ended, call.requests = time.time(), max(sent[0], 1)
        if not call.sim_end:  # no answer: the simulator charged nothing; real Claude took time
            lost = call.ended - call.started if self.backend == "anthropic" else 0.0
            call.sim_end = clock.advance(lost)
        if error is not None:
            call.status, call.error = "error", preview(str(error), 200)
        record(call)


_sent: ContextVar[list[int] | None] = ContextVar("orchestra_requests_sent", default=None)


async def _count_request(request: httpx.Request) -> None:
    """An httpx request hook: count the request in the current call's box (``ask`` opens it)."""
    box = _sent.get()
    if box is not None:
        box[0] += 1


_warned: set[tuple[str, str]] = set()


def _warn_once(key: tuple[str, str], message: str, category: type[Warning]) -> None:
    """Warn once per process for each ``key``, pointing at the caller's code."""
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, category, stacklevel=4)


def _check_model(model: str, backend: Backend) -> None:
    """Refuse a retired or (offline) unknown model before any request; warn on a deprecated one."""
    known = listing(model)
    if known is None:
        if backend == "sim":
            raise ConfigError(f"unknown model {model!r}; the simulator has {sorted(PRICES)}")
        return  # a real model the table does not list yet: the API will say
    if known.status == "retired":
        raise ConfigError(
            f"{model} was retired on {known.until}: the API no longer serves it; "
            f"use {known.replacement} (orchestra.prices.CATALOG lists today's models)"
        )
    if known.status == "deprecated":
        _warn_once(
            ("deprecated", known.id),
            f"{model} is deprecated and reaches end of life on {known.until}; "
            f"move to {known.replacement}",
            DeprecationWarning,
        )


def _cost(model: str, usage: Any, *, batch: bool) -> float:
    try:
        return usage_cost_usd(model, usage, batch=batch)
    except KeyError:
        return float("nan")  # a real model the price table does not list yet


def _plain(data: Any) -> Any:
    return data.model_dump() if isinstance(data, BaseModel) else data
