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
#       crash_after: 5
#       crash_systems:
#       - orchestra
#       - LCEL
#       fault_questions: 3
#       import_runs: 0
#       n_questions: 6
#       scaleout_workers: []
#       seed: 1
#       sweep_grid: {}
#       systems:
#       - orchestra
#       - LCEL
#       - LangGraph
#       - LlamaIndex Workflows
#       - Pydantic AI
# ---

# %% [markdown]
# # 11 · One pipeline in eight systems: the shoot-out
#
# Interviewers ask *"When would you use LangGraph vs LCEL vs Temporal vs building your own?"*
# The honest answer depends on numbers nobody shows: what each costs in calls and latency on the
# same task, how much code it takes, how long it takes to import, what it does when a step
# fails, and what survives a crash. This chapter builds **one pipeline** eight times and
# measures all of that in one run, then writes the decision guide from the table. It ends with
# the batch side: the same kit running a chapter over a grid of parameters (`orchestra sweep`).
#
# The pipeline is the capstone of the book, a support assistant that answers from a help centre:
#
# 1. **classify** the question into billing, shipping, account or technical (a model);
# 2. **retrieve** the three articles of that category that BM25 ranks highest (no model);
# 3. **generate** an answer as JSON, citing the articles it used (a model);
# 4. **validate** it: the JSON schema, then *grounding*: it cites only articles it was given and
#    its words come from them; a refused draft goes back to **generate**, once;
# 5. **format** the reply the customer reads (no model).
#
# The eight systems are `orchestra` (this kit's engine), LangChain **LCEL**, **LangGraph**,
# **LlamaIndex Workflows**, **Temporal**, **Pydantic AI**, **CrewAI** and **AutoGen**. All
# eight call the same prompt functions, retrieval, checks and formatting
# (`orchestra/examples/capstone.py`). The five pipeline systems and Pydantic AI send the model
# exactly those prompts. CrewAI and AutoGen cannot: they wrap each prompt in their own (an
# agent's role and goal, a system message). Pydantic AI, CrewAI and AutoGen send a refused
# draft back to the model with the reason. That framing is part of what using them means, so it
# is measured, not removed: section 2 takes the rows apart question by question, and separates
# what the wiring and the framing cost from what one sample of 24 questions can show.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
model = "claude-haiku-5-5"  # the model every system calls
n_questions = 24  # golden questions (capstone_golden.jsonl has 24)
concurrency = 8  # questions in flight at once, in every system
import_runs = 1  # fresh interpreters timed importing each system (the median; 0: skip)
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as the CPU goes)
fault_rate = 0.5  # share of model calls answered 529 (overloaded) in the faults section
fault_questions = 8  # the first questions, through every system again, in the faults section
systems = [
    "orchestra",
    "LCEL",
    "LangGraph",
    "LlamaIndex Workflows",
    "Temporal",
    "Pydantic AI",
    "CrewAI",
    "AutoGen",
]
scaleout_requests = 16  # requests through the Temporal workers (200 for a long run: see section 4)
scaleout_workers = [1, 2, 4]  # worker processes, one run each
scaleout_time_scale = 1.0  # wall-clock seconds per model-second in the scale-out runs
crash_systems = ["orchestra", "LangGraph", "LCEL"]  # killed mid-batch and resumed (section 5)
crash_after = 20  # answered calls before the SIGKILL
sweep_grid = {"threshold": [0.8, 0.9], "n_products": 4, "time_scale": 0.0}  # chapter 04's; {}: skip

# %% [markdown]
# ## Set-up: the help centre and the golden questions
#
# Twenty short help-centre articles (five per category) and 24 golden questions, each with its
# true category, the article that answers it, and a fact from that article a right answer must
# state. A question counts as **right** when the category is right, the answer states the fact
# and it cites the right article.

# %%
print("Importing pandas, matplotlib, the Anthropic SDK and the kit (seconds on a busy machine)")
import atexit
import logging
import math
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import display
from tqdm.auto import tqdm

from orchestra import LLM, measure, sim, viz
from orchestra.examples import capstone as cap
from orchestra.examples import capstone_crash as cc
from orchestra.examples import capstone_frameworks as fw
from orchestra.prices import CACHE_READ, CACHE_WRITE, cost_usd
from orchestra.viz import prose

pd.set_option("display.max_colwidth", 100)
simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
questions = cap.golden(n_questions)
scratch = tempfile.TemporaryDirectory()  # the crash section's databases, the sweep's runs
pd.DataFrame(questions).set_index("id").head(4)

# %% [markdown]
# Section 6 runs chapter 04 over a grid of its parameters with `orchestra sweep`, each point a
# notebook in a kernel of its own. That takes longer than this chapter can wait for, so it
# starts now, in the background, and section 6 reads what it produced:

# %%
sweep_args = ["sweep", "notebooks/04_evaluator_optimizer.ipynb"]
for name, values in sweep_grid.items():
    sweep_args += ["-p", name, *map(str, values if isinstance(values, list) else [values])]
sweep_args += ["--workers", "1"]
sweep_out = Path(scratch.name) / "sweep"
sweeping = (
    subprocess.Popen(  # from the repository's root, as you would type it
        [sys.executable, "-m", "orchestra", *sweep_args, "--out", str(sweep_out)],
        cwd=fw.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if sweep_grid and backend == "sim"
    else None
)
if sweeping is not None:  # a kernel restarted mid-sweep leaves no sweep behind
    atexit.register(sweeping.kill)
print(".venv/bin/orchestra", shlex.join(sweep_args), "--out <a temporary folder>")

# %% [markdown]
# ## 1. The pipeline, once
#
# Every step logs one line (`orchestra.capstone`). Here is one question through the orchestra
# version, with the log switched on:

# %%
logging.basicConfig(format="    %(name)s  %(message)s", stream=sys.stdout)  # read, not a warning
logging.getLogger("orchestra.capstone").setLevel(logging.INFO)
async with LLM(model, backend=backend) as llm:
    one = await cap.pipeline(llm).run(cap.Case(question=questions[0]["question"]))
logging.getLogger("orchestra.capstone").setLevel(logging.WARNING)
print(one.status, "·", one.state.category)
print(one.state.reply)

# %% [markdown]
# ## 2. Eight systems, one table
#
# Each system answers the same questions, `concurrency` at a time, through the same simulator.
# Five run in this kernel (Pydantic AI among them: two agents whose typed outputs are the
# capstone's parse and grounding check, `orchestra/examples/capstone_pydantic_ai.py`). Temporal runs against its dev server (`temporal server start-dev`,
# started here on free loopback ports), with a worker in this kernel. CrewAI and AutoGen pin
# versions the kit cannot share (CrewAI lowers pydantic), so they live in their own environment,
# `.venv-agents`, and run as a subprocess that prints its results as JSON; their calls still go
# to this kernel's simulator, which is what the meter reads.
#
# What is measured, and how:
#
# - **calls, tokens, cost, simulated makespan**: from the simulator's log (`measure.Meter`), the
#   makespan laid out on `concurrency` slots the same way for every system;
# - **right**: questions answered right (category, fact and citation, `cap.correct`);
# - **lines**: the system's wiring only (the shared prompts and checks are not counted), without
#   blanks, comments or docstrings (`measure.lines_of_code`);
# - **import (s)**: importing the framework in a fresh process (wall-clock, this machine);
# - **wall (s)**: the whole batch on this machine, framework overhead included.
#
# On real Claude (`backend="anthropic"`) there is no simulator log: the systems run and are
# graded the same way, but calls, tokens, cost and simulated seconds are not measured (the
# table leaves them empty), and the sections that stage faults, a rate limit, a crash or
# chapter 04's offline sweep (3 to 6) say so and are skipped; wall-clock times remain.

# The one helper both this section and the next use: any system (`fw.run_system` dispatches to
# the in-kernel runners, to Temporal, or to a subprocess in `.venv-agents`) under the meter.

# %%
from orchestra.examples import capstone_temporal as ct

server = ct.DevServer().start() if "Temporal" in systems else None
CODE = {name: fw.wiring(name) for name in systems}  # what counts as each system's code


async def answer(name: str, qs: list[dict]) -> tuple[list[dict], measure.Meter]:
    """System ``name`` on the questions ``qs``: its result rows, and the meter that watched."""
    with measure.Meter(simulator, name, code=CODE[name], concurrency=concurrency) as meter:
        rows = await fw.run_system(
            name,
            qs,
            model=model,
            base_url=base_url,
            concurrency=concurrency,
            temporal=server.address if server else None,
        )
    return rows, meter


# %%
measured, answers, logs = [], {}, {}
for name in tqdm(systems, desc=f"{len(questions)} questions through each system"):
    answers[name], meter = await answer(name, questions)
    measured.append(meter.result)
    logs[name] = meter.log  # the calls it made: section 5 compares a crashed batch with them
shootout = measure.table(measured)
shootout["right"] = [
    sum(cap.correct(r, q) for r, q in zip(answers[n], questions, strict=True)) for n in systems
]
shootout["answered"] = [sum(r["answer"] is not None for r in answers[n]) for n in systems]
shootout[
    ["calls", "input_tokens", "output_tokens", "cost_usd", "sim_s", "right", "answered", "lines"]
].dropna(axis=1, how="all").round({"cost_usd": 5, "sim_s": 1})  # real Claude: no log columns

# %% [markdown]
# The same questions, prompts and model. Two things make the rows differ. The **wiring**: how a
# system frames the prompt (CrewAI wraps it in an agent's role, goal and expected output;
# AutoGen sends a system message), and how it answers a refused draft (orchestra, LCEL,
# LangGraph, LlamaIndex and Temporal send the same prompt again; Pydantic AI's `ModelRetry`,
# CrewAI's guardrail and AutoGen's conversation send the reason back to the model). And **sampling**: today's models
# take no temperature, each request is a fresh sample, and each system drew its own (the
# seeded simulator gives the k-th identical request its k-th sample, so the table is the same
# at every build). So a difference of a question or two in `right`, or of a regeneration in
# `calls`, between systems that send the same requests is one sample of 24 questions, not the
# framework; the framing and the retry shape are the framework.

# %%
n_q, lo, hi = len(questions), shootout["right"].min(), shootout["right"].max()
rate = shootout["right"].sum() / (len(systems) * n_q)
sd = math.sqrt(n_q * rate * (1 - rate))  # binomial: one system's count of right answers
prose(
    f"Right answers range from {lo} ({', '.join(shootout.index[shootout['right'] == lo])}) to "
    f"{hi} ({', '.join(shootout.index[shootout['right'] == hi])}) of {n_q}. At the mean rate "
    f"({rate:.0%}), one system's count on {n_q} questions has a binomial standard deviation of "
    f"{sd:.1f} questions, and the difference of two systems' counts {math.sqrt(2) * sd:.1f}: "
    f"one sample of {n_q} questions each does not rank these systems on quality. It would take "
    f"many more questions, or repeated batches, to tell a wiring that loses answers from a "
    f"system that drew worse samples."
)

# %% [markdown]
# **Where each system lost its questions.** Every system makes one classify call per question
# and a first draft for each question it classified; a refused first draft gets one more
# (`max_regenerations=1` everywhere). So, from each system's calls and rows: the first drafts
# refused, and how many of the regenerations passed `validate`. The reason the last draft of each
# failed question was refused is in its row's `error`.


# %%
def losses(name: str) -> dict:
    """Where system ``name`` lost questions in section 2's batch (one regeneration at most)."""
    rows, m = answers[name], shootout.loc[name]
    assert m["failed_calls"] == 0  # no faults here: one classify call per question
    drafted = sum("expected one of" not in (r["error"] or "") for r in rows)  # classified
    regenerated = int(m["calls"]) - len(rows) - drafted
    reasons = [
        r["error"].split(": ", 1)[-1].split(";")[0][:32] for r in rows if r["answer"] is None
    ]
    return {
        # the whole prompt: the API's input_tokens leave out what was written to or read from
        # the prompt cache (CrewAI marks its prompts for it)
        "prompt tokens per call": round(
            (m["input_tokens"] + m.get("cache_write_tokens", 0) + m.get("cache_read_tokens", 0))
            / m["calls"]
        ),
        "first drafts": drafted,
        "refused at first": regenerated,
        "regenerations passed": int(m["answered"]) - (drafted - regenerated),
        "answered": int(m["answered"]),
        "answered, wrong": int(m["answered"] - m["right"]),
        # ties (every reason once) go to the first in sorted order: a set's order varies by run
        "last refusal (most common)": max(sorted(set(reasons)), key=reasons.count)
        if reasons
        else "",
    }


lost = (  # calls come from the simulator's log
    pd.DataFrame({name: losses(name) for name in systems}).T
    if simulator
    else "backend='anthropic': no simulator log, so no count of calls per step"
)
lost


# %%
TOLD = ("Pydantic AI", "CrewAI", "AutoGen")  # a refused draft's reason goes back to the model


def why(lost: pd.DataFrame) -> str:
    """The sentence the table above backs: framing, first refusals, and what regenerating won."""
    told = [n for n in systems if n in TOLD]  # they send the refusal back
    same = [n for n in systems if n not in told]  # they send the same prompt again
    groups = {"same": same, "told": told}
    passed = {k: int(lost.loc[g, "regenerations passed"].sum()) for k, g in groups.items()}
    tried = {k: int(lost.loc[g, "refused at first"].sum()) for k, g in groups.items()}
    tokens = lost["prompt tokens per call"]
    text = (
        f"Read from the table. The pipeline systems sent {tokens[same].min()} to "
        f"{tokens[same].max()} prompt tokens per call. First drafts refused: "
        + ", ".join(f"{n} {lost.loc[n, 'refused at first']}" for n in systems)
        + f". Regenerations that sent the same prompt again passed {passed['same']} of "
        f"{tried['same']}: a new sample of the same request, which helps when the sample was bad."
    )
    if not told:
        return text
    text += (
        " "
        + ", ".join(f"{n} sent {tokens[n]}" for n in told)
        + f" prompt tokens per call (CrewAI's and AutoGen's framing; Pydantic AI sends the "
        f"capstone's prompts unwrapped, and its retry turns carry the refused draft and the "
        f"reason); their regenerations, which send the refused "
        f"draft back with the reason (Pydantic AI's ModelRetry, CrewAI's guardrail, AutoGen's "
        f"checker), passed "
        f"{passed['told']} of {tried['told']}."
    )
    (s0, s1), (t0, t1) = (measure.wilson(passed[k], tried[k]) for k in ("same", "told"))
    if tried["same"] and tried["told"]:
        text += f" 95% intervals: {s0:.0%}–{s1:.0%} and {t0:.0%}–{t1:.0%}; " + (
            "they overlap, so these counts do not tell the two ways apart."
            if t0 <= s1 and s0 <= t1
            else f"sending the reason back passed {'more' if t0 > s1 else 'less'} often here."
        )
    framed = [n for n in told if n in ("CrewAI", "AutoGen")]
    refused = lost["refused at first"]
    if framed and refused[framed].min() > refused[same].max():
        text += (
            f" {' and '.join(framed)}'s framing got more first drafts refused than any "
            f"pipeline system."
        )
    return text


prose(why(lost) if simulator else "backend='anthropic': calls per step are not measured")


# %%
def cached_prompts(table: pd.DataFrame) -> str:
    """The systems that marked prompt-cache breakpoints themselves, and what that cost them."""
    if "cache_write_tokens" not in table:  # no row wrote or read the cache
        return "No system here marked its prompts for the prompt cache."
    out = []
    for name in table.index[(table["cache_write_tokens"] + table["cache_read_tokens"]) > 0]:
        row = table.loc[name]
        wrote, read = int(row["cache_write_tokens"]), int(row["cache_read_tokens"])
        # what the cache's writes and reads cost, less the same tokens sent uncached
        usd = cost_usd(model, 0, 0, cache_write_5m=wrote, cache_read=read) - cost_usd(
            model, wrote + read, 0
        )
        out.append(
            f"{name} marks its prompts for the prompt cache itself (a 5-minute breakpoint on "
            f"its system prompt and its task message): of its prompt tokens, {wrote:,} were "
            f"written to the cache and {read:,} read from it, so the `input_tokens` column "
            f"counts only the other {int(row['input_tokens']):,}, as the API reports them, and "
            f"`cost_usd` prices the writes at {CACHE_WRITE['5m']}x the input rate and the reads "
            f"at {CACHE_READ}x. Each question's prompts are its own, so caching "
            + (f"cost ${usd:.5f} more" if usd >= 0 else f"saved ${-usd:.5f}")
            + f" than sending those tokens uncached ({abs(usd) / row['cost_usd']:.0%} of its "
            f"cost)."
        )
    return " ".join(out)


prose(cached_prompts(shootout) if simulator else "backend='anthropic': no simulator log")


# %%
fig = viz.compare(
    shootout,
    quality=["right", "answered"],
    title=f"The capstone on {len(questions)} questions, {model}, {concurrency} at a time",
)

# %% [markdown]
# Wall-clock numbers measure this machine and each framework's overhead, not the model: they
# are printed apart, because they move from run to run. Import time is a fresh interpreter
# importing what the system needs (CrewAI and AutoGen in their own environment), the median of
# `import_runs` of them: on a busy machine, raise it for steadier numbers.

# %% tags=["nbval-ignore-output"]
overhead = pd.DataFrame(
    {
        "import (s)": [
            fw.import_seconds(n, runs=import_runs) if import_runs else None
            for n in tqdm(systems, desc="import timings (fresh interpreters)")
        ],
        "wall for the batch (s)": [round(m.wall_s, 2) for m in measured],
        "engine overhead per question (ms)": [
            round(1000 * m.wall_s / len(questions), 1) for m in measured
        ],
    },
    index=systems,
)
overhead

# %% [markdown]
# ## 3. When a step fails: an overloaded provider (529)
#
# Real APIs fail: overloaded (529), rate-limited (429), server errors. Here the simulator
# answers `fault_rate` of the calls with 529 (seeded per request) while every system answers the
# first `fault_questions` questions again, and each system meets it with its own defaults. The
# layers of retry differ:
#
# | system | retries of one call |
# | --- | --- |
# | orchestra, LCEL, LangGraph, Pydantic AI, AutoGen | the Anthropic SDK's 2 (3 attempts) |
# | LlamaIndex Workflows | its Anthropic client's 10 |
# | Temporal | 4 attempts of the activity (its retry policy), each with the SDK's 5 inside |
# | CrewAI | the SDK's 2, then the agent runs the task again on an error (`max_retry_limit=2`) |
#
# A rate the SDK absorbs shows nothing: the cell below says how much of it gets through three
# attempts, at this rate and at a mild one.

# %%
fault_qs = questions[:fault_questions]
if simulator:
    simulator.configure(faults=sim.Faults(overloaded=fault_rate))
    faulted, fault_answers = [], {}
    for name in tqdm(systems, desc=f"{fault_questions} questions at {fault_rate:.0%} faults"):
        fault_answers[name], meter = await answer(name, fault_qs)
        faulted.append(meter.result)
    simulator.configure(faults=sim.Faults())
    faults = pd.DataFrame(
        {
            "answered": [sum(r["answer"] is not None for r in fault_answers[n]) for n in systems],
            "right": [
                sum(cap.correct(r, q) for r, q in zip(fault_answers[n], fault_qs, strict=True))
                for n in systems
            ],
            "lost to 529": [
                sum("529" in (r["error"] or "") for r in fault_answers[n]) for n in systems
            ],
            "answered without faults": [
                sum(r["answer"] is not None for r in answers[n][:fault_questions]) for n in systems
            ],
        },
        index=systems,
    )
else:
    faults = "backend='anthropic': the simulator's faults are offline only"
faults

# %%
if simulator:
    deep = [n for n in systems if n in ("LlamaIndex Workflows", "Temporal", "CrewAI")]
    shallow = [n for n in systems if n not in deep]
    display(
        prose(
            f"After three attempts a call fails with probability {fault_rate:.0%}³ = "
            f"{fault_rate**3:.1%} at this rate (at 20% it would be {0.2**3:.1%}: nothing to see, "
            f"which is why the rate is this high). Questions lost to a 529 that outlived every "
            f"retry: "
            + ", ".join(f"{n} {int(faults.loc[n, 'lost to 529'])}" for n in systems)
            + f". The systems on the SDK's two retries ({', '.join(shallow)}) lost "
            f"{int(faults.loc[shallow, 'lost to 529'].sum())} of {len(shallow) * fault_questions} "
            f"questions to it; those with a deeper layer ({', '.join(deep) or 'none here'}) lost "
            f"{int(faults.loc[deep, 'lost to 529'].sum())} of {len(deep) * fault_questions}. The rest "
            f"of the gap to the fault-free column is the questions' own refusals, drawn again "
            f"(n = {fault_questions} questions per system: counts, not rates)."
        )
    )

# %% [markdown]
# How many requests each system sent to get there (failed ones included) varies with the
# timing of retries, so it is printed apart:

# %% tags=["nbval-ignore-output"]
retries = (
    pd.DataFrame(
        {
            "calls answered": [m.calls for m in faulted],
            "calls failed (529)": [m.failed_calls for m in faulted],
        },
        index=systems,
    )
    if simulator
    else None
)
retries

# %% [markdown]
# ## 4. Scale-out on Temporal: 1, 2 and 4 worker processes
#
# In-process concurrency stops at one machine's cores and one process's memory. Temporal's
# answer is workers: any number of processes, on any machines, polling one task queue; the
# server hands each activity to whichever worker is free and retries it elsewhere when a worker
# dies. Here the workflows run in this kernel and the activities in `n` worker processes
# (`max_concurrent_activities=2` each), against a rate-limited simulator (120 requests per
# model-minute), with model time at its real pace (`scaleout_time_scale`). Four limits each
# give a shortest possible makespan: the slots (model-seconds over all activity slots), the
# rate limit (requests over the allowed rate, beyond its burst), the longest single request,
# and the CPU the server and the workers burn on this 2-core machine (which no `time_scale`
# shrinks). The **binding** limit is the one whose bound is largest: the table's `bound_s` and
# `limited_by`. Adding workers shrinks only the slots' bound, so it helps until another limit
# binds. These are **wall-clock** seconds: Temporal's dispatch is real time.
#
# The makespans grow with the requests, so the default is the `scaleout_requests` shown in the
# table; set it to 200 for a run the size of a real batch.

# %% tags=["nbval-ignore-output"]
from orchestra.examples import temporal_scaleout as scale

if server is not None and simulator and scaleout_workers:
    simulator.configure(time_scale=scaleout_time_scale, limits=sim.Limits(requests_per_minute=120))
    workers_table = await scale.sweep(
        simulator,
        server,
        workers=tuple(scaleout_workers),
        requests=scaleout_requests,
        concurrency=2,
        model=model,
    )
    killed = await scale.run(
        simulator,
        server,
        workers=max(scaleout_workers),
        requests=scaleout_requests,
        concurrency=2,
        kill_at=0.3,
        model=model,
    )
    simulator.configure(time_scale=time_scale, limits=sim.Limits())
    fig = scale.chart(workers_table)
else:
    workers_table = "no Temporal server, simulator or worker counts: the scale-out is skipped"
workers_table

# %% tags=["nbval-ignore-output"]
if isinstance(workers_table, pd.DataFrame):
    per_request = workers_table["cpu_s"] / workers_table["requests"]
    print(f"CPU per request (server, workers, driver): {per_request.mean():.2f} s")
    print("the binding limit (largest bound):", workers_table["limited_by"].to_dict())

# %% [markdown]
# A worker killed with SIGKILL a third of the way through: its activities time out on their
# heartbeat and another worker takes them. What must hold, whatever the timing:

# %%
if isinstance(workers_table, pd.DataFrame):
    finished = [r["id"] for r in killed["results"]]
    run = f"{max(scaleout_workers)} workers, one killed at 30% of the requests"
    print(f"{run}: requests finished:", len(finished), "of", scaleout_requests)
    print(f"{run}: each finished once:", len(set(finished)) == len(finished) == scaleout_requests)
    assert len(set(finished)) == len(finished) == scaleout_requests

# %% [markdown]
# A model call can be answered twice only when the worker died after the simulator answered
# it and before the result reached the server: Temporal retries that attempt elsewhere. Which
# calls (if any) depends on the moment of the kill, so the list is printed apart; what holds
# every time is that each repeat is a step that shows a retried attempt.

# %% tags=["nbval-ignore-output"]
if isinstance(workers_table, pd.DataFrame):
    twice = scale.duplicates(killed["log"])
    retried = {
        f"{r['id']}:{step}"
        for r in killed["results"]
        for step, attempt in r["attempts"].items()
        if attempt > 1
    }
    print("model calls answered twice:", twice or "none")
    assert set(twice) <= retried

# %% [markdown]
# ## 5. What survives a crash: a batch killed and resumed
#
# Chapter 08 killed one run mid-step and resumed it. Here a whole batch dies: each system runs
# the `n_questions` questions in a process of its own (forked, `concurrency` at a time) with
# whatever journal it has, and is killed with `SIGKILL` after the simulator has answered
# `crash_after` of its calls; then the same batch runs again in a new process on the same SQLite
# file. What each keeps between the two processes:
#
# - **orchestra**: its checkpoint store (`SqliteStore`), one row per completed step; each
#   question is a run named by its id, and a run found in the store is resumed
#   (`cc.resume_orchestra`);
# - **LangGraph**: its checkpointer (`AsyncSqliteSaver`), one checkpoint per node; a thread with
#   a checkpoint goes on with `ainvoke(None, config)` (`cc.resume_langgraph`);
# - **LCEL**: nothing, so it starts again (so do LlamaIndex Workflows, Pydantic AI, CrewAI and
#   AutoGen, which keep nothing by default either; Pydantic AI's journal would be its Temporal
#   integration).
#
# The simulator holds every call after the `crash_after`-th unanswered (a `hang` fault), and the
# kill comes once the process has done all it can with the answers it got: so what was paid
# before the kill is exactly `crash_after` calls, whatever the machine's timing. Every count
# below is read from the simulator's log, where each answered call carries a digest of its
# request: a call is **paid twice** when a request answered before the kill is answered again
# after resuming. (Not "more calls than section 2's batch": each identical request is a fresh
# sample, so a batch run again differs in its answers, and in the drafts it must regenerate.)
# (`orchestra/examples/capstone_crash.py`; `tests/test_capstone_crash.py` does the same on 4
# questions.)

# %%
if simulator and crash_systems:
    missing = set(crash_systems) - set(systems)
    assert not missing, f"section 5 compares with section 2's batch: add {missing} to systems"
    crashes = {
        name: cc.crash_and_resume(
            simulator,
            name,
            len(questions),
            db=Path(scratch.name) / f"{name}.db",
            kill_after=crash_after,
            model=model,
            concurrency=concurrency,
        )
        for name in tqdm(crash_systems, desc="killed and resumed")
    }
    crash_table = cc.table(
        crashes,
        {name: cc.digests(logs[name]) for name in crash_systems},  # section 2's batch
        {name: sum(r["answer"] is not None for r in answers[name]) for name in crash_systems},
    )
else:
    crash_table = "backend='anthropic' or no crash_systems: the crash is staged offline only"
crash_table

# %% [markdown]
# What must hold, and does (the cell fails otherwise): a system with a journal paid for no call
# twice; a system without one paid again for every call it had made before the kill. The
# answers after the crash are samples of their own, so they are compared with section 2's in
# number, not row for row.

# %%
if isinstance(crash_table, pd.DataFrame):
    for name, row in crash_table.iterrows():
        assert crashes[name]["killed"] == -9  # SIGKILL
        assert row["paid before the kill"] == crash_after
        if name in ("orchestra", "LangGraph"):
            assert row["paid twice"] == 0
        else:
            assert row["paid twice"] == row["paid before the kill"]
        assert [r["id"] for r in crashes[name]["results"]] == [q["id"] for q in questions]
    journaled = [n for n in crash_table.index if n in ("orchestra", "LangGraph")]
    others = [n for n in crash_table.index if n not in journaled]
    words = ", ".join(
        f"{n} {int(crash_table.loc[n, 'paid twice'])} of {int(crash_table.loc[n, 'calls, never killed'])}"
        for n in others
    )
    display(
        prose(
            f"Killed after {crash_after} answered calls, {' and '.join(journaled) or 'no system'}"
            f" resumed from the journal and paid no call twice; without a journal, the batch "
            f"started again and paid again for every call made before the kill ({words or 'none'} "
            f"calls paid twice). After the crash each system answered "
            + ", ".join(f"{n} {int(crash_table.loc[n, 'answered'])}" for n in crash_table.index)
            + f" of {len(questions)} questions (without a crash: "
            + ", ".join(
                f"{int(crash_table.loc[n, 'answered, never killed'])}" for n in crash_table.index
            )
            + "): new samples, so the counts may differ."
        )
    )

# %% [markdown]
# Here the kill found no call in flight that the simulator had answered, so none was lost. A
# crash at a random moment can kill a process after the provider answered (and billed) a call
# and before the journal recorded it: that call is paid again even with a journal. Chapter 08's
# section 3 shows it for one run. Section 4 did the same to a Temporal worker: every request
# finished once, and the calls answered twice (those in flight at the kill) are listed there.

# %% [markdown]
# ## 6. Batch: a chapter over a grid of its parameters
#
# Everything above answers questions as they come. A different kind of job is the **batch**:
# the same experiment at many settings, each run independent and minutes long, where what matters
# is that each point ran once and its numbers land in one table. `orchestra sweep` does that for
# any chapter: each point of the grid is a papermill run in a kernel of its own, and the
# numbers the chapter **glues** with scrapbook (chapter 04 glues its loop's grade, cost and
# rounds) become one row each. Killed half-way, it skips the finished points when run again.
# The command started in the set-up, over chapter 04's `threshold`: this cell waits for it to end
# (if it has not yet) and reads its table:

# %%
if sweeping is not None:
    said, _ = sweeping.communicate(timeout=600)
    assert sweeping.returncode == 0, said[-500:]
    swept = pd.read_csv(sweep_out / "results.csv")
    varied = [n for n, v in sweep_grid.items() if isinstance(v, list)]
    swept = swept[[*varied, "status", "loop_grade", "loop_cost_usd", "loop_rounds"]]
else:
    swept = "no sweep_grid (or no simulator): the sweep was not started"
swept

# %% [markdown]
# The same grid runs as a **Prefect** flow with `tools/prefect_sweep.py` (its own environment,
# `make prefect-env`): each point a Prefect task, with Prefect's UI and API over every run,
# retries per task, schedules and remote workers:
#
# ```bash
# .venv-prefect/bin/python tools/prefect_sweep.py notebooks/04_evaluator_optimizer.ipynb \
#     -p threshold 0.8 0.9 -p n_products 4 -p time_scale 0.0 --retries 1
# ```
#
# It is not run here: before its first task the flow imports Prefect and starts a server, and
# every task's change of state is written through that server's API (the README gives the
# start-up measured on this machine). That is nothing next to points that take minutes, and
# too much for a request someone is waiting on: a batch orchestrator (Prefect, Airflow, Dagster)
# sits around the pipelines of this chapter, scheduling and retrying whole runs, not inside them
# answering a customer. Temporal sits in between: durable like a batch system, and fast enough
# to run the pipeline itself (section 4).

# %% [markdown]
# ## 7. The decision guide, from these numbers
#
# Two more columns. **What a failed question keeps**: of the questions a system did not answer,
# how many rows still say which category the question had (a system that keeps its state can
# tell you where it failed). **Dependency weight**: the distributions a system's packages pull in
# (the closure of their requirements, read from its installed environment) and the megabytes
# their files take (`fw.dependency_weight`); CrewAI and AutoGen need an environment of their
# own besides.

# %%
base = shootout.loc["orchestra"]
weight = {name: fw.dependency_weight(name) for name in tqdm(systems, desc="dependency weight")}
rows = []
for name in systems:
    m = shootout.loc[name]
    failed = [r for r in answers[name] if r["answer"] is None]
    rows.append(
        {
            "system": name,
            "right": f"{int(m['right'])}/{len(questions)}",
            # calls and cost come from the simulator's log: not measured on real Claude
            "calls vs orchestra": f"{m['calls'] / base['calls']:.2f}×" if simulator else "n/a",
            "cost vs orchestra": f"{m['cost_usd'] / base['cost_usd']:.2f}×" if simulator else "n/a",
            "lines": int(m["lines"]),
            "failed, category kept": f"{sum(r['category'] is not None for r in failed)}/{len(failed)}",
            "distributions": weight[name]["distributions"],
            "installed (MB)": weight[name]["MB"],
        }
    )
guide = pd.DataFrame(rows).set_index("system")
guide

# %%
frameworks = [n for n in systems if n != "orchestra"]
heavy = max(frameworks, key=lambda n: weight[n]["MB"])
light = min(frameworks, key=lambda n: weight[n]["MB"])
lcel_failed = [r for r in answers["LCEL"] if r["answer"] is None] if "LCEL" in systems else []
prose(
    f"Dependency weight: {heavy} brings {weight[heavy]['distributions']} distributions and "
    f"{weight[heavy]['MB']:.0f} MB, {weight[heavy]['MB'] / weight[light]['MB']:.0f} times the "
    f"lightest framework here ({light}, {weight[light]['MB']:.0f} MB); a Docker image, a cold "
    f"start on a serverless function and every CI run pay for it. "
    + (
        f"Pydantic AI brings {weight['Pydantic AI']['distributions']} distributions and "
        f"{weight['Pydantic AI']['MB']:.0f} MB ({weight['orchestra']['MB']:.0f} MB for the "
        f"anthropic SDK and pydantic that orchestra needs). "
        if {"Pydantic AI", "orchestra"} <= set(systems)
        else ""
    )
    + (
        f"LCEL's {len(lcel_failed)} failed questions: "
        + ", ".join(f"{r['id']} (category {r['category']})" for r in lcel_failed[:3])
        + ". A chain that raises keeps nothing of the steps that ran before, only the exception."
        if lcel_failed
        else "LCEL answered every question here, so its lost state does not show in this batch."
    )
)

# %% [markdown]
# - **LCEL** when the pipeline is a straight line with at most a retry around a step: the
#   fewest lines for a fixed chain, but a failed item loses its state (`failed, category kept`
#   in the table).
# - **LangGraph** when the flow has cycles and branches you want drawn as a graph, and when runs
#   must survive a crash or pause for a person (its checkpointer, chapter 09's `interrupt()`).
# - **LlamaIndex Workflows** when the steps are events in a retrieval-heavy app already built on
#   LlamaIndex; the loop bound and the accounting are yours to carry.
# - **Temporal** when a run must finish whatever happens (days-long, money-moving, many
#   machines): durable history, retries per activity, workers that scale out; you pay a server
#   and CPU time on every request (section 4).
# - **Pydantic AI** when each step is one typed call: the output type is the contract, a check
#   that raises `ModelRetry` sends its reason back to the model, and the install is small
#   (the table). It keeps no state between steps and no journal of its own; its Temporal
#   integration (`TemporalAgent`) runs each model call as a Temporal activity when a run must
#   survive a crash (not built here). Check its model profiles against today's models: 2.32 has
#   none for the 5.5 family, and its default output tool forces `tool_choice`, which Sonnet
#   and Opus 5.5 refuse (this chapter's version uses text outputs).
# - **CrewAI / AutoGen** when the problem is a conversation between roles, not a pipeline: they
#   wrap every prompt in a persona and a format, which costs input tokens on a fixed pipeline
#   like this one (section 2), and CrewAI is by far the heaviest install (the table).
# - **Custom (orchestra, or plain asyncio)** when the steps are few and known, and you want
#   the trace, the budget and the failure policies in your own code: no framework to learn, no
#   import time, but everything the frameworks give you is yours to write and test.

# %% [markdown]
# ## Interview angle
#
# - *"LangGraph vs LCEL vs Temporal vs custom?"* Say what the pipeline needs first: a fixed
#   chain (LCEL), cycles and human pauses with resumable state (LangGraph), durability across
#   crashes and machines (Temporal), or a few steps you own end to end (custom). Then give the
#   numbers: on one task the calls and tokens were nearly the same for the pipeline frameworks;
#   what differed was code, import time, dependency weight, retry depth under an overloaded
#   provider, crash behaviour and overhead.
# - *"How would you compare frameworks fairly?"* Same prompts, same model, same data, same
#   concurrency, one meter (the provider's log, not each framework's own counters), and lines
#   counted one way. Separate what the model costs (tokens, simulated seconds) from what the
#   machine costs (wall-clock, imports).
# - *"How do you scale an LLM pipeline beyond one process?"* Workers on a queue (Temporal,
#   Celery, a cloud queue). Each limit (slots, the provider's rate limit, CPU) gives a shortest
#   makespan; the largest of them binds, and more workers help only while the slots bind. Size
#   the workers against the rate limit, not your CPU. Make every step idempotent or journaled,
#   because a worker that dies mid-call means the call may be paid twice.
# - *"Agent frameworks for a pipeline?"* Only when the problem is a dialogue between roles;
#   for a fixed pipeline they add prompt tokens and formats to parse.
# - *"Your batch job died half-way: what does it cost?"* With a journal of completed steps
#   (a checkpoint store, LangGraph's checkpointer, Temporal's history), only the calls not yet
#   recorded, and a call in flight at the moment of the crash may be paid twice; without one,
#   everything again. Name the run by a stable id (the question's) so a restart finds its journal.

# %%
if server is not None:
    server.stop()
if simulator:
    simulator.stop()
