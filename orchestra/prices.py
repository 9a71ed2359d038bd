"""The one model table (chapter 00): what each Claude model costs, whether it is still served,
and which request fields it takes. The client, the meter and the simulator all read it.

Prices are USD per million tokens as Anthropic listed them on ``PRICES_DATE``; every cost in the
kit, simulated or real, is computed here, so check this table before quoting a number. Sources:
Anthropic's model overview, pricing, deprecation and migration-guide pages, and the newest
``anthropic`` wheel's model list and deprecation table (``make check-latest`` compares them).

    >>> cost_usd("claude-haiku-5-5", 1_000, 200)
    0.0002
    >>> cost_usd("claude-haiku-5-5", 200_000, 200)   # a long prompt: the upper tier
    0.1005

Prompt caching and batches are priced from the input price, for every model alike: a cache
write costs ``CACHE_WRITE["5m"]`` (1.25×) or ``CACHE_WRITE["1h"]`` (2×) the input price, a cache
read ``CACHE_READ`` (0.1×) of it, and everything in a Message Batch half price (``BATCH``):

    >>> cost_usd("claude-sonnet-5-5", 100, 200, cache_read=10_000)   # 100 new, 10,000 read
    0.0042
    >>> cost_usd("claude-sonnet-5-5", 100, 200, cache_read=10_000, batch=True)
    0.0021
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "PRICES_DATE",
    "Price",
    "Listing",
    "CATALOG",
    "PRICES",
    "ALIASES",
    "HAIKU",
    "SONNET",
    "OPUS",
    "LEGACY_HAIKU",
    "EFFORTS",
    "CACHE_WRITE",
    "CACHE_READ",
    "BATCH",
    "canonical",
    "listing",
    "price",
    "cost_usd",
    "usage_cost_usd",
]

PRICES_DATE = "2026-12-07"

Status = Literal["active", "deprecated", "retired"]

EFFORTS = ("low", "medium", "high", "xhigh", "max")
"""``output_config.effort``, lowest to highest: how much a model thinks before it answers."""

CACHE_WRITE = {"5m": 1.25, "1h": 2.0}
"""A prompt-cache write, as a multiple of the input price, by the entry's lifetime (``ttl``)."""
CACHE_READ = 0.1
"""A prompt-cache read (a hit), as a multiple of the input price."""
BATCH = 0.5
"""What a request in a Message Batch costs, as a multiple of the same request made directly:
input, output and cache tokens alike."""


@dataclass(frozen=True)
class Price:
    """What one million tokens of a model cost, in USD, and a dearer tier for long prompts."""

    input_usd_per_mtok: float
    """Price of one million input (prompt) tokens."""
    output_usd_per_mtok: float
    """Price of one million output tokens (thinking included)."""
    long_above: int | None = None
    """Prompts of more input tokens than this are billed at the ``long_*`` prices."""
    long_input_usd_per_mtok: float | None = None
    """Input price above ``long_above``, for every token of the call's prompt."""
    long_output_usd_per_mtok: float | None = None
    """Output price above ``long_above``."""

    def rates(self, input_tokens: int) -> tuple[float, float]:
        """The (input, output) price per million tokens for a prompt of this many tokens."""
        if self.long_above is not None and input_tokens > self.long_above:
            return self.long_input_usd_per_mtok or 0.0, self.long_output_usd_per_mtok or 0.0
        return self.input_usd_per_mtok, self.output_usd_per_mtok


@dataclass(frozen=True)
class Listing:
    """One model as Anthropic lists it: price, status and the request fields it takes."""

    id: str
    """The model id (an alias that always names the newest snapshot)."""
    price: Price
    """What it costs."""
    status: Status = "active"
    """``active``, ``deprecated`` (still served until ``until``) or ``retired`` (refused)."""
    until: str | None = None
    """Deprecated: the end-of-life date. Retired: the date it was retired."""
    replacement: str | None = None
    """The model Anthropic names as the way forward from this one."""
    snapshots: tuple[str, ...] = ()
    """Dated snapshot ids that answer as this model."""
    context_window: int = 200_000
    """Largest prompt, in tokens."""
    max_output_tokens: int = 64_000
    """Largest ``max_tokens``; thinking counts in it."""
    tokens_per_old_token: float = 1.0
    """Its tokenizer against the 4.5 generation's: the 5.x one counts about 30% more."""
    sampling: bool = True
    """Takes ``temperature``, ``top_p`` and ``top_k`` (5.x models refuse non-default values)."""
    prefill: bool = True
    """Continues an assistant turn that ends ``messages`` (5.x models refuse it)."""
    thinking: tuple[str, ...] = ("disabled", "enabled")
    """The ``thinking.type`` values it accepts; the first is what it does when none is sent."""
    efforts: tuple[str, ...] = ()
    """The ``output_config.effort`` values it accepts (none: the field is refused)."""
    default_effort: str | None = None
    """The effort it uses when none is sent."""
    forced_tools: bool = True
    """Accepts ``tool_choice`` of type ``any`` or ``tool`` (Sonnet and Opus 5.5 refuse it)."""
    display: str = "summarized"
    """What ``thinking.display`` is when none is sent: ``summarized`` (the thinking text comes
    back) or ``omitted`` (an empty ``thinking`` string with its signature; every 5.x model)."""
    legacy_computer_use: bool = True
    """Accepts the old computer-use tools (``computer_20250124``, ``computer_20251124``); the 5.x
    models want ``computer_toolset_20260801`` on the Claude API."""
    bound_thinking: bool = False
    """Its thinking blocks are bound to the transcript before them: replayed after an edit to
    that history, they are refused (5.x models)."""
    min_cache_tokens: int = 4096
    """The shortest prefix the prompt cache keeps: a ``cache_control`` breakpoint with fewer
    tokens before it (tools, system, messages) is not cached, silently."""
    notes: str = field(default="", compare=False)
    """What the model is for, in a few words."""

    @property
    def thinks_by_default(self) -> bool:
        """Whether a request without ``thinking`` thinks (adaptively) on this model."""
        return self.thinking[0] == "adaptive"


