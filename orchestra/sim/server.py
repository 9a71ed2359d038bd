"""The offline Claude: an HTTP server on loopback speaking the Messages API (chapter 00).

    >>> sim = start(seed=0, time_scale=0.01)   # random free port on 127.0.0.1, env pointed at it
    >>> anthropic.Anthropic().messages.create(model="claude-haiku-4-5", max_tokens=100,
    ...     messages=[{"role": "user", "content": "Summarize: ..."}])
    >>> sim.stop()

Each call goes through the same pipeline: check the request (``api.parse``), meter it against the
key's rate limits (``limits``), maybe inject a fault (``faults``), compute the answer from the
prompt (``brain``), cut it at ``stop_sequences`` or ``max_tokens``, then wait the simulated
latency times ``time_scale`` and send it, whole or as server-sent events.

Randomness is seeded per request: the answer's from the seed and the request's content (so
temperature 0 gives the same answer to the same prompt), faults and latency jitter from those
and how many times the same request was seen (so a retry can succeed).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

from aiohttp import web

from orchestra.errors import SimulatorError
from orchestra.sim import api, brain, tokens
from orchestra.sim.faults import HTTP_FAULTS, Faults
from orchestra.sim.limits import KeyLimiter, Limits
from orchestra.sim.models import profile

INPUT_TOKENS_PER_S = 20_000  # prompt processing speed, adds to time-to-first-token
HANG_LIMIT_S = 600.0  # a hung call gives up after this many wall seconds even if nobody hangs up


@dataclass
class Outcome:
    """What the pipeline decided for one call, before it is sent."""

    body: dict
    model_s: float
    headers: dict[str, str]


class Simulator:
    """A seeded Messages API server; start it, point clients at ``url``, stop it."""

    def __init__(
        self,
        *,
        seed: int = 0,
        time_scale: float = 0.0,
        faults: Faults | None = None,
        limits: Limits | None = None,
        max_request_bytes: int = 32 * 2**20,
    ):
        self.seed, self.max_request_bytes = seed, max_request_bytes
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._saved_env: dict[str, str | None] = {}
        self.configure(time_scale=time_scale, faults=faults or Faults(), limits=limits or Limits())

    # -- set-up ---------------------------------------------------------------------------------
    def configure(
        self,
        *,
        time_scale: float | None = None,
        faults: Faults | None = None,
        limits: Limits | None = None,
    ) -> Simulator:
        """Change the dials and start counting afresh: ``sim.configure(faults=Faults(overloaded=.2))``."""
        if time_scale is not None:
            if time_scale < 0:
                raise SimulatorError(f"time_scale must be >= 0, got {time_scale}")
            self.time_scale = time_scale
        self.faults = faults if faults is not None else self.faults
        self.limits = limits if limits is not None else self.limits
        self._keys: dict[str, KeyLimiter] = {}
        self._seen: Counter[str] = Counter()
        self.log: deque[dict] = deque(maxlen=100_000)
        self._requests = 0
        return self

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:40123``."""
        if self.port is None:
            raise SimulatorError("the simulator is not running: call sim.start() first")
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> Simulator:
        """Serve on 127.0.0.1 (a free port by default) from a background thread."""
        if self._thread is not None:
            return self
        ready, failure = threading.Event(), []

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._runner = self._loop.run_until_complete(self._open(port))
            except OSError as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="orchestra-sim", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread = None
            raise SimulatorError(
                f"cannot listen on 127.0.0.1:{port}: {failure[0]}; "
                f"pick another port or use port=0 for a free one"
            )
        return self

    async def _open(self, port: int) -> web.AppRunner:
        app = web.Application(client_max_size=self.max_request_bytes + 1)
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_post("/v1/messages/count_tokens", self._count_tokens)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the port the OS picked
        return runner

    def stop(self) -> None:
        """Stop serving and restore the environment ``use()`` changed."""
        self.unuse()
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread, self.port = None, None

    def use(self) -> Simulator:
        """Point the official clients at this server: sets ``ANTHROPIC_BASE_URL`` and a placeholder key."""
        pairs = (("ANTHROPIC_BASE_URL", self.url), ("ANTHROPIC_API_KEY", api.PLACEHOLDER_KEY))
        for name, value in pairs:
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        return self

    def unuse(self) -> None:
        """Put back the environment variables ``use()`` replaced."""
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}

    def __enter__(self) -> Simulator:
        return self.start().use()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.port else "stopped"
        return f"Simulator({where}, seed={self.seed}, time_scale={self.time_scale})"

    # -- handlers -------------------------------------------------------------------------------
    async def _read(self, request: web.Request, count_only: bool) -> api.Request:
        if not (request.headers.get("x-api-key") or request.headers.get("authorization")):
            raise api.ApiError(401, "x-api-key header is required")
        if (request.content_length or 0) > self.max_request_bytes:
            raise api.ApiError(
                413, f"Request exceeds the maximum size of {self.max_request_bytes} bytes"
            )
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise api.ApiError(
                413, f"Request exceeds the maximum size of {self.max_request_bytes} bytes"
            ) from None
        return api.parse(raw, count_only=count_only)

    def _error(self, exc: api.ApiError, rid: str) -> web.Response:
        self.log.append(
            {
                "t": time.time(),
                "status": exc.status,
                "model": exc.model,
                "fault": exc.fault,
                "retry_after_s": exc.wait_s,
                "error": exc.message,
            }
        )
        return web.json_response(
            exc.body(rid), status=exc.status, headers={"request-id": rid, **exc.headers}
        )

    def _rid(self) -> str:
        self._requests += 1
        return f"req_sim_{self._requests:08d}"

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._error(
            api.ApiError(404, f"no route {request.method} {request.path}"), self._rid()
        )

    async def _count_tokens(self, request: web.Request) -> web.Response:
        rid = self._rid()
        try:
            req = await self._read(request, count_only=True)
        except api.ApiError as exc:
            return self._error(exc, rid)
        return web.json_response({"input_tokens": req.input_tokens()}, headers={"request-id": rid})

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        rid = self._rid()
        key = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        try:
            req = await self._read(request, count_only=False)
            outcome = self._decide(req, key)
        except api.ApiError as exc:
            return self._error(exc, rid)
        except _Hang:
            await self._hang(request)
            return web.Response(status=504)  # nobody is left to read this
        headers = {
            "request-id": rid,
            api.MODEL_SECONDS_HEADER: f"{outcome.model_s:.4f}",
            api.TIME_SCALE_HEADER: f"{self.time_scale:g}",
            **outcome.headers,
        }
        if not req.stream:
            await asyncio.sleep(outcome.model_s * self.time_scale)
            return web.json_response(outcome.body, headers=headers)
        return await self._stream(request, outcome, headers)

    def _decide(self, req: api.Request, key: str) -> Outcome:
        """The whole non-I/O pipeline for one call: limits, faults, answer, cut, latency."""
        prof = profile(req.model)
        n_in = req.input_tokens()
        if n_in > prof.context_window:
            raise api.ApiError(
                400, f"prompt is too long: {n_in} tokens > {prof.context_window} maximum"
            )
        # A prompt is the same request whether its content is a string or text blocks (the SDK,
        # LangChain and LlamaIndex differ there), so the same words get the same answer.
        said = [[m["role"], api.text_of(m["content"])] for m in req.messages]
        content = json.dumps(
            [
                req.model,
                req.system,
                said,
                req.tools,
                req.tool_choice,
                req.temperature,
                req.max_tokens,
                req.stop_sequences,
            ]
            + ([req.json_schema] if req.json_schema else []),
            sort_keys=True,
        )
        digest = hashlib.sha256(content.encode()).hexdigest()[:16]
        nth = self._seen[digest]
        self._seen[digest] += 1
        chance = random.Random(f"{self.seed}|{digest}|{nth}")
        limiter = self._keys.get(key)
        if limiter is None:
            limiter = self._keys[key] = KeyLimiter(self.limits, 60.0 * (self.time_scale or 1.0))
        # Injected failures come before metering: a call that fails this way costs no quota.
        fault = self.faults.pick(req.model, req.prompt(), chance)
        if fault in HTTP_FAULTS:
            raise _retry_later(
                HTTP_FAULTS[fault],
                _FAULT_MESSAGES[fault],
                req.model,
                fault,
                (0.5 + chance.random()) * self.time_scale,
                limiter.headers(),
            )
        if fault == "hang":
            self.log.append({"t": time.time(), "status": None, "model": req.model, "fault": "hang"})
            raise _Hang()
        wait = limiter.admit(n_in, req.max_tokens)
        if wait > 0:
            raise _retry_later(
                429,
                "This request would exceed your per-minute rate limit; "
                "retry after the time in retry-after",
                req.model,
                "rate_limited",
                wait,
                limiter.headers(),
            )
        # Temperature 0 answers the same prompt the same way; above 0 each repeat is a new sample.
        mind = random.Random(f"{self.seed}|{digest}" + (f"|{nth}" if req.temperature > 0 else ""))
        quality = prof.quality * (1 - 0.1 * req.temperature)
        if req.json_schema is None:
            ans = brain.answer(req.system, req.messages, req.tools, req.tool_choice, quality, mind)
        else:  # structured output: fill the schema as a forced tool would, answer it as JSON text
            schema_tool = {
                "name": "output",
                "description": "The answer.",
                "input_schema": req.json_schema,
            }
            filled = brain.answer(
                req.system,
                req.messages,
                [schema_tool],
                {"type": "tool", "name": "output"},
                quality,
                mind,
            )
            ans = brain.Answer(json.dumps(filled.tool_input), None, None, filled.task, True)
        blocks, n_out, stop_reason, stop_seq = _cut(ans, req, fault, chance)
        limiter.refund(req.max_tokens - n_out)
        model_s = (
            prof.ttft_s * math.exp(chance.gauss(0, 0.25))
            + n_in / INPUT_TOKENS_PER_S
            + n_out / prof.tokens_per_s * math.exp(chance.gauss(0, 0.1))
        )
        body = api.message(
            req, f"msg_sim_{digest}{nth:04d}", blocks, n_in, n_out, stop_reason, stop_seq
        )
        self.log.append(
            {
                "t": time.time(),
                "status": 200,
                "model": req.model,
                "fault": fault,
                "task": ans.task,
                "input_tokens": n_in,
                "output_tokens": n_out,
                "model_s": model_s,
            }
        )
        return Outcome(body, model_s, limiter.headers())

    async def _stream(
        self, request: web.Request, outcome: Outcome, headers: dict
    ) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"content-type": "text/event-stream", "cache-control": "no-cache", **headers}
        )
        await resp.prepare(request)
        events = api.events(outcome.body)
        n_out = max(outcome.body["usage"]["output_tokens"], 1)
        deltas = sum(1 for name, _ in events if name == "content_block_delta") or 1
        # Time to first token before the first delta; the rest spread evenly over the deltas.
        first = (
            outcome.model_s * self.time_scale * 0.5
            if n_out > 1
            else outcome.model_s * self.time_scale
        )
        gap = (outcome.model_s * self.time_scale - first) / deltas
        await asyncio.sleep(first)
        for name, data in events:
            await resp.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            if name == "content_block_delta" and gap > 0:
                await asyncio.sleep(gap)
        await resp.write_eof()
        return resp

    async def _hang(self, request: web.Request) -> None:
        """Say nothing until the client hangs up (its timeout), or the hang limit passes."""
        for _ in range(int(HANG_LIMIT_S / 0.05)):
            if request.transport is None or request.transport.is_closing():
                return
            await asyncio.sleep(0.05)


