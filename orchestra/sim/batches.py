"""The Message Batches API, as the simulator serves it (chapter 12).

A batch is a list of Messages API requests, each with a ``custom_id``, answered later at half
price (``prices.BATCH``). The simulator answers every request when the batch is created (the
same decisions as a direct call: checks, answer, prompt cache) and lets **model time**
(``clock``) reveal them: a batch waits in a queue, then its requests run ``LANES`` at a time,
each taking the model-seconds its answer takes. So a batch takes minutes to hours of model
time; at ``time_scale`` 0.001 an hour passes in 3.6 wall seconds, and at 0 it is done at once.

What the API says, the simulator says: ``processing_status`` ``in_progress`` → (``canceling``)
→ ``ended``; ``request_counts`` move from ``processing`` only when the batch ends; results as
JSONL in the order the requests finished (not the order sent); a request the Messages API
would refuse is ``errored`` with that error; what was not started when a cancel came is
``canceled``; what had not finished 24 hours after creation is ``expired``.

    >>> client.messages.batches.create(requests=[{"custom_id": "a", "params": {...}}])
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass

from orchestra.sim import api
from orchestra.sim.cache import PromptCache
from orchestra.sim.clock import Clock
from orchestra.sim.decide import Decider
from orchestra.sim.faults import Faults
from orchestra.sim.limits import Limits

LANES = 8
"""Requests of one batch that run side by side."""
QUEUE_S = 600.0
"""Median model-seconds a batch waits before its first request runs (seeded, log-normal)."""
EXPIRES_S = 24 * 3600.0
"""A batch's requests not finished this long after it was created expire."""
MAX_REQUESTS = 100_000
"""The most requests one batch may hold."""
CANCEL_S = 30.0
"""Model-seconds from a cancel to the end of a batch that had nothing running."""


@dataclass
class Item:
    """One request of a batch, answered."""

    custom_id: str
    start: float
    """Model-seconds after the batch's creation at which it ran."""
    end: float
    """Model-seconds after the batch's creation at which it finished."""
    result: dict
    """``{"type": "succeeded", "message": ...}`` or ``{"type": "errored", "error": ...}``."""


@dataclass
class Batch:
    """One Message Batch of one API key."""

    id: str
    key: str
    created: float
    """Model time of its creation."""
    instant: bool
    """Created at ``time_scale`` 0: it has ended by the time anyone asks."""
    items: list[Item]
    """In the order they finish."""
    cancel_at: float | None = None
    """Model-seconds after creation at which a cancel came."""
    logged: bool = False
    """Its answered requests are in the simulator's log (they go there when it ends)."""

    def outcome(self, item: Item) -> str:
        """``succeeded``, ``errored``, ``canceled`` or ``expired``, once the batch has ended."""
        if self.cancel_at is not None and item.start >= self.cancel_at:
            return "canceled"
        if item.end > EXPIRES_S:
            return "expired"
        return item.result["type"]

    def ends(self) -> float:
        """Model-seconds after creation at which it ends."""
        ran = [i.end for i in self.items if self.outcome(i) in ("succeeded", "errored")]
        last = max(ran, default=0.0)
        if self.cancel_at is not None:
            return max(last, self.cancel_at + CANCEL_S * (not ran))
        return EXPIRES_S if any(i.end > EXPIRES_S for i in self.items) else last

    def view(self, now: float, base_url: str) -> dict:
        """The batch as the API describes it at model time ``now``."""
        elapsed = math.inf if self.instant else now - self.created
        ended = elapsed >= self.ends()
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        for item in self.items:
            counts[self.outcome(item) if ended else "processing"] += 1
        status = "ended" if ended else "in_progress" if self.cancel_at is None else "canceling"
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": Clock.stamp(self.created + self.ends()) if ended else None,
            "created_at": Clock.stamp(self.created),
            "expires_at": Clock.stamp(self.created + EXPIRES_S),
            "archived_at": None,
            "cancel_initiated_at": (
                Clock.stamp(self.created + self.cancel_at) if self.cancel_at is not None else None
            ),
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }

    def results(self) -> bytes:
        """The JSONL results file: one line per request, in the order they finished."""
        lines = []
        for item in self.items:
            kind = self.outcome(item)
            result = item.result if kind == item.result["type"] else {"type": kind}
            lines.append(json.dumps({"custom_id": item.custom_id, "result": result}))
        return ("\n".join(lines) + "\n").encode()


