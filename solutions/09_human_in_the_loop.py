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
#       model: claude-sonnet-5-5
#       seed: 1
# ---

# %% [markdown]
# # Exercise 09 · Human in the loop: an approval that survives a restart, applied once
#
# **The interview task.** A publishing pipeline drafts product descriptions with an LLM. Nothing
# goes live until a person decides: the reviewer gets an email with the draft and links that
# **approve**, **reject** or open an **edit** form. They answer minutes or days later, after
# deploys and restarts. Email clients prefetch links, people click twice, gateways retry a POST
# that timed out. Build the pieces so that:
#
# 1. a decision leads to the right outcome, and an unknown one never publishes;
# 2. the draft the reviewer saw is the one kept, and it is paid for once;
# 3. a decision arriving in a fresh process is applied to **the question it answers**, exactly
#    once: a repeat or a stale link changes nothing and says so;
# 4. you can explain the design and its trade-offs (an interview answer, scored by you against a
#    rubric).
#
# Each task ends with cells tagged `check`; `make grade NB=exercises/09_human_in_the_loop.ipynb`
# grades them. They run your code on the notebook's cases **and** on cases they generate
# (seeded): other decisions, listings, reloads and sequences of clicks; each says what it called,
# what came back and what was expected. Read chapter 09 first (`notebooks/09_human_in_the_loop.ipynb`), especially
# sections 4 and 5.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (grades task 4 too)
model = "claude-haiku-5-5"
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: instant)

# %%
import random
import tempfile
from pathlib import Path

from pydantic import BaseModel

from orchestra import LLM, Context, SqliteStore, Workflow, approval, datasets, sim, step
from orchestra.errors import DecisionMismatchError
from orchestra.exercise import acalled

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
calls = lambda: len(simulator.log) if simulator else 0  # LLM calls so far
products = datasets.load("products")
llm = LLM(model, backend=backend)
workdir = Path(tempfile.mkdtemp())  # checkpoint files for this session


class Listing(BaseModel):
    product: str
    must_mention: list[str]
    draft: str = ""
    legal: dict | None = None  # a legal reviewer's decision (task 3's two-question flow)
    decision: dict | None = None  # {"action": "approve" | "reject" | "edit", "text": ...}
    published: str | None = None
    outcome: str = ""


def listing(i: int) -> Listing:
    return Listing(product=products[i]["product"], must_mention=products[i]["must_mention"])


def draft_prompt(s: Listing) -> str:
    return (
        f"Write a product description for {s.product} in at most 40 words. "
        f"It must mention: {', '.join(s.must_mention)}."
    )


def make_draft(llm: LLM):
    @step(writes="draft")
    async def draft(s: Listing) -> dict:
        return {"draft": (await llm.ask(draft_prompt(s))).text}

    return draft


print("ready:", len(products), "products")


# %% [markdown]
# ## Task 1 · Decision handling
#
# Write the step that runs after the approval. It reads `s.decision` and returns the next state:
#
# - `{"action": "approve"}` → `published` is the draft, `outcome` is `"approved"`;
# - `{"action": "edit", "text": t}` → `published` is `t`, `outcome` is `"edited"`;
# - `{"action": "reject"}` → `published` is `None`, `outcome` is `"rejected"`;
# - anything else → raise `ValueError` (an unknown decision must never publish; the engine stops
#   the run as `aborted`, with your message in `result.reason`): another action, no decision,
#   and an edit without its text (a string) too.
#
# Return the changes; do not write them into `s` (the engine applies what you return).
#
# Trade-off to think about: why raise on an unknown action rather than treat it as a reject?


# %%
@step(writes=("published", "outcome"))
async def publish(s: Listing) -> dict:
    ### BEGIN SOLUTION
    action = (s.decision or {}).get("action")
    if action == "approve":
        return {"published": s.draft, "outcome": "approved"}
    if action == "edit" and isinstance(s.decision.get("text"), str):
        return {"published": s.decision["text"], "outcome": "edited"}
    if action == "reject":
        return {"published": None, "outcome": "rejected"}
    raise ValueError(
        f"unknown decision {s.decision!r}: expected approve, reject or edit (with text)"
    )
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: approve / edit / reject -> {"published": ..., "outcome": ...}; else ValueError
    # raise NotImplementedError("Task 1: handle the decision")
    ### END STUB


