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
from orchestra.prices import HAIKU, PRICES, cost_usd, listing
from orchestra.tokens import count_tokens
from orchestra.wire import MODEL_SECONDS_HEADER, PLACEHOLDER_KEY, TIME_SCALE_HEADER

__all__ = ["LLM", "Reply", "Backend", "is_retryable", "Call", "recording", "record", "preview"]

Backend = Literal["sim", "anthropic"]
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
    ) -> Reply:
        """Send one message and return the reply: ``await llm.ask("Classify: ...", system=...)``.

        With ``schema`` (a pydantic model) the answer is asked for as JSON fitting the model's
        schema (structured output, ``output_config.format``); ``Reply.data`` is then a validated
        instance. ``effort`` and ``thinking`` override the client's for this call;
        ``temperature`` is sent only to a model that takes sampling parameters.
        """
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
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
        if system:
            kwargs["system"] = system
        if stop:
            kwargs["stop_sequences"] = stop
        if schema is not None:
            fmt = {"type": "json_schema", "schema": anthropic.transform_schema(schema)}
            kwargs["output_config"] = {**kwargs.get("output_config", {}), "format": fmt}
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
            clock.set_time_scale(float(scale))
        usage = msg.usage
        call.input_tokens, call.output_tokens = usage.input_tokens, usage.output_tokens
        call.stop_reason = msg.stop_reason
        call.cost_usd = _cost(self.model, usage.input_tokens, usage.output_tokens)
        call.model_s = float(header) if header else None
        latency = time.time() - call.started
        call.sim_end = clock.advance(call.model_s if call.model_s is not None else latency)
        details = getattr(usage, "output_tokens_details", None)
        call.thinking_tokens = getattr(details, "thinking_tokens", 0) or 0
        # The answer is read by block type: a thinking block may come first.
        text = "".join(b.text for b in msg.content if b.type == "text")
        thought = "".join(b.thinking for b in msg.content if b.type == "thinking")
        data = None
        if schema is not None:
            data = self._structured(text, schema, msg.stop_reason)
        return Reply(
            text="" if schema is not None else text,
            data=data,
            model=msg.model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=call.cost_usd,
            latency_s=latency,
            model_s=call.model_s,
            stop_reason=msg.stop_reason or "end_turn",
            thinking_tokens=call.thinking_tokens,
            thinking=thought,
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


def _cost(model: str, input_tokens: int, output_tokens: int) -> float:
    try:
        return cost_usd(model, input_tokens, output_tokens)
    except KeyError:
        return float("nan")  # a real model the price table does not list yet


def _plain(data: Any) -> Any:
    return data.model_dump() if isinstance(data, BaseModel) else data
