"""A 10-step durable workflow that chapter 08 runs in a subprocess and kills with SIGKILL.

    python -m orchestra.examples.long_workflow DB RUN_ID --ticket T001 [--pause-at 06.review]

Each step makes one LLM call on one support ticket and writes one field of ``Dossier``;
every completed step is committed to the SQLite checkpoint ``DB``. With ``--pause-at KEY``
the step at that key makes its call, prints ``paused in KEY`` and then waits forever, so the
notebook can kill the process at a known point (a real crash lands anywhere). The clients
read ``ANTHROPIC_BASE_URL`` from the environment: the notebook's simulator, when it runs one.
The notebook imports ``make_workflow`` from here, so both build the same workflow.
"""

from __future__ import annotations

import argparse
import asyncio

from pydantic import BaseModel

from orchestra import LLM, Retry, SqliteStore, Workflow, datasets, step

MAX_TOKENS = 1024
"""Each call's ``max_tokens``: today's models think before they answer, and the thinking counts
in ``max_tokens`` (the rubric score thinks longest), so a 200-token cap could end with no text."""


class Dossier(BaseModel):
    """A ticket and the ten things the workflow works out about it."""

    text: str
    category: str | None = None
    urgency: str | None = None
    summary: str | None = None
    headline: str | None = None
    plan: str | None = None
    reply: str | None = None
    review: str | None = None
    kb_note: str | None = None
    team: str | None = None
    follow_up: str | None = None


STEPS = [  # (field, prompt): one LLM call each, in this order
    (
        "category",
        "Classify this support ticket into one of: billing, account, shipping, technical, other.\nTicket: {text}",
    ),
    (
        "urgency",
        "Classify the urgency of this ticket into one of: high, normal, low.\nTicket: {text}",
    ),
    ("summary", "Summarize this ticket in one sentence.\nText: {text}"),
    ("headline", "Summarize in at most 8 words: {text}"),
    ("plan", "Plan the steps to resolve this {category} ticket: {text}"),
    ("reply", "Write a short reply to this ticket.\nTicket: {text}"),
    (
        "review",
        "Score the following text against this rubric:\n- Apologises\n- Says what happens next\n"
        "- At most 60 words\nDraft: {reply}",
    ),
    ("kb_note", "Summarize in at most 12 words for the knowledge base: {text}"),
    (
        "team",
        "Classify which team should own this ticket into one of: payments, logistics, identity, "
        "engineering.\nTicket: {text}",
    ),
    (
        "follow_up",
        "Write a short reply to this ticket that checks the issue is solved.\nTicket: {summary}",
    ),
]


def make_workflow(llm: LLM, *, retry: Retry | None = None, pause_at: str | None = None) -> Workflow:
    """The 10-step dossier workflow on ``llm``; ``pause_at`` stalls the step with that key."""

    def make(field: str, prompt: str):
        @step(name=field, writes=field, retry=retry)
        async def run(d: Dossier, ctx) -> dict:
            reply = await llm.ask(prompt.format(**d.model_dump()), max_tokens=MAX_TOKENS)
            if ctx.key == pause_at:  # stand-in for a call that never comes back
                print(f"paused in {ctx.key}", flush=True)
                await asyncio.Event().wait()
            return {field: reply.text}

        return run

    return Workflow("dossier", state=Dossier, steps=[make(f, p) for f, p in STEPS])


async def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("db")
    args.add_argument("run_id")
    args.add_argument("--ticket", default="T001")
    args.add_argument("--model", default="claude-haiku-5-5")
    args.add_argument("--backend", default="sim")
    args.add_argument("--pause-at")
    a = args.parse_args()
    text = next(t["text"] for t in datasets.load("tickets") if t["id"] == a.ticket)
    async with LLM(a.model, backend=a.backend) as llm:
        wf = make_workflow(llm, pause_at=a.pause_at)
        result = await wf.run(Dossier(text=text), store=SqliteStore(a.db), run_id=a.run_id)
    print(result.status, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
