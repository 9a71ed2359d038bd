"""Tests for orchestra.patterns.chain: extract -> validate -> format against the simulator."""

import asyncio

import pytest
from pydantic import ValidationError

from orchestra import LLM, datasets
from orchestra import sim as simulator
from orchestra.patterns.chain import (
    ChainState,
    Extracted,
    format_listing,
    problems,
    product_chain,
    validate,
)

PRODUCTS = {p["id"]: p for p in datasets.load("products")}


def run(wf, pid):
    return asyncio.run(wf.run(ChainState(text=PRODUCTS[pid]["blurb"])))


def test_chain_completes_with_typed_hand_offs(sim):
    result = run(product_chain(LLM("claude-opus-5-5")), "p01")
    assert result.status == "completed"
    assert [s.key for s in result.trace.steps()] == ["00.extract", "01.validate", "02.format"]
    assert result.state.product.price_usd == 49.99
    assert result.state.listing.startswith("Aurora X2 | lighting | $49.99")


def test_missing_price_aborts_with_partial_state_and_reason(sim):
    result = run(product_chain(LLM("claude-opus-5-5")), "p06")  # the text gives no price
    assert result.status == "aborted"
    assert result.state.extracted is not None and result.state.product is None
    assert "ValidationError" in result.reason and "price_usd" in result.reason
    assert result.missing == ["01.validate", "02.format"]


def test_repair_reasks_with_the_complaint(sim):
    llm = LLM("claude-haiku-5-5")
    priced = [pid for pid, p in PRODUCTS.items() if p["price_usd"] is not None]
    plain = {pid: run(product_chain(llm), pid) for pid in priced}
    sim.configure()  # a fresh count: each chain's first extraction is the sample plain got
    repaired = {pid: run(product_chain(llm, repairs=2), pid) for pid in priced}
    rescued = [
        pid
        for pid in priced
        if plain[pid].status == "aborted" and repaired[pid].status == "completed"
    ]
    checks = {
        pid: next(s for s in repaired[pid].trace.steps() if s.key == "01.validate")
        for pid in rescued
    }
    # the first extraction is the one plain got, so what validate refused the repair rescued
    by_repair = [pid for pid, c in checks.items() if c.status == "fallback"]
    assert by_repair, "haiku's validation failures should be fixed by re-asking with the complaint"
    assert all(checks[pid].answered_by == "repair" for pid in by_repair)
    assert all(
        repaired[pid].status == "completed" for pid in priced if plain[pid].status == "completed"
    )


def test_retry_survives_a_tool_answer_that_lost_a_field(sim):
    sim.configure(
        faults=simulator.Faults(plan=[simulator.Rule("bad_json", match="Crisp Air", nth=1)])
    )
    result = run(product_chain(LLM("claude-opus-5-5")), "p08")
    assert result.status == "completed"
    assert result.trace.steps()[0].attempts == 2
    sim.configure(
        faults=simulator.Faults(plan=[simulator.Rule("bad_json", match="Crisp Air", nth=1)])
    )
    result = run(product_chain(LLM("claude-opus-5-5"), retry=None), "p08")
    assert result.status == "aborted" and "OutputFormatError" in result.reason


def test_validate_and_format_are_plain_functions():
    good = Extracted(
        product="Lamp", price_usd=10, category="lighting", weight_kg=None, warranty_years=2
    )
    assert format_listing(validate(good)) == "Lamp | lighting | $10.00 | 2-year warranty"
    with pytest.raises(ValidationError) as info:
        validate(good.model_copy(update={"price_usd": -1.0}))
    assert problems(info.value) == "price_usd: Input should be greater than 0"
