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
#       backend: anthropic
#       grader: claude-haiku-5-5
#       grid_efforts:
#       - low
#       - high
#       grid_models:
#       - claude-haiku-5-5
#       - claude-sonnet-5-5
#       max_effort_model: claude-haiku-5-5
#       max_iterations: 3
#       n_products: 4
#       samples: 1
#       seed: 1
#       time_scale: 0.0
#       writers:
#       - claude-haiku-5-5
#       - claude-opus-5-5
# ---

# %% [markdown]
# # 04 · Evaluator-optimizer: write, grade, rewrite until it is good enough
#
# One model **generates** a draft; an **evaluator** grades it against a rubric and says what is
# missing; the generator rewrites with that feedback, and the loop stops when the grade reaches a
# threshold. It is how you buy quality with extra calls when the criteria are checkable: product
# copy that must mention given points, code that must pass tests, a translation that must keep
# every number.
#
# **Do not use it when** a first draft is usually good enough (you pay the grader on every
# output), when the grader cannot really tell good from bad (a loop around a noisy grader buys
# noise), or when latency matters more than polish: each round adds a write and a grade, in
# sequence.
#
# **Cost and latency:** round *k* costs one generation plus one grading, and rounds cannot
# overlap. The loop must be **bounded** twice: by `max_iterations` (the grade may never reach the
# threshold) and by a `Budget` (a long draft and a strong grader can make each round expensive).
# On today's models a round has a third dial besides the writer and the rounds: **effort**
# (`output_config.effort`, `low` to `max`), how long the model thinks before it answers. Thinking
# is billed as output and takes model-seconds, so it is bought like a round: section 4 measures
# it, model by model, against the loop.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
writers = ["claude-haiku-5-5", "claude-sonnet-5-5"]  # generator models for the loop (sections 1-3)
grader = "claude-sonnet-5-5"  # the evaluator model, at its default effort
threshold = 0.9  # stop when the rubric grade reaches this (0..1)
max_iterations = 4  # at most this many write -> grade rounds
budget_usd = 0.02  # per-product ceiling for the budget demo
n_products = 15  # how many products (at most 15)
grid_models = ["claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"]  # section 4's table
grid_efforts = ["low", "medium", "high", "xhigh"]  # output_config.effort values to try
max_effort_model = "claude-haiku-5-5"  # the one model also tried at effort "max"
samples = 3  # section 4: drafts per product per setting (each a fresh sample)
seed = 0
time_scale = 0.01  # wall-clock seconds per simulated second

# %% [markdown]
# ## Set-up
#
# The products of chapter 01; each record lists three points its description **must mention**.
# The rubric: one line per point, plus a 60-word limit. The grade is the mean of the lines.

# %%
import asyncio
import inspect

import matplotlib.pyplot as plt
import pandas as pd

from orchestra import LLM, Budget, Retry, datasets, log_steps, measure, sim, viz
from orchestra.patterns import evaluator
from orchestra.patterns.evaluator import Draft, iterations, optimizer
from orchestra.prices import listing
from orchestra.viz import prose

pd.set_option("display.max_colwidth", 100)
simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
products = datasets.load("products")[:n_products]
briefs = [Draft(product=p["product"], points=p["must_mention"]) for p in products]
judge = LLM(grader, backend=backend)
print(len(briefs), "briefs; writers:", writers, "| grader:", grader, "| threshold:", threshold)
print(
    "default effort:",
    {
        m.replace("claude-", ""): listing(m).default_effort
        for m in dict.fromkeys([*writers, grader])
    },
)
print(evaluator.rubric_prompt(briefs[0].model_copy(update={"draft": "<the draft>"})))

# %% [markdown]
# ## 1. The pattern on the engine
#
# `optimizer` is a workflow with one node: the engine's `loop(generate, evaluate, until=...,
# max_iterations=...)`. `generate` sends the brief, and after round one the grader's feedback and
# the previous draft; `evaluate` asks the grader for a `Grade` (a pydantic model: `total` and
# `feedback`) and appends the total to `scores`.

# %%
print(inspect.getsource(evaluator.write_prompt))
print(inspect.getsource(evaluator.optimizer))

# %% [markdown]
# One product with Haiku as the writer. Each round is two steps, keyed `00.loop[i].generate` and
# `00.loop[i].evaluate`; watch the grade rise as the feedback is applied.

# %%
haiku = LLM(writers[0], backend=backend)
log_steps()
one = await optimizer(haiku, judge, threshold=threshold, max_iterations=max_iterations).run(
    briefs[1]
)
log_steps(False)
for row in iterations(one):
    print(f"round {row['iteration']}: grade {row['score']:.2f}, ${row['cost_usd']:.5f}")
print("final draft:", one.state.draft)
print("feedback left:", one.state.feedback)


# %% [markdown]
# ## 2. Quality against iterations against cost, over the dataset
#
# Every writer runs the loop on every product (the grader stays the same). A run that reached the
# threshold stops; in the curves it keeps its final grade and its cost stops growing, which is
# what you pay for in production.


# %%
async def run_writer(model):
    async with LLM(model, backend=backend) as writer:
        wf = optimizer(writer, judge, threshold=threshold, max_iterations=max_iterations)
        return await wf.run_many(briefs, concurrency=8, progress=True)


results = {m: await run_writer(m) for m in writers}


