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
#       model: claude-sonnet-4-5
#       seed: 1
# ---

# %% [markdown]
# # Exercise 09 · Human in the loop
#
# Four tasks on a workflow that drafts a product description, pauses for a person's approval and
# continues with the decision. Each task ends with a cell tagged `check`; run `make grade` (or
# `make grade NB=exercises/09_human_in_the_loop.ipynb`) to grade your work. Read chapter 09
# (`notebooks/09_human_in_the_loop.ipynb`) first.
#
# 1. Decision handling: approve / reject / edit → the next state.
# 2. A planted bug: a draft paid twice on resume.
# 3. A scripted reviewer, so the flow runs headless, and a resume after a "restart".
# 4. An interview question.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
model = "claude-haiku-4-5"
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: instant)

# %%
import tempfile
from pathlib import Path

from pydantic import BaseModel

from orchestra import LLM, Context, SqliteStore, Workflow, approval, datasets, sim, step

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
calls = lambda: len(simulator.log) if simulator else 0  # LLM calls so far
products = datasets.load("products")
llm = LLM(model, backend=backend)
workdir = Path(tempfile.mkdtemp())  # checkpoint files for this session


class Listing(BaseModel):
    product: str
    must_mention: list[str]
    draft: str = ""
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
#   the run as `aborted`, with your message in `result.reason`).


# %%
@step(writes=("published", "outcome"))
async def publish(s: Listing) -> dict:
    ### BEGIN SOLUTION
    action = (s.decision or {}).get("action")
    if action == "approve":
        return {"published": s.draft, "outcome": "approved"}
    if action == "edit":
        return {"published": s.decision["text"], "outcome": "edited"}
    if action == "reject":
        return {"published": None, "outcome": "rejected"}
    raise ValueError(f"unknown decision {s.decision!r}: expected approve, reject or edit")
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
for i, decision in enumerate(
    [
        {"action": "approve"},
        {"action": "edit", "text": "Edited by a person."},
        {"action": "reject"},
        {"action": "publish it anyway"},
    ]
):
    paused = await wf1.run(listing(i), store=store, run_id=f"t1-{i}")
    assert paused.status == "waiting", paused.reason
    done = await wf1.resume(f"t1-{i}", store, decision=decision)
    if (
        decision["action"] == "publish it anyway"
    ):  # the step raised: the run stops, nothing published
        assert done.status == "aborted" and "ValueError" in done.reason, (done.status, done.reason)
        assert done.state.published is None
        continue
    expected = {
        "approve": (paused.state.draft, "approved"),
        "edit": ("Edited by a person.", "edited"),
        "reject": (None, "rejected"),
    }[decision["action"]]
    assert (done.state.published, done.state.outcome) == expected, (
        done.state.published,
        done.state.outcome,
    )
print("Task 1 passed")


# %% [markdown]
# ## Task 2 · Fix the planted bug: a draft paid twice
#
# This workflow drafts and asks in one step. Run it, approve, and count the LLM calls: the check
# expects **one** call per approved draft, and the published text to be the draft the person saw.
# Fix `make_review_workflow` so resuming never repeats the draft (keep the state fields as they
# are: `draft` and `decision`).


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
# Task 2: one LLM call per approved draft, and the approved draft is the one kept
store = SqliteStore(workdir / "task2.db")
wf2 = make_review_workflow(llm)
start = calls()
paused = await wf2.run(listing(1), store=store, run_id="t2")
assert paused.status == "waiting", paused.reason
shown = paused.waiting_for["payload"]["draft"]
done = await wf2.resume("t2", store, decision={"action": "approve"})
assert done.status == "completed" and done.state.decision == {"action": "approve"}
assert done.state.draft == shown
assert calls() - start == 1, f"{calls() - start} LLM calls for one approved draft"
print("Task 2 passed")


# %% [markdown]
# ## Task 3 · A scripted reviewer, and a resume after a restart
#
# Headless runs (papermill, CI) need decisions without a person. Write `reviewer(draft,
# must_mention)`: approve a draft that mentions every required point (case-insensitive), otherwise
# return an edit that keeps the draft and appends the missing points (so the published text
# mentions all of them).
#
# Then write `resume_later(db_path, run_id, decision)`: what a restarted kernel does, with only the
# database file and the run id. It must build a **new** `SqliteStore` and a **new** workflow (with
# `make_review_workflow`) and resume the run with the decision.


