"""Model ids, their simulated speed and quality, and the one price table (chapter 00).

Prices are USD per million tokens as Anthropic listed them on ``PRICES_DATE``; every cost in
the kit (simulated or real) is computed from this table, so check it before quoting a number.
Speed and quality are the simulator's dials, chosen to keep the families' order (Haiku is the
fastest and cheapest, Opus the slowest and best), not measured from the real models.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_DATE = "2025-11-24"


@dataclass(frozen=True)
class ModelProfile:
    """How one simulated model behaves and what it costs."""

    id: str
    """Canonical model id, e.g. ``claude-haiku-4-5``."""
    input_usd_per_mtok: float
    """Price of one million input tokens, USD."""
    output_usd_per_mtok: float
    """Price of one million output tokens, USD."""
    ttft_s: float
    """Median time to first token, in model-seconds."""
    tokens_per_s: float
    """Output tokens generated per model-second after the first."""
    quality: float
    """Probability (0..1) that an answer comes out right; the rest are plausible mistakes."""
    context_window: int = 200_000
    """Largest prompt, in tokens, the model accepts."""


MODELS: dict[str, ModelProfile] = {
    p.id: p
    for p in (
        ModelProfile("claude-haiku-4-5", 1.0, 5.0, ttft_s=0.35, tokens_per_s=160.0, quality=0.80),
        ModelProfile("claude-sonnet-4-5", 3.0, 15.0, ttft_s=0.60, tokens_per_s=80.0, quality=0.92),
        ModelProfile("claude-opus-4-5", 5.0, 25.0, ttft_s=1.00, tokens_per_s=50.0, quality=0.97),
    )
}

# Dated snapshot ids resolve to the same profile, as the real API's aliases do.
ALIASES = {
    "claude-haiku-4-5-20251001": "claude-haiku-4-5",
    "claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
    "claude-opus-4-5-20251101": "claude-opus-4-5",
}


def profile(model: str) -> ModelProfile | None:
    """The profile for a model id or alias, or None if unknown: ``profile("claude-haiku-4-5")``."""
    return MODELS.get(ALIASES.get(model, model))


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    """Cost of one call from the price table: ``cost_usd("claude-haiku-4-5", 1000, 200)``."""
    p = profile(model)
    if p is None:
        raise KeyError(model)
    return (input_tokens * p.input_usd_per_mtok + output_tokens * p.output_usd_per_mtok) / 1e6