class Batches:
    """Every API key's batches, answered by their own ``Decider`` (no injected faults, no
    per-minute limits: a batch's requests are not the key's real-time traffic)."""

    def __init__(self, seed: int, clock: Clock, cache: PromptCache):
        self.seed, self.clock, self.cache = seed, clock, cache
        self.decider = Decider(seed, 0.0, Faults(), Limits())
        self._batches: dict[str, Batch] = {}
        self._made = 0

    def create(self, body: bytes, key: str, time_scale: float) -> Batch:
        """Check a create request, answer its requests and keep the batch; ``ApiError`` for a
        body the API refuses as a whole."""
        requests = read_requests(body)
        self._made += 1  # ids never repeat, even after a delete
        bid = f"{self.seed}|batch|{self._made}"
        bid = "msgbatch_" + hashlib.sha256(bid.encode()).hexdigest()[:24]
        now = self.clock.now()
        wait = QUEUE_S * math.exp(random.Random(f"{self.seed}|{bid}").gauss(0, 0.5))
        lanes = [wait] * LANES
        items = []
        for custom_id, params in requests:
            lane = min(range(LANES), key=lanes.__getitem__)
            start = lanes[lane]
            result, model_s = self.answer(params, key, now + start)
            lanes[lane] = start + model_s
            items.append(Item(custom_id, start, start + model_s, result))
        items.sort(key=lambda i: i.end)
        batch = Batch(bid, key, now, time_scale == 0, items)
        self._batches[bid] = batch
        return batch

    def answer(self, params: dict, key: str, start: float) -> tuple[dict, float]:
        """One request's result and model-seconds, as if it started at model time ``start``."""
        try:
            if params.get("stream"):
                raise api.ApiError(400, "stream: streaming is not supported in Message Batches")
            req = api.parse(json.dumps(params).encode())
            out = self.decider.decide(req, key)
        except api.ApiError as exc:
            return {"type": "errored", "error": exc.body(None)}, 0.0
        except Exception as exc:  # a bug in answering: errored, as the API's 500 would be
            err = api.ApiError(500, f"Internal server error: {type(exc).__name__}: {exc}")
            return {"type": "errored", "error": err.body(None)}, 0.0
        usage, model_s = self.cache.serve(req, key, start, out.body["usage"], out.model_s)
        message = {**out.body, "usage": {**usage, "service_tier": "batch"}}
        return {"type": "succeeded", "message": message}, model_s

    def get(self, bid: str, key: str) -> Batch:
        """A batch of this key, or the API's 404."""
        batch = self._batches.get(bid)
        if batch is None or batch.key != key:
            raise api.ApiError(404, f"message_batch_id: no batch {bid!r} in this workspace")
        return batch

    def cancel(self, bid: str, key: str) -> Batch:
        """Ask a batch to stop: what has not started is canceled; an ended batch is unchanged."""
        batch = self.get(bid, key)
        elapsed = self.clock.now() - batch.created
        if batch.cancel_at is None and not batch.instant and elapsed < batch.ends():
            batch.cancel_at = elapsed
        return batch

    def delete(self, bid: str, key: str) -> dict:
        """Forget an ended batch; one still processing must be canceled first (400)."""
        batch = self.get(bid, key)
        if batch.view(self.clock.now(), "")["processing_status"] != "ended":
            raise api.ApiError(
                400, f"Batch {bid} cannot be deleted while it is processing; cancel it first"
            )
        del self._batches[bid]
        return {"id": bid, "type": "message_batch_deleted"}

    def page(self, key: str, query: dict, base_url: str) -> dict:
        """One page of this key's batches, newest first (``limit``, ``after_id``, ``before_id``)."""
        mine = [b for b in reversed(self._batches.values()) if b.key == key]
        ids = [b.id for b in mine]
        try:
            limit = int(query.get("limit", 20))
        except ValueError:
            raise api.ApiError(400, "limit: Input should be a valid integer") from None
        if not 1 <= limit <= 1000:
            raise api.ApiError(400, "limit: Input should be between 1 and 1000")
        if "after_id" in query:
            at = ids.index(query["after_id"]) + 1 if query["after_id"] in ids else len(ids)
            chosen, more = mine[at : at + limit], at + limit < len(mine)
        elif "before_id" in query:
            at = ids.index(query["before_id"]) if query["before_id"] in ids else 0
            chosen, more = mine[max(0, at - limit) : at], at - limit > 0
        else:
            chosen, more = mine[:limit], limit < len(mine)
        now = self.clock.now()
        return {
            "data": [b.view(now, base_url) for b in chosen],
            "has_more": more,
            "first_id": chosen[0].id if chosen else None,
            "last_id": chosen[-1].id if chosen else None,
        }


def read_requests(body: bytes) -> list[tuple[str, dict]]:
    """The (custom_id, params) of a create request; ``ApiError`` for what the API refuses."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise api.ApiError(
            400, "Invalid JSON in request body: check that it is valid JSON"
        ) from None
    if not isinstance(data, dict) or "requests" not in data:
        raise api.ApiError(400, "requests: Field required")
    requests = data["requests"]
    if not isinstance(requests, list) or not requests:
        raise api.ApiError(400, "requests: List should have at least 1 item")
    if len(requests) > MAX_REQUESTS:
        raise api.ApiError(400, f"requests: a batch holds at most {MAX_REQUESTS} requests")
    out, seen = [], set()
    for i, r in enumerate(requests):
        cid = r.get("custom_id") if isinstance(r, dict) else None
        if not (isinstance(cid, str) and 1 <= len(cid) <= 64 and _ID_CHARS.issuperset(cid)):
            raise api.ApiError(
                400,
                f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'",
            )
        if cid in seen:
            raise api.ApiError(400, f"requests.{i}.custom_id: duplicate custom_id {cid!r}")
        if not isinstance(r.get("params"), dict):
            raise api.ApiError(400, f"requests.{i}.params: Input should be an object")
        seen.add(cid)
        out.append((cid, r["params"]))
    return out


_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