# %% tags=["check"]
# Task 1: approve, edit and reject lead to the right state; an unknown decision publishes nothing
store = SqliteStore(workdir / "task1.db")
wf1 = Workflow(
    "task1",
    state=Listing,
    steps=[
        make_draft(llm),
        approval("Publish?", into="decision", show=lambda s: {"draft": s.draft}),
        publish,
    ],
)
cases = [
    ({"action": "approve"}, "completed", "draft", "approved"),
    (
        {"action": "edit", "text": "Edited by a person."},
        "completed",
        "Edited by a person.",
        "edited",
    ),
    ({"action": "reject"}, "completed", None, "rejected"),
    ({"action": "publish it anyway"}, "aborted", None, ""),  # unknown: stop, publish nothing
]
for i, (decision, status, published, outcome) in enumerate(cases):
    paused = await wf1.run(listing(i), store=store, run_id=f"t1-{i}")
    assert paused.status == "waiting", f"the run did not pause for a decision: {paused.reason}"
    done = await wf1.resume(f"t1-{i}", store, decision=decision, question=paused.waiting_for["key"])
    if published == "draft":
        published = paused.waiting_for["payload"]["draft"]
    got = (done.status, done.state.published, done.state.outcome)
    assert got == (status, published, outcome), (
        f"draft, approval, publish; resumed with decision {decision}: your step ended the run "
        f"{done.status!r} with "
        f"published={done.state.published!r}, outcome={done.state.outcome!r} "
        f"(reason: {done.reason}); expected {status!r}, published={published!r}, "
        f"outcome={outcome!r}"
    )
    if status == "aborted":
        assert "ValueError" in (done.reason or ""), (
            f"an unknown decision stopped the run with {done.reason!r}; expected your ValueError"
        )
print("Task 1 passed")


# %% tags=["check"]
# Task 1: publish on 40 generated decisions (other texts, unknown and missing actions, an edit
# without its text, no decision at all) against a reference; the state it is given is unchanged
def reference_publish(s: Listing):
    d = s.decision if isinstance(s.decision, dict) else {}
    if d.get("action") == "approve":
        return {"published": s.draft, "outcome": "approved"}
    if d.get("action") == "edit" and isinstance(d.get("text"), str):
        return {"published": d["text"], "outcome": "edited"}
    if d.get("action") == "reject":
        return {"published": None, "outcome": "rejected"}
    return ValueError


rng = random.Random(9)
decisions = [
    {"action": "approve"},
    {"action": "approve", "note": "fine by me"},
    {"action": "reject"},
    {"action": "edit", "text": "Shorter, and true."},
    {"action": "edit", "text": ""},  # a person may publish an empty text: it is theirs
    {"action": "edit"},  # an edit without its text
    {"action": "edit", "text": None},
    {"action": "Approve"},
    {"action": "publish"},
    {"action": ""},
    {"text": "no action at all"},
    {},
    None,
]
cases = decisions + [rng.choice(decisions) for _ in range(40 - len(decisions))]
for n, decision in enumerate(cases):
    product = products[n % len(products)]
    state = Listing(
        product=product["product"],
        must_mention=product["must_mention"],
        draft=f"Draft {n}: {product['product']}, mentions {', '.join(product['must_mention'])}.",
        decision=decision,
    )
    kept = state.model_dump()
    expected = reference_publish(state)
    call = f"publish(<a Listing with draft {state.draft!r} and decision {decision!r}>)"
    try:
        got = await publish(state)
    except ValueError as exc:
        got = ValueError
        if expected is not ValueError:
            raise AssertionError(f"{call} raised ValueError({exc}); expected {expected!r}") from exc
    except NotImplementedError as exc:
        raise AssertionError(
            f"{call}: not written yet ({exc}): write it in Task 1's cell"
        ) from None
    except Exception as exc:
        raise AssertionError(
            f"{call} raised {type(exc).__name__}: {exc}; expected "
            + (
                "ValueError (never publish what is not a decision)"
                if expected is ValueError
                else repr(expected)
            )
        ) from exc
    assert got == expected, f"{call} returned {got!r}; expected " + (
        "it to raise ValueError (never publish what is not a decision)"
        if expected is ValueError
        else repr(expected)
    )
    assert state.model_dump() == kept, (
        f"{call} changed the state it was given: it is now {state.model_dump()!r}. Return the "
        f"changes; the engine applies them (and journals them, so a resume can replay them)"
    )
