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
#       model: claude-sonnet-5-5
#       n_products: 6
#       stronger_model: claude-opus-5-5
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # 01 · Sequential chain: extract → validate → format, with typed contracts
#
# A **sequential chain** splits one job into steps that run one after another, each feeding the
# next: here a product blurb becomes structured fields (**extract**, an LLM call), the fields are
# checked against business rules (**validate**, plain code), and a catalogue line is written
# (**format**, plain code). Between steps sits a **contract**, a pydantic model: what the next
# step may rely on. A broken contract stops the chain at the step that noticed, with a named
# error, instead of letting a `None` price travel downstream into a customer-facing page.
#
# **Use it when** the job decomposes into fixed stages and you want to check, log and price each
# one. **Do not use it when** a single call does the job well enough (every extra LLM step adds
# latency and cost), or when the steps are independent (fan them out instead: chapter 02).
#
# **Cost and latency:** a chain costs the sum of its steps and takes the sum of their latencies:
# nothing overlaps. Only one step here calls a model; validate and format are free and instant,
# which is the point: move every check you can out of the model and into code.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
model = "claude-haiku-5-5"  # the extraction model
stronger_model = "claude-sonnet-5-5"  # where an escalating retry goes last
seed = 0  # the simulator's seed: same seed, same answers
n_products = 15  # how many product blurbs to run (at most 15)
time_scale = 0.01  # wall-clock seconds per simulated second

# %% [markdown]
# ## Set-up
#
# The simulator, the dataset (`orchestra/data/products.jsonl`: 15 hand-written product blurbs
# with the true name, price, category, weight and warranty of each), and the pattern module.

# %%
import asyncio
import inspect

import pandas as pd
from IPython.display import display

pd.set_option("display.max_colwidth", 70)

from orchestra import LLM, datasets, log_steps, measure, sim, viz
from orchestra.patterns import chain
from orchestra.patterns.chain import ChainState, product_chain
from orchestra.viz import prose

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
base_url = simulator.url if simulator else None
products = datasets.load("products")[:n_products]
llm = LLM(model, backend=backend)
print(len(products), "products; backend:", backend, "| model:", model)
print(products[0]["blurb"])

# %% [markdown]
# ## 1. The contracts
#
# Step 1 returns `Extracted`: every field may be null, because a model can miss one (and the
# simulator's quality dial makes Haiku miss one now and then). Step 2 turns it into
# `Product`, whose fields `format` may rely on: a non-empty name, a price above zero, a known
# category. That is the whole validation step: `Product.model_validate(...)`.

# %%
print(inspect.getsource(chain.Extracted))
print(inspect.getsource(chain.Product))
print(inspect.getsource(chain.validate))

# %% [markdown]
# The chain itself is three `@step` functions in a `Workflow`. Read `product_chain` in
# `orchestra/patterns/chain.py`: `extract` has a `Retry` for calls that fail, `validate` has a
# `fallback` (the repair step) for answers that arrive but break the contract.

# %%
print(inspect.getsource(chain.product_chain))

# %% [markdown]
# ## 2. One product, step by step
#
# `log_steps()` prints one line per finished step: its key (position in the workflow), status,
# attempts, tokens, cost and simulated seconds. Only `extract` calls a model.

# %%
log_steps()
first = await product_chain(llm).run(ChainState(text=products[0]["blurb"]))
log_steps(False)
print("status: ", first.status)
print("listing:", first.state.listing)

# %% [markdown]
# The trace is data: one row per span (the run, each step, each LLM call). A few columns:

# %%
df = first.trace.to_dataframe()
df[
    [
        "key",
        "kind",
        "name",
        "status",
        "attempts",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "model_s",
    ]
].round(6)

# %% [markdown]
# ## 3. When validate rejects extract's output
#
# The Orbit Speaker's blurb says "pricing will be announced at launch": there is no price to
# extract. The model rightly answers `price_usd: null`, and `validate` refuses it. The run stops
# there: status `aborted`, the **partial state** (what extract found is kept), the steps that did
# not run, and a reason that names the step, the error and the field.

# %%
orbit = next(p for p in datasets.load("products") if p["id"] == "p06")
log_steps()
rejected = await product_chain(llm).run(ChainState(text=orbit["blurb"]))
log_steps(False)
print("status: ", rejected.status)
print("missing:", rejected.missing)
print("kept:   ", rejected.state.extracted)
print("error:  ", type(rejected.error).__name__, "caused by", type(rejected.error.cause).__name__)
print("why:    ", chain.problems(rejected.error.cause))
print("reason: ", rejected.reason.splitlines()[0])

