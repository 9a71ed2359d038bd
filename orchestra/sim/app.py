"""The simulator's HTTP side: an aiohttp application with the Messages API routes (chapter 00).

Handlers only read requests and write responses: the decisions are ``decide.Decider``'s, the
body checks ``api.parse``'s, the prompt cache's ``cache.PromptCache``'s and the batches'
``batches.Batches``'. Time passes here (``asyncio.sleep`` of model-seconds × time_scale),
whole or spread over server-sent events when the client streams.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from aiohttp import web

from orchestra import wire
from orchestra.sim import api
from orchestra.sim.batches import Batch, Batches
from orchestra.sim.cache import PromptCache
from orchestra.sim.clock import Clock
from orchestra.sim.decide import Decider, Hang, Outcome
from orchestra.sim.models import profile

HANG_LIMIT_S = 600.0  # a hung call gives up after this many wall seconds even if nobody hangs up


class State(Protocol):
    """What the handlers read from the simulator that owns them."""

    decider: Decider
    log: deque[dict]
    max_request_bytes: int
    clock: Clock
    cache: PromptCache
    batches: Batches

    @property
    def time_scale(self) -> float: ...


def make_app(state: State) -> web.Application:
    """The routes: ``POST /v1/messages``, ``POST /v1/messages/count_tokens``, the Message
    Batches API under ``/v1/messages/batches``, 404 elsewhere."""
    handlers = Handlers(state)
    app = web.Application(client_max_size=state.max_request_bytes + 1)
    app.router.add_post("/v1/messages", handlers.messages)
    app.router.add_post("/v1/messages/count_tokens", handlers.count_tokens)
    app.router.add_post("/v1/messages/batches", handlers.batch_create)
    app.router.add_get("/v1/messages/batches", handlers.batch_list)
    app.router.add_get("/v1/messages/batches/{id}", handlers.batch_get)
    app.router.add_delete("/v1/messages/batches/{id}", handlers.batch_delete)
    app.router.add_post("/v1/messages/batches/{id}/cancel", handlers.batch_cancel)
    app.router.add_get("/v1/messages/batches/{id}/results", handlers.batch_results)
    app.router.add_route("*", "/{tail:.*}", handlers.not_found)
    return app


class Handlers:
    """The request handlers of one simulator."""

    def __init__(self, state: State):
        self.state = state
        self.requests = 0

    def rid(self) -> str:
        self.requests += 1
        return f"req_sim_{self.requests:08d}"

    @staticmethod
    def key(request: web.Request) -> str:
        """The caller's API key (401 without one): caches and batches are per key."""
        key = request.headers.get("x-api-key") or request.headers.get("authorization")
        if not key:
            raise api.ApiError(401, "x-api-key header is required")
        return key

    async def body(self, request: web.Request) -> bytes:
        """The raw body, within the size limit (413 above it)."""
        most = self.state.max_request_bytes
        too_large = api.ApiError(413, f"Request exceeds the maximum size of {most} bytes")
        if (request.content_length or 0) > most:
            raise too_large
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise too_large from None

    async def checked(self, request: web.Request, count_only: bool) -> api.Request:
        """The request's body as a checked ``api.Request`` (a key is required first)."""
        self.key(request)
        raw = await self.body(request)
        try:
            return api.parse(raw, count_only=count_only)
        except api.ApiError:
            raise
        except Exception as exc:  # a body parse did not foresee: still the client's to fix
            raise api.ApiError(400, f"Invalid request body: {type(exc).__name__}: {exc}") from None

    def error(self, exc: api.ApiError, rid: str) -> web.Response:
        self.state.log.append(
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

    async def not_found(self, request: web.Request) -> web.Response:
        return self.error(
            api.ApiError(404, f"no route {request.method} {request.path}"), self.rid()
        )

    async def count_tokens(self, request: web.Request) -> web.Response:
        rid = self.rid()
        try:
            req = await self.checked(request, count_only=True)
            counted = {"input_tokens": req.input_tokens()}
        except api.ApiError as exc:
            return self.error(exc, rid)
        except Exception as exc:
            return self.error(crashed(exc), rid)
        return web.json_response(counted, headers={"request-id": rid})

    async def messages(self, request: web.Request) -> web.StreamResponse:
        rid = self.rid()
        key = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        start = self.state.clock.now()
        try:
            req = await self.checked(request, count_only=False)
            outcome = cached(self.state.cache, req, key, start, self.state.decider.decide(req, key))
        except api.ApiError as exc:
            return self.error(exc, rid)
        except Hang as hang:
            self.state.log.append(
                {"t": time.time(), "status": None, "model": hang.args[0], "fault": "hang"}
            )
            await wait_for_hangup(request)
            return web.Response(status=504)  # nobody is left to read this
        except Exception as exc:
            return self.error(crashed(exc), rid)
        self.state.log.append(outcome.record)
        headers = {
            "request-id": rid,
            wire.MODEL_SECONDS_HEADER: f"{outcome.model_s:.4f}",
            wire.TIME_SCALE_HEADER: f"{self.state.time_scale:g}",
            **outcome.headers,
        }
        wall_s = outcome.model_s * self.state.time_scale
        if not req.stream:
            await asyncio.sleep(wall_s)
            return web.json_response(outcome.body, headers=headers)
        return await stream(request, outcome, headers, wall_s)

    async def batch_call(
        self, request: web.Request, act: Callable[[str], Awaitable[Batch | dict | bytes]]
    ) -> web.Response:
        """Run one Message Batches action, answering its ``ApiError`` in the API's shape."""
        rid = self.rid()
        try:
            found = await act(self.key(request))
        except api.ApiError as exc:
            return self.error(exc, rid)
        except Exception as exc:
            return self.error(crashed(exc), rid)
        if isinstance(found, Batch):
            found = self.seen(found, base_url(request))
        # the scale too, so a client whose first call is a batch paces its polls in model time
        headers = {"request-id": rid, wire.TIME_SCALE_HEADER: f"{self.state.time_scale:g}"}
        if isinstance(found, bytes):
            return web.Response(body=found, content_type="application/x-jsonl", headers=headers)
        return web.json_response(found, headers=headers)

    def seen(self, batch: Batch, url: str) -> dict:
        """The batch as the API describes it now; the first time it shows as ended, the log gets
        a line for each request it answered (not those canceled or expired)."""
        view = batch.view(self.state.clock.now(), url)
        if view["processing_status"] == "ended" and not batch.logged:
            batch.logged = True
            for item in batch.items:
                if batch.outcome(item) == "succeeded":
                    self.state.log.append(batch_record(batch.id, item.result["message"]))
        return view

    async def batch_create(self, request: web.Request) -> web.Response:
        async def act(key: str) -> Batch:
            raw = await self.body(request)
            return self.state.batches.create(raw, key, self.state.time_scale)

        return await self.batch_call(request, act)

    async def batch_list(self, request: web.Request) -> web.Response:
        async def act(key: str) -> dict:
            return self.state.batches.page(key, dict(request.query), base_url(request))

        return await self.batch_call(request, act)

    async def batch_get(self, request: web.Request) -> web.Response:
        async def act(key: str) -> Batch:
            return self.state.batches.get(request.match_info["id"], key)

        return await self.batch_call(request, act)

    async def batch_cancel(self, request: web.Request) -> web.Response:
        async def act(key: str) -> Batch:
            return self.state.batches.cancel(request.match_info["id"], key)

        return await self.batch_call(request, act)

    async def batch_delete(self, request: web.Request) -> web.Response:
        async def act(key: str) -> dict:
            return self.state.batches.delete(request.match_info["id"], key)

        return await self.batch_call(request, act)

    async def batch_results(self, request: web.Request) -> web.Response:
        async def act(key: str) -> bytes:
            batch = self.state.batches.get(request.match_info["id"], key)
            if self.seen(batch, "")["processing_status"] != "ended":
                raise api.ApiError(
                    404, f"Results for batch {batch.id} are not available until it has ended"
                )
            return batch.results()

        return await self.batch_call(request, act)


def cached(cache: PromptCache, req: api.Request, key: str, start: float, out: Outcome) -> Outcome:
    """The outcome with the prompt cache applied: its usage and model-seconds, and its log line.

    The log line also says ``ttft_s``, the model-seconds before the first output token: the
    call's time less its output tokens at the model's nominal rate (``models``)."""
    usage, model_s = cache.serve(req, key, start, out.body["usage"], out.model_s)
    making = usage["output_tokens"] / profile(req.model).tokens_per_s
    record = {**out.record, "model_s": model_s, "ttft_s": max(0.0, model_s - making)}
    record.update({k: usage[k] for k in CACHE_FIELDS}, input_tokens=usage["input_tokens"])
    return replace(out, body={**out.body, "usage": usage}, model_s=model_s, record=record)


CACHE_FIELDS = ("cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation")
"""The usage fields the log copies, so that ``prices.usage_cost_usd`` can price a log line."""


def batch_record(batch_id: str, message: dict) -> dict:
    """The log line of a batch's answered request."""
    usage = message["usage"]
    return {
        "t": time.time(),
        "status": 200,
        "model": message["model"],
        "fault": None,
        "batch": batch_id,
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        **{k: usage[k] for k in CACHE_FIELDS},
    }


def base_url(request: web.Request) -> str:
    """The URL the client reached this server at, for ``results_url``."""
    return f"{request.scheme}://{request.host}"


def crashed(exc: Exception) -> api.ApiError:
    """A bug in answering: a 500 in the API's JSON shape, never aiohttp's plain-text page."""
    return api.ApiError(500, f"Internal server error: {type(exc).__name__}: {exc}")


async def stream(
    request: web.Request, outcome: Outcome, headers: dict, wall_s: float
) -> web.StreamResponse:
    """Send the body as server-sent events: time to first token (the model-seconds before the
    first output token, ``ttft_s``: shorter on a cache hit), then each delta after the time its
    tokens take (``pauses``), so the first text comes after the thinking, shown or not."""
    resp = web.StreamResponse(
        headers={"content-type": "text/event-stream", "cache-control": "no-cache", **headers}
    )
    await resp.prepare(request)
    events = api.events(outcome.body)
    share = outcome.record["ttft_s"] / outcome.model_s if outcome.model_s else 1.0
    first = wall_s * share
    await asyncio.sleep(first)
    waits = iter(pauses(events, outcome.body.get("usage", {}), wall_s - first))
    for name, data in events:
        await resp.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        if name == "content_block_delta" and (wait := next(waits)) > 0:
            await asyncio.sleep(wait)
    await resp.write_eof()
    return resp


def pauses(events: list[tuple[str, dict]], usage: dict, seconds: float) -> list[float]:
    """The wait after each content delta: ``seconds`` shared by the tokens each one carries.
    The thinking's tokens (``usage.output_tokens_details``) go to its block's deltas, its
    signature included (with thinking not displayed, the signature is all the block sends);
    the rest of ``output_tokens`` to the other deltas, by the size of what each carries."""
    deltas = [data["delta"] for name, data in events if name == "content_block_delta"]
    thinking = (usage.get("output_tokens_details") or {}).get("thinking_tokens") or 0
    rest = max((usage.get("output_tokens") or 0) - thinking, 0)
    thought = [d["type"] in ("thinking_delta", "signature_delta") for d in deltas]
    size = [len(json.dumps(d)) for d in deltas]
    group = {t: sum(s for s, u in zip(size, thought, strict=True) if u == t) for t in set(thought)}
    tokens = [(thinking if t else rest) * s / group[t] for s, t in zip(size, thought, strict=True)]
    total = sum(tokens)
    if not total:  # nothing counted: evenly, as the tokens are unknown
        return [seconds / len(deltas)] * len(deltas) if deltas else []
    return [seconds * t / total for t in tokens]


async def wait_for_hangup(request: web.Request) -> None:
    """Say nothing until the client hangs up (its timeout), or the hang limit passes."""
    for _ in range(int(HANG_LIMIT_S / 0.05)):
        if request.transport is None or request.transport.is_closing():
            return
        await asyncio.sleep(0.05)
