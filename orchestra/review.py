"""A review panel for runs waiting on a person, in Jupyter (chapter 09).

A run that reaches ``approval(...)`` (or ``ctx.ask_human``) with no decision ends with status
``waiting``; its checkpoint holds everything done so far. ``review_panel`` shows what the run
waits for and resumes it from that checkpoint when the person clicks:

    >>> result = await wf.run(state, store=SqliteStore("runs.db"))   # status "waiting"
    >>> review_panel(wf, store, result)                              # the cell's output

The panel shows the question, the draft (the payload's ``"draft"`` if ``show=`` returned a
dict with one, else the whole payload), the run's cost so far, **Approve** and **Reject**
buttons, and an edit box with an **Approve edited** button. A click sends one decision to
``wf.resume(run_id, store, decision=..., question=...)`` (the question the panel shows, so a
click never answers a later one); the workflow's own steps decide what it means:

    {"action": "approve"}      {"action": "reject"}      {"action": "edit", "text": "..."}

A click never blocks the kernel: the resume is scheduled as a task on the running event
loop (kept as ``panel.task``; a test awaits it after ``panel.approve.click()``), and its
outcome is written into the panel: ``status: completed`` and the final output. If the run
waits again (a second approval), the panel shows the new question.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from orchestra.workflow import RunResult, Workflow

__all__ = ["review_panel", "draft_of"]


def draft_of(payload: Any) -> str:
    """The text a reviewer reads: ``payload["draft"]`` if there is one, else the payload as JSON.

    >>> draft_of({"draft": "A slim desk lamp."})
    'A slim desk lamp.'
    """
    if isinstance(payload, dict) and isinstance(payload.get("draft"), str):
        return payload["draft"]
    return payload if isinstance(payload, str) else json.dumps(payload, indent=2)


def _pre(text: str) -> str:
    return f"<pre style='white-space: pre-wrap; margin: 0'>{escape(text)}</pre>"


def review_panel(
    workflow: Workflow,
    store: Any,
    result: RunResult,
    *,
    describe: Callable[[RunResult], str] | None = None,
    on_done: Callable[[RunResult], Any] | None = None,
) -> widgets.VBox:
    """A widget to decide a waiting run; a click resumes it without blocking the kernel.

    ``describe(result)`` renders the final output (default: the final state as JSON);
    ``on_done(result)`` is called with each resumed run's result.

        >>> panel = review_panel(wf, store, result, describe=lambda r: r.state.published)
        >>> panel                        # last line of a cell: the panel shows
    """
    describe = describe or (lambda r: r.state.model_dump_json(indent=2))
    question, draft, cost, status = (widgets.HTML() for _ in range(4))
    approve = widgets.Button(description="Approve", button_style="success")
    reject = widgets.Button(description="Reject", button_style="danger")
    approve_edited = widgets.Button(description="Approve edited", button_style="info")
    edit = widgets.Textarea(
        placeholder="edit the draft, then click Approve edited",
        layout=widgets.Layout(width="95%", height="7em"),
    )
    panel = widgets.VBox(
        [question, draft, cost, widgets.HBox([approve, reject]), edit, approve_edited, status],
        layout=widgets.Layout(border="1px solid #bbb", padding="6px"),
    )
    controls = (approve, reject, approve_edited, edit)
    panel.approve, panel.reject, panel.approve_edited, panel.edit = controls
    panel.status, panel.task, panel.result = status, None, result

    def show(r: RunResult) -> None:
        panel.result = r
        for c in controls:
            c.disabled = r.status != "waiting"
        cost.value = f"cost so far: <b>${r.cost_usd:.6f}</b> ({r.tokens} tokens)"
        if r.status == "waiting":
            text = draft_of(r.waiting_for["payload"])
            question.value = (
                f"<b>{escape(r.waiting_for['prompt'])}</b> <small>(run {escape(r.run_id)})</small>"
            )
            draft.value = _pre(text)
            edit.value = text
            status.value = _pre("status: waiting")
        else:
            detail = describe(r) if r.status == "completed" else (r.reason or "")
            status.value = _pre(f"status: {r.status}\n{detail}")

    async def resume(decision: dict) -> RunResult | None:
        try:
            asked = (panel.result.waiting_for or {}).get("key")
            r = await workflow.resume(panel.result.run_id, store, decision=decision, question=asked)
        except Exception as exc:  # shown in the panel: a task's error would go unseen
            status.value = _pre(f"error: {type(exc).__name__}: {exc}")
            return None
        show(r)
        if on_done is not None:
            on_done(r)
        return r

    def on(decision: Callable[[], dict]) -> Callable[[widgets.Button], None]:
        def click(_: widgets.Button) -> None:
            for c in controls:  # one decision per question: no double clicks
                c.disabled = True
            status.value = _pre("resuming from the checkpoint...")
            panel.task = asyncio.get_running_loop().create_task(resume(decision()))

        return click

    approve.on_click(on(lambda: {"action": "approve"}))
    reject.on_click(on(lambda: {"action": "reject"}))
    approve_edited.on_click(on(lambda: {"action": "edit", "text": edit.value}))
    show(result)
    return panel
