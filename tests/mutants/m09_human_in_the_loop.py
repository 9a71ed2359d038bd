"""Wrong solutions to exercise 09 (human in the loop); each must fail a check.

Blocks: 0 ``publish`` (task 1), 1 ``make_review_workflow`` (task 2), 2 ``submit`` (task 3),
3 the interview answer (task 4: self-scored against a rubric, no check).

Checks, 0-based: 0 task 1 through a workflow, 1 task 1 on generated decisions (the state
unchanged), 2 task 2, 3 task 2 on generated listings and reloads, 4 task 3 applied and stale,
5 task 3 with two questions, 6 task 3 on generated sequences of clicks.
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
        "side effect: writes the outcome into the state it was given, then returns it",
        0,
        """
        action = (s.decision or {}).get("action")
        if action == "approve":
            s.published, s.outcome = s.draft, "approved"
        elif action == "edit" and isinstance(s.decision.get("text"), str):
            s.published, s.outcome = s.decision["text"], "edited"
        elif action == "reject":
            s.published, s.outcome = None, "rejected"
        else:
            raise ValueError(f"unknown decision {s.decision!r}")
        return {"published": s.published, "outcome": s.outcome}
        """,
        caught_by=1,
    ),
    Mutant(
        "raises on an empty decision: s.decision['action'] is a TypeError or KeyError, not ValueError",
        0,
        """
        action = s.decision["action"]
        if action == "approve":
            return {"published": s.draft, "outcome": "approved"}
        if action == "edit" and isinstance(s.decision.get("text"), str):
            return {"published": s.decision["text"], "outcome": "edited"}
        if action == "reject":
            return {"published": None, "outcome": "rejected"}
        raise ValueError(f"unknown decision {s.decision!r}")
        """,
        caught_by=1,
    ),
    Mutant(
        "an edit without its text publishes the draft",
        0,
        """
        action = (s.decision or {}).get("action")
        if action == "approve":
            return {"published": s.draft, "outcome": "approved"}
        if action == "edit":
            return {"published": s.decision.get("text") or s.draft, "outcome": "edited"}
        if action == "reject":
            return {"published": None, "outcome": "rejected"}
        raise ValueError(f"unknown decision {s.decision!r}")
        """,
        caught_by=1,
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
        caught_by=2,
    ),
    Mutant(
        "asks before drafting: the reviewer approves an empty draft",
        1,
        """
        return Workflow(
            "task2",
            state=Listing,
            steps=[
                approval("Publish?", into="decision", show=lambda s: {"draft": s.draft}),
                make_draft(llm),
            ],
        )
        """,
        caught_by=2,
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
        caught_by=5,
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
        caught_by=5,
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
        caught_by=4,
    ),
    Mutant(
        "reads the notebook's global `store` (task 2's database), not db_path",
        2,
        """
        async def submit(make_workflow, db_path, run_id, question, decision):
            wf = make_workflow(llm)
            try:
                done = await wf.resume(run_id, store, decision=decision, question=question)
            except DecisionMismatchError as exc:
                return {"status": "stale", "waiting_on": exc.expected}
            return {"status": "applied", "run": done.status}
        """,
        caught_by=4,
    ),
    Mutant(
        "ignores the decision it is given: always approves",
        2,
        """
        async def submit(make_workflow, db_path, run_id, question, decision):
            wf, store = make_workflow(llm), SqliteStore(db_path)
            try:
                done = await wf.resume(run_id, store, decision={"action": "approve"}, question=question)
            except DecisionMismatchError as exc:
                return {"status": "stale", "waiting_on": exc.expected}
            return {"status": "applied", "run": done.status}
        """,
        caught_by=4,
    ),
]