print(f"Task 1 passed: {len(cases)} generated decisions")


# %% [markdown]
# ## Task 2 · Fix the planted bug: a draft paid twice
#
# This workflow drafts and asks in one step. On resume the step runs again from its first line:
# the draft is paid again, and on a real model the published text may not be the one the person
# read. Fix `make_review_workflow` so that neither reloading the review page (a resume with no
# decision) nor deciding repeats the draft. Keep the state fields as they are (`draft`,
# `decision`).


# %%
def make_review_workflow(llm: LLM) -> Workflow:
    ### BEGIN SOLUTION
    # the draft is its own step: committed before the pause, replayed (not re-run) on resume
    return Workflow(
        "task2",
        state=Listing,
        steps=[
            make_draft(llm),
            approval("Publish?", into="decision", show=lambda s: {"draft": s.draft}),
        ],
    )
    ### END SOLUTION
    ### BEGIN STUB
    # # BUG: the LLM call and the question share one step; on resume the step runs again
    # @step(writes=("draft", "decision"))
    # async def draft_and_ask(s: Listing, ctx: Context) -> dict:
    #     text = (await llm.ask(draft_prompt(s))).text
    #     return {"draft": text, "decision": ctx.ask_human("Publish?", {"draft": text})}
    #
    # return Workflow("task2", state=Listing, steps=[draft_and_ask])
    ### END STUB


# %% tags=["check"]
# Task 2: one LLM call per draft, however often the run is resumed; the approved draft is kept
store = SqliteStore(workdir / "task2.db")
wf2 = make_review_workflow(llm)
start = calls()
paused = await wf2.run(listing(1), store=store, run_id="t2")
assert paused.status == "waiting", f"the run did not pause for a decision: {paused.reason}"
shown = paused.waiting_for["payload"]["draft"]
reloaded = await wf2.resume("t2", store)  # the review page reloaded: no decision yet
assert reloaded.status == "waiting" and calls() - start == 1, (
    f"make_review_workflow(llm): run(listing(1)), then resume('t2') with no decision (the "
    f"review page reloaded) left the run {reloaded.status!r} after {calls() - start} LLM "
    f"calls in all; expected it still waiting, after the 1 call that drafted"
)
key = reloaded.waiting_for["key"]
done = await wf2.resume("t2", store, decision={"action": "approve"}, question=key)
assert done.status == "completed" and done.state.decision == {"action": "approve"}, (
    f"make_review_workflow(llm): resume('t2', decision={{'action': 'approve'}}) left the run "
    f"{done.status!r} with decision {done.state.decision!r}; "
    f"expected completed with {{'action': 'approve'}}"
)
assert calls() - start == 1, (
    f"make_review_workflow(llm): run, reload, approve made {calls() - start} LLM calls for one "
    f"approved draft; expected 1"
)
assert done.state.draft == shown, (
    f"make_review_workflow(llm): the reviewer was shown {shown!r}, the state keeps "
    f"{done.state.draft!r}: keep the draft that was shown"
)
print("Task 2 passed")

# %% tags=["check"]
# Task 2: on 6 more listings, each page reloaded 0 to 3 times before a decision drawn at random:
# one LLM call per listing, and the state keeps the draft the reviewer was shown
rng = random.Random(10)
for i in range(6):
    run_id, reloads = f"t2-gen-{i}", rng.randint(0, 3)
    decision = rng.choice(
        [{"action": "approve"}, {"action": "reject"}, {"action": "edit", "text": "Edited."}]
    )
    start = calls()
    what = f"listing {i} ({products[i]['product']}), reloaded {reloads} time(s), then {decision}"
    paused = await acalled(
        f"make_review_workflow(llm).run(listing({i}), ...)",
        make_review_workflow(llm).run(listing(i), store=store, run_id=run_id),
    )
    assert paused.status == "waiting", f"{what}: the run did not pause: {paused.reason}"
    shown = paused.waiting_for["payload"].get("draft")
    for _ in range(reloads):
        again = await make_review_workflow(llm).resume(run_id, store)
        assert again.status == "waiting", f"{what}: a reload ended the run {again.status!r}"
    key = make_review_workflow(llm).waiting(run_id, store)["key"]
    done = await make_review_workflow(llm).resume(run_id, store, decision=decision, question=key)
    assert done.status == "completed" and done.state.decision == decision, (
        f"{what}: the run is {done.status!r} with decision {done.state.decision!r}; expected "
        f"completed with {decision!r}"
    )
    assert calls() - start == 1, (
        f"{what}: {calls() - start} LLM calls; expected 1: the draft is paid once, however "
        f"often the page is reloaded (put it in its own step, before the approval)"
    )
    assert shown and done.state.draft == shown, (
        f"{what}: the reviewer was shown {shown!r} and the state keeps {done.state.draft!r}: "
        f"the draft shown must be the draft kept"
    )
