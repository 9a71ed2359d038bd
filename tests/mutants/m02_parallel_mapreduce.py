"""Wrong solutions to exercises/02_parallel_mapreduce (see tests/mutants/__init__.py)."""

from mutants import Mutant

TOTALS = """
by_kind, invoiced, unpriced, missing = {{}}, 0.0, 0, 0
for doc, row in zip(docs, extracted, strict=True):
    by_kind[doc.kind] = by_kind.get(doc.kind, 0) + 1
    {missing}
    row = row or {{}}
    if doc.kind == "invoice":
        amount = parse_amount(row.get("amount"))
        {amount}
return {{
    "by_kind": by_kind,
    "invoiced_usd": round(invoiced, 2),
    "amounts_missing": unpriced,
    "missing": missing,
}}
"""
ALL_FIELDS = "missing += sum((row or {}).get(f) is None for f in doc.fields)"
COUNTED = """if amount is None:
            unpriced += 1
        else:
            invoiced += amount"""

MUTANTS = [
    Mutant(
        "a skipped document counts as one missing field",
        0,
        TOTALS.format(
            missing="missing += 1 if row is None else sum(row.get(f) is None for f in doc.fields)",
            amount=COUNTED,
        ),
        caught_by=0,
    ),
    Mutant(
        "a missing amount silently counts as $0 (the total looks complete)",
        0,
        TOTALS.format(missing=ALL_FIELDS, amount="invoiced += amount or 0.0"),
        caught_by=0,
    ),
    Mutant(
        "an amount of $0.00 is taken for a missing one",
        0,
        TOTALS.format(
            missing=ALL_FIELDS,
            amount="""if not amount:
            unpriced += 1
        else:
            invoiced += amount""",
        ),
        caught_by=0,
    ),
    Mutant(
        "lanes rounded down: 133 lanes for 133.3 do not keep up",
        1,
        "return max(1, int(requests_per_minute / 60 * mean_call_s))",
        caught_by=1,
    ),
    Mutant(
        "lanes from requests per minute taken as per second",
        1,
        "return max(1, math.ceil(requests_per_minute * mean_call_s))",
        caught_by=1,
    ),
    Mutant(
        "as many lanes as requests per minute",
        1,
        "return requests_per_minute",
        caught_by=1,
    ),
    Mutant(
        "a limiter with twice the server's rate",
        2,
        """
        limiter = RateLimiter(requests_per_minute=2 * requests_per_minute, time_scale=sweep_time_scale)
        return LLM(model, max_retries=30, limiter=limiter)
        """,
        caught_by=2,
    ),
    Mutant(
        "no limiter, more SDK retries: the run completes but still earns 429s",
        2,
        "return LLM(model, max_retries=60)",
        caught_by=2,
    ),
    Mutant(
        "the two checks in sequence: the second overwrites the first's flags",
        3,
        'return Workflow("review", state=Review, steps=[large_amount, has_contact])',
        caught_by=3,
    ),
    Mutant(
        "a merge where the last branch wins",
        3,
        """
        return Workflow(
            "review",
            state=Review,
            steps=[parallel(large_amount, has_contact, merge={"flags": lambda old, new: new})],
        )
        """,
        caught_by=3,
    ),
    Mutant(
        "a merge that sorts and deduplicates: the flags' order is lost",
        3,
        """
        return Workflow(
            "review",
            state=Review,
            steps=[
                parallel(
                    large_amount, has_contact, merge={"flags": lambda a, b: sorted(set(a + b))}
                )
            ],
        )
        """,
        caught_by=3,
    ),
]

DECIDE = """
counts = Counter(v for v in votes if v is not None)
if rule == "consensus":
    {consensus}
{majority}
"""
CONSENSUS = (
    "return next(iter(counts)) if votes and None not in votes and len(counts) == 1 else None"
)
MAJORITY = """label, top = counts.most_common(1)[0] if counts else (None, 0)
return label if top * 2 > len(votes) else None"""

MUTANTS += [
    Mutant(
        "plurality: the most common label wins even without a majority",
        4,
        DECIDE.format(
            consensus=CONSENSUS,
            majority="return counts.most_common(1)[0][0] if counts else None",
        ),
        caught_by=4,
    ),
    Mutant(
        "a majority of the valid votes only: a missing vote stops counting",
        4,
        DECIDE.format(
            consensus=CONSENSUS,
            majority="""label, top = counts.most_common(1)[0] if counts else (None, 0)
return label if top * 2 > sum(counts.values()) else None""",
        ),
        caught_by=4,
    ),
    Mutant(
        "half the votes is enough: a tie passes",
        4,
        DECIDE.format(
            consensus=CONSENSUS,
            majority="""label, top = counts.most_common(1)[0] if counts else (None, 0)
return label if top * 2 >= len(votes) else None""",
        ),
        caught_by=4,
    ),
    Mutant(
        "consensus among the votes that came back: a missing vote is ignored",
        4,
        DECIDE.format(
            consensus="return next(iter(counts)) if len(counts) == 1 else None",
            majority=MAJORITY,
        ),
        caught_by=4,
    ),
    Mutant(
        "consensus taken as majority",
        4,
        DECIDE.format(consensus="pass", majority=MAJORITY),
        caught_by=4,
    ),
]

