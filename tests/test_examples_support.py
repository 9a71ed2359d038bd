"""Tests for orchestra.examples.support: the chapter-10 pipeline, its golden answers and first_wrong."""

import pytest

from orchestra import Reply
from orchestra.errors import OutputFormatError
from orchestra.examples.support import Case, Models, first_wrong, golden, pipeline, reply_ok

pytestmark = pytest.mark.anyio

TICKET = {"id": "T", "text": "My parcel arrived broken.", "category": "shipping", "urgency": "high"}
GOOD_REPLY = "Hello, I have asked the courier to collect it. Best regards, the support team"


class Stub:
    def __init__(self, text, stop_reason="end_turn"):
        self.text, self.stop_reason = text, stop_reason

    async def ask(self, prompt, **_):
        return Reply(self.text, None, "stub", 0, 0, 0.0, 0.0, None, self.stop_reason)


def stubs(category="shipping", urgency="high", reply=GOOD_REPLY, stop_reason="end_turn"):
    return {
        "classify": Stub(f'{{"label": "{category}", "confidence": 0.9}}'),
        "urgency": Stub(urgency),
        "draft": Stub(reply, stop_reason),
    }


async def test_a_right_run_has_no_culprit():
    result = await pipeline(clients=stubs()).run(Case(text=TICKET["text"]))
    assert result.state.answer == f"[Logistics · 1 h] {GOOD_REPLY}"
    assert first_wrong(result.trace, golden(TICKET)) is None


@pytest.mark.parametrize(
    "bad, culprit",
    [
        ({"category": "billing"}, "classify"),
        ({"urgency": "low"}, "urgency"),
        ({"reply": "Hello, I have asked the courier to"}, "draft"),
        ({"reply": "Hello. We will look into it. Best regards, the support team"}, "draft"),
    ],
)
async def test_first_wrong_names_the_first_step_that_disagrees(bad, culprit):
    result = await pipeline(clients=stubs(**bad)).run(Case(text=TICKET["text"]))
    assert first_wrong(result.trace, golden(TICKET)) == culprit


async def test_check_cut_refuses_a_reply_cut_off():
    clients = stubs(reply="Hello, I have", stop_reason="max_tokens")
    passed = await pipeline(clients=clients).run(Case(text=TICKET["text"]))
    assert passed.status == "completed" and not reply_ok(passed.state.reply)
    refused = await pipeline(Models(check_cut=True), clients=clients).run(Case(text=TICKET["text"]))
    assert refused.status == "aborted" and isinstance(refused.error.cause, OutputFormatError)
    assert first_wrong(refused.trace, golden(TICKET)) == "draft"
