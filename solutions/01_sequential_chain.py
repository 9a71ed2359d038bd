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
#     mutant_parameters:
#       seed: 0
#       time_scale: 0.0
#     test_parameters:
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # Exercise 01 · Sequential chain: a typed hand-off with a repair budget
#
# The interview task: *"An extraction step hands product fields to a formatter that publishes
# them. Design the hand-off: what may pass, what happens to an extraction that breaks the
# contract, and how many times you let the model try again. Justify the number."*
#
# Three tasks, each ending with a cell tagged `check` that fails until the task is done, then an
# interview question you score yourself against a rubric. Grade your work with `make grade` (or
# `make grade NB=exercises/01_sequential_chain.ipynb`). Read `orchestra/patterns/chain.py` and
# chapter 01 first: you reuse its `Extracted` model, its prompt and `problems()`.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude
model = "claude-haiku-5-5"  # a model that makes mistakes, so that repairs have work to do
seed = 0
time_scale = 0.0  # wall-clock seconds per simulated second (0: as fast as possible)
n_products = 15  # products measured in task 3 (at most 15)
max_repairs = 5  # task 3 measures the bounds 0..max_repairs: far enough to see the curve flatten

# %%
import random
from types import SimpleNamespace
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from orchestra import LLM, Context, Retry, Workflow, datasets, sim, step
from orchestra.exercise import attempt
from orchestra.patterns.chain import Extracted, extract_prompt, problems

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
llm = LLM(model, backend=backend)
products = datasets.load("products")[:n_products]
Category = Literal["audio", "lighting", "kitchen", "fitness", "office"]

# %% [markdown]
# The checks call your functions through `attempt` (`orchestra/exercise.py`): if your code
# raises, the failure names the call that raised, with its input in full and the line of yours
# it came from.


# %% [markdown]
# ## Task 1 · The contract
#
# `Listable` is what the formatter may rely on. Write its fields so that it **rejects**:
#
# - a missing product name: `None`, `""` or only spaces;
# - a missing price, or a price that is not above zero;
# - a warranty above 10 years (a business rule: a shape check lets a 349-year warranty through);
#
# and **accepts** a product with no weight and no warranty (they are optional), or a warranty
# of exactly 10 years. Rejection is pydantic's `ValidationError`, whose message names the field:
# the repair prompt of task 2 quotes it. Never fill a default for a required field: a listing
# with an invented price is worse than no listing.