# %%
### BEGIN SOLUTION
def reviewer(draft: str, must_mention: list[str]) -> dict:
    forgot = [m for m in must_mention if m.lower() not in draft.lower()]
    if not forgot:
        return {"action": "approve"}
    return {"action": "edit", "text": f"{draft} Also: {', '.join(forgot)}."}


async def resume_later(db_path, run_id: str, decision: dict):
    return await make_review_workflow(LLM(model, backend=backend)).resume(
        run_id, SqliteStore(db_path), decision=decision
    )


### END SOLUTION
### BEGIN STUB
# def reviewer(draft: str, must_mention: list[str]) -> dict:
#     # TODO: {"action": "approve"} if every point is in the draft, else {"action": "edit", "text": ...}
#     raise NotImplementedError("Task 3: the scripted reviewer")
#
#
# async def resume_later(db_path, run_id: str, decision: dict):
#     # TODO: a new SqliteStore, a new workflow, then resume with the decision
#     raise NotImplementedError("Task 3: resume from the file")
### END STUB


# %% tags=["check"]
# Task 3: the scripted reviewer decides, and a fresh store + workflow resume each run
assert reviewer(
    "Meet X. It has USB-C Charging and a Two-Year Warranty.",
    ["USB-C charging", "two-year warranty"],
) == {"action": "approve"}
db = workdir / "task3.db"
wf3, store, actions = make_review_workflow(llm), SqliteStore(db), []
for i in range(4):
    paused = await wf3.run(listing(i), store=store, run_id=f"t3-{i}")
    draft, points = paused.waiting_for["payload"]["draft"], listing(i).must_mention
    decision = reviewer(draft, points)
    actions.append(decision["action"])
    complete = all(m.lower() in draft.lower() for m in points)
    assert decision["action"] == ("approve" if complete else "edit"), (draft, decision)
    if decision["action"] == "edit":
        assert decision["text"].startswith(draft), "keep the draft, append what is missing"
        assert all(m.lower() in decision["text"].lower() for m in points), decision["text"]
    start = calls()
    done = await resume_later(db, f"t3-{i}", decision)
    assert done.status == "completed" and done.state.decision == decision
    assert calls() == start, "the resume called the LLM again"
print("Task 3 passed:", actions)

# %% [markdown]
# ## Task 4 · Interview question
#
# *"We use LangGraph. A node calls the LLM to draft an email, then `interrupt()`s for approval.
# Finance says approvals cost twice what they should, and a reviewer says the email sent was not
# the one they approved. Explain both, and how you would fix it."*
#
# Answer in the string below (a few sentences: what happens on resume, why, the fix, and how
# orchestra's `approval()` differs).

# %%
### BEGIN SOLUTION
answer = """
On resume LangGraph re-runs the interrupted node from its start: interrupt() returns the
decision the second time, but everything before it runs again. So the LLM call that drafted the
email is paid twice, and at temperature > 0 (or after a model update) it can return a different
draft: the email sent is the second draft, not the one the reviewer approved.
Fix: move the LLM call into its own node before the review node, so the draft is saved in the
checkpoint and the review node only reads it (or make the work before interrupt() idempotent,
e.g. cache by a key). Send exactly the text in the checkpoint that the reviewer saw.
In orchestra approval() is its own step: the draft step is committed to the journal before the
pause and replayed, not re-run, on resume; only ctx.ask_human inside a drafting step would
repeat the call.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# TODO
# """
### END STUB

# %% tags=["check"]
# Task 4: the answer explains the re-run, its cost and the fix
text = answer.lower()
assert len(text.split()) >= 60, "write a few sentences"
terms = [
    ("re-run", "rerun", "re-execut", "runs again", "from its start", "from the start"),
    ("twice", "double", "again"),
    ("node",),
    ("checkpoint", "journal"),
    ("own node", "separate node", "before the", "idempot"),
]
missing = [t[0] for t in terms if not any(w in text for w in t)]
assert not missing, f"the answer does not mention: {missing}"
print("Task 4 passed")

# %%
await llm.aclose()
if simulator:
    simulator.stop()