# %%
def curve(runs):
    rows = []
    for i in range(1, max_iterations + 1):
        score, cost, active = [], [], 0
        for r in runs:
            its = iterations(r)
            done = its[:i]
            score.append(done[-1]["score"])
            cost.append(sum(x["cost_usd"] for x in done))
            active += len(its) >= i
        rows.append(
            {
                "iteration": i,
                "mean grade": sum(score) / len(score),
                "reached threshold": sum(s >= threshold for s in score) / len(score),
                "mean cumulative cost ($)": sum(cost) / len(cost),
                "runs still looping": active,
            }
        )
    return pd.DataFrame(rows)


curves = pd.concat(
    {m.replace("claude-", ""): curve(runs) for m, runs in results.items()}, names=["writer"]
)
curves.round({"mean grade": 3, "reached threshold": 2, "mean cumulative cost ($)": 5})

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
SIDES = [{"ha": "right", "xytext": (-8, 4)}, {"ha": "left", "xytext": (8, -12)}]
for k, (name, c) in enumerate(curves.groupby(level="writer")):
    left.plot(c["iteration"], c["mean grade"], marker="o", label=f"writer {name}")
    right.plot(
        c["mean cumulative cost ($)"] * 1000, c["mean grade"], marker="o", label=f"writer {name}"
    )
    # one label per distinct point (rounds that cost nothing more share it), each writer's
    # labels on its own side of the line, so that the two curves' labels never meet
    side = SIDES[k % 2]
    points = c.groupby(["mean cumulative cost ($)", "mean grade"], sort=False)["iteration"]
    for (cost, grade), its in points:
        lo, hi = int(its.min()), int(its.max())
        right.annotate(
            f"round {lo}" if lo == hi else f"rounds {lo}-{hi}",
            (cost * 1000, grade),
            textcoords="offset points",
            fontsize=8,
            color=right.get_lines()[-1].get_color(),
            **side,
        )
for ax in (left, right):
    ax.axhline(threshold, color="gray", linestyle="--", linewidth=1, label=f"threshold {threshold}")
    ax.set_ylabel("mean rubric grade (0..1)")
    ax.legend(fontsize=8, loc="lower right")
left.set_xlabel("iteration (write + grade rounds)")
left.set_xticks(range(1, max_iterations + 1))
left.set_title("Quality per iteration")
right.set_xlabel("mean cumulative cost per product (thousandths of a USD)")
right.set_title(f"Quality against cost (grader: {grader.replace('claude-', '')})")
right.margins(x=0.2, y=0.08)
left.margins(y=0.08)
fig.tight_layout()

# %% [markdown]
# ## 3. When the loop does not pay
#
# Two readings of the same numbers. **Diminishing returns:** what each extra round adds to the
# mean grade, and what it costs per product. **The one-pass alternative:** a stronger writer's
# first draft, with no loop, against the cheap writer's whole loop.

# %%
marginal = curves.copy()
g = marginal.groupby(level="writer")
marginal["grade gained"] = g["mean grade"].diff().fillna(marginal["mean grade"])
marginal["cost of the round ($)"] = (
    g["mean cumulative cost ($)"].diff().fillna(marginal["mean cumulative cost ($)"])
)
marginal["$ per +0.1 grade"] = marginal["cost of the round ($)"] / (marginal["grade gained"] * 10)
marginal[["iteration", "grade gained", "cost of the round ($)", "$ per +0.1 grade"]].round(5)


# %%
def summary(model, runs):
    first = [iterations(r)[0] for r in runs]
    return {
        "writer": model.replace("claude-", ""),
        "one pass: grade": sum(f["score"] for f in first) / len(first),
        "one pass: cost ($)": sum(f["cost_usd"] for f in first) / len(first),
        "loop: grade": sum(r.state.score for r in runs) / len(runs),
        "loop: cost ($)": sum(r.cost_usd for r in runs) / len(runs),
        "loop: rounds": sum(len(r.state.scores) for r in runs) / len(runs),
    }


passes = pd.DataFrame([summary(m, runs) for m, runs in results.items()]).set_index("writer")
passes.round(5)


# %%
def spent(runs, part):
    return sum(s.cost_usd for r in runs for s in r.trace.steps() if s.key.endswith(part))


def thought(runs, part):
    spans = [s for r in runs for s in r.trace.steps() if s.key.endswith(part)]
    return sum(s.thinking_tokens for s in spans) / len(spans), sum(
        s.output_tokens for s in spans
    ) / len(spans)


cheap, strong = passes.index[0], passes.index[-1]
gains = marginal.loc[cheap.replace("claude-", ""), "grade gained"].tolist()
grading = sum(spent(runs, "evaluate") for runs in results.values())
writing = sum(spent(runs, "generate") for runs in results.values())
grades = sum(len(r.state.scores) for runs in results.values() for r in runs)
think, out = thought([r for runs in results.values() for r in runs], "evaluate")
prose(
    f"Measured, writer {cheap}: the mean grade gained per round was "
    + ", ".join(f"{g:+.3f}" for g in gains)
    + f" (round 1 to {len(gains)}). Over every run above, the grader's calls cost "
    f"${grading:.4f} and the writers' ${writing:.4f}: grading is "
    f"**{grading / (grading + writing):.0%} of the spend**, ${grading / grades:.5f} per grade "
    f"over {grades} grades, of whose {out:.0f} output tokens {think:.0f} are the grader's "
    f"thinking (billed as output at {grader}'s "
    f"${listing(grader).price.output_usd_per_mtok:g} per million). One pass of {strong} grades "
    f"{passes.loc[strong, 'one pass: grade']:.2f} for ${passes.loc[strong, 'one pass: cost ($)']:.5f}"
    f" per product; {cheap}'s loop ends at {passes.loc[cheap, 'loop: grade']:.2f} for "
    f"${passes.loc[cheap, 'loop: cost ($)']:.5f} after {passes.loc[cheap, 'loop: rounds']:.1f} "
    f"rounds on average, and {strong}'s loop at {passes.loc[strong, 'loop: grade']:.2f} for "
    f"${passes.loc[strong, 'loop: cost ($)']:.5f}."
)

