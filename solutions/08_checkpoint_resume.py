# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: orchestra,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (orchestra)
#     language: python
#     name: orchestra
#   orchestra:
#     test_parameters:
#       seed: 1
# ---

# %% [markdown]
# # Exercise 08 · Checkpoint and resume: where to restart, and what must not happen twice
#
# Three tasks on chapter 08 (`notebooks/08_checkpoint_resume.ipynb`). Each code cell marked
# **TODO** is yours; the cell after it, tagged `check`, runs your code against the simulator and
# a SQLite checkpoint and asserts what it must do. Grade yourself with `make grade` (or
# `make grade NB=exercises/08_checkpoint_resume.ipynb`). Do not edit the checks.
#
# 1. Find where a run will resume, from its journal.
# 2. Fix a step whose side effect repeats on resume.
# 3. Answer an interview question.

# %% tags=["parameters"]
backend = "sim"  # the checks stage faults: they need the simulator
model = "claude-haiku-4-5"
seed = 0
time_scale = 0.0  # instant calls: the checks are about counts, not time

# %%
import tempfile
from pathlib import Path

from pydantic import BaseModel

from orchestra import LLM, SqliteStore, Workflow, sim, step

simulator = sim.start(seed=seed, time_scale=time_scale)
llm = LLM(model, max_retries=0)
workdir = tempfile.TemporaryDirectory()  # the checkpoint file; removed at the end
store = SqliteStore(Path(workdir.name) / "runs.db")


class Ticket(BaseModel):
    text: str
    category: str | None = None
    summary: str | None = None
    plan: str | None = None
    reply: str | None = None
    review: str | None = None


def make_triage(llm):
    """Five steps, one LLM call each."""

    def ask(field, prompt):
        @step(name=field, writes=field)
        async def run(t: Ticket) -> dict:
            return {field: (await llm.ask(prompt.format(**t.model_dump()))).text}

        return run

    return Workflow(
        "triage",
        state=Ticket,
        steps=[
            ask(
                "category",
                "Classify this ticket into one of: billing, shipping, account, other.\nTicket: {text}",
            ),
            ask("summary", "Summarize this ticket in one sentence.\nText: {text}"),
            ask("plan", "Plan the steps to resolve this {category} ticket: {text}"),
            ask("reply", "Write a short reply to this ticket.\nTicket: {text}"),
            ask(
                "review",
                "Score the following text against this rubric:\n- Apologises\n- At most 60 words\nDraft: {reply}",
            ),
        ],
    )


# %% [markdown]
# ## Task 1 · Where will the run resume?
#
# An operator looks at a dead run and asks: which step runs first if I resume it? Write
# `resume_point(wf, store, run_id)`: the journal key of the first top-level step of `wf` that
# has no row in `store.journal(run_id)`, or None when every step is recorded. Keys are the
# step's position and name: `f"{i:02d}.{node.name}"` for the i-th entry of `wf.steps`.


# %%
def resume_point(wf, store, run_id):
    """The key of the first step without a journal row, or None if all are recorded."""
    ### BEGIN SOLUTION
    done = store.journal(run_id)
    for i, node in enumerate(wf.steps):
        key = f"{i:02d}.{node.name}"
        if key not in done:
            return key
    return None
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO
    # raise NotImplementedError
    ### END STUB


# %% tags=["check"]
# check 1: resume_point names the failed step, then None once the run is complete
triage = make_triage(llm)
simulator.configure(
    faults=sim.Faults(plan=[sim.Rule("server_error", match="Plan the steps", nth=1)])
)
first = await triage.run(
    Ticket(text="I was charged twice for my March invoice."), store=store, run_id="t1"
)
assert first.status == "aborted"
assert resume_point(triage, store, "t1") == "02.plan", resume_point(triage, store, "t1")
done = await triage.resume("t1", store)
assert done.status == "completed" and resume_point(triage, store, "t1") is None

simulator.configure(faults=sim.Faults(plan=[sim.Rule("server_error", match="Classify", nth=1)]))
await triage.run(Ticket(text="My parcel never arrived."), store=store, run_id="t2")
assert resume_point(triage, store, "t2") == "00.category", resume_point(triage, store, "t2")
print("check 1 passed")


# %% [markdown]
# ## Task 2 · An email sent twice
#
# This workflow drafts a reply, **sends it** (the `Outbox` stands in for a mail server), then
# asks for a review of the draft. When the review call fails, the run aborts; the resume runs the
# step again from its start, and the customer gets the email a second time. Fix
# `make_mailer` so that after a failed run and its resume, each customer got exactly one email.
#
# Two fixes work: move the sending into a step of its own after the review (a committed step
# is never run again), or give `outbox.send` an idempotency key that is the same on every rerun
# of the step (`ctx.run_id` and `ctx.key`: a step may take `(state, ctx)`). `Outbox.send`
# ignores a key it has seen.


