"""Tests for orchestra.review: the panel resumes a waiting run when its buttons are clicked."""

import pytest
from pydantic import BaseModel

from orchestra import LLM, SqliteStore, Workflow, approval, step
from orchestra.review import draft_of, review_panel

pytestmark = pytest.mark.anyio


class Doc(BaseModel):
    product: str
    draft: str = ""
    decision: dict | None = None
    published: str | None = None


def make_workflow(llm: LLM) -> Workflow:
    @step(writes="draft")
    async def draft(d: Doc) -> dict:
        r = await llm.ask(
            f"Write a product description for {d.product} in at most 40 words. "
            f"It must mention: USB-C charging, two-year warranty"
        )
        return {"draft": r.text}

    @step(writes="published")
    async def apply(d: Doc) -> dict:
        action = d.decision["action"]
        return {
            "published": {"approve": d.draft, "edit": d.decision.get("text"), "reject": None}[
                action
            ]
        }

    return Workflow(
        "review",
        state=Doc,
        steps=[
            draft,
            approval("Publish this?", into="decision", show=lambda d: {"draft": d.draft}),
            apply,
        ],
    )


async def waiting_run(sim, tmp_path):
    llm = LLM("claude-haiku-5-5")
    store = SqliteStore(tmp_path / "runs.db")
    wf = make_workflow(llm)
    result = await wf.run(Doc(product="Aurora X2"), store=store, run_id="r1")
    assert result.status == "waiting"
    return wf, store, result


async def test_panel_shows_the_draft_the_cost_and_live_buttons(sim, tmp_path):
    wf, store, result = await waiting_run(sim, tmp_path)
    panel = review_panel(wf, store, result)
    html = "".join(
        c.value for c in panel.children if hasattr(c, "value") and isinstance(c.value, str)
    )
    assert "Publish this?" in html and f"${result.cost_usd:.6f}" in html and result.cost_usd > 0
    assert panel.edit.value == result.state.draft != ""
    assert not panel.approve.disabled and "status: waiting" in panel.status.value


async def test_approve_resumes_from_the_checkpoint_without_a_new_call(sim, tmp_path):
    wf, store, result = await waiting_run(sim, tmp_path)
    seen, calls = [], len(sim.log)
    panel = review_panel(
        wf, store, result, describe=lambda r: r.state.published, on_done=seen.append
    )
    panel.approve.click()
    assert panel.approve.disabled and "resuming" in panel.status.value  # the click did not wait
    done = await panel.task
    assert done.status == "completed" and done.state.published == result.state.draft
    assert "status: completed" in panel.status.value and seen == [done]
    assert len(sim.log) == calls  # the draft was replayed from the journal, not paid again
    assert store.load("r1").status == "completed"


async def test_edit_and_reject_send_their_decisions(sim, tmp_path):
    wf, store, result = await waiting_run(sim, tmp_path)
    panel = review_panel(wf, store, result)
    panel.edit.value = "A slim lamp, edited by a person."
    panel.approve_edited.click()
    assert (await panel.task).state.published == "A slim lamp, edited by a person."
    second = await wf.run(Doc(product="Pulse Buds"), store=store, run_id="r2")
    panel = review_panel(wf, store, second)
    panel.reject.click()
    done = await panel.task
    assert done.state.decision == {"action": "reject"} and done.state.published is None


async def test_a_failed_resume_is_shown_in_the_panel(sim, tmp_path):
    wf, store, result = await waiting_run(sim, tmp_path)
    await wf.resume(
        "r1", store, decision={"action": "approve"}, question=result.waiting_for["key"]
    )  # decided elsewhere
    panel = review_panel(wf, store, result)
    panel.approve.click()
    assert await panel.task is None
    assert "error: DecisionMismatchError" in panel.status.value and panel.approve.disabled


def test_draft_of_reads_the_payload():
    assert draft_of({"draft": "text"}) == "text"
    assert draft_of("plain") == "plain"
    assert draft_of({"n": 1}) == '{\n  "n": 1\n}'
