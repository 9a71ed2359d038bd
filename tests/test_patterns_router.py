"""Tests for orchestra.patterns.router: routes by label, default and threshold, one output format."""

import asyncio

from orchestra import LLM
from orchestra.errors import UnknownStepError
from orchestra.patterns.router import LOW_CONFIDENCE, escalate, handler, router, triage_all

CATEGORIES = {
    "billing": "charges, refunds, invoices",
    "shipping": "delivery, package, courier",
    "other": "anything else",
}
URGENCY = {
    "normal": "a usual request",
    "high": "urgent, immediately, damaged",
    "low": "minor, someday",
}


def build(llm, **kw):
    handlers = {c: handler(llm, c, URGENCY) for c in ("billing", "shipping")}
    return router(llm, handlers, categories=CATEGORIES, **kw)


def run(texts, **kw):
    async def go():
        async with LLM("claude-opus-5-5") as llm:
            return await triage_all(build(llm, **kw), texts, concurrency=4)

    return asyncio.run(go())


def test_routes_each_ticket_to_its_handler_in_one_format(sim):
    billing, shipping = run(
        [
            "I was charged twice for my invoice, refund it immediately",
            "My package never arrived, the courier lost it",
        ]
    )
    assert (billing.state.label, billing.state.handler, billing.state.urgency) == (
        "billing",
        "billing",
        "high",
    )
    assert (shipping.state.label, shipping.state.handler) == ("shipping", "shipping")
    assert all(r.state.reply and r.state.urgency in URGENCY for r in (billing, shipping))
    assert [s.key for s in billing.trace.steps()] == ["00.classify", "01.route[billing].00.billing"]


def test_unknown_label_without_default_aborts_with_unknown_step_error(sim):
    [result] = run(["Are you hiring designers this year?"])
    assert result.status == "aborted" and isinstance(result.error, UnknownStepError)
    assert "'other'" in result.reason and "default" in result.reason


def test_default_route_takes_unknown_labels(sim):
    [result] = run(["Are you hiring designers this year?"], default=escalate)
    assert result.status == "completed" and result.state.handler == "escalate"


def test_low_confidence_goes_to_default_even_for_a_known_label(sim):
    text = "I was charged twice for my invoice"
    [sure] = run([text], default=escalate, threshold=0.0)
    [unsure] = run([text], default=escalate, threshold=1.0)
    assert sure.state.handler == "billing"
    assert unsure.state.handler == "escalate" and unsure.state.label == "billing"
    assert f"[{LOW_CONFIDENCE}]" in unsure.trace.steps()[-1].key


def test_triage_all_keeps_input_order(sim):
    texts = ["refund my invoice", "where is my package", "charged twice", "courier lost it"]
    results = run(texts, default=escalate)
    assert [r.state.text for r in results] == texts
