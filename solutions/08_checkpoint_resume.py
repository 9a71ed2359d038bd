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
# 2. Fix a workflow whose side effect (an email) repeats on resume.
# 3. Answer an interview question (not graded by the checks: you score it against a rubric).
#
# Each task is one an interviewer sets for this pattern: design or repair a small piece and say
# what it trades. Steps are counted from 0, as their journal keys (`02.plan` is step 2). The
# checks run your code on the notebook's runs **and** on cases they generate (seeded): other
# workflows and journals, other customers and failures; each says what it called, what came
# back and what was expected.

# %% tags=["parameters"]
backend = "sim"  # the checks stage faults: they need the simulator
model = "claude-haiku-5-5"
seed = 0
time_scale = 0.0  # instant calls: the checks are about counts, not time

# %%
import random
import tempfile
from pathlib import Path

from pydantic import BaseModel

from orchestra import LLM, SqliteStore, Workflow, sim, step
from orchestra.exercise import called

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
# step's position and name: `f"{i:02d}.{node.name}"` for the i-th entry of `wf.steps`
# (counted from 0).


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
    # raise NotImplementedError("Task 1: write resume_point")
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
assert first.status == "aborted", f"the staged failure should abort the run: {first.status}"
got = called('resume_point(triage, store, "t1")', resume_point, triage, store, "t1")
assert got == "02.plan", (
    f"resume_point(triage, store, 't1') returned {got!r}: steps 00 and 01 are recorded and "
    f"step 02 failed, so expected '02.plan'"
)
done = await triage.resume("t1", store)
assert done.status == "completed", done.reason
got = called('resume_point(triage, store, "t1")', resume_point, triage, store, "t1")
assert got is None, (
    f"resume_point(triage, store, 't1') returned {got!r}: every step of run t1 is recorded now, "
    f"so expected None"
)

simulator.configure(faults=sim.Faults(plan=[sim.Rule("server_error", match="Classify", nth=1)]))
await triage.run(Ticket(text="My parcel never arrived."), store=store, run_id="t2")
got = called('resume_point(triage, store, "t2")', resume_point, triage, store, "t2")
assert got == "00.category", (
    f"resume_point(triage, store, 't2') returned {got!r}: run t2 failed at its first step and "
    f"nothing is recorded, so expected '00.category'"
)
print("check 1 passed")


# %% tags=["check"]
# check 2: resume_point on 30 generated workflows and journals: a prefix recorded, none, all, a
# gap (a later step recorded, an earlier one not), rows of a group's parts, another run's rows
class Note(BaseModel):
    note: str = ""


def noop(name):
    @step(name=name, writes="note")
    async def run(s: Note) -> dict:
        return {"note": name}

    return run


class Journals:
    """A stand-in store that answers only ``journal(run_id)``, as SqliteStore does."""

    def __init__(self, rows):
        self.rows = rows  # run id -> the keys recorded

    def journal(self, run_id):
        return {key: {"out": {}} for key in self.rows.get(run_id, [])}


NAMES = ["fetch", "classify", "summary", "plan", "reply", "review", "send", "archive"]
rng = random.Random(8)
kinds = ["a prefix", "nothing", "everything", "a gap", "a group's parts"]
for n in range(30):
    names = rng.sample(NAMES, rng.randint(1, 6))
    wf = Workflow(f"generated-{n}", state=Note, steps=[noop(name) for name in names])
    keys = [f"{i:02d}.{name}" for i, name in enumerate(names)]
    kind = kinds[n % len(kinds)]
    cut = rng.randint(0, len(keys) - 1)
    recorded = {
        "a prefix": keys[:cut],
        "nothing": [],
        "everything": keys,
        "a gap": keys[:cut] + keys[cut + 1 :],
        "a group's parts": keys[:cut] + [f"{keys[cut]}/00.part", f"{keys[cut]}/01.part"],
    }[kind]
    expected = keys[cut] if kind in ("a prefix", "a gap", "a group's parts") else None
    expected = keys[0] if kind == "nothing" else expected
    run_id = f"run-{n}"
    journals = Journals({run_id: recorded, "another-run": keys[: len(keys) - cut]})
    call = (
        f"resume_point(<a workflow of steps {names}>, <a store whose journal of {run_id!r} "
        f"holds {recorded}>, {run_id!r}) [{kind}]"
    )
    got = called(call, resume_point, wf, journals, run_id)
    assert got == expected, (
        f"{call} returned {got!r}; expected {expected!r}: the key f'{{i:02d}}.{{node.name}}' of "
        f"the first entry of wf.steps with no row in the journal, None when all have one"
    )