# %% [markdown]
# ## 4. Retries that change something
#
# Sending the same thing again only helps if the answer can come back different. Three ways to
# make a second attempt differ, from cheapest to dearest:
#
# - **Resample.** Today's models take no temperature: every call is a fresh sample, so the
#   *same request* sent again can come back right. That is what `Retry` does by itself, and it
#   is the answer to a call that *failed* (a 529, or an answer that did not fit the schema:
#   `OutputFormatError`). (On a model that took a temperature, a retry at temperature 0 got the
#   same answer; that lesson no longer applies.)
# - **Repair.** Change the prompt: ask again **with the validator's complaint in it**. The model
#   is told which field was rejected and why. This is `product_chain(repairs=N)`: `validate`
#   gets a fallback step, `repair`, that re-asks at most N times.
# - **Escalate.** Change who answers: `Retry(escalate=...)` lists what each retry changes, and
#   the step calls `ctx.llm(llm)`, which is `llm` itself on the first attempt and `llm` with
#   the changes after: `({"effort": "high"}, {"model": stronger_model})` thinks harder on the
#   second attempt and asks the stronger model on the third.
#
# The repair prompt, for a blurb whose price was rejected:

# %%
print(
    chain.extract_prompt(
        "Meet the Aurora X2 ...", complaint="price_usd: Input should be a valid number"
    )
)

# %% [markdown]
# Resampling and escalating need no new step: one step extracts *and* checks the contract, and
# a rejected answer (`ValidationError`) is retried like a failed call. `Retry.changes(n)` shows
# what attempt n runs with:

# %%
from pydantic import ValidationError

from orchestra import Context, Retry, Workflow, step
from orchestra.errors import OutputFormatError
from orchestra.policies import retryable

ESCALATE = ({"effort": "high"}, {"model": stronger_model})


def checked_chain(llm, *, escalate=()):
    """Extract and check the contract in one step, then format; a rejected or malformed answer
    is asked for again (at most 3 attempts), each retry changing what ``escalate`` says."""
    again = Retry(
        max_attempts=3,
        base_delay=0.01,
        seed=0,
        escalate=escalate,
        retry_on=lambda e: isinstance(e, (ValidationError, OutputFormatError)) or retryable(e),
    )

    @step(retry=again)
    async def extract(state: ChainState, ctx: Context) -> dict:
        reply = await ctx.llm(llm).ask(chain.extract_prompt(state.text), schema=chain.Extracted)
        return {"extracted": reply.data, "product": chain.validate(reply.data)}

    @step(name="format")
    async def fmt(state: ChainState) -> dict:
        return {"listing": chain.format_listing(state.product)}

    return Workflow("checked_chain", state=ChainState, steps=[extract, fmt])


policy = Retry(max_attempts=3, escalate=ESCALATE)
pd.DataFrame(
    {"attempt": n, "runs with": policy.changes(n) or f"{model} as configured"} for n in (1, 2, 3)
).set_index("attempt")

# %% [markdown]
# Now the whole dataset under four policies, each allowed two more model calls after the first
# answer: no retry at all, resample, repair, escalate. Each product is its own run;
# `Workflow.run_many` runs them 8 at a time (the bar counts finished runs).

# %%
states = [ChainState(text=p["blurb"]) for p in products]
builders = {
    "no retry": lambda: product_chain(llm, repairs=0),
    "resample ×2": lambda: checked_chain(llm),
    "repair ×2": lambda: product_chain(llm, repairs=2),
    "escalate ×2": lambda: checked_chain(llm, escalate=ESCALATE),
}
runs = {
    label: await build().run_many(states, concurrency=8, progress=True)
    for label, build in builders.items()
}


# %%
def outcome(result):
    """ok, or which retry rescued it, or where it stopped."""
    if result.status != "completed":
        return f"aborted at {result.missing[0]}"
    calls = [s for s in result.trace if s.kind == "llm"]
    if len(calls) == 1:
        return "ok"
    return f"ok after {len(calls)} calls ({calls[-1].model.replace('claude-', '')})"