print("Task 2 passed: 6 listings, one LLM call each, however many reloads")


# %% [markdown]
# ## Task 3 · The decision endpoint: after a restart, bound to its question, applied once
#
# The email's links carry the run id and the **question key** the reviewer saw
# (`waiting_for["key"]`). Write `submit(make_workflow, db_path, run_id, question, decision)`, what
# the web handler does when a link is followed, in a process that has only the database file:
#
# - build a **new** `SqliteStore(db_path)` and a new workflow with `make_workflow(llm)`;
# - apply the decision to `question` only, and return `{"status": "applied", "run": <the run's
#   status after the resume>}`;
# - if the run is not waiting on that question (answered already: a double click, a retried
#   request; or never asked: a stale or forged link), change nothing and return
#   `{"status": "stale", "waiting_on": <the key the run waits on now, or None>}`: the handler
#   tells the person "already decided" instead of failing, or worse, answering the next question.
#
# `orchestra.errors.DecisionMismatchError` (with `.expected`: the key the run waits on) is what
# the engine raises for a decision that names another question. Do not look the question up at
# submit time: that answers whatever is open now, which is exactly the bug.


# %%
### BEGIN SOLUTION
async def submit(make_workflow, db_path, run_id: str, question: str, decision: dict) -> dict:
    async with LLM(model, backend=backend) as fresh:  # a new process: nothing in memory
        wf, store = make_workflow(fresh), SqliteStore(db_path)
        try:
            done = await wf.resume(run_id, store, decision=decision, question=question)
        except DecisionMismatchError as exc:  # answered already, or never asked: change nothing
            return {"status": "stale", "waiting_on": exc.expected}
        return {"status": "applied", "run": done.status}


### END SOLUTION
### BEGIN STUB
# async def submit(make_workflow, db_path, run_id: str, question: str, decision: dict) -> dict:
#     # TODO: a new store and workflow; resume with the decision bound to `question`;
#     # {"status": "applied", "run": ...} or {"status": "stale", "waiting_on": ...}
#     raise NotImplementedError("Task 3: the decision endpoint")
### END STUB


# %%
async def submitted(*args) -> dict | str:
    """What submit returned, or what it raised (as text), for the checks below."""
    try:
        return await submit(*args)
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"


def make_two_approvals(llm: LLM) -> Workflow:
    """Two questions in a row: legal checks the claims, then an editor decides."""
    return Workflow(
        "task3_two",
        state=Listing,
        steps=[
            make_draft(llm),
            approval("Legal: are the claims accurate?", into="legal", name="legal"),
            approval("Publish?", into="decision", name="editor"),
        ],
    )


# %% tags=["check"]
# Task 3: after a restart, a decision is applied to its question with no LLM call; a decision
# for a question the run is not waiting on changes nothing
db = workdir / "task3.db"
paused = await make_review_workflow(llm).run(listing(2), store=SqliteStore(db), run_id="t3")
key = paused.waiting_for["key"]
start = calls()
got = await submitted(make_review_workflow, db, "t3", key, {"action": "reject"})
assert got == {"status": "applied", "run": "completed"}, (
    f"submit(make_review_workflow, db, 't3', {key!r}, {{'action': 'reject'}}) (the question the "
    f"run waits on) returned {got!r}; "
    f"expected {{'status': 'applied', 'run': 'completed'}}"
)
assert calls() == start, (
    f"submit(make_review_workflow, db, 't3', {key!r}, {{'action': 'reject'}}) made "
    f"{calls() - start} LLM call(s); expected none: the draft was already paid"
)
row = SqliteStore(db).journal("t3").get(key, {}).get("out")
assert row == {"action": "reject"}, (
    f"submit(make_review_workflow, db, 't3', {key!r}, {{'action': 'reject'}}): the journal "
    f"holds {row!r} for {key!r}; expected the reject"
)