# %%
class Listable(BaseModel):
    """A product fit to publish."""

    ### BEGIN SOLUTION
    product: str = Field(pattern=r"\S")  # at least one non-space character
    price_usd: float = Field(gt=0)
    category: Category
    weight_kg: float | None = Field(default=None, gt=0)
    warranty_years: int | None = Field(default=None, ge=0, le=10)
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: constrain the fields (pydantic's Field(...) and types do all of it)
    # product: str | None = None
    # price_usd: float | None = None
    # category: Category | None = None
    # weight_kg: float | None = None
    # warranty_years: int | None = None
    ### END STUB


def to_product(extracted: Extracted) -> Listable:
    """The hand-off: ``Extracted`` -> ``Listable``, or a ``ValidationError`` naming the fields."""
    return Listable.model_validate(extracted.model_dump())


class ChainState(BaseModel):
    """What flows through the chain."""

    text: str
    extracted: Extracted | None = None
    product: Listable | None = None
    listing: str | None = None


# %% tags=["check"]
# check 1: the contract lets good products through and stops each broken field by name
good = Extracted(
    product="Halo", price_usd=19.5, category="lighting", weight_kg=None, warranty_years=None
)
for ok in (good, good.model_copy(update={"warranty_years": 10, "weight_kg": 0.4})):
    try:
        to_product(ok)
    except ValidationError as exc:
        raise AssertionError(
            f"the contract rejected a valid product {ok}: {problems(exc)}"
        ) from None
broken = [
    ("product", None),
    ("product", ""),
    ("product", "   "),
    ("price_usd", None),
    ("price_usd", 0.0),
    ("price_usd", -5.0),
    ("warranty_years", 349),
]
for field, value in broken:
    try:
        to_product(good.model_copy(update={field: value}))
    except ValidationError as exc:
        assert field in problems(exc), (
            f"{field}={value!r} was rejected, but the message does not name {field!r}: "
            f"{problems(exc)!r}; the repair prompt needs the field's name"
        )
        continue
    raise AssertionError(
        f"the contract accepted {field}={value!r}: that listing would be published; "
        f"expected a ValidationError naming {field!r}"
    )


def _broken(e: Extracted) -> list[str]:
    """The check's own reference: the fields the contract must reject."""
    return [
        *(["product"] if e.product is None or not e.product.strip() else []),
        *(["price_usd"] if e.price_usd is None or e.price_usd <= 0 else []),
        *(["warranty_years"] if e.warranty_years is not None and e.warranty_years > 10 else []),
    ]


rng = random.Random(15)
cases = [good.model_copy(update={"warranty_years": w}) for w in (0, 10, 11)]
cases.append(good.model_copy(update={"price_usd": 0.01}))
for _ in range(40):
    cases.append(
        good.model_copy(
            update={
                "product": rng.choice(["Halo", "Aurora X2", " Mesa ", "", "   ", "\t", None]),
                "price_usd": rng.choice([None, -5.0, 0.0, 0.01, 19.5, 1e6]),
                "warranty_years": rng.choice([None, 0, 1, 10, 11, 12, 349]),
                "weight_kg": rng.choice([None, 0.4, 12.0]),
            }
        )
    )
for e in cases:
    want = _broken(e)
    try:
        got = to_product(e)
    except ValidationError as exc:
        named = [f for f in want if f in problems(exc)]
        assert want, (
            f"to_product({e!r}) raised {problems(exc)!r}; expected a Listable: nothing in it "
            f"breaks the contract (a warranty of 10 years, or 0, is allowed; so is any price "
            f"above 0, and no weight)"
        )
        assert named == want, (
            f"to_product({e!r}) was rejected with {problems(exc)!r}; expected every broken "
            f"field named: {want}"
        )
        continue
    except Exception as exc:
        raise AssertionError(f"to_product({e!r}) raised {type(exc).__name__}: {exc}") from None
    assert not want, (
        f"to_product({e!r}) returned {got!r}: the contract accepted it, but {want} break it; "
        f"expected a ValidationError naming {want}"
    )
print(
    f"check 1 passed: 2 valid products accepted, {len(broken)} broken ones rejected by name, "
    f"{len(cases)} more (boundaries and generated) decided as the contract says"
)


# %% [markdown]
# ## Task 2 · The repair budget
#
# `repair_chain(llm, repairs)` builds extract → validate → format. Write the **validate** step:
# turn `state.extracted` into a `Listable` with `to_product`; when it is rejected, ask the model
# again **with the validator's complaint in the prompt** (`extract_prompt(text, problems(exc))`),
# at most `repairs` times, then let the last `ValidationError` stop the run (status `aborted`,
# the field named in the reason). A valid first answer costs no repair.
#
# Trade-offs to keep in mind: today's models take no temperature, so the *same* prompt sent
# again is a fresh sample that may or may not fix the field; the complaint in the prompt tells
# the model what to fix (a stronger model or more effort is the next lever, at a higher price:
# `Retry(escalate=...)` in chapter 01); every repair is a paid call; and no number of repairs
# can find a price that the text does not give.


# %%
def repair_chain(llm, repairs: int) -> Workflow:
    @step(retry=Retry(max_attempts=3, base_delay=0.01, seed=0))
    async def extract(state: ChainState, ctx: Context) -> dict:
        reply = await ctx.llm(llm).ask(extract_prompt(state.text), schema=Extracted)
        return {"extracted": reply.data}

    @step(name="validate")
    async def validate(state: ChainState) -> dict:
        ### BEGIN SOLUTION
        extracted = state.extracted
        for n in range(repairs + 1):
            try:
                return {"extracted": extracted, "product": to_product(extracted)}
            except ValidationError as exc:
                if n == repairs:  # the budget is spent: stop, with the field in the reason
                    raise
                complaint = problems(exc)
            # a new prompt: the complaint says what to fix (and each call is a fresh sample)
            reply = await llm.ask(extract_prompt(state.text, complaint), schema=Extracted)
            extracted = reply.data
        ### END SOLUTION
        ### BEGIN STUB
        # # TODO: to_product(state.extracted); on a ValidationError, ask again with the
        # # complaint, at most `repairs` times
        # raise NotImplementedError("task 2: write the validate step")
        ### END STUB

    @step(name="format")
    async def format_listing(state: ChainState) -> dict:
        p = state.product
        return {"listing": f"{p.product} | {p.category} | ${p.price_usd:,.2f}"}

    return Workflow("repair_chain", state=ChainState, steps=[extract, validate, format_listing])


# %% [markdown]
# The check does not need the simulator: `Scripted` stands in for `LLM`, answers from a script
# and records every prompt, so it can see exactly what your step asked and how often.


# %%
class Scripted:
    """A stand-in for ``LLM``: the scripted answers in order (the last one repeats)."""

    def __init__(self, *answers: Extracted):
        self.answers, self.prompts = list(answers), []

    async def ask(self, prompt, *, schema=None, **_):
        self.prompts.append(prompt)
        if len(self.prompts) > 20:
            raise RuntimeError("more than 20 calls for one product: the repair loop has no bound")
        answer = self.answers[min(len(self.prompts), len(self.answers)) - 1]
        return SimpleNamespace(data=answer, text="")


no_price = good.model_copy(update={"price_usd": None})


async def scripted_run(repairs, *answers):
    fake = Scripted(*answers)
    result = await repair_chain(fake, repairs).run(ChainState(text="The Halo lamp ..."))
    return result, fake.prompts


def problems_of(answer: Extracted) -> str:
    """What the contract says about ``answer`` (the check's message shows it)."""
    try:
        to_product(answer)
    except ValidationError as exc:
        return problems(exc)
    return "valid"


# %% tags=["check"]
# check 2: a repair carries the complaint, the budget is a bound, and a valid answer is not re-asked
result, prompts = await scripted_run(1, good)
assert result.status == "completed" and len(prompts) == 1, (
    f"a valid first answer: expected 1 call and a listing, got {len(prompts)} call(s), "
    f"status {result.status} ({result.reason})"
)
result, prompts = await scripted_run(1, no_price, good)
assert result.status == "completed", (
    f"price missing, then fixed, with 1 repair allowed: expected a listing, got status "
    f"{result.status} after {len(prompts)} call(s): {result.reason}"
)
assert len(prompts) == 2 and "price_usd" in prompts[1] and prompts[1] != prompts[0], (
    f"the repair must ask once more, naming the broken field; calls: {len(prompts)}, "
    f"last prompt: {prompts[-1][:200]!r}"
)
assert result.state.listing.startswith("Halo | lighting | $19.50"), result.state.listing
for repairs in (0, 2):
    result, prompts = await scripted_run(repairs, no_price)
    assert result.status == "aborted" and len(prompts) == 1 + repairs, (
        f"an answer that never gets a price, repairs={repairs}: expected {1 + repairs} call(s) "
        f"and status aborted, got {len(prompts)} call(s) and status {result.status} (count the "
        f"repairs from the `repairs` argument, not a number of your own)"
    )
    assert "price_usd" in (result.reason or "") and result.state.listing is None, (
        f"an aborted run must name the field in its reason and publish nothing: "
        f"reason {result.reason!r}, listing {result.state.listing!r}"
    )
# k broken answers, then a valid one, against budgets of 0 to 3 repairs (k equal to the budget
# must still complete); each repair prompt must name the field the answer before it broke
rng = random.Random(16)
breaks = [{"price_usd": None}, {"product": "  "}, {"warranty_years": 349}, {"price_usd": -1.0}]
for repairs, k in [(r, k) for r in range(4) for k in (r, r + 1)] + [
    (rng.randint(0, 3), rng.randint(0, 4)) for _ in range(8)
]:
    script = [good.model_copy(update=rng.choice(breaks)) for _ in range(k)] + [good]
    copies = [a.model_copy(deep=True) for a in script]
    broke = ", ".join(problems_of(a) for a in script[:k]) or "none"
    result, prompts = await attempt(scripted_run, repairs, *script)
    calls = min(k, repairs) + 1
    said = (
        f"repair_chain(llm, repairs={repairs}) with a model that answers {k} broken "
        f"extraction(s) ({broke}), then a valid one"
    )
    assert script == copies, (
        f"{said}: the model's answers were changed in place ({script[:k]} were {copies[:k]}): "
        f"a broken field is re-asked, never patched"
    )
    assert len(prompts) == calls and result.status == (
        "completed" if k <= repairs else "aborted"
    ), (
        f"{said}: made {len(prompts)} call(s), status {result.status} ({result.reason}); "
        f"expected {calls} call(s) and status {'completed' if k <= repairs else 'aborted'}: "
        f"1 + at most `repairs` repairs, the argument, not a number of your own"
    )
    for i in range(1, calls):
        field = _broken(script[i - 1])[0]
        assert field in prompts[i], (
            f"{said}: repair prompt {i} does not name {field!r}, which the answer before it "
            f"broke: {prompts[i]!r}"
        )
print(
    "check 2 passed: 1 call when valid, 1 + repairs at most (16 budgets and scripts), the "
    "complaint in the prompt"
)


# %% [markdown]
# ## Task 3 · Pick the bound from a measurement
#
# How many repairs should production allow? Measure it: run `repair_chain(llm, n)` on the
# `products` for `n` in 0, 1, ..., `max_repairs` (use `run_many` on
# `ChainState(text=p["blurb"])`), and build `measured`: a DataFrame indexed by `n` (index name
# `repairs`) with the columns
# `listings` (runs completed) and `cost_usd` (summed `RunResult.cost_usd`). Every call is a
# fresh sample, so make it a **paired** comparison: before each bound, reset the simulator
# (`simulator.configure()`: same seed, counting afresh), so that every bound meets the same
# first answers and differs only by its repairs (the check measures again the same way and
# compares).

# %%
### BEGIN SOLUTION
states = [ChainState(text=p["blurb"]) for p in products]
rows = []
for n in range(max_repairs + 1):
    if simulator:
        simulator.configure()  # the same first answers for every bound: a paired comparison
    results = await repair_chain(llm, n).run_many(states, concurrency=8)
    rows.append(
        {
            "repairs": n,
            "listings": sum(r.status == "completed" for r in results),
            "cost_usd": sum(r.cost_usd for r in results),
        }
    )
measured = pd.DataFrame(rows).set_index("repairs")
### END SOLUTION
### BEGIN STUB
# measured = None  # TODO: a DataFrame indexed by repairs 0..max_repairs: listings, cost_usd
### END STUB
measured

# %% tags=["check"]
# check 3: the measurement covers 0..max_repairs repairs, paired, with listings and total cost
assert isinstance(measured, pd.DataFrame), (
    f"measured is {type(measured).__name__}, not a DataFrame: write task 3's first cell"
)
assert list(measured.index) == list(range(max_repairs + 1)), (
    f"measured is indexed by {list(measured.index)}, expected repairs 0 to {max_repairs}"
)
assert {"listings", "cost_usd"} <= set(measured.columns), (
    f"measured has the columns {list(measured.columns)}, expected listings and cost_usd"
)
assert measured["cost_usd"].is_monotonic_increasing and measured["cost_usd"].iloc[0] > 0, (
    f"a larger repair budget cannot cost less: cost_usd is {measured['cost_usd'].round(5).tolist()} "
    f"(when every bound meets the same first answers: reset the simulator before each bound)"
)
if simulator:  # measure the first bounds again, paired, with your chain: the same numbers
    again = {}
    for n in range(min(2, max_repairs) + 1):  # (three bounds show pairing and the sum)
        simulator.configure()
        runs = await repair_chain(llm, n).run_many(
            [ChainState(text=p["blurb"]) for p in products], concurrency=8
        )
        again[n] = (sum(r.status == "completed" for r in runs), sum(r.cost_usd for r in runs))
    listings = {n: int(measured.loc[n, "listings"]) for n in again}
    assert listings == {n: a for n, (a, _) in again.items()}, (
        f"measured listings by repairs are {listings}; the check, resetting the simulator before "
        f"each bound (simulator.configure()), counts { {n: a for n, (a, _) in again.items()} }: "
        f"reset before every bound, so that each one meets the same first answers"
    )
    off = [n for n, (_, c) in again.items() if abs(measured.loc[n, "cost_usd"] - c) > 1e-9]
    assert not off, (
        f"measured cost_usd by repairs is "
        f"{ {n: round(float(measured.loc[n, 'cost_usd']), 6) for n in again} }; the check's "
        f"paired measurement sums { {n: round(c, 6) for n, (_, c) in again.items()} } (the "
        f"runs' cost_usd summed over the {len(products)} products, not their mean; and reset "
        f"the simulator before each bound)"
    )
knee = int(measured.index[measured["listings"] == measured["listings"].max()][0])
# a bound is justified by where the curve flattens: when the most listings come only at the
# largest bound tried, nothing tells that bound from "the largest, to be safe"
assert knee < max_repairs, (
    f"the most listings ({measured['listings'].max()}) came only at the largest bound tried, "
    f"{max_repairs}: listings by repairs are {measured['listings'].tolist()}; the curve has not "
    f"flattened, so raise max_repairs and measure further before fixing a bound"
)
print(f"check 3 passed: listings by repairs {measured['listings'].tolist()}, paired")

# %% [markdown]
# Then write `pick_repairs(measured)`: **the smallest bound that reaches the most listings
# measured** (every repair beyond it is paid for and rescues nothing in this sample). The cell
# ships `REPAIRS = pick_repairs(measured)`; print one sentence that justifies it with the
# numbers: listings gained, dollars per rescued listing, and whether the curve flattened within
# the bounds you tried.


# %%
def pick_repairs(measured: pd.DataFrame) -> int:
    ### BEGIN SOLUTION
    best = measured["listings"].max()
    return int(measured.index[measured["listings"] == best][0])
    ### END SOLUTION
    ### BEGIN STUB
    # # TODO: the smallest bound with the most listings
    # raise NotImplementedError("task 3: write pick_repairs()")
    ### END STUB


REPAIRS = pick_repairs(measured)
### BEGIN SOLUTION
gained = measured.loc[REPAIRS, "listings"] - measured.loc[0, "listings"]
extra = measured.loc[REPAIRS, "cost_usd"] - measured.loc[0, "cost_usd"]
flat = (
    "larger bounds rescue none more here and pay again for every product that can never pass"
    if REPAIRS < measured.index.max()
    else "the curve had not flattened by the largest bound tried: measure further before fixing it"
)
print(
    f"REPAIRS = {REPAIRS}: it rescues {gained} listing(s) over no repair for ${extra:.4f} "
    f"(${extra / max(gained, 1):.4f} each); {flat}."
)
### END SOLUTION
### BEGIN STUB
# # TODO: print one sentence that justifies REPAIRS with the numbers
### END STUB


# %% tags=["check"]
# check 4: pick_repairs() finds where rescues stop, on your table and on tables it has not seen
def _pick_repairs(table):
    """The check's own reference: the smallest bound whose listings are the most."""
    best = max(table["listings"])
    return min(n for n in table.index if table.loc[n, "listings"] == best)


def _table(listings):
    frame = pd.DataFrame({"listings": listings, "cost_usd": [0.001 * (n + 1) for n in range(6)]})
    return frame.rename_axis("repairs")


rng = random.Random(17)
tables = [
    measured,  # yours
    _table([10, 12, 13, 13, 13, 13]),
    _table([10, 10, 10, 10, 10, 10]),  # no repair rescues anything: 0
    _table([8, 9, 10, 11, 12, 14]),  # still rising at the largest bound
    _table([9, 12, 11, 12, 12, 10]),  # a tie for the most: the smaller bound
    _table([0, 0, 0, 0, 0, 0]),  # nothing lists at all
]
for _ in range(30):
    base = rng.randint(0, 10)
    tables.append(_table([base + rng.randint(0, 4) for _ in range(6)]))
for table in [t for t in tables if isinstance(t, pd.DataFrame)]:  # (yours, once written)
    before = table.copy()
    got, want = await attempt(pick_repairs, table), _pick_repairs(before)
    assert table.equals(before), (
        f"pick_repairs(measured) changed the table it was given, from\n{before}\n  to\n{table}"
    )
    assert got == want, (
        f"pick_repairs(measured) returned {got!r}; expected {want} for listings by repairs "
        f"{before['listings'].tolist()}: the smallest bound that reaches the most listings "
        f"(beyond it, repairs are paid for and rescue nothing)"
    )
assert isinstance(measured, pd.DataFrame), "measured is not a DataFrame: write task 3's first cell"
assert REPAIRS == _pick_repairs(measured), (
    f"REPAIRS = {REPAIRS}, but your table gives {_pick_repairs(measured)}: keep "
    f"REPAIRS = pick_repairs(measured), not a number read off the table"
)
print(f"check 4 passed: pick_repairs() on {len(tables)} tables; {REPAIRS} repair(s)")


# %% [markdown]
# ## Task 4 · Interview question
#
# *"Your extraction chain passes validation on every product, yet the catalogue shows a
# 349-year warranty. What went wrong, what do you change, and what does each change cost?"*
#
# Write your answer in the next cell, as the string `answer`, in 4–8 sentences, then run
# the cell after it: it shows the points a strong answer makes and a model answer, and you score
# yourself (with `backend = "anthropic"` and a key, Claude grades your answer against the same
# rubric and explains).

# %% tags=["answer-01"]
### BEGIN SOLUTION
answer = """
Validation checked the **shape** of the output (an integer), not its **truth**: the model
took a neighbouring number for the warranty, and the contract had no rule to catch it. Fixes,
cheapest first: a business rule in the contract (`warranty_years` at most 10) so that validate
rejects it and the bounded repair re-asks with the complaint, for one more call per rejection;
an accuracy measurement on a labelled sample, field by field, to find which fields fail and
how often; for fields that matter, a cross-check against a second source (a regex over
"Warranty:" lines) or a stronger extraction model, at a higher price per call. Never fill the
gap with a default: abort with a reason and send it to a person.
"""
### END SOLUTION
### BEGIN STUB
# answer = """
# _Your answer here._
# """
### END STUB

# %% tags=["rubric"]
# The interview answer: score yourself against the rubric (no automatic pass or fail)
from orchestra.interview import review

RUBRIC = [
    "names the cause: validation checked the type (shape), not whether the value is true",
    "adds a business rule or range to the contract (warranty at most N years, cross-field checks)",
    "says what a rejection then costs: a bounded repair call with the validator's complaint",
    "measures accuracy against labelled data (ground truth), field by field",
    "cross-checks important fields against a second source or a stronger model, at a price",
    "refuses to invent a default: abort with a reason, route to a person",
]
MODEL_ANSWER = """Validation checked the shape of the value (an integer), not its truth: the
model took a neighbouring number for the warranty and no rule caught it. Cheapest first: a
business rule in the contract (warranty at most 10 years), so validate rejects it and a bounded
repair re-asks with the complaint, one more call per rejection; an accuracy measurement on a
labelled sample, field by field, to learn which fields fail and how often; for fields that
matter, a cross-check against a second source (a regex over "Warranty:" lines) or a stronger
model, at a higher price per call. Never fill the gap with a default: abort with a reason and
route it to a person."""

await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)

# %%
await llm.aclose()
if simulator:
    simulator.stop()
