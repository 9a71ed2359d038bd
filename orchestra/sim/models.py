"""Model ids and their simulated speed and quality (chapter 00); prices and API facts live in
``orchestra.prices``.

Speed and quality are the simulator's dials, chosen to keep the families' order (Haiku is the
fastest and cheapest, Opus the slowest and best), not measured from the real models. What a
model costs, its limits and which request fields it takes are read from its
``prices.Listing``: there is one table of facts. A retired model has no profile, so the
simulator answers its id with the API's 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestra.prices import ALIASES, CATALOG, PRICES, PRICES_DATE, Listing, canonical, cost_usd

__all__ = ["ModelProfile", "MODELS", "ALIASES", "PRICES_DATE", "profile", "cost_usd"]


@dataclass(frozen=True)
class ModelProfile:
    """How one simulated model behaves; what it costs and takes is read from the model table."""

    id: str
    """Canonical model id, e.g. ``claude-haiku-5-5``."""
    ttft_s: float
    """Median time to first token, in model-seconds."""
    tokens_per_s: float
    """Output tokens (thinking included) generated per model-second after the first."""
    quality: float
    """Probability (0..1) that an answer comes out right at the model's default settings, before
    effort and task difficulty move it (``decide.dial``); the rest are plausible mistakes."""

    @property
    def listing(self) -> Listing:
        """The model's entry in ``orchestra.prices.CATALOG``: its API facts."""
        return CATALOG[self.id]

    @property
    def context_window(self) -> int:
        """Largest prompt, in tokens, the model accepts."""
        return self.listing.context_window

    @property
    def max_output_tokens(self) -> int:
        """Largest ``max_tokens`` a request may ask for (thinking counts in it)."""
        return self.listing.max_output_tokens

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
        ModelProfile("claude-haiku-5-5", ttft_s=0.30, tokens_per_s=200.0, quality=0.86),
        ModelProfile("claude-sonnet-5-5", ttft_s=0.50, tokens_per_s=110.0, quality=0.93),
        ModelProfile("claude-opus-5-5", ttft_s=0.90, tokens_per_s=60.0, quality=0.97),
        ModelProfile("claude-haiku-4-5", ttft_s=0.35, tokens_per_s=160.0, quality=0.80),
        ModelProfile("claude-opus-4-5", ttft_s=1.00, tokens_per_s=50.0, quality=0.95),
    )
    if CATALOG[p.id].status != "retired"
}


def profile(model: str) -> ModelProfile | None:
    """The profile for a model id or alias still served, or None: ``profile("claude-haiku-5-5")``."""
    return MODELS.get(canonical(model))