rows = pd.DataFrame(
    {label: [outcome(r) for r in results] for label, results in runs.items()},
    index=[p["id"] for p in products],
)
rows.insert(0, "true price", [p["price_usd"] for p in products])
rows

# %%
summary = pd.DataFrame(
    [
        {
            "policy": label,
            "completed": sum(r.status == "completed" for r in results),
            "aborted": sum(r.status == "aborted" for r in results),
            "LLM calls": sum(s.kind == "llm" for r in results for s in r.trace),
            "cost ($)": round(sum(r.cost_usd for r in results), 5),
            "tokens": sum(r.tokens for r in results),
        }
        for label, results in runs.items()
    ]
)
summary = summary.set_index("policy")
# what the prose below relies on: a blurb without a price aborts under every policy, and (on
# the seeded simulator, where each policy meets the same samples first) every retry policy
# lists at least as many products as none; on real Claude each run draws its own samples, so
# a retry policy can come out behind by luck
if simulator:
    assert (summary["completed"] >= summary.loc["no retry", "completed"]).all(), summary
no_price = [p["id"] for p in products if p["price_usd"] is None]
assert all(rows.loc[pid, label].startswith("aborted") for pid in no_price for label in builders)
summary

# %%
base = summary.loc["no retry"]
rescued = summary["completed"] - base["completed"]
extra_cost = summary["cost ($)"] - base["cost ($)"]
retried = [k for k in builders if k != "no retry"]
wasted = {k: sum(r.cost_usd for r in runs[k] if r.status != "completed") for k in builders}
prose(
    f"Measured on {len(products)} products: {int(base['completed'])} listings with no retry. "
    + "; ".join(
        f"{k} rescues {int(rescued[k])} more for ${extra_cost[k]:.4f}"
        + (f" (${extra_cost[k] / rescued[k]:.4f} each)" if rescued[k] else "")
        for k in retried
    )
    + f". Blurbs with no price in the text ({', '.join(no_price) or 'none in this sample'}) "
    f"abort under every policy, after spending every retry they were allowed: the aborted runs "
    f"cost "
    + ", ".join(
        f"${wasted[k]:.4f} ({wasted[k] / summary.loc[k, 'cost ($)']:.0%}) under {k}"
        for k in builders
    )
    + "."
)

# %% [markdown]
# Read the table: each retry policy rescues products where the **model** dropped or garbled a
# field, for the price of the calls it adds. A resample is the cheapest try: the same request,
# a new draw. A repair tells the model what was wrong; an escalation pays for more thinking or
# a dearer model on exactly the products that need it, and only on those (the first attempt is
# still the cheap one). Which wins is an empirical question, and with this few products each
# difference above is a product or two: rerun with another `seed` before you pick. What no
# policy can rescue is a product whose **text** has no price: those abort under every policy,
# and that is correct; a listing with an invented price is worse than no listing. Every retry
# they were allowed was paid for and wasted, and an escalation wastes the dearest calls there:
# the stronger model is asked, at its price, for a price that is not in the text. That is the
# argument for a small bound (exercise 01 picks it from a measurement), and for escalating only
# on failures a better model can fix. The reason tells an operator what to fix.
#
# ## 5. Accuracy against the ground truth
#
# Validation checks that fields are *plausible*, not that they are *right*: a warranty of 349
# years passes `int`. The dataset's true values tell us how often a **published** listing is
# right, field by field, under each policy (n is the number of listings each published).

# %%
FIELDS = ["product", "price_usd", "category", "weight_kg", "warranty_years"]


def accuracy(results):
    """Share of published listings with each field right, and how many were published."""
    published = [(p, r.state.product) for p, r in zip(products, results, strict=True)]
    published = [(p, got) for p, got in published if got is not None]
    shares = {f: sum(getattr(got, f) == p[f] for p, got in published) for f in FIELDS}
    return {
        **{f: round(k / max(len(published), 1), 2) for f, k in shares.items()},
        "n": len(published),
    }


acc = pd.DataFrame({label: accuracy(results) for label, results in runs.items()})
acc.index.name = "field (share correct)"
acc

# %%
prose(
    "Share of published listings right, by field (no retry → "
    + ", ".join(retried)
    + "): "
    + "; ".join(f"{f} " + " → ".join(f"{acc.loc[f, k]:.2f}" for k in builders) for f in FIELDS)
    + f". Out of {', '.join(str(int(acc.loc['n', k])) for k in builders)} listings respectively."
)