await make_review_workflow(llm).run(listing(3), store=SqliteStore(db), run_id="t3-stale")
waiting = make_review_workflow(llm).waiting("t3-stale", SqliteStore(db))["key"]
got = await submitted(
    make_review_workflow, db, "t3-stale", "old-link#human0", {"action": "approve"}
)
now = SqliteStore(db).load("t3-stale").status
assert got == {"status": "stale", "waiting_on": waiting} and now == "waiting", (
    f"submit(make_review_workflow, db, 't3-stale', 'old-link#human0', {{'action': 'approve'}}) "
    f"(a question the run never asked) returned {got!r} and left the run {now!r}; "
    f"expected {{'status': 'stale', 'waiting_on': {waiting!r}}} and the run still waiting"
)
print("Task 3 passed: applied once after a restart; a stale link changed nothing")

# %% tags=["check"]
# Task 3: exactly once: a retried approve never answers the next question; a re-click after the
# run finished changes nothing
db = workdir / "task3-two.db"
paused = await make_two_approvals(llm).run(listing(0), store=SqliteStore(db), run_id="two")
legal = paused.waiting_for["key"]
approve = {"action": "approve"}
got = await submitted(make_two_approvals, db, "two", legal, approve)
assert got == {"status": "applied", "run": "waiting"}, (
    f"submit(make_two_approvals, db, 'two', {legal!r}, {approve}) (the legal question) returned "
    f"{got!r}; expected applied, the run then waiting for the editor"
)
editor = make_two_approvals(llm).waiting("two", SqliteStore(db))["key"]
got = await submitted(make_two_approvals, db, "two", legal, approve)  # the same request, retried
journal = SqliteStore(db).journal("two")
assert got == {"status": "stale", "waiting_on": editor} and editor not in journal, (
    f"submit(make_two_approvals, db, 'two', {legal!r}, {approve}) again (a retried request) "
    f"returned {got!r}"
    + (" and approved the editor's question, which nobody saw" if editor in journal else "")
    + f"; expected {{'status': 'stale', 'waiting_on': {editor!r}}} and no editor decision"
)
got = await submitted(make_two_approvals, db, "two", editor, {"action": "reject"})
assert got == {"status": "applied", "run": "completed"}, (
    f"submit(make_two_approvals, db, 'two', {editor!r}, {{'action': 'reject'}}) returned "
    f"{got!r}; expected applied, the run completed"
)
got = await submitted(make_two_approvals, db, "two", editor, approve)  # a re-click, too late
kept = SqliteStore(db).journal("two")[editor]["out"]
assert got == {"status": "stale", "waiting_on": None} and kept == {"action": "reject"}, (
    f"submit(make_two_approvals, db, 'two', {editor!r}, {approve}) after the run finished "
    f"returned {got!r} and the editor's decision is now "
    f"{kept!r}; expected {{'status': 'stale', 'waiting_on': None}} and the reject kept"
)
print("Task 3 passed: each decision applied once, to the question it names")

# %% tags=["check"]
# Task 3: 4 generated runs (one or two questions), each sent 5 clicks drawn at random: the open
# question, one answered already, a forged one, a click after the run finished; each reply
# checked against what the run waits on, and a stale click changes nothing
rng = random.Random(11)
db = workdir / "task3-gen.db"
makers = [make_review_workflow, make_two_approvals, make_two_approvals, make_review_workflow]
for r, make in enumerate(makers):
    run_id = f"gen-{r}"
    paused = await make(llm).run(listing(4 + r), store=SqliteStore(db), run_id=run_id)
    asked = [paused.waiting_for["key"]]
    for c in range(5):
        now = make(llm).waiting(run_id, SqliteStore(db))
        now = now["key"] if now else None
        question = rng.choice(
            [now, now, asked[0], f"forged-{c}#human0"] if now else [asked[-1], "forged#human0"]
        )
        decision = rng.choice([{"action": "approve"}, {"action": "reject"}])
        before = SqliteStore(db).journal(run_id)
        call = f"submit({make.__name__}, db, {run_id!r}, {question!r}, {decision})"
        got = await submitted(make, db, run_id, question, decision)
        after = SqliteStore(db).journal(run_id)
        if question is not None and question == now:
            later = make(llm).waiting(run_id, SqliteStore(db))
            status = "waiting" if later else SqliteStore(db).load(run_id).status
            expected = {"status": "applied", "run": status}
            if later:
                asked.append(later["key"])
            assert after.get(question, {}).get("out") == decision, (
                f"{call} (the run waits on {now!r}) returned {got!r}, and the journal holds "
                f"{after.get(question, {}).get('out')!r} for {question!r}; expected {decision}"
            )
        else:
            expected = {"status": "stale", "waiting_on": now}
            assert after == before, (
                f"{call}: the run waits on {now!r}, not {question!r}, yet its journal changed "
                f"(new rows: {sorted(set(after) - set(before))}): a stale click changes nothing"
            )
        assert got == expected, (
            f"{call}: the run waited on {now!r}; submit returned {got!r}, expected {expected!r}"
        )