print("check 2 passed: 30 generated workflows and journals")


# %% [markdown]
# ## Task 2 · An email sent twice
#
# This workflow drafts a reply, **sends it** (the `Outbox` stands in for a mail server), then
# asks for a review of the draft. When the review call fails, the run aborts; the resume runs the
# step again from its start, and the customer gets the email a second time. Fix `make_mailer` so
# that:
#
# - the email goes out only after its review (a failed review sends nothing);
# - after a failure and a resume, each ticket's email was delivered exactly once, **even when the
#   mail server delivered it but the acknowledgement was lost** (`outbox.send` raises
#   `ConnectionError` after delivering: the step failed, the mail went out);
# - recovering from that repays no LLM call (the draft and the review are not asked twice);
# - a second ticket from the same customer gets its own email.
#
# `outbox.send(to, body, key=...)` drops a key it has seen (idempotency). A step may take
# `(state, ctx)`: `ctx.run_id` is the run, `ctx.key` the step's journal key, both the same on
# every rerun. The trade-off to state: what makes the effect happen once, and what it costs.


# %%
class Outbox:
    """A pretend mail server; with a key, it sends each key only once (idempotency).

    ``lose_ack``: the numbers of the send calls (1-based) whose acknowledgement is lost: the
    mail is delivered, then ``send`` raises ``ConnectionError``.
    """

    def __init__(self, lose_ack=()):
        self.sent, self.keys, self.calls, self.lose_ack = [], set(), 0, set(lose_ack)

    def send(self, to, body, key=None):
        self.calls += 1
        if key is not None and key in self.keys:
            return False
        self.keys.add(key)
        self.sent.append({"to": to, "body": body})
        if self.calls in self.lose_ack:
            raise ConnectionError("the mail server closed the connection before acknowledging")
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
        # its own step: the draft and the review are committed before it, so a rerun repays
        # nothing; and idempotent: if the send fails after delivering (or the process dies
        # before the commit), the rerun uses the same key and the mail server drops it. The
        # key names this run's send, not the customer: their next ticket is another email.
        outbox.send(m.customer, m.reply, key=f"{ctx.run_id}/{ctx.key}")
        return {}

    return Workflow("mailer", state=Mail, steps=[draft, review, send])
    ### END SOLUTION
    ### BEGIN STUB
    # """Draft a reply, send it, have it reviewed."""
    #
    # @step(writes=("reply", "review"))
    # async def reply_and_review(m: Mail) -> dict:
    #     draft = (await llm.ask(f"Write a short reply to this ticket.\nTicket: {m.text}")).text
    #     outbox.send(m.customer, draft)
    #     review = await llm.ask(
    #         f"Score the following text against this rubric:\n- Apologises\nDraft: {draft}"
    #     )
    #     return {"reply": draft, "review": review.text}
    #
    # return Workflow("mailer", state=Mail, steps=[reply_and_review])
    ### END STUB


# %% tags=["check"]
# check 3: a failed review sends nothing; after the resume each customer got exactly one email
outbox = Outbox()
mailer = make_mailer(llm, outbox)
simulator.configure(faults=sim.Faults(plan=[sim.Rule("server_error", match="rubric", nth=[1, 3])]))
customers = {
    "ana@example.com": "I was charged twice for my March invoice.",
    "bo@example.com": "My parcel has not moved since Monday.",
}
for n, (customer, text) in enumerate(customers.items()):
    failed = await mailer.run(Mail(customer=customer, text=text), store=store, run_id=f"mail-{n}")
    assert failed.status == "aborted", (
        f"make_mailer(llm, outbox).run(Mail({customer!r}, ...)) with its review call failing "
        f"ended {failed.status!r}; expected 'aborted'"
    )
    early = [m["to"] for m in outbox.sent if m["to"] == customer]
    assert not early, (
        f"make_mailer(llm, outbox).run(Mail({customer!r}, ...)) with its review call failing "
        f"emailed {customer} all the same: send only after the review"
    )
    done = await mailer.resume(f"mail-{n}", store)
    assert done.status == "completed" and done.state.reply and done.state.review, (
        f"mailer.resume('mail-{n}', store) ended {done.status!r} with reply {done.state.reply!r} "
        f"and review {done.state.review!r}: {done.reason}"
    )