# %% [markdown]
# How to read it (costs are per product, the grader included):
#
# - **Diminishing returns.** Compare what each round adds (the gains above, and the last column
#   of the table: the price of a tenth of a grade; NaN when there was nothing left to gain) with
#   what it costs. Every round pays the grader again, and a grade is a hard task: at its default
#   effort the grader thinks before it scores, and those thinking tokens are billed at the output
#   price of a model that costs far more per token than the writer. When grading is most of the
#   spend, a cheaper grader, the grader at a lower effort (measured against human labels first),
#   or a deterministic check (a regex for "mentions X", a word count) is the first optimisation,
#   before any change to the writer.
# - **A stronger writer is the other option.** Put its one-pass grade and cost beside the cheap
#   writer's whole loop: if one pass reaches the grade you need for less, drop the loop. The loop
#   pays when criteria are checkable and drafts often miss some; it does not pay when first
#   drafts usually pass (try `threshold = 0.7`), or when the grade plateaus (the last rounds add
#   almost nothing).
#
# ## 4. Model × effort: how good is one pass, and what does it cost?
#
# The writer has two dials besides the loop: which model, and how hard it thinks
# (`output_config.effort`; Haiku 5.5 and Opus 5.5 default to `medium`, Sonnet 5.5 to `high`).
# Every setting below writes `samples` first drafts of every product (on today's models each
# identical request is a fresh sample), and the chapter's grader grades each one at its default
# effort, the same for every draft. One pass is `optimizer(..., max_iterations=1)`: the same
# prompts as the loop. Per draft: the mean grade and its standard error, the share that reaches
# the threshold, and what the **writer** cost (the grader is the measuring instrument here, the
# same for all), its simulated model-seconds and its thinking tokens. `max_tokens` is raised to
# 8,192 because thinking counts in it. On real Claude there are no simulated seconds: the column
# is the call's wall-clock seconds instead, which include the network and the provider's load.

# %%
# what a draft's latency is measured in: seconds the simulator charged, or on real Claude the
# call's wall-clock time (the simulator reports model-seconds; real Claude does not)
SECONDS = "model-seconds per draft (simulated)" if simulator else "seconds per draft (wall-clock)"
settings = [
    (m, e)
    for m in grid_models
    for e in [*grid_efforts, *(["max"] if m == max_effort_model else [])]
]


async def one_pass(model, effort):
    async with LLM(model, backend=backend, effort=effort, max_tokens=8192) as writer:
        wf = optimizer(writer, judge, threshold=threshold, max_iterations=1)
        runs = await wf.run_many(
            briefs * samples, concurrency=8, progress=f"{model.replace('claude-', '')} {effort}"
        )
    rows = []
    for r in runs:
        (write,) = [s for s in r.trace.steps() if s.key.endswith("generate")]
        rows.append(
            {
                "model": model.replace("claude-", ""),
                "effort": effort,
                "grade": r.state.score,
                "cost ($)": write.cost_usd,
                "seconds": write.model_s if simulator else write.end - write.start,
                "thinking tokens": write.thinking_tokens,
            }
        )
    return rows


drafts = pd.DataFrame([row for m, e in settings for row in await one_pass(m, e)])
drafts["passes"] = drafts["grade"] >= threshold
grid = drafts.groupby(["model", "effort"], sort=False).agg(
    n=("grade", "size"),
    mean_grade=("grade", "mean"),
    se=("grade", "sem"),
    pass_rate=("passes", "mean"),
    cost=("cost ($)", "mean"),
    seconds=("seconds", "mean"),
    thinking=("thinking tokens", "mean"),
)
grid.columns = [
    "drafts (n)",
    "mean grade",
    "standard error",
    f"share >= {threshold}",
    "writer cost per draft ($)",
    SECONDS,
    "thinking tokens per draft",
]
grid.round(
    {
        "mean grade": 3,
        "standard error": 3,
        f"share >= {threshold}": 2,
        "writer cost per draft ($)": 6,
        SECONDS: 2,
        "thinking tokens per draft": 0,
    }
)

# %% [markdown]
# Quality against cost, one line per model, each point an effort. The cost axis is logarithmic:
# the models' prices per token differ by up to 40×, and a line's own spread is what thinking adds.

# %%
fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
for k, (name, rows) in enumerate(grid.groupby(level="model", sort=False)):
    line = ax.errorbar(
        rows["writer cost per draft ($)"],
        rows["mean grade"],
        yerr=rows["standard error"],
        marker="o",
        capsize=3,
        label=f"writer {name}",
    )
    for (_, effort), row in rows.iterrows():
        ax.annotate(
            effort,
            (row["writer cost per draft ($)"], row["mean grade"]),
            textcoords="offset points",
            xytext=(5, 6) if k % 2 == 0 else (5, -6),  # models alternate above and below
            va="bottom" if k % 2 == 0 else "top",
            fontsize=8,
            color=line.lines[0].get_color(),
        )
