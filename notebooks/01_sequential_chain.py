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
#       n_products: 6
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
import json

import pandas as pd

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
# simulator's quality dial makes Haiku miss about one field in five). Step 2 turns it into
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
# ## 4. A repair policy
#
# Two failures need two policies. A call that *fails* (529, or a tool answer that lost a field:
# `OutputFormatError`) is retried as is. An answer that *arrives but breaks the contract* is not
# fixed by sending the same prompt again: at temperature 0 the same prompt gets the same answer.
# The repair step asks again **with the validator's complaint in the prompt**.
#
# Both LLM steps also change the **temperature** on a second attempt: they pass
# `temperature=ctx.temperature()`, which is **0** on a step's first attempt and **0.7** on every
# later one (`Context.temperature(first=0.0, again=0.7)`). So `extract`'s retry after a malformed
# answer samples at 0.7, and so does a second repair (`repairs=2`); the first repair is a new
# prompt, sent at 0. The LCEL and LlamaIndex versions in section 7 keep temperature 0 throughout:
# their single repair changes the prompt, which is enough to change the answer.

# %%
print(
    chain.extract_prompt(
        "Meet the Aurora X2 ...", complaint="price_usd: Input should be a valid number"
    )
)


# %% [markdown]
# Now the whole dataset under three policies: no repair, at most one, at most two. Each
# product is its own run; `Workflow.run_many` runs them 8 at a time (the bar counts finished
# runs).

# %%
states = [ChainState(text=p["blurb"]) for p in products]
policies = {"no repair": 0, "1 repair": 1, "2 repairs": 2}
runs = {
    label: await product_chain(llm, repairs=n).run_many(states, concurrency=8, progress=True)
    for label, n in policies.items()
}


# %%
def outcome(result):
    check = next((s for s in result.trace.steps() if s.key == "01.validate"), None)
    if result.status == "completed":
        return "repaired" if check.status == "fallback" else "ok"
    return f"aborted at {result.missing[0]}"


rows = pd.DataFrame(
    {label: [outcome(r) for r in results] for label, results in runs.items()},
    index=[p["id"] for p in products],
)
rows.insert(0, "true price", [p["price_usd"] for p in products])
rows["listing (2 repairs)"] = [r.state.listing for r in runs["2 repairs"]]
rows

# %%
summary = pd.DataFrame(
    [
        {
            "policy": label,
            "completed": sum(r.status == "completed" for r in results),
            "aborted": sum(r.status == "aborted" for r in results),
            "cost ($)": round(sum(r.cost_usd for r in results), 5),
            "tokens": sum(r.tokens for r in results),
        }
        for label, results in runs.items()
    ]
)
summary = summary.set_index("policy")
# what the prose below relies on: a repair never loses a listing, and a blurb without a
# price aborts under every policy
assert summary["completed"].is_monotonic_increasing, summary
no_price = [p["id"] for p in products if p["price_usd"] is None]
assert all(rows.loc[pid, label].startswith("aborted") for pid in no_price for label in policies)
summary

# %%
extra = summary["completed"] - summary.loc["no repair", "completed"]
extra_cost = summary["cost ($)"] - summary.loc["no repair", "cost ($)"]
prose(
    f"Measured: {summary.loc['no repair', 'completed']} of {len(products)} listings without "
    f"repair; one repair rescues {extra['1 repair']} more for "
    f"${extra_cost['1 repair']:.4f}, two rescue {extra['2 repairs']} more for "
    f"${extra_cost['2 repairs']:.4f}. Blurbs with no price in the text "
    f"({', '.join(no_price) or 'none in this sample'}) abort under every policy."
)

# %% [markdown]
# Read the table: a repair rescues products where the **model** dropped or garbled a field,
# for the price of one more call each. A repaired answer is a new sample: it can fix the field
# it was told about and lose another, which a second repair may catch. No repair can rescue a
# product whose **text** has no price: those abort under every policy, and that is correct; a
# listing with an invented price is worse than no listing. The reason tells an operator what to
# fix.
#
# ## 5. Accuracy against the ground truth
#
# Validation checks that fields are *plausible*, not that they are *right*: a warranty of 349
# years passes `int`. The dataset's true values tell us how often step 1 was right, field by
# field, on the final extraction of each run.

