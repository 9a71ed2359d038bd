"""What the simulator does with one checked request, without any I/O (chapters 00, 02 and 07).

``Decider.decide`` runs the call's decisions in order: does the model take this request
(``rules``), is the prompt too long, does a fault strike (``faults``), does the key's rate
limit admit it (``limits``), how long the model thinks and how good the answer is (``dial``),
what the answer is (``brain``, rendered and cut by ``render``), and how many model-seconds it
takes. It returns an ``Outcome`` or raises ``api.ApiError`` (an HTTP error to send) or ``Hang``.

Randomness is seeded per request: the answer's from the seed and the request's content (so
temperature 0 gives the same answer to the same prompt), faults and latency jitter from those
and how many times the same request was seen (so a retry can succeed). A model without
sampling parameters (every 5.x model) samples anew on every repeat: the k-th identical request
gets the k-th sample, whatever came between.

The quality dial: a model's profile quality holds at its default effort; effort moves the error
rate in proportion to how hard the task is (``think.difficulty``, capped at 1 as ``h``):

    error = (1 - quality) * (1 - GAIN[effort] * h) / (1 - GAIN[default effort] * h)

so more effort helps a hard task and barely moves an easy one. That is the mean over items;
each item's own rate comes from its hardness (``hardness``), drawn from the seed and the
prompt's text and shared by every sample and every model, so votes do not wash out hard items.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass

from orchestra.prices import Listing
from orchestra.sim import api, brain, hardness, render, rules, signatures, think
from orchestra.sim.faults import HTTP_FAULTS, Faults
from orchestra.sim.limits import KeyLimiter, Limits
from orchestra.sim.models import profile

INPUT_TOKENS_PER_S = 20_000  # prompt processing speed, adds to time-to-first-token
GAIN = {"off": 0.0, "low": 0.15, "medium": 0.35, "high": 0.5, "xhigh": 0.6, "max": 0.65}
"""How much of a hard task's error rate thinking at each effort takes away."""

FAULT_MESSAGES = {
    "rate_limit": "Rate limited (injected fault); retry after the time in retry-after",
    "overloaded": "Overloaded",
    "server_error": "Internal server error",
}


class Hang(Exception):
    """This call hangs: the server says nothing until the client gives up."""


@dataclass
class Outcome:
    """What was decided for one call, before it is sent."""

    body: dict
    """The response body (``api.message``)."""
    model_s: float
    """Simulated duration in model-seconds."""
    headers: dict[str, str]
    """The key's rate-limit headers."""
    record: dict
    """The line for the simulator's log."""


class Decider:
    """The per-call decisions, with the state they need: requests seen and each key's buckets."""

    def __init__(self, seed: int, time_scale: float, faults: Faults, limits: Limits):
        self.seed, self.time_scale, self.faults, self.limits = seed, time_scale, faults, limits
        self._keys: dict[str, KeyLimiter] = {}
        self._seen: Counter[str] = Counter()
        self._answered: Counter[str] = Counter()

    def limiter(self, key: str) -> KeyLimiter:
        if key not in self._keys:
            self._keys[key] = KeyLimiter(self.limits, 60.0 * (self.time_scale or 1.0))
        return self._keys[key]

    def decide(self, req: api.Request, key: str) -> Outcome:
        """Limits, faults, answer, cut and latency for one call."""
        prof = profile(req.model)
        how = rules.check(req, prof.listing, self.seed)
        n_in = req.input_tokens()
        if n_in > prof.context_window:
            raise api.ApiError(
                400, f"prompt is too long: {n_in} tokens > {prof.context_window} maximum"
            )
        digest = fingerprint(req)
        nth = self._seen[digest]
        self._seen[digest] += 1
        chance = random.Random(f"{self.seed}|{digest}|{nth}")
        limiter = self.limiter(key)
        # Injected failures come before metering: a call that fails this way costs no quota.
        fault = self.faults.pick(req.model, req.prompt(), chance)
        if fault in HTTP_FAULTS:
            wait = (0.5 + chance.random()) * self.time_scale
            raise retry_later(
                HTTP_FAULTS[fault], FAULT_MESSAGES[fault], req.model, fault, wait, limiter.headers()
            )
        if fault == "hang":
            raise Hang(req.model)
        wait = limiter.admit(n_in, req.max_tokens)
        if wait > 0:
            raise retry_later(
                429,
                "This request would exceed your per-minute rate limit; "
                "retry after the time in retry-after",
                req.model,
                "rate_limited",
                wait,
                limiter.headers(),
            )
        # Temperature 0 answers the same prompt the same way; above 0 each repeat is a new sample,
        # and so it is on a model that takes no temperature. The k-th ANSWERED copy of a request
        # gets the k-th sample: a copy refused by a fault or the rate limit drew none.
        kth = self._answered[digest]
        self._answered[digest] += 1
        sampled = req.temperature > 0 or not prof.listing.sampling
        mind = random.Random(f"{self.seed}|{digest}" + (f"|{kth}" if sampled else ""))
        framed = brain.frame(req)
        thought = thinking_tokens(
            req, how, framed.difficulty, random.Random(f"{self.seed}|{digest}|{kth}|think")
        )
        quality = dial(prof.quality, prof.listing, how, framed.difficulty, thought > 0)
        if prof.listing.sampling:
            quality *= 1 - 0.1 * req.temperature
        # A hard item is hard for every sample: the error rate moves with the item's hardness.
        quality = hardness.quality(quality, hardness.of(self.seed, req.prompt()))
        ans = brain.answer(req, quality, mind, framed, thought)
        cut = render.cut(ans, req.max_tokens, req.stop_sequences, fault, chance, req.model)
        limiter.refund(req.max_tokens - cut.output_tokens)
        blocks = cut.blocks
        if cut.thinking is not None:
            shown = cut.thinking if how.display == "summarized" else ""
            before = signatures.prefix(req, len(req.messages))
            sig = signatures.sign(self.seed, req.model, shown, before)
            blocks = [{"type": "thinking", "thinking": shown, "signature": sig}, *blocks]
        model_s = (
            prof.ttft_s * math.exp(chance.gauss(0, 0.25))
            + n_in / INPUT_TOKENS_PER_S
            + cut.output_tokens / prof.tokens_per_s * math.exp(chance.gauss(0, 0.1))
        )
        body = api.message(
            req,
            f"msg_sim_{digest}{nth:04d}",
            blocks,
            n_in,
            cut.output_tokens,
            cut.stop_reason,
            cut.stop_sequence,
            cut.thinking_tokens if how.thinking != "off" else None,
        )
        record = {
            "t": time.time(),
            "status": 200,
            "model": req.model,
            "fault": fault,
            "task": ans.task,
            "input_tokens": n_in,
            "output_tokens": cut.output_tokens,
            "thinking_tokens": cut.thinking_tokens,
            "effort": how.effort,
            "model_s": model_s,
            "user": req.user,
            "request": digest,  # the same prompt and settings, the same digest: repeats show
        }
        return Outcome(body, model_s, limiter.headers(), record)