# %% [markdown]
# A retry is asked for exactly when a field the contract requires (name, price) breaks, so
# those are the fields retries can improve. The fields it does not check for truth (category,
# weight, warranty) stay as right or wrong as the model made them, or change at random: a
# retried answer is a new sample. A contract only protects what it states: tighten it (`warranty_years: int =
# Field(le=10)`), cross-check against a second source, and measure against labelled data.
#
# ## 6. Where the cost and the time go
#
# The traces of the repair runs together, summed per step (`repair` appears where a fallback
# ran). Seconds are **simulated** model-seconds (seeded, reproducible; on real Claude, with
# `backend="anthropic"`, there are none and the chart shows wall-clock seconds instead);
# validate and format cost nothing and take no model time.

# %%
from matplotlib.ticker import MaxNLocator

all_steps = pd.concat([r.trace.to_dataframe() for r in runs["repair ×2"]], ignore_index=True)
fig = viz.step_costs(
    all_steps,
    simulated=bool(simulator),  # real Claude charges no simulated seconds: wall-clock then
    title=f"Cost and {'simulated' if simulator else 'wall-clock'} latency per step, "
    f"{len(products)} products",
)
fig.axes[0].xaxis.set_major_locator(MaxNLocator(4))  # today's prices: long, crowded tick labels

# %% [markdown]
# ## 7. The same chain in LangChain (LCEL) and LlamaIndex Workflows
#
# Same prompts, same contracts, same validation and repair (at most one), through each
# framework's official Anthropic integration. **LCEL** composes runnables with `|`; the repair is
# `with_fallbacks(..., exception_key="error")`, which hands the `ValidationError` to the fallback.
# **LlamaIndex Workflows** are steps that exchange typed events; the repair is an event that
# goes back to the extract step.

# %%
from langchain_anthropic import ChatAnthropic
from langchain_core.runnables import RunnableLambda

from orchestra.patterns.chain import Extracted, extract_prompt, format_listing, problems, validate


def lcel_chain(model, base_url):
    # method="json_schema": structured output (output_config.format), the request orchestra
    # sends; LangChain's default forces a tool call, which Sonnet and Opus 5.5 refuse
    structured = ChatAnthropic(
        model=model, base_url=base_url, max_tokens=2048
    ).with_structured_output(Extracted, method="json_schema")
    first = RunnableLambda(lambda x: extract_prompt(x["text"])) | structured | validate
    repair = (
        RunnableLambda(lambda x: extract_prompt(x["text"], problems(x["error"])))
        | structured
        | validate
    )
    return (
        first.with_fallbacks(
            [repair], exceptions_to_handle=(ValidationError,), exception_key="error"
        )
        | format_listing
    )


# %%
from llama_index.core.program import FunctionCallingProgram
from llama_index.core.prompts import PromptTemplate
from llama_index.core.workflow import Event, StartEvent, StopEvent
from llama_index.core.workflow import Workflow as LlamaWorkflow
from llama_index.core.workflow import step as llama_step
from llama_index.llms.anthropic import Anthropic

from orchestra.patterns.chain import Product


def llama_chain(model, base_url):
    class Repair(Event):
        text: str
        complaint: str

    class Found(Event):
        text: str
        extracted: Extracted
        repaired: bool

    class Valid(Event):
        product: Product

    class LlamaChain(LlamaWorkflow):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            llm = Anthropic(model=model, base_url=base_url, max_tokens=2048)
            self.program = FunctionCallingProgram.from_defaults(
                output_cls=Extracted, llm=llm, prompt=PromptTemplate("{prompt}")
            )

        @llama_step
        async def extract(self, ev: StartEvent | Repair) -> Found:
            complaint = ev.complaint if isinstance(ev, Repair) else None
            found = await self.program.acall(prompt=extract_prompt(ev.text, complaint))
            return Found(text=ev.text, extracted=found, repaired=complaint is not None)

        @llama_step
        async def check(self, ev: Found) -> Valid | Repair:
            try:
                return Valid(product=validate(ev.extracted))
            except ValidationError as exc:
                if ev.repaired:
                    raise
                return Repair(text=ev.text, complaint=problems(exc))

        @llama_step
        async def format(self, ev: Valid) -> StopEvent:
            return StopEvent(result=format_listing(ev.product))

    return LlamaChain(timeout=60)