ax.set_xscale("log")
ax.set_xlabel("writer cost per draft (USD, log scale)")
ax.set_ylabel("mean rubric grade of one pass (0..1), ± 1 standard error")
ax.set_title(
    f"One pass per setting: {len(briefs)} products × {samples} samples, "
    f"graded by {grader.replace('claude-', '')}"
)
ax.axhline(threshold, color="gray", linestyle="--", linewidth=1, label=f"threshold {threshold}")
ax.legend(fontsize=8, loc="lower right")
ax.margins(x=0.15, y=0.1)
fig.tight_layout()

# %% [markdown]
# Can a cheaper model thinking harder stand in for a dearer one? For each dearer model at its
# default effort, the best setting of a cheaper model that costs **no more per draft**; the
# difference counts only when it is more than twice its standard error (with these few drafts a
# smaller gap is noise).


# %%
def verdict(a, b):
    """How setting ``a`` compares with ``b`` on mean grade, given their standard errors."""
    gap = grid.loc[a, "mean grade"] - grid.loc[b, "mean grade"]
    noise = 2 * (grid.loc[a, "standard error"] ** 2 + grid.loc[b, "standard error"] ** 2) ** 0.5
    word = "beats" if gap > noise else "falls short of" if gap < -noise else "matches"
    return word, gap, noise


cost_col, order = "writer cost per draft ($)", [m.replace("claude-", "") for m in grid_models]
sentences, compared = [], {}
for k, dear in enumerate(grid_models[1:], start=1):
    d = (order[k], listing(dear).default_effort)
    if d not in grid.index:
        continue
    cheaper = grid.loc[[i for i in grid.index if i[0] in order[:k]]]
    affordable = cheaper[cheaper[cost_col] <= grid.loc[d, cost_col]]
    if affordable.empty:
        sentences.append(f"no setting of a cheaper model costs as little as {d[0]} at {d[1]}")
        continue
    best = affordable["mean grade"].idxmax()
    word, gap, noise = verdict(best, d)
    compared[d] = (best, word)
    sentences.append(
        f"the best cheaper setting at no more cost than **{d[0]} at its default {d[1]}** "
        f"(grade {grid.loc[d, 'mean grade']:.3f}, ${grid.loc[d, cost_col]:.6f} per draft) is "
        f"**{best[0]} at {best[1]}** (grade {grid.loc[best, 'mean grade']:.3f}, "
        f"${grid.loc[best, cost_col]:.6f}, {grid.loc[best, cost_col] / grid.loc[d, cost_col]:.0%} "
        f"of its cost): it **{word}** it ({gap:+.3f}, noise ±{noise:.3f})"
    )
n = int(grid["drafts (n)"].min())
top = {m: grid.xs(m, level="model")["mean grade"] for m in order}
lift = {m: g.max() - g.min() for m, g in top.items()}
prose(
    f"Measured on {n} drafts per setting: "
    + "; ".join(sentences)
    + ". Effort moved each model's mean grade by at most "
    + ", ".join(f"{lift[m]:.3f} ({m})" for m in order)
    + " across the efforts tried, while the models differ by up to "
    f"{max(g.max() for g in top.values()) - min(g.min() for g in top.values()):.3f}."
)

# %% [markdown]
# How to read it:
#
# - **Effort is a small dial on an easy task.** Writing product copy is not hard reasoning:
#   thinking longer adds thinking tokens, cost and model-seconds, and moves the grade little.
#   The model sets the level; effort moves along it. On a hard task (grading, planning,
#   arithmetic) the same dial moves quality more (the grader above thinks far longer at its
#   default effort than a writer does).
# - **Compare at equal cost, with the noise in view.** A cheaper model at high effort is the
#   fair rival of a dearer model at its default, only when it costs no more per draft. Whether it
#   wins is a measurement on your task, not a rule; with a few dozen drafts per point, a gap of
#   a few hundredths is within the noise.
# - **The loop is another way to buy the same grade.** Compare the best one-pass setting with
#   section 2's loop: a cheap writer plus feedback may reach the threshold for less than a dearer
#   writer thinking hard, if the grader is cheap enough; when the grader dominates, fewer rounds
#   (a better first draft) is what saves money.
#
# ## 5. The unbounded loop, and the two bounds
#
# The version you find in many tutorials:
#
# ```python
# draft = await write(brief)
# score = await grade(draft)
# while score < threshold:          # and if the threshold is out of reach?
#     draft = await write(brief, feedback, draft)
#     score = await grade(draft)
# ```
#
# Give it a brief it cannot satisfy (three required points in at most **3** words) and it never
# stops. Below, the same loop with a guard that gives up after 8 rounds, so that this notebook
# ends; the grade never moves, and every round is paid for.

# %%
impossible = briefs[0].model_copy(update={"max_words": 3})


async def unbounded(writer, brief, guard=8):
    state, rounds = brief, 0
    while state.score < threshold:  # the bug: nothing else stops it
        rounds += 1
        if rounds > guard:
            raise RuntimeError(f"still looping after {guard} rounds, grades {state.scores}")
        draft = (await writer.ask(evaluator.write_prompt(state))).text
        state = state.model_copy(update={"draft": draft})
        grade = (await judge.ask(evaluator.rubric_prompt(state), schema=evaluator.Grade)).data
        state = state.model_copy(
            update={
                "score": grade.total,
                "feedback": grade.feedback,
                "scores": [*state.scores, grade.total],
            }
        )
    return state


try:
    ended = await unbounded(haiku, impossible)
    print(  # a noisy grader can pass a draft that cannot meet the brief: luck, not a bound
        f"stopped after {len(ended.scores)} rounds: the grader gave {ended.score:.2f} to a brief "
        f"no draft can satisfy (grades {ended.scores})"
    )
