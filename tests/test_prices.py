"""Tests for orchestra.prices: the one model table, and that the simulator reads it."""

import pytest

from orchestra import sim
from orchestra.prices import ALIASES, CATALOG, PRICES, cost_usd, listing, price, usage_cost_usd


def test_cost_of_today_s_models_and_of_a_dated_alias():
    # Haiku 5.5: $0.10 per million input tokens, $0.50 per million output tokens
    assert cost_usd("claude-haiku-5-5", 1_000, 200) == pytest.approx(0.0002)
    # Sonnet 5.5 $2 / $10, Opus 5.5 $4 / $20
    assert cost_usd("claude-sonnet-5-5", 2_000_000, 100_000) == pytest.approx(5.0)
    assert cost_usd("claude-opus-5-5", 1_000_000, 1_000_000) == pytest.approx(24.0)
    # Haiku 4.5, by its family id and by its snapshot id: $1 / $5
    assert cost_usd("claude-haiku-4-5", 1_000, 200) == pytest.approx(0.002)
    assert cost_usd("claude-haiku-4-5-20251001", 1_000, 200) == pytest.approx(0.002)


def test_haiku_5_5_bills_a_prompt_over_100k_tokens_at_the_upper_tier():
    at, over = (
        cost_usd("claude-haiku-5-5", 100_000, 1_000),
        cost_usd("claude-haiku-5-5", 100_001, 1_000),
    )
    assert at == pytest.approx(0.01 + 0.0005)
    assert over == pytest.approx(100_001 * 0.5 / 1e6 + 1_000 * 2.5 / 1e6)
    assert cost_usd("claude-sonnet-5-5", 200_000, 0) == pytest.approx(0.4)  # no tier


def test_statuses_dates_and_replacements():
    assert listing("claude-opus-4-5").status == "deprecated"
    assert listing("claude-opus-4-5").until == "2027-01-22"
    retired = listing("claude-sonnet-4-5-20250929")
    assert retired.status == "retired" and retired.replacement == "claude-sonnet-5-5"
    assert price("claude-sonnet-4-5") is None  # no longer served, so not priced
    for m in CATALOG.values():
        assert m.replacement is None or CATALOG[m.replacement].status == "active"


def test_every_alias_names_a_listed_model():
    for alias, family in ALIASES.items():
        assert family in CATALOG and listing(alias) is CATALOG[family]


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
    assert sim.cost_usd("claude-opus-5-5", 1_000, 1_000) == cost_usd(
        "claude-opus-5-5", 1_000, 1_000
    )


def test_a_retired_model_has_no_price():
    for retired in ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"):
        assert price(retired) is None
        with pytest.raises(KeyError):
            cost_usd(retired, 10, 10)


def test_cache_writes_and_reads_are_priced_from_the_input_price_for_every_model():
    for model, p in PRICES.items():
        base = p.input_usd_per_mtok / 1e6
        assert cost_usd(model, 0, 0, cache_write_5m=1_000) == pytest.approx(1_000 * base * 1.25)
        assert cost_usd(model, 0, 0, cache_write_1h=1_000) == pytest.approx(1_000 * base * 2)
        assert cost_usd(model, 0, 0, cache_read=1_000) == pytest.approx(1_000 * base * 0.1)
        assert cost_usd(model, 1_000, 100) == pytest.approx(
            1_000 * base + 100 * p.output_usd_per_mtok / 1e6
        )  # the old signature still works


def test_a_batch_costs_half_of_everything():
    for model in PRICES:
        whole = cost_usd(model, 1_000, 500, cache_write_1h=300, cache_read=2_000)
        assert cost_usd(
            model, 1_000, 500, cache_write_1h=300, cache_read=2_000, batch=True
        ) == pytest.approx(whole / 2)


def test_the_whole_prompt_picks_haiku_5_5_s_tier_cache_included():
    # 1,000 new tokens after 100,000 read from the cache: a 101,000-token prompt, the upper tier
    assert cost_usd("claude-haiku-5-5", 1_000, 0, cache_read=100_000) == pytest.approx(
        (1_000 + 0.1 * 100_000) * 0.50 / 1e6
    )


def test_usage_cost_reads_the_api_s_usage_fields():
    usage = {
        "input_tokens": 50,
        "output_tokens": 100,
        "cache_creation_input_tokens": 3_000,
        "cache_read_input_tokens": 10_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 1_000, "ephemeral_1h_input_tokens": 2_000},
    }
    assert usage_cost_usd("claude-sonnet-5-5", usage) == pytest.approx(
        cost_usd(
            "claude-sonnet-5-5",
            50,
            100,
            cache_write_5m=1_000,
            cache_write_1h=2_000,
            cache_read=10_000,
        )
    )
    del usage["cache_creation"]  # no split: a 5-minute write
    assert usage_cost_usd("claude-sonnet-5-5", usage) == pytest.approx(
        cost_usd("claude-sonnet-5-5", 50, 100, cache_write_5m=3_000, cache_read=10_000)
    )


def test_each_model_s_minimum_cacheable_prompt():
    # Anthropic's prompt-caching page; Opus 5.5's is not published in what we could read
    wanted = {
        "claude-haiku-5-5": 512,
        "claude-sonnet-5-5": 512,
        "claude-opus-5-5": 1024,
        "claude-haiku-4-5": 4096,
        "claude-opus-4-5": 4096,
    }
    assert {m: listing(m).min_cache_tokens for m in PRICES} == wanted
