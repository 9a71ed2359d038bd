"""Wrong solutions of exercise 11 (capacity and choice); blocks: 0 makespan_bound,
1 slots_needed, 2 the concurrency to ship (FROM_BOUND, CHOICE), 3 choose_system, 4 the
interview answer (not checked: self-scored against a rubric).

Checks, 0-based: 0 the bound on hand-worked batches, 1 the bound against the measured runs,
2 slots_needed, 3 the concurrency chosen from the measurements, 4 the system chosen.
"""

from mutants import Mutant

BOUND = """
calls = requests * calls_per_request
limits = {{
    "slots": calls * seconds_per_call / slots,
    "rate limit": {rate},
    "one request": {chain},
}}
limited_by = max(limits, key=limits.get)
return {total}, limited_by
"""


def bound(
    rate="max(0.0, calls - requests_per_minute) * 60 / requests_per_minute",
    chain="calls_per_request * seconds_per_call",
    total="limits[limited_by]",
):
    return BOUND.format(rate=rate, chain=chain, total=total)


SLOTS = """
calls = requests * calls_per_request
rate = {rate}
chain = calls_per_request * seconds_per_call
if rate > deadline_s:
    {refuse}
if {chain_check}:
    {refuse}
slots = max(1, {rounding}(calls * seconds_per_call / deadline_s))
if slots > max_slots:
    {refuse}
return slots
"""


def slots(
    rate="max(0.0, calls - requests_per_minute) * 60 / requests_per_minute",
    refuse='raise errors.ConfigError("the deadline cannot be met")',
    chain_check="chain > deadline_s",
    rounding="math.ceil",
):
    return SLOTS.format(rate=rate, refuse=refuse, chain_check=chain_check, rounding=rounding)


MEETS = """
FROM_BOUND = slots_needed(n, calls_each, seconds_each, requests_per_minute, deadline_s)
meets = measured[measured["makespan (sim s)"] <= {budget}]
CHOICE = int(meets.index.min())
"""

MUTANTS = [
    # task 1: the bound
    Mutant(
        "forgets the burst: every call waits its turn at R a minute",
        0,
        bound(rate="calls * 60 / requests_per_minute"),
        caught_by=0,
    ),
    Mutant(
        "ignores the rate limit: only slots and the chain",
        0,
        bound(rate="0.0"),
        caught_by=0,
    ),
    Mutant(
        "ignores one request's chain: enough slots make anything fast",
        0,
        bound(chain="0.0"),
        caught_by=0,
    ),
    Mutant(
        "adds the limits up instead of taking the largest",
        0,
        bound(total="sum(limits.values())"),
        caught_by=0,
    ),
    Mutant(
        "counts the rate limit in whole minutes",
        0,
        bound(rate="math.ceil(max(0.0, calls - requests_per_minute) / requests_per_minute) * 60"),
        caught_by=0,
    ),
    # task 2: slots for a deadline
    Mutant(
        "floor instead of ceil: 3.33 slots becomes 3",
        1,
        slots(rounding="int"),
        caught_by=2,
    ),
    Mutant(
        "always one slot more than the division (int + 1)",
        1,
        slots(rounding="1 + int"),
        caught_by=2,
    ),
    Mutant(
        "never refuses: more slots when the deadline is impossible",
        1,
        slots(refuse="return max_slots"),
        caught_by=2,
    ),
    Mutant(
        "refuses with a bare ValueError, not a named error",
        1,
        slots(refuse='raise ValueError("the deadline cannot be met")'),
        caught_by=2,
    ),
    Mutant(
        "forgets one request's chain: slots for a deadline shorter than a request",
        1,
        slots(chain_check="False"),
        caught_by=2,
    ),
    Mutant(
        "forgets the burst: refuses deadlines the burst makes possible",
        1,
        slots(rate="calls * 60 / requests_per_minute"),
        caught_by=2,
    ),
    # task 3: the concurrency to ship
    Mutant(
        "trusts the bound: ships what slots_needed says",
        2,
        MEETS.format(budget="deadline_s").replace(
            "CHOICE = int(meets.index.min())", "CHOICE = FROM_BOUND"
        ),
        caught_by=3,
    ),
    Mutant(
        "no headroom: the smallest that just meets the deadline",
        2,
        MEETS.format(budget="deadline_s"),
        caught_by=3,
    ),
    Mutant(
        "the most slots measured, to be safe",
        2,
        MEETS.format(budget="(1 - headroom) * deadline_s").replace(
            "meets.index.min()", "measured.index.max()"
        ),
        caught_by=3,
    ),
    # task 4: the system
    Mutant(
        "always Temporal: it can do everything",
        3,
        'return "Temporal"',
        caught_by=4,
    ),
    Mutant(
        "the fewest lines, whatever the needs",
        3,
        'return str(offers["lines"].idxmin())',
        caught_by=4,
    ),
    Mutant(
        "any one of the needs instead of every need",
        3,
        """
        able = offers[offers[sorted(needs)].any(axis=1)] if needs else offers
        return str(able["lines"].idxmin())
        """,
        caught_by=4,
    ),
]
