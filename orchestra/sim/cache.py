"""Prompt caching as the Messages API does it (chapter 12).

A ``cache_control`` breakpoint on a tool, a system block or a message block asks the API to
keep the prompt's prefix up to and including that block (tools first, then system, then
messages); the top-level ``cache_control`` puts one on the last block. The rules kept here:

- A later request with the **identical prefix** up to a boundary reads it: each breakpoint
  looks back over the 20 blocks before it for the longest prefix in the cache. What is read
  is ``usage.cache_read_input_tokens``; what the breakpoints after it add is written,
  ``usage.cache_creation_input_tokens`` (split by lifetime in ``usage.cache_creation``); and
  ``usage.input_tokens`` is only the rest, after the last breakpoint.
- A prefix shorter than the model's minimum (``prices.Listing.min_cache_tokens``) is neither
  written nor read, silently.
- Entries live 5 minutes or 1 hour of **model time** (``clock``) after their last use: a read
  refreshes them.
- Each API key and model has its own cache. A request sees only what a request that had
  already **answered when it started** wrote: concurrent first requests all write.
- A read is faster: the cached tokens are not processed again. Assumption (not measured on
  the real API): reading a cached prompt token takes ``READ_TIME`` (a tenth, as its price) of
  the time processing it takes, so a hit takes ``(1 - READ_TIME) × read / INPUT_TOKENS_PER_S``
  model-seconds off the time to first token.

    >>> cache = PromptCache(Clock(time_scale=0.01))
    >>> usage, model_s = cache.serve(req, "key", cache.clock.now(), usage, model_s)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from orchestra.prices import canonical, listing
from orchestra.sim.api import Piece, Request
from orchestra.sim.clock import Clock
from orchestra.sim.decide import INPUT_TOKENS_PER_S

LOOKBACK = 20
"""How many blocks before a breakpoint the API checks for a cached prefix."""
TTL_S = {"5m": 300.0, "1h": 3600.0}
"""An entry's lifetime after its last use, in model-seconds."""
READ_TIME = 0.1
"""The time to read a cached prompt token, as a share of the time to process it (assumed)."""


@dataclass
class Entry:
    """One cached prefix."""

    ready: float
    """Model time at which its first writer had answered: visible to requests from then on."""
    used: float
    """Model time of its last write or read."""
    ttl_s: float
    """Lifetime after its last use, in model-seconds."""

    def live(self, t: float) -> bool:
        """Still in the cache at model time ``t``."""
        return t - self.used <= self.ttl_s


@dataclass
class Plan:
    """What one request reads and writes."""

    read: int = 0
    write_5m: int = 0
    write_1h: int = 0
    writes: list[tuple[str, float]] = field(default_factory=list)
    """(prefix digest, lifetime) of each entry it writes."""
    used: list[str] = field(default_factory=list)
    """Digests of the entries it reads (their lifetimes restart)."""


def digests(pieces: list[Piece]) -> list[str]:
    """The digest of each prefix: of every block up to and including that one."""
    out, h = [], hashlib.sha256()
    for p in pieces:
        h.update(p.key.encode() + b"\x00")
        out.append(h.copy().hexdigest()[:24])
    return out


class PromptCache:
    """Every API key's and model's cached prefixes, on the simulator's clock."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self._entries: dict[tuple[str, str, str], Entry] = {}

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def plan(self, req: Request, key: str, start: float) -> Plan:
        """What a request with this key, starting at model time ``start``, reads and writes."""
        pieces = req.pieces
        marks = [i for i, p in enumerate(pieces) if p.mark is not None]
        if not marks:
            return Plan()
        model = canonical(req.model)
        least = listing(model).min_cache_tokens
        ends = _running_sum([p.tokens for p in pieces], cap=req.input_tokens())
        names = digests(pieces)
        plan, hit = Plan(), -1
        for m in marks:  # the longest prefix some breakpoint finds within its look-back
            for i in range(m, max(-1, m - LOOKBACK), -1):
                entry = self._entries.get((key, model, names[i]))
                if entry and entry.ready <= start and entry.live(start) and ends[i] >= least:
                    hit = max(hit, i)
                    break
        if hit >= 0:
            plan.read = ends[hit]
            plan.used = [names[i] for i in marks if i < hit] + [names[hit]]
        done = plan.read
        for m in marks:
            if m <= hit or ends[m] < least:
                continue
            ttl = pieces[m].mark.ttl
            if ttl == "1h":
                plan.write_1h += ends[m] - done
            else:
                plan.write_5m += ends[m] - done
            done = ends[m]
            plan.writes.append((names[m], TTL_S[ttl]))
        return plan

    def commit(self, plan: Plan, req: Request, key: str, start: float, ready: float) -> None:
        """Record a request's reads and writes: it started at ``start`` and answered at
        ``ready`` (model time)."""
        model = canonical(req.model)
        for name in plan.used:
            entry = self._entries.get((key, model, name))
            if entry is not None:
                entry.used = max(entry.used, start)
        for name, ttl_s in plan.writes:
            old = self._entries.get((key, model, name))
            if old is not None and old.live(start):  # written meanwhile by a concurrent request
                old.ready, old.used, old.ttl_s = min(old.ready, ready), start, max(old.ttl_s, ttl_s)
            else:
                self._entries[(key, model, name)] = Entry(ready, start, ttl_s)

    def serve(
        self, req: Request, key: str, start: float, usage: dict, model_s: float
    ) -> tuple[dict, float]:
        """The usage and model-seconds of a request that started at ``start``, with the cache
        applied; the cache records what it wrote and read."""
        plan = self.plan(req, key, start)
        cached = plan.read + plan.write_5m + plan.write_1h
        usage = {
            **usage,
            "input_tokens": max(0, usage["input_tokens"] - cached),
            "cache_creation_input_tokens": plan.write_5m + plan.write_1h,
            "cache_read_input_tokens": plan.read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": plan.write_5m,
                "ephemeral_1h_input_tokens": plan.write_1h,
            },
        }
        model_s = max(0.0, model_s - (1 - READ_TIME) * plan.read / INPUT_TOKENS_PER_S)
        self.commit(plan, req, key, start, self.clock.later(start, model_s))
        return usage, model_s


def _running_sum(values: list[int], cap: int) -> list[int]:
    """Running totals, none above ``cap`` (the request's whole input)."""
    out, total = [], 0
    for v in values:
        total += v
        out.append(min(total, cap))
    return out