except Exception as exc:  # the guard, or a malformed grade: nothing here retries either
    print(f"{type(exc).__name__}: {exc}")

# %% [markdown]
# The engine's loop cannot be written without a bound: `loop(...)` requires `max_iterations`
# (the workflow is refused when it is built otherwise). When it is reached, `on_limit="continue"`
# keeps the last draft and lists the loop in `degraded`; `on_limit="abort"` stops the run with a
# `LoopLimitError`. A `Budget` is the second bound: the engine checks it before every step and
# every attempt.

# %%
bounded = await optimizer(haiku, judge, max_iterations=max_iterations).run(impossible)
print(
    "max_iterations:",
    bounded.status,
    "| degraded:",
    bounded.degraded,
    "| grades:",
    bounded.state.scores,
)
strict = await optimizer(haiku, judge, max_iterations=max_iterations, on_limit="abort").run(
    impossible
)
print("on_limit=abort:", strict.status, "|", type(strict.error).__name__, "|", strict.reason)
capped = await optimizer(haiku, judge, max_iterations=50).run(
    impossible, budget=Budget(max_cost_usd=budget_usd)
)
print(
    "budget:        ",
    capped.status,
    "| rounds:",
    len(capped.state.scores),
    f"| spent ${capped.cost_usd:.5f}",
)
print("               ", capped.reason)

# %%
last = [s for s in capped.trace.steps() if s.cost_usd > 0][-1]
over = capped.cost_usd / budget_usd - 1
before_last = capped.cost_usd - last.cost_usd
assert capped.cost_usd - budget_usd <= last.cost_usd + 1e-12  # overshoot ≤ the step in flight
opening = f"Measured: the run spent **${capped.cost_usd:.5f} against a budget of ${budget_usd}**, "
if over > 0:
    sentence = (
        f"{opening}{abs(over):.0%} over it. Before its last paid step "
        f"(`{last.key}`) it had spent ${before_last:.5f}, "
        f"{'below' if before_last < budget_usd else 'at or above'} the ceiling, so that step "
        f"was allowed to start; it cost ${last.cost_usd:.5f} "
        f"({last.cost_usd / budget_usd:.0%} of the budget) and ended the run above the line."
    )
else:  # a cheap grader: the rounds ran out before the money did
    sentence = (
        f"{opening}{abs(over):.0%} under it: its {len(capped.state.scores)} rounds ran out first, "
        f"so the budget never stopped it (lower `budget_usd` to see it fire)."
    )
prose(sentence)

# %% [markdown]
# Why a budget checked **before every step and every attempt** can still be crossed: the check
# can only compare what has been spent with the ceiling, and a call's price is known only when
# its answer arrives (its output tokens are not known in advance). A step that starts below the
# ceiling runs to the end and is paid in full (all its attempts, if it retries, each checked
# first). So the overshoot is at most the steps in flight: here one call, named above. When a
# single step costs a large share of the budget (a long rubric prompt on the grader model), a
# small budget is overshot by a large share. To stay under a hard ceiling, stop when the
# *remaining* budget is below the dearest step, or cap the call itself with `max_tokens`.
#
# ## 6. A re-grade that changes something
#
# A grade that does not fit the `Grade` contract (a malformed answer) is worth one more try. The
# old code asked again at temperature 0.7, because at temperature 0 the same request gets the
# same answer. Today's models refuse a temperature (a 400), and each identical request is
# already a fresh sample; a retry is better spent on a change that can make the answer better:
# **the prompt** (the loop's feedback does that for the draft), **the effort**, or **the model**.
# In orchestra that is the step's retry policy, `Retry(escalate=...)`: the step calls
# `ctx.llm(grader)`, which is the grader itself on attempt 1 and the grader with the
# attempt's changes after that. Below, the grader's first two answers are staged to be malformed
# (a simulator fault), so the third attempt is the one that counts. Real Claude cannot be told to
# fail: with `backend="anthropic"` nothing is staged, and the table lists the grading calls the
# run made, from its trace (usually one: a malformed grade is rare).

# %%
ESCALATE = ({"effort": "xhigh"}, {"model": "claude-opus-5-5"})  # think harder, then the strongest
regrade = Retry(max_attempts=3, base_delay=0.01, seed=seed, escalate=ESCALATE)
print({f"attempt {n}": regrade.changes(n) or "the grader as it is" for n in (1, 2, 3)})
if simulator:  # configure starts the simulator's log afresh
    simulator.configure(
        faults=sim.Faults(plan=[sim.Rule("bad_json", match="Score the following", nth=[1, 2])])
    )
staged = await optimizer(haiku, judge, threshold=threshold, max_iterations=1, retry=regrade).run(
    briefs[2]
)
print(staged.status, "| grade:", staged.state.score, f"| ${staged.cost_usd:.5f} in all")
if simulator:
    graded = [e for e in simulator.log if e.get("task") == "score"]
    attempts = pd.DataFrame(graded)[["model", "effort", "fault", "thinking_tokens", "model_s"]]
    attempts["model_s"] = attempts["model_s"].round(2)
    assert list(attempts["fault"].isna()) == [False, False, True]
    simulator.configure(faults=sim.Faults())
else:  # real Claude: nothing was staged; the grading calls from the run's trace
    print(
        "backend='anthropic': no fault staged (that needs the simulator); the grading calls made:"
    )
    steps = {s.id for s in staged.trace.steps() if s.key.endswith("evaluate")}
    calls = [s for s in staged.trace.spans if s.kind == "llm" and s.parent_id in steps]
    attempts = pd.DataFrame(
        [
            {
                "model": c.model,
                "effort": c.effort,
                "status": c.status,
                "error": c.error,
                "thinking_tokens": c.thinking_tokens,
            }
            for c in calls
        ]
    )
