"""The one price table (chapter 00): what a call costs, for the client, the meter and the simulator.

Prices are USD per million tokens as Anthropic listed them on ``PRICES_DATE``; every cost in the
kit, simulated or real, is computed here, so check this table before quoting a number.

    >>> cost_usd("claude-haiku-4-5", 1_000, 200)
    0.002
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRICES_DATE", "Price", "PRICES", "ALIASES", "canonical", "price", "cost_usd"]

PRICES_DATE = "2025-11-24"


@dataclass(frozen=True)
class Price:
    """What one million tokens of a model cost, in USD."""

    input_usd_per_mtok: float
    """Price of one million input (prompt) tokens."""
    output_usd_per_mtok: float
    """Price of one million output (answer) tokens."""


PRICES: dict[str, Price] = {
    "claude-haiku-4-5": Price(1.0, 5.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-opus-4-5": Price(5.0, 25.0),
}

# Dated snapshot ids cost what their family does, as the real API's aliases resolve.
ALIASES: dict[str, str] = {
    "claude-haiku-4-5-20251001": "claude-haiku-4-5",
    "claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
    "claude-opus-4-5-20251101": "claude-opus-4-5",
}


def canonical(model: str) -> str:
    """The family id of a model or snapshot id: ``canonical("claude-haiku-4-5-20251001")``."""
    return ALIASES.get(model, model)


def price(model: str) -> Price | None:
    """The price of a model id or alias, or None when the table does not list it."""
    return PRICES.get(canonical(model))


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    """Cost of one call in USD; raises ``KeyError`` for a model the table does not list."""
    p = price(model)
    if p is None:
        raise KeyError(model)
    return (input_tokens * p.input_usd_per_mtok + output_tokens * p.output_usd_per_mtok) / 1e6
