"""Model ids and their simulated speed and quality (chapter 00); prices live in ``orchestra.prices``.

Speed and quality are the simulator's dials, chosen to keep the families' order (Haiku is the
fastest and cheapest, Opus the slowest and best), not measured from the real models.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestra.prices import ALIASES, PRICES, PRICES_DATE, canonical, cost_usd

__all__ = ["ModelProfile", "MODELS", "ALIASES", "PRICES_DATE", "profile", "cost_usd"]


@dataclass(frozen=True)
class ModelProfile:
    """How one simulated model behaves; what it costs is read from the price table."""

    id: str
    """Canonical model id, e.g. ``claude-haiku-4-5``."""
    ttft_s: float
    """Median time to first token, in model-seconds."""
    tokens_per_s: float
    """Output tokens generated per model-second after the first."""
    quality: float
    """Probability (0..1) that an answer comes out right; the rest are plausible mistakes."""
    context_window: int = 200_000
    """Largest prompt, in tokens, the model accepts."""
    max_output_tokens: int = 64_000
    """Largest ``max_tokens`` a request may ask for (64k for every 4.5 model)."""

    @property
    def input_usd_per_mtok(self) -> float:
        """Price of one million input tokens, USD (from ``orchestra.prices``)."""
        return PRICES[self.id].input_usd_per_mtok

    @property
    def output_usd_per_mtok(self) -> float:
        """Price of one million output tokens, USD (from ``orchestra.prices``)."""
        return PRICES[self.id].output_usd_per_mtok


MODELS: dict[str, ModelProfile] = {
    p.id: p
    for p in (
        ModelProfile("claude-haiku-4-5", ttft_s=0.35, tokens_per_s=160.0, quality=0.80),
        ModelProfile("claude-sonnet-4-5", ttft_s=0.60, tokens_per_s=80.0, quality=0.92),
        ModelProfile("claude-opus-4-5", ttft_s=1.00, tokens_per_s=50.0, quality=0.97),
    )
}


def profile(model: str) -> ModelProfile | None:
    """The profile for a model id or alias, or None if unknown: ``profile("claude-haiku-4-5")``."""
    return MODELS.get(canonical(model))