counts = {c: sum(m["to"] == c for m in outbox.sent) for c in customers}
assert counts == {c: 1 for c in customers}, (
    f"after a failed review and a resume for each of {list(customers)}, make_mailer's outbox "
    f"sent {counts} emails per customer; expected one each"
)
print("check 3 passed")

# %% tags=["check"]
# check 4: the mail went out but its acknowledgement was lost: resume delivers nothing twice
# and asks the model nothing twice
outbox = Outbox(lose_ack={1})
mailer = make_mailer(llm, outbox)
simulator.configure(faults=sim.Faults())
mail = Mail(customer="cy@example.com", text="The app logs me out every five minutes.")
failed = await mailer.run(mail, store=store, run_id="mail-ack")
assert failed.status != "completed", (
    "outbox.send raised ConnectionError after delivering; that step should fail the run "
    f"(no retry, no fallback), but the run ended {failed.status!r}"
)
done = await mailer.resume("mail-ack", store)
assert done.status == "completed", (
    f"mailer.resume('mail-ack', store) ended {done.status!r}; expected completed: {done.reason}"
)
delivered = sum(m["to"] == mail.customer for m in outbox.sent)
assert delivered == 1, (
    f"make_mailer(llm, Outbox(lose_ack={{1}})): run, then resume: the mail was delivered "
    f"before the acknowledgement was lost, and the resume sent it again: "
    f"{delivered} emails. Give the send an idempotency key that is the same on every rerun"
)
answered = sum(e["status"] == 200 for e in simulator.log)
assert answered == 2, (
    f"make_mailer(llm, Outbox(lose_ack={{1}})): run, then resume: {answered} LLM calls "
    f"answered for one draft and one review, expected 2: the rerun after the lost "
    f"acknowledgement asked the model again. Commit the draft and the review before sending"
)
print("check 4 passed")

# %% tags=["check"]
# check 5: two tickets from one customer are two emails, even when the second's acknowledgement
# is lost and its run resumed
outbox = Outbox(lose_ack={2})
mailer = make_mailer(llm, outbox)
simulator.configure(faults=sim.Faults())
texts = ["My parcel has not moved since Monday.", "Now the parcel arrived damaged."]
for n, text in enumerate(texts):
    result = await mailer.run(
        Mail(customer="dee@example.com", text=text), store=store, run_id=f"dee-{n}"
    )
    if result.status != "completed":
        result = await mailer.resume(f"dee-{n}", store)
    assert result.status == "completed", (
        f"make_mailer(llm, Outbox(lose_ack={{2}})), ticket dee-{n}: the run and its resume ended "
        f"{result.status!r}: {result.reason}"
    )
got = sum(m["to"] == "dee@example.com" for m in outbox.sent)
assert got == 2, (
    f"dee@example.com sent two tickets and received {got} email(s), expected 2: the idempotency "
    f"key must name this run's send (run id and step key), not the customer, and be the same "
    f"when the send is retried"
)
print("check 5 passed")

