"""Wrong solutions to exercise 01 (a typed hand-off with a repair budget); see the package doc."""

from mutants import Mutant

TASK3 = """
states = [ChainState(text=p["blurb"]) for p in products]
rows = []
for n in range(max_repairs + 1):
    if simulator:
        simulator.configure()
    results = await repair_chain(llm, n).run_many(states, concurrency=8)
    rows.append(
        {
            "repairs": n,
            "listings": sum(r.status == "completed" for r in results),
            "cost_usd": sum(r.cost_usd for r in results),
        }
    )
measured = pd.DataFrame(rows).set_index("repairs")
"""

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
    # task 3: the bound from the measurement
    Mutant(
        "the largest bound tried, to be safe", 2, TASK3 + "REPAIRS = max_repairs\n", caught_by=2
    ),
    Mutant("the cheapest bound: no repair", 2, TASK3 + "REPAIRS = 0\n", caught_by=2),
    Mutant(
        "the first bound that rescues anything",
        2,
        TASK3
        + """
REPAIRS = int(next(n for n in measured.index if measured.loc[n, "listings"] > measured.loc[0, "listings"]))
""",
        caught_by=2,
    ),
]