# Issue 30: the mistakes a candidate really makes, each caught on inputs the notebook never shows
MUTANTS += [
    Mutant(
        "missing counts the row's None values, not the requested fields (absent keys unseen)",
        0,
        TOTALS.format(
            missing="missing += len(doc.fields) if row is None else sum("
            "v is None for v in row.values())",
            amount=COUNTED,
        ),
        caught_by=0,
    ),
    Mutant(
        "amounts_missing counted over every document, not only the invoices",
        0,
        """
        by_kind, invoiced, unpriced, missing = {}, 0.0, 0, 0
        for doc, row in zip(docs, extracted, strict=True):
            by_kind[doc.kind] = by_kind.get(doc.kind, 0) + 1
            row = row or {}
            missing += sum(row.get(f) is None for f in doc.fields)
            amount = parse_amount(row.get("amount"))
            if amount is None:
                unpriced += 1
            elif doc.kind == "invoice":
                invoiced += amount
        return {
            "by_kind": by_kind,
            "invoiced_usd": round(invoiced, 2),
            "amounts_missing": unpriced,
            "missing": missing,
        }
        """,
        caught_by=0,
    ),
    Mutant(
        "by_kind typed in from the printed summary",
        0,
        TOTALS.format(missing=ALL_FIELDS, amount=COUNTED).replace(
            '"by_kind": by_kind', '"by_kind": {"invoice": 5, "meeting": 4, "incident": 3}'
        ),
        caught_by=0,
    ),
    Mutant(
        "a skipped item is filled in, in the caller's list",
        0,
        """
        by_kind, invoiced, unpriced, missing = {}, 0.0, 0, 0
        for i, doc in enumerate(docs):
            by_kind[doc.kind] = by_kind.get(doc.kind, 0) + 1
            if extracted[i] is None:
                extracted[i] = {f: None for f in doc.fields}
            row = extracted[i]
            missing += sum(row.get(f) is None for f in doc.fields)
            if doc.kind == "invoice":
                amount = parse_amount(row.get("amount"))
                if amount is None:
                    unpriced += 1
                else:
                    invoiced += amount
        return {
            "by_kind": by_kind,
            "invoiced_usd": round(invoiced, 2),
            "amounts_missing": unpriced,
            "missing": missing,
        }
        """,
        caught_by=0,
    ),
]
MUTANTS += [
    Mutant(
        "the latency argument ignored: one lane per request per second",
        1,
        "return max(1, math.ceil(requests_per_minute / 60))",
        caught_by=1,
    ),
    Mutant(
        "an extra lane when the product is whole (int + 1 for ceil)",
        1,
        "return max(1, int(requests_per_minute / 60 * mean_call_s) + 1)",
        caught_by=1,
    ),
    Mutant(
        "no valid vote raises: most_common(1)[0] of an empty count",
        4,
        DECIDE.format(
            consensus=CONSENSUS,
            majority="""label, top = counts.most_common(1)[0]
return label if top * 2 > len(votes) else None""",
        ),
        caught_by=4,
    ),
    Mutant(
        "the caller's votes sorted in place",
        4,
        """
        votes.sort(key=lambda v: v or "")
        counts = Counter(v for v in votes if v is not None)
        if rule == "consensus":
            return next(iter(counts)) if votes and None not in votes and len(counts) == 1 else None
        label, top = counts.most_common(1)[0] if counts else (None, 0)
        return label if top * 2 > len(votes) else None
        """,
        caught_by=4,
    ),
]
# a shared kernel runs the solution's cells forward: the mutants in block order
MUTANTS.sort(key=lambda m: m.block)

SAYS = {
    "missing counts the row's None values, not the requested fields (absent keys unseen)": (
        "every requested field (doc.fields) whose value is None or absent"
    ),
    "amounts_missing counted over every document, not only the invoices": "invoices only",
    "by_kind typed in from the printed summary": "returned by_kind=",
    "a skipped item is filled in, in the caller's list": "totals() changed its input",
    "the latency argument ignored: one lane per request per second": "rounded up, at least 1",
    "an extra lane when the product is whole (int + 1 for ceil)": "returned 101; expected 100",
    "no valid vote raises: most_common(1)[0] of an empty count": "raised IndexError",
    "the caller's votes sorted in place": "changed the caller's list",
}
