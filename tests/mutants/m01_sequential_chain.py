"""Wrong solutions to exercise 01 (a typed hand-off with a repair budget); see the package doc."""

from mutants import Mutant

TASK3 = """
states = [ChainState(text=p["blurb"]) for p in products]
rows = []
for n in range(max_repairs + 1):
    {reset}
    results = await repair_chain(llm, n).run_many(states, concurrency=8)
    rows.append(
        {{
            "repairs": n,
            "listings": sum(r.status == "completed" for r in results),
            "cost_usd": sum(r.cost_usd for r in results){per},
        }}
    )
measured = pd.DataFrame(rows).set_index("repairs")
"""


def task3(reset="simulator.configure()", per=""):
    return TASK3.format(reset=reset, per=per)


MUTANTS = [
    # task 1: the contract
    Mutant(
        "the name is not required (only the price is checked)",
        0,
        """
        product: str | None = None
        price_usd: float = Field(gt=0)
        category: Category
        weight_kg: float | None = None
        warranty_years: int | None = Field(default=None, ge=0, le=10)
        """,
        caught_by=0,
    ),
    Mutant(
        "a blank name passes (min_length counts spaces)",
        0,
        """
        product: str = Field(min_length=1)
        price_usd: float = Field(gt=0)
        category: Category
        weight_kg: float | None = None
        warranty_years: int | None = Field(default=None, ge=0, le=10)
        """,
        caught_by=0,
    ),
    Mutant(
        "a shape check only: a 349-year warranty is an int",
        0,
        """
        product: str = Field(pattern=r"\\S")
        price_usd: float = Field(gt=0)
        category: Category
        weight_kg: float | None = None
        warranty_years: int | None = None
        """,
        caught_by=0,
    ),
    Mutant(
        "a missing price defaults instead of stopping the hand-off",
        0,
        """
        product: str = Field(pattern=r"\\S")
        price_usd: float | None = Field(default=None, gt=0)
        category: Category
        weight_kg: float | None = None
        warranty_years: int | None = Field(default=None, ge=0, le=10)
        """,
        caught_by=0,
    ),
    Mutant(
        "a warranty of exactly 10 years rejected (lt for le)",
        0,
        """
        product: str = Field(pattern=r"\\S")
        price_usd: float = Field(gt=0)
        category: Category
        weight_kg: float | None = None
        warranty_years: int | None = Field(default=None, ge=0, lt=10)
        """,
        caught_by=0,
    ),
    # task 2: the repair budget
    Mutant(
        "the repairs budget ignored: repair until valid",
        1,
        # (capped at 50 only so that task 3, on the real simulator, ends: a blurb with no
        # price never becomes valid)
        """
        extracted = state.extracted
        for _ in range(50):
            try:
                return {"extracted": extracted, "product": to_product(extracted)}
            except ValidationError as exc:
                complaint = problems(exc)
            reply = await llm.ask(extract_prompt(state.text, complaint), schema=Extracted)
            extracted = reply.data
        """,
        caught_by=1,
    ),
    Mutant(
        "the repair sends the same prompt again",
        1,
        """
        extracted = state.extracted
        for n in range(repairs + 1):
            try:
                return {"extracted": extracted, "product": to_product(extracted)}
            except ValidationError:
                if n == repairs:
                    raise
            reply = await llm.ask(extract_prompt(state.text), schema=Extracted)
            extracted = reply.data
        """,
        caught_by=1,
    ),
    Mutant(
        "off by one: repairs counts the first call",
        1,
        """
        extracted = state.extracted
        for n in range(max(repairs, 1)):
            try:
                return {"extracted": extracted, "product": to_product(extracted)}
            except ValidationError as exc:
                if n == repairs - 1 or repairs == 0:
                    raise
                complaint = problems(exc)
            reply = await llm.ask(extract_prompt(state.text, complaint), schema=Extracted)
            extracted = reply.data
        """,
        caught_by=1,
    ),
    Mutant(
        "the failed hand-off is swallowed: the run completes with nothing to publish",
        1,
        """
        try:
            return {"product": to_product(state.extracted)}
        except ValidationError:
            return {}
        """,
        caught_by=1,
    ),
    Mutant(
        "repairs read from the notebook's max_repairs, not the argument",
        1,
        """
        extracted = state.extracted
        for n in range(max_repairs + 1):
            try:
                return {"extracted": extracted, "product": to_product(extracted)}
            except ValidationError as exc:
                if n == max_repairs:
                    raise
                complaint = problems(exc)
            reply = await llm.ask(extract_prompt(state.text, complaint), schema=Extracted)
            extracted = reply.data
        """,
        caught_by=1,
    ),
    Mutant(
        "the broken field patched in place (a warranty over 10 set to None)",
        1,
        """
        extracted = state.extracted
        for n in range(repairs + 1):
            if extracted.warranty_years is not None and extracted.warranty_years > 10:
                extracted.warranty_years = None
            try:
                return {"extracted": extracted, "product": to_product(extracted)}
            except ValidationError as exc:
                if n == repairs:
                    raise
                complaint = problems(exc)
            reply = await llm.ask(extract_prompt(state.text, complaint), schema=Extracted)
            extracted = reply.data
        """,
        caught_by=1,
    ),
    # task 3: the measurement
    Mutant(
        "not paired: the simulator is not reset before each bound",
        2,
        task3(reset="pass"),
        caught_by=2,
    ),
    Mutant(
        "the mean cost per product, not the total", 2, task3(per=" / len(results)"), caught_by=2
    ),
    # task 3: the bound from the measurement
    Mutant("the largest bound tried, to be safe", 3, "return max_repairs\n", caught_by=3),
    Mutant("the cheapest bound: no repair", 3, "return 0\n", caught_by=3),
    Mutant(
        "the first bound that rescues anything",
        3,
        """
        first = measured["listings"].iloc[0]
        return int(next((n for n in measured.index if measured.loc[n, "listings"] > first), 0))
        """,
        caught_by=3,
    ),
    Mutant(
        "the largest of the bounds tied for the most listings",
        3,
        """
        best = measured["listings"].max()
        return int(measured.index[measured["listings"] == best][-1])
        """,
        caught_by=3,
    ),
    Mutant("the bound typed in from the printed table", 3, "return 2\n", caught_by=3),
    Mutant(
        "the caller's table sorted by listings in place",
        3,
        """
        measured.sort_values("listings", ascending=False, kind="stable", inplace=True)
        return int(measured.index[0])
        """,
        caught_by=3,
    ),
]

SAYS = {
    "a warranty of exactly 10 years rejected (lt for le)": "warranty_years",
    "repairs read from the notebook's max_repairs, not the argument": "not a number of your own",
    "the broken field patched in place (a warranty over 10 set to None)": "changed in place",
    "not paired: the simulator is not reset before each bound": "reset",
    "the mean cost per product, not the total": "not their mean",
    "the largest of the bounds tied for the most listings": "the smallest bound that reaches the most",
    "the bound typed in from the printed table": "the smallest bound that reaches the most",
    "the caller's table sorted by listings in place": "changed the table it was given",
}