print("Task 3 passed: 4 runs, 20 generated clicks, each answered as the run stood")

# %% [markdown]
# ## Task 4 · Interview question
#
# *"Reviewers approve LLM-drafted emails from a link in a notification. Finance says some drafts
# are paid twice; a reviewer says an email went out that they never approved; ops restarts the
# service twice a day. Design the approval step: where does the paused run live, what does a
# decision carry, how is it applied exactly once, and what are the trade-offs?"*
#
# Answer in the string below (a few sentences), then run the next cell: it shows a rubric and a
# model answer to score yourself against (with `backend="anthropic"`, Claude also grades your
# answer against the rubric). There is no automatic pass or fail.

# %% tags=["answer-09"]
### BEGIN SOLUTION
answer = """
The paused run is a checkpoint, not a process: the run ends 'waiting' with each completed step
committed (SQLite), so any process resumes it by run id after a restart. The draft is its own step
before the approval, so resuming replays it from the journal instead of paying for it again, and
the text published is the text the reviewer saw. Paid twice: the LLM call sat in the step that
asked, so it re-ran on resume. The link carries the run id and the question's key; the server
applies a decision only if the run waits on that key, committing it as that question's journal row,
so a double click or a retried POST finds it answered and returns 'already decided' (idempotent)
instead of approving the next question nobody saw. One owner per run (a lease) stops two resumers.
Links should open a confirm page (POST), since mail scanners prefetch GETs; record who decided.
Trade-offs: human latency and a queue to run; a timeout policy for runs that wait too long.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# TODO
# """
### END STUB

# %% tags=["rubric"]
# Task 4: score your answer against the rubric (self-assessed: no automatic pass or fail)
from orchestra.interview import review

RUBRIC = [
    "The pause is durable state (a checkpoint, status 'waiting'), not a blocked process: any "
    "process resumes it by run id after a restart.",
    "Work before the pause (the LLM draft) is its own step/node, so resume replays it: paid once, "
    "and the published text is the one approved. Says why it was paid twice (the step re-ran).",
    "A decision names the question it answers (a key carried by the link/UI); a decision for "
    "another question is refused, so a repeat never answers the next question.",
    "Exactly once: the decision is committed atomically as that question's record; a repeat is "
    "answered idempotently ('already decided'), not with an error page or a second effect.",
    "Concurrency: one owner per run (lease or lock) so two resumers cannot both continue it.",
    "Practicalities: links open a confirm step (mail scanners prefetch GETs); an audit trail of "
    "who decided what and when.",
    "Trade-offs: human latency and a queue to operate; timeouts/escalation for runs that wait too "
    "long; approve only above a risk threshold to keep volume down.",
]
MODEL_ANSWER = """\
Make the pause a state, not a wait: the run ends 'waiting' with every completed step in a durable
checkpoint, and any process resumes it by run id, so restarts do not matter. Put the LLM draft in
its own step before the approval: on resume it is replayed from the checkpoint, paid once, and the
text sent is the text approved (the double bill came from the call living in the step that asked,
which re-runs on resume). The link carries the run id and the key of the question the reviewer saw;
the server applies the decision only if the run waits on that key, and commits it as that
question's record in one transaction. A double click or a gateway retry then finds the question
answered and gets 'already decided'; it cannot fall through to the next question (how an email
nobody approved went out). One owner per run (a lease) keeps two handlers from resuming it at once.
The link opens a confirm page that POSTs, since scanners prefetch GETs, and every decision records
who and when. Trade-offs: each approval adds human latency and a queue; set a timeout policy
(escalate or auto-reject), and send only risky drafts to people."""

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
await llm.aclose()
if simulator:
    simulator.stop()