# %% [markdown]
# Each implementation runs the same products, at most 8 at a time, measured from the
# simulator's log by `measure.Meter`: calls, tokens, cost, and the **simulated makespan**
# (`sim_s`: the answered calls laid out on 8 slots, longest first, the same rule for every
# framework), plus the lines of code of the orchestration, counted by `measure.lines_of_code`
# (the shared prompt and contract code is not counted). The LCEL repair is limited to one
# attempt, so orchestra runs with `repairs=1` here too. On real Claude (`backend="anthropic"`)
# there is no simulator log: only the listings, the lines of code and wall-clock time are
# measured, and the comparisons of tokens and calls below are skipped.

# %%
texts = [p["blurb"] for p in products]
SLOTS = 8


async def run_orchestra(texts):
    wf = product_chain(llm, repairs=1)
    results = await wf.run_many([ChainState(text=t) for t in texts], concurrency=SLOTS)
    return [r.state.listing for r in results]


async def run_lcel(texts):
    out = await lcel_chain(model, base_url).abatch(
        [{"text": t} for t in texts], config={"max_concurrency": SLOTS}, return_exceptions=True
    )
    return [None if isinstance(r, Exception) else r for r in out]


async def run_llama(texts):
    flow, limit = llama_chain(model, base_url), asyncio.Semaphore(SLOTS)

    async def one(t):
        async with limit:
            return await flow.run(text=t)

    out = await asyncio.gather(*(one(t) for t in texts), return_exceptions=True)
    return [None if isinstance(r, Exception) else r for r in out]


implementations = {
    "orchestra": (run_orchestra, [chain.product_chain, run_orchestra]),
    "LangChain LCEL": (run_lcel, [lcel_chain, run_lcel]),
    "LlamaIndex Workflows": (run_llama, [llama_chain, run_llama]),
}
measured, listings = [], {}
for label, (run, code) in implementations.items():
    with measure.Meter(simulator, label, code=code, concurrency=SLOTS) as meter:
        listings[label] = await run(texts)
    measured.append(meter.result)
table = measure.table(measured)
table["listings"] = [sum(x is not None for x in out) for out in listings.values()]
table["calls per product"] = (table["calls"] / len(texts)).round(2)
if not simulator:
    print(
        "real Claude: no simulator log, so calls, tokens, cost and seconds are not measured "
        "(None); listings and lines of code are"
    )
table.drop(columns=["wall_s", "sim_s"]).round({"cost_usd": 5, "model_s": 2})

# %% [markdown]
# What each client sends: the same product, one extraction request each. Same prompt, same
# contract. orchestra and LCEL (`method="json_schema"`) both ask for **structured output**
# (`output_config.format`), with the schema `anthropic.transform_schema` makes of `Extracted`;
# LlamaIndex's `FunctionCallingProgram` describes the contract as a **tool** for the model to
# call instead.

# %%
import anthropic

one = products[0]["blurb"]
first_request = {}
if simulator:  # the request's size is read from the simulator's log
    for label, (run, _) in implementations.items():
        with measure.Meter(simulator, label) as meter:
            await run([one])
        first_request[label] = meter.log[0]["input_tokens"]  # the first call
    print("input tokens of one extraction request:", first_request)
else:
    print("real Claude: no simulator log to read each request's size from; skipped")
lcel_format = (
    ChatAnthropic(model=model, base_url=base_url, max_tokens=2048)
    .with_structured_output(Extracted, method="json_schema")
    .first.kwargs["output_config"]["format"]
)
same_schema = lcel_format["schema"] == anthropic.transform_schema(Extracted)
print("LCEL's output_config.format schema is orchestra's:", same_schema)
# the explanation below relies on this: the same request, the same size through both
assert same_schema
if simulator:
    assert first_request["orchestra"] == first_request["LangChain LCEL"], first_request

# %%
fig = viz.compare(
    table,
    quality=["listings"],
    title=f"Extract → validate → format, {len(products)} products (one repair)",
)

