"""Wrong solutions of exercise 08 (checkpoint and resume); blocks: 0 resume_point,
1 make_mailer, 2 the interview answer (not checked: self-scored against a rubric).

Checks, 0-based: 0 resume_point on the notebook's runs, 1 resume_point on generated workflows
and journals (gaps, a group's parts, nothing, everything), 2 no email before the review and one
per customer after a resume, 3 a lost acknowledgement (one delivery, no LLM call repaid), 4 two
tickets from one customer, 5 twelve generated tickets with random failures and a resume each.
"""

from mutants import Mutant

_DRAFT = """
@step(writes="reply")
async def draft(m: Mail) -> dict:
    return {"reply": (await llm.ask(f"Write a short reply to this ticket.\\nTicket: {m.text}")).text}

@step(writes="review")
async def review(m: Mail) -> dict:
    r = await llm.ask(f"Score the following text against this rubric:\\n- Apologises\\nDraft: {m.reply}")
    return {"review": r.text}
"""

# Its cells keep checkpoints in SQLite files with open connections, which a restored
# namespace cannot put back: each mutant runs in a kernel of its own.
SHARED_KERNEL = False

MUTANTS = [
    Mutant(
        "names the last recorded step instead of the first missing one",
        0,
        """
        done = list(store.journal(run_id))
        keys = [f"{i:02d}.{node.name}" for i, node in enumerate(wf.steps)]
        if len(done) == len(keys):
            return None
        return done[-1] if done else keys[0]
        """,
        caught_by=0,
    ),
    Mutant(
        "nothing left: returns the last step instead of None when every step is recorded",
        0,
        """
        done = store.journal(run_id)
        keys = [f"{i:02d}.{node.name}" for i, node in enumerate(wf.steps)]
        return next((key for key in keys if key not in done), keys[-1])
        """,
        caught_by=0,
    ),
    Mutant(
        "raises on an empty journal: the step after the last row (IndexError when none)",
        0,
        """
        done = list(store.journal(run_id))
        keys = [f"{i:02d}.{node.name}" for i, node in enumerate(wf.steps)]
        last = keys.index(done[-1])
        return keys[last + 1] if last + 1 < len(keys) else None
        """,
        caught_by=0,
    ),
    Mutant(
        "counts steps from 1 (the journal counts from 0)",
        0,
        """
        done = store.journal(run_id)
        for i, node in enumerate(wf.steps, start=1):
            key = f"{i:02d}.{node.name}"
            if key not in done:
                return key
        return None
        """,
        caught_by=0,
    ),
    Mutant(
        "counts the rows: the step at position len(journal) (a gap or a group's parts fool it)",
        0,
        """
        keys = [f"{i:02d}.{node.name}" for i, node in enumerate(wf.steps)]
        done = store.journal(run_id)
        return keys[len(done)] if len(done) < len(keys) else None
        """,
        caught_by=1,
    ),
    Mutant(
        "reads the notebook's global `triage`, not the workflow it is given",
        0,
        """
        done = store.journal(run_id)
        for i, node in enumerate(triage.steps):
            key = f"{i:02d}.{node.name}"
            if key not in done:
                return key
        return None
        """,
        caught_by=1,
    ),
    Mutant(
        "idempotency key is the customer: their second ticket's email is dropped",
        1,
        _DRAFT
        + """
@step
async def send(m: Mail, ctx) -> dict:
    outbox.send(m.customer, m.reply, key=m.customer)
    return {}

return Workflow("mailer", state=Mail, steps=[draft, review, send])
""",
        caught_by=4,
    ),
    Mutant(
        "idempotency key is the step key alone: the same for every run, so one email in all",
        1,
        _DRAFT
        + """
@step
async def send(m: Mail, ctx) -> dict:
    outbox.send(m.customer, m.reply, key=ctx.key)
    return {}

return Workflow("mailer", state=Mail, steps=[draft, review, send])
""",
        caught_by=2,
    ),
    Mutant(
        "idempotency key is the customer and the words: a second ticket in the same words is dropped",
        1,
        _DRAFT
        + """
@step
async def send(m: Mail, ctx) -> dict:
    outbox.send(m.customer, m.reply, key=f"{m.customer}/{m.text}")
    return {}

return Workflow("mailer", state=Mail, steps=[draft, review, send])
""",
        caught_by=5,
    ),
    Mutant(
        "send moved below the review inside the same step (a rerun repays both calls)",
        1,
        """
        @step(writes=("reply", "review"))
        async def reply_and_review(m: Mail, ctx) -> dict:
            draft = (await llm.ask(f"Write a short reply to this ticket.\\nTicket: {m.text}")).text
            review = await llm.ask(f"Score the following text against this rubric:\\n- Apologises\\nDraft: {draft}")
            outbox.send(m.customer, draft, key=f"{ctx.run_id}/{ctx.key}")
            return {"reply": draft, "review": review.text}

        return Workflow("mailer", state=Mail, steps=[reply_and_review])
        """,
        caught_by=3,
    ),
    Mutant(
        "send below the review in the same step, without a key",
        1,
        """
        @step(writes=("reply", "review"))
        async def reply_and_review(m: Mail) -> dict:
            draft = (await llm.ask(f"Write a short reply to this ticket.\\nTicket: {m.text}")).text
            review = await llm.ask(f"Score the following text against this rubric:\\n- Apologises\\nDraft: {draft}")
            outbox.send(m.customer, draft)
            return {"reply": draft, "review": review.text}

        return Workflow("mailer", state=Mail, steps=[reply_and_review])
        """,
        caught_by=3,
    ),
    Mutant(
        "the send in its own step, but with no idempotency key",
        1,
        _DRAFT
        + """
@step
async def send(m: Mail) -> dict:
    outbox.send(m.customer, m.reply)
    return {}

return Workflow("mailer", state=Mail, steps=[draft, review, send])
""",
        caught_by=3,
    ),
    Mutant(
        "an idempotency key, but the email still goes out before the review",
        1,
        """
        @step(writes="reply")
        async def draft(m: Mail, ctx) -> dict:
            reply = (await llm.ask(f"Write a short reply to this ticket.\\nTicket: {m.text}")).text
            outbox.send(m.customer, reply, key=f"{ctx.run_id}/{ctx.key}")
            return {"reply": reply}

        @step(writes="review")
        async def review(m: Mail) -> dict:
            r = await llm.ask(f"Score the following text against this rubric:\\n- Apologises\\nDraft: {m.reply}")
            return {"review": r.text}

        return Workflow("mailer", state=Mail, steps=[draft, review])
        """,
        caught_by=2,
    ),
]