# %%
class Outbox:
    """A pretend mail server; with a key, it sends each key only once (idempotency)."""

    def __init__(self):
        self.sent, self.keys = [], set()

    def send(self, to, body, key=None):
        if key is not None and key in self.keys:
            return False
        self.keys.add(key)
        self.sent.append({"to": to, "body": body})
        return True


class Mail(BaseModel):
    customer: str
    text: str
    reply: str | None = None
    review: str | None = None


# %%
def make_mailer(llm, outbox):
    ### BEGIN SOLUTION
    """Draft a reply, have it reviewed, then send it: the send is its own step."""

    @step(writes="reply")
    async def draft(m: Mail) -> dict:
        return {
            "reply": (await llm.ask(f"Write a short reply to this ticket.\nTicket: {m.text}")).text
        }

    @step(writes="review")
    async def review(m: Mail) -> dict:
        r = await llm.ask(
            f"Score the following text against this rubric:\n- Apologises\nDraft: {m.reply}"
        )
        return {"review": r.text}

    @step
    async def send(m: Mail, ctx) -> dict:
        # its own step, and idempotent: if the process dies after sending but before the
        # commit, the rerun uses the same key and the mail server drops the duplicate
        outbox.send(m.customer, m.reply, key=f"{ctx.run_id}/{ctx.key}")
        return {}

    return Workflow("mailer", state=Mail, steps=[draft, review, send])
    ### END SOLUTION
    ### BEGIN STUB
    # """Draft a reply, send it, have it reviewed."""
    # @step(writes=("reply", "review"))
    # async def reply_and_review(m: Mail) -> dict:
    #     draft = (await llm.ask(f"Write a short reply to this ticket.\nTicket: {m.text}")).text
    #     outbox.send(m.customer, draft)
    #     review = await llm.ask(f"Score the following text against this rubric:\n- Apologises\nDraft: {draft}")
    #     return {"reply": draft, "review": review.text}
    #
    # return Workflow("mailer", state=Mail, steps=[reply_and_review])
    ### END STUB


# %% tags=["check"]
# check 2: after a failed run and its resume, each customer received exactly one email
outbox = Outbox()
mailer = make_mailer(llm, outbox)
simulator.configure(faults=sim.Faults(plan=[sim.Rule("server_error", match="rubric", nth=[1, 3])]))
customers = {
    "ana@example.com": "I was charged twice for my March invoice.",
    "bo@example.com": "My parcel has not moved since Monday.",
}
for n, (customer, text) in enumerate(customers.items()):
    failed = await mailer.run(Mail(customer=customer, text=text), store=store, run_id=f"mail-{n}")
    assert failed.status == "aborted", "the staged review failure should abort the first run"
    done = await mailer.resume(f"mail-{n}", store)
    assert done.status == "completed" and done.state.reply and done.state.review, done.reason
counts = {c: sum(m["to"] == c for m in outbox.sent) for c in customers}
assert counts == {c: 1 for c in customers}, f"emails per customer: {counts}"
print("check 2 passed")

# %% [markdown]
# ## Task 3 · Interview question
#
# *"Step 5 of your workflow charges the customer's card, then calls an LLM to write the receipt.
# The worker is killed during the LLM call. What happens when the run resumes, and how would you
# design it?"*
#
# Answer in `interview_answer` below (at least 60 words). A good answer says what is recorded and
# what runs again, why "exactly once" is out of reach for the charge itself, and the two design
# tools that make the effect happen once.

# %%
### BEGIN SOLUTION
interview_answer = """
Resume replays the journal: steps 1 to 4 are committed, so their saved results are applied and
their LLM calls are not paid again. Step 5 never committed, so it runs again from its start:
the card is charged a second time, and the receipt call is repeated (the first one was paid
and lost). Exactly once is not possible across a crash: the process can die after the charge
and before the commit. So split the step: charge in its own step, committed before the LLM
writes the receipt, and make the charge idempotent with an idempotency key (run id + step key)
that the payment provider deduplicates on. Execution is at-least-once; the effect happens once.
"""
### END SOLUTION
### BEGIN STUB
# interview_answer = """
# TODO: your answer here.
# """
### END STUB

# %% tags=["check"]
# check 3: the interview answer is substantial and covers the key points
words = interview_answer.split()
text = interview_answer.lower()
points = {
    "the step runs again from its start": "again" in text or "rerun" in text or "re-run" in text,
    "idempotency": "idempot" in text,
    "split the side effect into its own step": "split" in text
    or "own step" in text
    or "separate" in text,
    "at-least-once, not exactly once": "at-least-once" in text
    or "at least once" in text
    or "exactly once" in text,
}
assert len(words) >= 60, f"answer with at least 60 words (you wrote {len(words)})"
missing = [p for p, ok in points.items() if not ok]
assert len(missing) <= 1, f"the answer does not cover: {missing}"
print("check 3 passed")

# %%
store.close()
await llm.aclose()
workdir.cleanup()
simulator.stop()