# %% tags=["check"]
# check 6: 12 generated tickets (customers who write twice, even the same words), each with a
# failure drawn at random (none, the draft, the review, a lost acknowledgement) and one resume:
# each run emails once, never before its review, and pays two LLM calls
rng = random.Random(9)
outbox = Outbox()
mailer = make_mailer(llm, outbox)
people = ["eve@example.com", "fay@example.com", "gus@example.com"]
words = [
    "My parcel has not moved since Monday.",
    "I was charged twice for my March invoice.",
    "I cannot reset my password.",
    "Please cancel my plan.",
]
tickets = [(rng.choice(people), rng.choice(words)) for _ in range(10)]
tickets += [(people[0], words[0]), (people[0], words[0])]  # the same words twice, two tickets
for n, (customer, text) in enumerate(tickets):
    failure = rng.choice(["none", "the draft", "the review", "a lost acknowledgement"])
    rules = {
        "the draft": [sim.Rule("server_error", match="Write a short reply", nth=1)],
        "the review": [sim.Rule("server_error", match="rubric", nth=1)],
    }.get(failure, [])
    simulator.configure(faults=sim.Faults(plan=rules))
    outbox.lose_ack = {outbox.calls + 1} if failure == "a lost acknowledgement" else set()
    sent, run_id = len(outbox.sent), f"gen-{n}"
    what = f"ticket {n} ({customer}: {text!r}; failing: {failure})"
    first = await mailer.run(Mail(customer=customer, text=text), store=store, run_id=run_id)
    answered = sum(e["status"] == 200 for e in simulator.log)
    if failure in ("the draft", "the review"):
        assert len(outbox.sent) == sent, (
            f"{what}: the run ended {first.status!r} and {len(outbox.sent) - sent} email(s) went "
            f"out before the review was done: send only after the review"
        )
    simulator.configure(faults=sim.Faults())
    done = first if first.status == "completed" else await mailer.resume(run_id, store)
    answered += sum(e["status"] == 200 for e in simulator.log)
    assert done.status == "completed", (
        f"{what}: after a resume the run is {done.status!r}: {done.reason}"
    )
    assert len(outbox.sent) - sent == 1, (
        f"{what}: {len(outbox.sent) - sent} email(s) delivered for this run, expected exactly 1. "
        f"The idempotency key must name this run's send (run id and step key): not the "
        f"customer, not the words, and the same when the send is retried"
    )
    assert answered == 2, (
        f"{what}: {answered} LLM calls answered for one draft and one review, expected 2: a "
        f"rerun asked the model again. Commit the draft and the review before sending"
    )
print(f"check 6 passed: {len(tickets)} tickets, each emailed once")

# %% [markdown]
# ## Task 3 · Interview question
#
# *"Step 5 of your workflow charges the customer's card, then calls an LLM to write the receipt.
# The worker is killed during the LLM call. What happens when the run resumes, and how would you
# design it?"*
#
# Write your answer in `answer` (a few sentences, as you would say it). Then run the
# cell after it: it shows the points a strong answer makes and a model answer, and you score
# yourself, one point per point you made. With `backend = "anthropic"` and an API key, Claude
# grades your answer against the same points and explains. Nothing here is a pass/fail check.

# %% tags=["answer-08"]
### BEGIN SOLUTION
answer = """
Resume replays the journal: steps 0 to 4 are committed, so their saved results are applied and
their LLM calls are not paid again. Step 5 never committed, so it runs again from its start:
the card is charged a second time, and the receipt call is repeated (the first one was paid
and lost). Exactly once is not possible across a crash: the process can die after the charge
and before the commit. So split the step: charge in its own step, committed before the LLM
writes the receipt, and make the charge idempotent with an idempotency key (run id + step key)
that the payment provider deduplicates on. Execution is at-least-once; the effect happens once.
A lease keeps a second worker from resuming the same run meanwhile.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# TODO: your answer here.
# """
### END STUB

# %% tags=["rubric"]
# The interview answer: score yourself against the rubric (no automatic pass or fail)
from orchestra.interview import review

RUBRIC = [
    "Completed steps are replayed from the journal: no call or effect of theirs repeats.",
    "The interrupted step runs again from its start: the card is charged twice, the call repaid.",
    "Exactly once is impossible across a crash (it can die after the charge, before the commit).",
    "Put the charge in its own step, committed before the LLM call that writes the receipt.",
    "Give the charge an idempotency key (run id + step key) the provider deduplicates on.",
    "One owner per run (a lease), so two workers do not resume it at once.",
]
MODEL_ANSWER = """\
On resume the journal replays steps 0-4 (nothing repeats); step 5 never committed, so it runs
again from its start: a second charge, and the receipt call paid twice. Exactly-once execution
is impossible across a crash, so aim for an effect that happens once: the charge in its own
step, committed before the receipt is written, with an idempotency key (run id + step key) the
payment provider deduplicates on; and a lease so only one worker resumes the run."""

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
store.close()
await llm.aclose()
workdir.cleanup()
simulator.stop()