attempts.index = pd.RangeIndex(1, len(attempts) + 1, name="grading attempt")
attempts

# %% [markdown]
# Each attempt changed one thing, and each was paid for: the malformed answers too. Order the
# escalation from cheap to dear (effort before model), and bound it (`max_attempts`): a grader
# that keeps failing on one draft is a signal to look at the prompt, not a reason to keep paying.
# Without `escalate`, a retry sends the same request again: on today's models a fresh sample,
# often enough for a one-off malformed answer, and the cheapest retry.
#
# ## 7. The same loop in LangChain (LCEL), LangGraph and LlamaIndex Workflows
#
# Same prompts, same `Grade` contract, same bound (`max_iterations`), writer Haiku. **LCEL** has
# no loop construct: the chains are runnables (`prompt | model | parser`) and the loop is plain
# Python around them. **LangGraph** is LangChain's answer for cycles: a graph with a `generate`
# node, an `evaluate` node, and a **conditional edge** from `evaluate` back to `generate` or to
# the end. **LlamaIndex Workflows** loop with events: the grading step either stops or sends a
# new `Rewrite` event back to the writing step; the bound is a counter you carry yourself.
# Each re-grades a malformed answer with the escalation of section 6 in its own idiom: LangChain
# a runnable `with_fallbacks` (the grader at effort `xhigh`, then Opus), LlamaIndex a list of
# graders tried in turn, orchestra the step's `Retry(escalate=...)`. LangChain's
# `ChatAnthropic` takes `effort=`; LlamaIndex's `Anthropic` has no such field, so effort goes
# in the request body (`extra_body`).

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda

from orchestra.patterns.evaluator import Grade, rubric_prompt, write_prompt
from orchestra.prices import OPUS


def chat(model, base_url, **settings):
    # max_tokens leaves room for thinking, which counts in it
    return ChatAnthropic(model=model, base_url=base_url, max_tokens=4096, **settings)


def grade_chain(grader_model, base_url):
    """The grade, and on a malformed one the same escalation as orchestra's: more effort, then
    the strongest model (LangChain's idiom: a runnable with fallbacks)."""
    ask = lambda llm: (
        RunnableLambda(rubric_prompt)
        | llm.with_structured_output(
            Grade,
            method="json_schema",  # output_config.format, as orchestra sends; not a forced tool
        )
    )
    return ask(chat(grader_model, base_url)).with_fallbacks(
        [
            ask(chat(grader_model, base_url, effort="xhigh")),
            ask(chat(OPUS, base_url, effort="xhigh")),
        ]
    )


def lcel_loop(model, grader_model, base_url):
    write = RunnableLambda(write_prompt) | chat(model, base_url) | StrOutputParser()
    grade = grade_chain(grader_model, base_url)

    async def refine(brief):
        state = brief
        for _ in range(max_iterations):
            state = state.model_copy(update={"draft": await write.ainvoke(state)})
            g = await grade.ainvoke(state)
            state = state.model_copy(
                update={
                    "score": g.total,
                    "feedback": g.feedback,
                    "scores": [*state.scores, g.total],
                }
            )
            if g.total >= threshold:
                break
        return state

    return RunnableLambda(refine)


# %% [markdown]
# In LangGraph the bound has two layers. The conditional edge carries the counter
# (`len(state.scores) >= max_iterations`): the designed exit, which keeps the last draft. The
# `recursion_limit` in the run's config is LangGraph's safety net: after that many super-steps
# (one per node run, here two per round) it raises `GraphRecursionError`, and without a
# checkpointer the drafts paid for are lost with the exception.

# %%
from langgraph.graph import END, START, StateGraph


def langgraph_loop(model, grader_model, base_url, rounds=max_iterations):
    write = RunnableLambda(write_prompt) | chat(model, base_url) | StrOutputParser()
    grade = grade_chain(grader_model, base_url)

    async def generate(state: Draft) -> dict:
        return {"draft": await write.ainvoke(state)}

    async def evaluate(state: Draft) -> dict:
        g = await grade.ainvoke(state)
        return {"score": g.total, "feedback": g.feedback, "scores": [*state.scores, g.total]}

    def again(state: Draft) -> str:  # the bound: threshold reached, or `rounds` rounds
        done = state.score >= threshold or (rounds is not None and len(state.scores) >= rounds)
        return END if done else "generate"

    graph = StateGraph(Draft)
    graph.add_node("generate", generate)
    graph.add_node("evaluate", evaluate)
    graph.add_edge(START, "generate")
    graph.add_edge("generate", "evaluate")
    graph.add_conditional_edges("evaluate", again, ["generate", END])
    return graph.compile()


# the safety net: two super-steps per round, plus one
LIMIT = {"recursion_limit": 2 * max_iterations + 1}


# %% [markdown]
# What the safety net alone does: the same graph on the impossible brief, with the counter
# removed from the edge (only the threshold can end it) and `recursion_limit` as the only bound.

# %%
from langgraph.errors import GraphRecursionError