_NEW = dict(
    context_window=1_000_000,
    max_output_tokens=128_000,
    tokens_per_old_token=1.3,
    sampling=False,
    prefill=False,
    efforts=EFFORTS,
    display="omitted",
    legacy_computer_use=False,
    bound_thinking=True,
)

CATALOG: dict[str, Listing] = {
    m.id: m
    for m in (
        Listing(
            "claude-haiku-5-5",
            Price(0.10, 0.50, 100_000, 0.50, 2.50),
            thinking=("adaptive", "disabled"),
            default_effort="medium",
            min_cache_tokens=512,
            notes="fastest and cheapest; classification, routing, extraction, subagents",
            **_NEW,
        ),
        Listing(
            "claude-sonnet-5-5",
            Price(2.0, 10.0),
            thinking=("adaptive", "between_tools"),
            default_effort="high",
            forced_tools=False,
            min_cache_tokens=512,
            notes="the middle: most work",
            **_NEW,
        ),
        Listing(
            "claude-opus-5-5",
            Price(4.0, 20.0),
            thinking=("adaptive",),
            default_effort="medium",
            forced_tools=False,
            min_cache_tokens=1024,
            notes="the strongest: long agentic work, the hardest reasoning",
            **_NEW,
        ),
        Listing(
            "claude-haiku-4-5",
            Price(1.0, 5.0),
            snapshots=("claude-haiku-4-5-20251001",),
            notes="the previous Haiku: old tokenizer, sampling parameters, thinking budgets",
        ),
        Listing(
            "claude-opus-4-5",
            Price(5.0, 25.0),
            status="deprecated",
            until="2027-01-22",
            replacement="claude-opus-5-5",
            snapshots=("claude-opus-4-5-20251101",),
            efforts=("low", "medium", "high"),
            default_effort="high",
            notes="deprecated",
        ),
        Listing(
            "claude-sonnet-4-5",
            Price(3.0, 15.0),
            status="retired",
            until="2026-11-30",
            replacement="claude-sonnet-5-5",
            snapshots=("claude-sonnet-4-5-20250929",),
            min_cache_tokens=1024,
            notes="retired: the API answers 404",
        ),
    )
}

HAIKU, SONNET, OPUS = "claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"
"""Today's defaults: the cheap model, the middle one and the strongest."""
LEGACY_HAIKU = "claude-haiku-4-5"
"""The 4.5 generation's Haiku, still served: the contrast where a chapter shows what changed."""

# Dated snapshot ids are the same model, as the real API's aliases resolve.
ALIASES: dict[str, str] = {s: m.id for m in CATALOG.values() for s in m.snapshots}

PRICES: dict[str, Price] = {m.id: m.price for m in CATALOG.values() if m.status != "retired"}
"""The price of every model that is still served."""


def canonical(model: str) -> str:
    """The family id of a model or snapshot id: ``canonical("claude-haiku-4-5-20251001")``."""
    return ALIASES.get(model, model)


def listing(model: str) -> Listing | None:
    """The table's entry for a model id or alias, or None when it does not list it."""
    return CATALOG.get(canonical(model))


def price(model: str) -> Price | None:
    """The price of a model id or alias that is still served, or None."""
    return PRICES.get(canonical(model))


def cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    cache_write_5m: int = 0,
    cache_write_1h: int = 0,
    cache_read: int = 0,
    batch: bool = False,
) -> float:
    """Cost of one call in USD; ``KeyError`` for a model the table does not price.

    ``input_tokens`` are the prompt tokens neither written to nor read from the cache (the
    API's ``usage.input_tokens``); the cache's are priced from the input rate. The whole
    prompt (all three kinds) picks the tier. ``batch``: the call was part of a Message Batch.
    """
    p = price(model)
    if p is None:
        raise KeyError(model)
    rate_in, rate_out = p.rates(input_tokens + cache_write_5m + cache_write_1h + cache_read)
    prompt = (
        input_tokens
        + cache_write_5m * CACHE_WRITE["5m"]
        + cache_write_1h * CACHE_WRITE["1h"]
        + cache_read * CACHE_READ
    )
    return (prompt * rate_in + output_tokens * rate_out) / 1e6 * (BATCH if batch else 1.0)


def usage_cost_usd(model: str, usage: Any, *, batch: bool = False) -> float:
    """Cost of a response's ``usage`` (the API's dict or the SDK's object), cache fields included.

    A cache write without the ``cache_creation`` split is priced as a 5-minute write.

        >>> usage_cost_usd("claude-haiku-5-5", {"input_tokens": 1_000, "output_tokens": 200})
        0.0002
    """

    def get(obj: Any, name: str) -> Any:
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

    written = get(usage, "cache_creation_input_tokens") or 0
    split = get(usage, "cache_creation")
    one_hour = (get(split, "ephemeral_1h_input_tokens") or 0) if split is not None else 0
    return cost_usd(
        model,
        get(usage, "input_tokens") or 0,
        get(usage, "output_tokens") or 0,
        cache_write_5m=written - one_hour,
        cache_write_1h=one_hour,
        cache_read=get(usage, "cache_read_input_tokens") or 0,
        batch=batch,
    )