# %%
FIELDS = ["product", "price_usd", "category", "weight_kg", "warranty_years"]


def accuracy(extractions):
    got = {
        f: [
            e is not None and getattr(e, f) == p[f]
            for p, e in zip(products, extractions, strict=True)
        ]
        for f in FIELDS
    }
    return {f: round(sum(v) / len(v), 2) for f, v in got.items()}


acc = pd.DataFrame(
    {label: accuracy([r.state.extracted for r in results]) for label, results in runs.items()}
)
acc.index.name = "field (share correct)"
acc

# %%
prose(
    "Share correct, no repair → 2 repairs: "
    + "; ".join(
        f"{f} {acc.loc[f, 'no repair']:.2f} → {acc.loc[f, '2 repairs']:.2f}" for f in FIELDS
    )
    + "."
)

# %% [markdown]
# A repair is asked for exactly when a field the contract requires (name, price) breaks, so
# those are the fields repairs can improve. The fields it does not check for truth (category,
# weight, warranty) stay as right or wrong as the model made them, or change at random: a
# repaired answer is a new sample. A contract only protects what it states: tighten it (`warranty_years: int =
# Field(le=10)`), cross-check against a second source, and measure against labelled data.
#
# ## 6. Where the cost and the time go
#
# The traces of the 2-repair runs together, summed per step. Seconds are **simulated** model-seconds (seeded,
# reproducible); validate and format cost nothing and take no model time.

# %%
all_steps = pd.concat([r.trace.to_dataframe() for r in runs["2 repairs"]], ignore_index=True)
fig = viz.step_costs(
    all_steps,
    simulated=True,
    title=f"Cost and simulated latency per step, {len(products)} products",
)

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
from pydantic import ValidationError

from orchestra.patterns.chain import Extracted, extract_prompt, format_listing, problems, validate


def lcel_chain(model, base_url):
    structured = ChatAnthropic(
        model=model, base_url=base_url, max_tokens=512
    ).with_structured_output(Extracted)
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
from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step
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

    class LlamaChain(Workflow):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            llm = Anthropic(model=model, base_url=base_url, max_tokens=512)
            self.program = FunctionCallingProgram.from_defaults(
                output_cls=Extracted, llm=llm, prompt=PromptTemplate("{prompt}")
            )

        @step
        async def extract(self, ev: StartEvent | Repair) -> Found:
            complaint = ev.complaint if isinstance(ev, Repair) else None
            found = await self.program.acall(prompt=extract_prompt(ev.text, complaint))
            return Found(text=ev.text, extracted=found, repaired=complaint is not None)

        @step
        async def check(self, ev: Found) -> Valid | Repair:
            try:
                return Valid(product=validate(ev.extracted))
            except ValidationError as exc:
                if ev.repaired:
                    raise
                return Repair(text=ev.text, complaint=problems(exc))

        @step
        async def format(self, ev: Valid) -> StopEvent:
            return StopEvent(result=format_listing(ev.product))

    return LlamaChain(timeout=60)


# %% [markdown]
# Each implementation runs the same products, at most 8 at a time, measured from the
# simulator's log by `measure.Meter`: calls, tokens, cost, and the **simulated makespan**
# (`sim_s`: the answered calls laid out on 8 slots, longest first, the same rule for every
# framework), plus the lines of code of the orchestration, counted by `measure.lines_of_code`
# (the shared prompt and contract code is not counted). The LCEL repair is limited to one
# attempt, so orchestra runs with `repairs=1` here too.

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
table.drop(columns=["wall_s", "sim_s"]).round({"cost_usd": 5, "model_s": 2})

# %% [markdown]
# Why the token counts differ: the same product, one extraction request through each client.
# Same prompt, same contract; what differs is how each integration writes the contract into the
# request's tool definition.

# %%
from langchain_anthropic.chat_models import convert_to_anthropic_tool

