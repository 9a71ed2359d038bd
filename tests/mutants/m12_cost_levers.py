"""Wrong solutions to exercises/12_cost_levers (see tests/mutants/__init__.py)."""

from mutants import Mutant

CHEAPEST = """
ok = table[(table["accuracy"] {floor} floor){ceiling}]
if ok.empty:
    return {empty}
order = ok.assign(neg_accuracy=-ok["accuracy"]).sort_values({keys}, kind="stable")
return order.index[0]
"""
KEYS = '["usd_per_1k", "neg_accuracy", "latency_s"]'
CEILING = ' & (table["latency_s"] <= ceiling)'

MONTH = """
prefix_usd = prefix_tokens * input_price / 1e6
realtime = (
    volume * (usd_uncached - {paid})
    + writes * prefix_usd * {write}
    + (volume - writes) * prefix_usd * {read}
)
return realtime * {batch}
"""
RIGHT = dict(
    paid="prefix_usd",
    write="CACHE_WRITE[ttl]",
    read="CACHE_READ",
    batch="(1 - batch_share + batch_share * BATCH)",
)

MUTANTS = [
    Mutant(
        "a quality equal to the floor counts as too low",
        0,
        CHEAPEST.format(floor=">", ceiling=CEILING, empty="None", keys=KEYS),
        caught_by=0,
    ),
    Mutant(
        "the latency ceiling ignored",
        0,
        CHEAPEST.format(floor=">=", ceiling="", empty="None", keys=KEYS),
        caught_by=0,
    ),
    Mutant(
        "a latency equal to the ceiling counts as too slow",
        0,
        CHEAPEST.format(
            floor=">=", ceiling=' & (table["latency_s"] < ceiling)', empty="None", keys=KEYS
        ),
        caught_by=0,
    ),
    Mutant(
        "the most accurate qualifying row, not the cheapest",
        0,
        CHEAPEST.format(
            floor=">=", ceiling=CEILING, empty="None", keys='["neg_accuracy", "usd_per_1k"]'
        ),
        caught_by=0,
    ),
    Mutant(
        "nothing qualifies, so the cheapest row is shipped anyway",
        0,
        CHEAPEST.format(
            floor=">=", ceiling=CEILING, empty='table["usd_per_1k"].idxmin()', keys=KEYS
        ),
        caught_by=0,
    ),
    Mutant(
        "a tie in cost goes to whichever row comes first",
        0,
        CHEAPEST.format(floor=">=", ceiling=CEILING, empty="None", keys='["usd_per_1k"]'),
        caught_by=0,
    ),
    Mutant(
        "a tie in cost goes to the faster row before the more accurate one",
        0,
        CHEAPEST.format(
            floor=">=", ceiling=CEILING, empty="None", keys='["usd_per_1k", "latency_s"]'
        ),
        caught_by=0,
    ),
    Mutant(
        "writes priced as reads: the write premium forgotten",
        1,
        MONTH.format(**{**RIGHT, "write": "CACHE_READ"}),
        caught_by=1,
    ),
    Mutant(
        "cache reads taken as free",
        1,
        MONTH.format(**{**RIGHT, "read": "0.0"}),
        caught_by=1,
    ),
    Mutant(
        "the cache priced on top of the uncached prefix, not instead of it",
        1,
        MONTH.format(**{**RIGHT, "paid": "0.0"}),
        caught_by=1,
    ),
    Mutant(
        "the batch discount applied to every request",
        1,
        MONTH.format(**{**RIGHT, "batch": "BATCH"}),
        caught_by=1,
    ),
    Mutant(
        "batched requests taken as free",
        1,
        MONTH.format(**{**RIGHT, "batch": "(1 - batch_share)"}),
        caught_by=1,
    ),
    Mutant(
        "every write priced as a 5-minute write, whatever the ttl",
        1,
        MONTH.format(**{**RIGHT, "write": 'CACHE_WRITE["5m"]'}),
        caught_by=1,
    ),
    Mutant(
        "every request pays the write",
        1,
        MONTH.format(**{**RIGHT, "write": "CACHE_WRITE[ttl] * volume / max(writes, 1)"}),
        caught_by=1,
    ),
]
