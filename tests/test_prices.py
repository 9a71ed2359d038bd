"""Tests for orchestra.prices: the one price table, and that the simulator reads it."""

import pytest

from orchestra import sim
from orchestra.prices import ALIASES, PRICES, cost_usd, price


def test_cost_of_a_known_model_and_of_its_dated_alias():
    # haiku 4.5: $1 per million input tokens, $5 per million output tokens
    assert cost_usd("claude-haiku-4-5", 1_000, 200) == pytest.approx(0.002)
    assert cost_usd("claude-haiku-4-5-20251001", 1_000, 200) == pytest.approx(0.002)
    # sonnet 5.5: $2 and $10 per million
    assert cost_usd("claude-sonnet-5-5", 2_000_000, 100_000) == pytest.approx(5.0)
    assert cost_usd("claude-opus-4-5", 0, 0) == 0.0


def test_a_retired_model_has_no_price():
    for retired in ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"):
        assert price(retired) is None
        with pytest.raises(KeyError):
            cost_usd(retired, 10, 10)


def test_every_alias_names_a_priced_model():
    for alias, family in ALIASES.items():
        assert family not in PRICES or price(alias) == PRICES[family]


def test_an_unknown_model_has_no_price():
    assert price("claude-imaginary-9") is None
    with pytest.raises(KeyError, match="claude-imaginary-9"):
        cost_usd("claude-imaginary-9", 10, 10)


def test_the_simulator_prices_exactly_the_table():
    assert set(sim.MODELS) == set(PRICES)
    for model_id, profile in sim.MODELS.items():
        assert profile.id == model_id
        assert profile.input_usd_per_mtok == PRICES[model_id].input_usd_per_mtok
        assert profile.output_usd_per_mtok == PRICES[model_id].output_usd_per_mtok
    assert sim.cost_usd("claude-opus-4-5", 1_000, 1_000) == cost_usd(
        "claude-opus-4-5", 1_000, 1_000
    )