with measure.Meter(simulator, "LangGraph, no counter") as lost:
    try:
        await langgraph_loop(writers[0], grader, base_url, rounds=None).ainvoke(impossible, LIMIT)
    except GraphRecursionError as exc:
        print(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
print(
    f"{lost.result.calls} calls paid (${lost.result.cost_usd:.5f}), no draft returned"
    if simulator
    else "no draft returned"
)

# %%
from llama_index.core.llms import ChatMessage
from llama_index.core.program import FunctionCallingProgram
from llama_index.core.prompts import PromptTemplate
from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step
from llama_index.llms.anthropic import Anthropic


def llama_loop(model, grader_model, base_url):
    class Rewrite(Event):
        state: Draft

    class Written(Event):
        state: Draft

    def claude(m, effort=None):
        # LlamaIndex's Anthropic has no effort field: it goes in the request body, which the
        # SDK passes through; max_tokens leaves room for thinking, which counts in it
        extra = {"extra_body": {"output_config": {"effort": effort}}} if effort else {}
        return Anthropic(model=m, base_url=base_url, max_tokens=4096, additional_kwargs=extra)

    class Refine(Workflow):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.writer = claude(model)
            # the grade, then the same escalation as orchestra's: more effort, then Opus.
            # tool_required=False: Sonnet 5.5 and Opus 5.5 refuse a forced tool_choice
            self.graders = [
                FunctionCallingProgram.from_defaults(
                    output_cls=Grade,
                    prompt=PromptTemplate("{prompt}"),
                    llm=llm,
                    tool_required=False,
                )
                for llm in (
                    claude(grader_model),
                    claude(grader_model, "xhigh"),
                    claude(OPUS, "xhigh"),
                )
            ]

        @step
        async def generate(self, ev: StartEvent | Rewrite) -> Written:
            state = ev.state if isinstance(ev, Rewrite) else ev.brief
            reply = await self.writer.achat([ChatMessage(role="user", content=write_prompt(state))])
            return Written(state=state.model_copy(update={"draft": reply.message.content}))

        @step
        async def evaluate(self, ev: Written) -> Rewrite | StopEvent:
            for k, program in enumerate(self.graders):  # bounded: one try per grader
                try:
                    g = await program.acall(prompt=rubric_prompt(ev.state))
                    break
                except ValueError:  # a malformed grade: escalate, or give up after the last
                    if k == len(self.graders) - 1:
                        raise
            state = ev.state.model_copy(
                update={
                    "score": g.total,
                    "feedback": g.feedback,
                    "scores": [*ev.state.scores, g.total],
                }
            )
            if g.total >= threshold or len(state.scores) >= max_iterations:
                return StopEvent(result=state)
            return Rewrite(state=state)

    return Refine(timeout=120)


# %% [markdown]
# Each runs the same briefs, at most 8 at a time. `measure.Meter` reads calls, tokens, cost and
# the **simulated makespan** (`sim_s`: the answered calls laid out on 8 slots, longest first,
# the same rule for every framework) from the simulator's log; lines of code count the
# orchestration only, with `measure.lines_of_code` (prompts and the `Grade` contract are
# shared).

# %%
from tqdm.auto import tqdm

SLOTS = 8
writer_model = writers[0]


async def run_orchestra(briefs):
    wf = optimizer(haiku, judge, threshold=threshold, max_iterations=max_iterations, retry=regrade)
    return [r.state for r in await wf.run_many(briefs, concurrency=SLOTS)]


async def run_lcel(briefs):
    chain = lcel_loop(writer_model, grader, base_url)
    return await chain.abatch(briefs, config={"max_concurrency": SLOTS})


async def run_langgraph(briefs):
    app = langgraph_loop(writer_model, grader, base_url)
    out = await app.abatch(briefs, config={**LIMIT, "max_concurrency": SLOTS})
    return [Draft.model_validate(o) for o in out]


async def run_llama(briefs):
    flow, limit = llama_loop(writer_model, grader, base_url), asyncio.Semaphore(SLOTS)

    async def one(b):
        async with limit:
            return await flow.run(brief=b)

    return await asyncio.gather(*(one(b) for b in briefs))


implementations = {
    "orchestra": (run_orchestra, [evaluator.optimizer, run_orchestra]),
    "LangChain LCEL": (run_lcel, [grade_chain, lcel_loop, run_lcel]),
    "LangGraph": (run_langgraph, [grade_chain, langgraph_loop, run_langgraph]),
    "LlamaIndex Workflows": (run_llama, [llama_loop, run_llama]),
}
measured, finals = [], {}
for label, (run, code) in tqdm(implementations.items(), desc="the same loop in four frameworks"):
    with measure.Meter(simulator, label, code=code, concurrency=SLOTS) as meter:
        finals[label] = await run(briefs)
    measured.append(meter.result)
table = measure.table(measured)
table["mean final grade"] = [
    round(sum(s.score for s in out) / len(out), 3) for out in finals.values()
]
table["mean rounds"] = [
    round(sum(len(s.scores) for s in out) / len(out), 2) for out in finals.values()
]
if not simulator:
    print(
        "backend='anthropic': calls, tokens, cost and seconds are read from the simulator's log; "
        "on real Claude they are not measured, so the table keeps grades, rounds and lines"
    )
shown = table.drop(columns=["wall_s", "sim_s"]).dropna(axis="columns", how="all")
shown.round({"cost_usd": 5, "model_s": 2})

# %%
fig = viz.compare(
    table,
    quality=["mean final grade"],
    title=f"Evaluator-optimizer loop, {len(briefs)} products "
    f"(writer {writer_model.replace('claude-', '')})",
)

# %%
spend = ""
if simulator:  # cost and tokens come from the simulator's log
    cost = table["cost_usd"].round(6)
    cheapest = ", ".join(cost.index[cost == cost.min()])
    dearest = ", ".join(cost.index[cost == cost.max()])
    spend = (
        f"cost per run of {len(briefs)} products from ${cost.min():.4f} ({cheapest}) to "
        f"${cost.max():.4f} ({dearest}), "
    )
prose(
    f"Measured: {spend}mean rounds from "
    f"{table['mean rounds'].min():.2f} to {table['mean rounds'].max():.2f}, mean final grade "
    f"from {table['mean final grade'].min():.3f} to {table['mean final grade'].max():.3f}. "
    + (
        "Input tokens per call: "
        + ", ".join(f"{k} {v:.0f}" for k, v in (table["input_tokens"] / table["calls"]).items())
        + ". "
        if simulator
        else ""
    )
    + "Lines of orchestration: "
    + ", ".join(f"{k} {v}" for k, v in table["lines"].items())
    + "."
)

# %% [markdown]
# The four send the same prompts but not byte-identical requests (each renders the `Grade`
# schema its own way, and LlamaIndex asks through a tool), so the seeded drafts and grades
# differ, and with them the number of rounds each run needs. Cost follows two things: the
# rounds (each is a write and a grade) and the size of each request (the per-call difference
# of chapter 01).
# What differs is what the loop gives you: the orchestra run returns each round's cost in its
# trace and tells you when a bound stopped it (`degraded`, `LoopLimitError`,
# `BudgetExceededError`); LangGraph draws the cycle as a graph and has a built-in safety net
# (`recursion_limit`), but its exit counter and any cost accounting are yours; in LCEL and
# LlamaIndex the bound and the accounting are yours to write.
#
# Two columns are printed apart because they move from run to run. The **simulated makespan**
# (the chart's panel after the grade) lays the answered calls out on 8 slots in the order
# they reached the simulator; with 8 in flight that order depends on the machine's timing, so
# it moves by a few percent (calls, tokens, cost, grades and lines reproduce exactly). A loop's
# rounds are sequential, so its makespan follows the rounds of its slowest products.
# **Wall-clock** seconds measure the machine and each framework's overhead, not the model.

# %% tags=["nbval-ignore-output"]
print(
    pd.DataFrame(
        {
            # no simulated makespan on real Claude: wall-clock only
            **({"simulated makespan, 8 slots (s)": table["sim_s"].round(2)} if simulator else {}),
            "wall-clock (s, the machine's)": table["wall_s"].round(3),
        }
    ).to_string()
)

# %% [markdown]
# ## For a parameter sweep
#
# The headline numbers of this run, **glued** in scrapbook's format (`orchestra.sweep.glue`
# writes what `scrapbook.glue` would, without its import: several seconds spent building a URI
# grammar): each is stored in the cell's output (not shown) so that `orchestra sweep` can read
# it from every run of a grid and put it in one table (README, "Parameter sweeps"): for example
# `orchestra sweep notebooks/04_evaluator_optimizer.ipynb -p threshold 0.8 0.9 -p seed 0 1`.
# Only numbers that reproduce exactly are glued (no wall-clock, no makespan).

# %%
from orchestra.sweep import glue

glue("loop_grade", round(float(passes.loc[cheap, "loop: grade"]), 4))
glue("loop_cost_usd", round(float(passes.loc[cheap, "loop: cost ($)"]), 6))
glue("loop_rounds", round(float(passes.loc[cheap, "loop: rounds"]), 3))
glue("grading_share", round(grading / (grading + writing), 4))
for (m, e), row in grid.iterrows():
    glue(f"one_pass_grade_{m}_{e}", round(float(row["mean grade"]), 4))

# %% [markdown]
# ## Interview angle
#
# - *"How do you stop an evaluator-optimizer loop?"* Three exits: the grade reaches the threshold,
#   a maximum number of rounds, a cost budget. Say what happens at each (keep the best draft and
#   flag it, or fail loudly) and log which one fired. A `while score < threshold` is a bug. In
#   LangGraph: a counter on the conditional edge, with `recursion_limit` as the safety net.
# - *"Your budget was \\$X and the run spent more. Why?"* The check runs before each step; the step
#   in flight is paid in full. Bound the overshoot by the dearest step, or stop when the
#   remaining budget is below it.
# - *"When is the loop worth it?"* When criteria are checkable and first drafts often miss some.
#   Measure grade per round against cost per round: returns diminish fast, and each round pays
#   the grader again. Compare with a stronger one-pass model and with a cheaper grader.
# - *"More effort or a bigger model?"* Measure both on your task at equal cost: effort buys
#   thinking tokens (billed as output, counted in `max_tokens`, paid in latency), which help hard
#   reasoning more than easy writing. Compare a cheap model at high effort with a dear one at its
#   default, per draft, with the sample size and the noise in the sentence.
# - *"Your grader returned malformed JSON. Retry how?"* Not by raising a temperature (today's
#   models refuse one): a retry is a fresh sample already; to do better, change something that
#   matters (the prompt with the error, more effort, a stronger model), cheapest first, bounded.
# - *"Who grades?"* A grader weaker than the writer misses faults; a grader as strong costs as
#   much as the writing. Deterministic checks (regex, word counts, tests) are the cheapest
#   graders; an LLM grader needs its own evaluation against human labels.
# - *"What does the feedback look like?"* Specific and actionable, one line per unmet criterion,
#   given with the previous draft, so the rewrite fixes what failed and keeps what passed.

# %%
await haiku.aclose()
await judge.aclose()
if simulator:
    simulator.stop()