# %%
published = ", ".join(f"{k} {v}" for k, v in table["listings"].items())
print(f"listings published, of {len(texts)} products: {published}")
if simulator:  # tokens and calls come from the simulator's log
    o, lc = table.loc["orchestra"], table.loc["LangChain LCEL"]
    per_call = (table["input_tokens"] / table["calls"]).round(0)
    retries = {k: int(v) - len(texts) for k, v in table["calls"].items()}
    display(
        prose(
            f"Measured: orchestra used {o.input_tokens / lc.input_tokens - 1:+.1%} input tokens "
            f"and {o.cost_usd / lc.cost_usd - 1:+.1%} cost against LCEL ({int(o.input_tokens):,} "
            f"against {int(lc.input_tokens):,} tokens, ${o.cost_usd:.4f} against "
            f"${lc.cost_usd:.4f}). **Per request** the two send the same thing (one extraction: "
            f"{first_request['orchestra']} input tokens through orchestra, "
            f"{first_request['LangChain LCEL']} through LCEL); LlamaIndex's tool definition makes "
            f"its request {first_request['LlamaIndex Workflows']} tokens. **Per product** the runs "
            "differ: every call is a fresh sample, so the model's mistakes fall on different "
            "products in each run, and each rejected extraction costs one more call. Calls beyond "
            f"one per product (repairs and retries) were {retries['orchestra']} for orchestra, "
            f"{retries['LangChain LCEL']} for LCEL, {retries['LlamaIndex Workflows']} for "
            "LlamaIndex; input tokens per call over the whole run: "
            + ", ".join(f"{k} {v:.0f}" for k, v in per_call.items())
            + "."
        )
    )
else:
    print("real Claude: tokens and calls per framework need the simulator's log; not compared")

# %% [markdown]
# Read the per-product difference as noise of one sample, not as a property of a framework:
# another seed moves the mistakes to other products. The per-request difference is a property:
# how a client writes the contract into the request is tokens paid on every call (look at the
# request, not the framework, when a chain runs a million times).
#
# Two columns are printed apart because they move from run to run. The **simulated makespan**
# (the chart's panel after the listings) lays the answered calls out on 8 slots in the order
# they reached the simulator; with 8 in flight that order depends on the machine's timing, so
# it moves by a few percent (listings, calls, tokens, cost and lines reproduce exactly). It follows the calls: more
# calls, longer makespan. **Wall-clock** seconds measure the machine and each framework's
# overhead, not the model.

# %% tags=["nbval-ignore-output"]
print(
    pd.DataFrame(
        {
            "simulated makespan, 8 slots (s)": table["sim_s"].round(2) if simulator else None,
            "wall-clock (s, the machine's)": table["wall_s"].round(3),
        }
    ).to_string()
)

# %% [markdown]
# What differs besides the numbers is what you get back. The orchestra run returns a status, a
# reason, the partial state and a trace per product; LCEL returns the listing or an exception;
# LlamaIndex returns the `StopEvent` result or an exception, and its loop back to `extract` has
# no bound unless you write one (here: `ev.repaired`). Lines of code count the orchestration
# each needs: the chain and its runner, not the shared prompt and contracts.
#
# ## Interview angle
#
# - *"Why split one LLM call into a chain?"* Each step gets a narrow prompt and a checkable
#   output; you can log, price and retry each step, and swap its model. The cost: latency adds
#   up and each extra LLM step adds tokens. Keep deterministic work (validation, formatting) in
#   code, not in prompts.
# - *"How do you pass data between steps?"* Typed contracts (pydantic): the producer's output is
#   validated before the consumer runs, so an error is raised where it happened, with the field
#   name, not three steps later as a `KeyError`.
# - *"What do you do when the model's output is invalid?"* Distinguish the failures: transport
#   errors and malformed answers → retry (on today's models the same request is a fresh
#   sample); valid-JSON-but-wrong → change something: a repair prompt with the validator's
#   message, or escalate (more effort, then a stronger model) for the few inputs that need it;
#   a bounded number of times, the bound picked from measured rescues per dollar; missing
#   information in the input → abort with a reason (never invent).
# - *"Why not just retry at a higher temperature?"* Today's models take no temperature (the
#   API answers 400); each call already samples. A retry earns its cost by changing what can
#   change the answer: the prompt, the effort, the model.
# - *"Is schema validation enough?"* No: it checks shape and plausibility, not truth. Measure
#   accuracy against labelled data, and add business rules (ranges, cross-field checks).
# - *"Why does the same chain cost more in one framework?"* Look at the request, not the
#   framework: schemas (as structured output or as a tool), system prompts and retries are all
#   tokens.

# %%
await llm.aclose()
if simulator:
    simulator.stop()