def thinking_tokens(
    req: api.Request, how: rules.Settings, hardness: float, rng: random.Random
) -> int:
    """How many tokens the model thinks before this answer (0: no thinking block)."""
    if how.thinking == "adaptive":  # after a tool result, the next step needs less thought
        return think.length(how.effort, hardness / (2 if has_tool_result(req) else 1), rng)
    if how.thinking == "enabled":
        return min(how.budget, think.length(think.BUDGET_EFFORT, hardness, rng))
    if how.thinking == "between_tools" and req.messages[-1].text and has_tool_result(req):
        return think.BETWEEN_TOOLS_TOKENS
    return 0


def has_tool_result(req: api.Request) -> bool:
    return any(isinstance(b, api.ToolResult) for b in req.messages[-1].content)


def dial(base: float, model: Listing, how: rules.Settings, hardness: float, thought: bool) -> float:
    """The answer's quality: the profile's at the model's default effort, moved by the effort
    in force on a task this hard (see the module docstring)."""
    h = min(1.0, hardness / 2)
    default = model.default_effort if model.thinks_by_default else "off"
    now = (how.effort if how.thinking == "adaptive" else think.BUDGET_EFFORT) if thought else "off"
    if now == default:
        return base
    error = (1 - base) * (1 - GAIN[now] * h) / (1 - GAIN[default] * h)
    return min(1.0, max(0.0, 1 - error))


TRANSPORT = {"stream", "metadata"}
"""Fields that change how an answer travels or is logged, never what it says."""
FIRST = ("model", "system", "messages", "tools", "tool_choice", "temperature", "max_tokens")
FIRST += ("stop_sequences",)
"""The fields the key named one by one before the request was a model. They keep their places,
and the structured-output schema its own after them, so that every request draws what it drew
before (the committed notebooks' outputs depend on it)."""
SKIP = {*TRANSPORT, *FIRST, "output_format"}  # the structured-output schema has its own place


def fingerprint(req: api.Request) -> str:
    """A digest of what the answer depends on: the request, minus transport and defaults.

    A prompt is the same request whether its content is a string or text blocks (the SDK,
    LangChain and LlamaIndex differ there), so the same words get the same answer. Any other
    field counts once it is set: a field added to ``api.Request`` needs nothing here.
    """
    said = [[m.role, m.text] for m in req.messages]
    choice = req.tool_choice.model_dump(exclude_unset=True) if req.tool_choice else None
    key = [req.model, req.system_text, said, req.tool_dicts(), choice, req.temperature]
    key += [req.max_tokens, req.stop_sequences] + ([req.json_schema] if req.json_schema else [])
    others, rest = req.model_fields_set - SKIP, {}  # a field never set holds its default
    if others:
        exclude = {"output_config": {"format": True}}
        dumped = req.model_dump(mode="json", include=others, exclude=exclude, exclude_defaults=True)
        rest = {k: v for k, v in dumped.items() if v not in (None, {})}  # null or empty: unset
    content = json.dumps(key + ([rest] if rest else []), sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def retry_later(
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
