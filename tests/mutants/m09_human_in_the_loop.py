"""Wrong solutions to exercise 09 (human in the loop); each must fail a check.

Blocks: 0 ``publish`` (task 1), 1 ``make_review_workflow`` (task 2), 2 ``submit`` (task 3),
3 the interview answer (task 4: self-scored against a rubric, no check).
"""

from mutants import Mutant

# Its cells keep checkpoints in SQLite files with open connections, which a restored
# namespace cannot put back: each mutant runs in a kernel of its own.
SHARED_KERNEL = False

MUTANTS = [
    Mutant(
        "an edit publishes the draft, not the person's text",
        0,
        """
        action = (s.decision or {}).get("action")
        if action in ("approve", "edit"):
            return {"published": s.draft, "outcome": "approved" if action == "approve" else "edited"}
        if action == "reject":
            return {"published": None, "outcome": "rejected"}
        raise ValueError(f"unknown decision {s.decision!r}")
        """,
        caught_by=0,
    ),
    Mutant(
        "an unknown decision is quietly treated as a reject",
        0,
        """
        action = (s.decision or {}).get("action")
        if action == "approve":
            return {"published": s.draft, "outcome": "approved"}
        if action == "edit":
            return {"published": s.decision["text"], "outcome": "edited"}
        return {"published": None, "outcome": "rejected"}
        """,
        caught_by=0,
    ),
    Mutant(
        "the planted bug left in: drafting and asking in one step",
        1,
        """
        @step(writes=("draft", "decision"))
        async def draft_and_ask(s: Listing, ctx: Context) -> dict:
            text = (await llm.ask(draft_prompt(s))).text
            return {"draft": text, "decision": ctx.ask_human("Publish?", {"draft": text})}

        return Workflow("task2", state=Listing, steps=[draft_and_ask])
        """,
        caught_by=1,
    ),
    Mutant(
        "the question looked up at submit time: answers whatever is open now",
        2,
        """
        async def submit(make_workflow, db_path, run_id, question, decision):
            wf, store = make_workflow(llm), SqliteStore(db_path)
            now = wf.waiting(run_id, store)
            if now is None:
                return {"status": "stale", "waiting_on": None}
            done = await wf.resume(run_id, store, decision=decision, question=now["key"])
            return {"status": "applied", "run": done.status}
        """,
        caught_by=3,
    ),
    Mutant(
        "a repeated decision is an error, not 'already decided'",
        2,
        """
        async def submit(make_workflow, db_path, run_id, question, decision):
            wf, store = make_workflow(llm), SqliteStore(db_path)
            done = await wf.resume(run_id, store, decision=decision, question=question)
            return {"status": "applied", "run": done.status}
        """,
        caught_by=3,
    ),
    Mutant(
        "a stale decision is dropped without saying what the run waits on",
        2,
        """
        async def submit(make_workflow, db_path, run_id, question, decision):
            wf, store = make_workflow(llm), SqliteStore(db_path)
            try:
                done = await wf.resume(run_id, store, decision=decision, question=question)
            except DecisionMismatchError:
                return {"status": "stale", "waiting_on": None}
            return {"status": "applied", "run": done.status}
        """,
        caught_by=2,
    ),
]