class _Hang(Exception):
    """Internal: this call hangs."""


_FAULT_MESSAGES = {
    "rate_limit": "Rate limited (injected fault); retry after the time in retry-after",
    "overloaded": "Overloaded",
    "server_error": "Internal server error",
}


def _retry_later(
    status: int, message: str, model: str, fault: str, wait_s: float, headers: dict
) -> api.ApiError:
    """An error that tells the SDK when to retry, in wall-clock time (model time × time_scale).

    Anthropic sends ``retry-after`` on 429s; the simulator also sends it on 529 and 500, and adds
    ``retry-after-ms``, so the SDK's own backoff shrinks with ``time_scale`` like everything else.
    """
    return api.ApiError(
        status,
        message,
        model=model,
        fault=fault,
        wait_s=wait_s,
        headers={
            **headers,
            "retry-after": str(max(1, math.ceil(wait_s))),
            "retry-after-ms": f"{max(wait_s * 1000, 1.0):.1f}",
        },
    )


def _cut(
    ans: brain.Answer, req: api.Request, fault: str | None, chance: random.Random
) -> tuple[list[dict], int, str, str | None]:
    """Content blocks after stop sequences, ``max_tokens`` and output faults; with token count."""
    if ans.tool_input is not None:
        data = dict(ans.tool_input)
        if fault == "bad_json" and data:
            data.pop(chance.choice(sorted(data)))
        block = {
            "type": "tool_use",
            "id": f"toolu_sim_{chance.getrandbits(48):012x}",
            "name": ans.tool_name,
            "input": data,
        }
        n_out = tokens.count_tokens(json.dumps(data)) + 10
        if n_out <= req.max_tokens:
            return [block], n_out, "tool_use", None
        return [], req.max_tokens, "max_tokens", None
    text = ans.text or ""
    if fault == "bad_json" and ans.is_json:
        text = text[: max(1, len(text) - 2 - chance.randrange(max(1, len(text) // 3)))]
    stop_reason, stop_seq = "end_turn", None
    hits = [(text.find(s), s) for s in req.stop_sequences if s in text]
    if hits:
        at, stop_seq = min(hits)
        text, stop_reason = text[:at], "stop_sequence"
    limit = req.max_tokens
    if fault == "truncate":
        limit = min(limit, max(1, tokens.count_tokens(text) // 2))
    if tokens.count_tokens(text) > limit:
        text, stop_reason, stop_seq = tokens.truncate(text, limit), "max_tokens", None
    return (
        [{"type": "text", "text": text}],
        max(1, tokens.count_tokens(text)),
        stop_reason,
        stop_seq,
    )


def start(
    *,
    seed: int = 0,
    time_scale: float = 0.0,
    faults: Faults | None = None,
    limits: Limits | None = None,
    port: int = 0,
    use: bool = True,
) -> Simulator:
    """Start a simulator and (by default) point the environment at it: ``sim = start(seed=1)``."""
    sim = Simulator(seed=seed, time_scale=time_scale, faults=faults, limits=limits).start(port)
    return sim.use() if use else sim