one = products[0]["blurb"]
first_request = {}
for label, (run, _) in implementations.items():
    with measure.Meter(simulator, label) as meter:
        await run([one])
    first_request[label] = meter.result.input_tokens
schemas = {
    "orchestra": json.dumps(Extracted.model_json_schema()),
    "LangChain LCEL": json.dumps(convert_to_anthropic_tool(Extracted)["input_schema"]),
}
print("input tokens of one extraction request:", first_request)
print("tool schema size (characters):", {k: len(v) for k, v in schemas.items()})
print('"title" keys in the schema:', {k: v.count('"title"') for k, v in schemas.items()})
# the explanation below relies on this: orchestra's request is the larger, by the titles
assert first_request["orchestra"] > first_request["LangChain LCEL"], first_request
assert schemas["orchestra"].count('"title"') > schemas["LangChain LCEL"].count('"title"') == 0

# %%
fig = viz.compare(
    table, title=f"Extract → validate → format, {len(products)} products (one repair)"
)

# %%
o, lc = table.loc["orchestra"], table.loc["LangChain LCEL"]
per_call = table["input_tokens"] / table["calls"]
retries = {k: int(v) - len(texts) for k, v in table["calls"].items()}
prose(
    f"Measured: orchestra used **{o.input_tokens / lc.input_tokens - 1:+.0%} input tokens** and "
    f"**{o.cost_usd / lc.cost_usd - 1:+.0%} cost** against LCEL "
    f"({int(o.input_tokens):,} against {int(lc.input_tokens):,} tokens, ${o.cost_usd:.4f} against "
    f"${lc.cost_usd:.4f}). "
    f"Two causes, both measured above. **Per request**: one extraction costs "
    f"{first_request['orchestra']} input tokens through orchestra, "
    f"{first_request['LangChain LCEL']} through LCEL and "
    f"{first_request['LlamaIndex Workflows']} through LlamaIndex, because orchestra sends "
    f"pydantic's `model_json_schema()` as is, a `title` on every field, which LangChain strips "
    f"({per_call['orchestra']:.0f} against {per_call['LangChain LCEL']:.0f} input tokens per "
    f"call over the whole run). **Per product**: the requests differ, so the simulator's seeded "
    f"mistakes fall on different products, and each rejected extraction costs one more call: "
    f"calls beyond one per product (repairs and retries) were {retries['orchestra']} for "
    f"orchestra, {retries['LangChain LCEL']} for LCEL, {retries['LlamaIndex Workflows']} for "
    f"LlamaIndex."
)

# %% [markdown]
# Read the per-product difference as noise of one sample, not as a property of a framework:
# another seed moves the mistakes to other products. The per-request difference is a property:
# a schema's titles are tokens paid on every call (strip them, or write the tool's schema by
# hand, when a chain runs a million times).
#
# Two columns are printed apart because they move from run to run. The **simulated makespan**
# (the chart's first panel) lays the answered calls out on 8 slots in the order they reached
# the simulator; with 8 in flight that order depends on the machine's timing, so it moves by a
# few percent (calls, tokens, cost and lines reproduce exactly). It follows the calls: more
# calls, longer makespan. **Wall-clock** seconds measure the machine and each framework's
# overhead, not the model.

# %% tags=["nbval-ignore-output"]
print(
    pd.DataFrame(
        {
            "simulated makespan, 8 slots (s)": table["sim_s"].round(2),
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
#   errors and malformed tool calls → retry (sampling at a higher temperature: at temperature 0
#   the same request returns the same answer); valid-JSON-but-wrong → repair prompt with the
#   validator's message (a bounded number of times, the bound picked from measured rescues per
#   dollar); missing information in the input → abort with a reason (never invent).
# - *"Is schema validation enough?"* No: it checks shape and plausibility, not truth. Measure
#   accuracy against labelled data, and add business rules (ranges, cross-field checks).
# - *"Why does the same chain cost more in one framework?"* Look at the request, not the
#   framework: tool schemas (titles, descriptions), system prompts and retries are all tokens.

# %%
await llm.aclose()
if simulator:
    simulator.stop()
