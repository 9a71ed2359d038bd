"""Wrong solutions of exercise 11 (capacity and choice); blocks: 0 makespan_bound,
1 slots_needed, 2 choose_concurrency, 3 choose_system, 4 the interview answer (not checked:
self-scored against a rubric).

Checks, 0-based: 0 the bound on hand-worked batches, 1 the bound on generated batches (ties,
against `paced`), 2 the bound against the measured runs, 3 slots_needed (hand-worked and
generated, deadlines met exactly, refusals naming the limit), 4 choose_concurrency (the measured
table and generated ones: out of order, a makespan at the budget, none qualifying, empty, the
table unchanged), 5 choose_system (generated tables, ties, none qualifying, the table unchanged).
"""

from mutants import Mutant

BOUND = """
calls = requests * calls_per_request
limits = {{
    "slots": {slots},
    "rate limit": {rate},
    "one request": {chain},
}}
limited_by = {pick}(limits, key=limits.get)
return {total}, limited_by
"""


def bound(
    slots="calls * seconds_per_call / slots",
    rate="max(0.0, calls - requests_per_minute) * 60 / requests_per_minute",
    chain="calls_per_request * seconds_per_call",
    total="limits[limited_by]",
    pick="max",
):
    return BOUND.format(slots=slots, rate=rate, chain=chain, total=total, pick=pick)


SLOTS = """
calls = requests * calls_per_request
rate = {rate}
chain = calls_per_request * seconds_per_call
if rate {over} deadline_s:
    {refuse_rate}
if {chain_check}:
    raise errors.ConfigError("one request's chain is longer than the deadline")
slots = max(1, {rounding}(calls * seconds_per_call / deadline_s))
if slots {over} {max_slots}:
    raise errors.ConfigError(f"{{slots}} slots, more than {{max_slots}}")
return slots
"""


def slots(
    rate="max(0.0, calls - requests_per_minute) * 60 / requests_per_minute",
    refuse_rate='raise errors.ConfigError("the rate limit alone is longer than the deadline")',
    chain_check="chain > deadline_s",
    rounding="math.ceil",
    over=">",
    max_slots="max_slots",
):
    return SLOTS.format(
        rate=rate,
        refuse_rate=refuse_rate,
        chain_check=chain_check,
        rounding=rounding,
        over=over,
        max_slots=max_slots,
    )


CHOOSE = """
budget = {budget}
meets = measured.index[measured["makespan (sim s)"] {within} budget]
{guard}return int({pick})
"""
GUARD = """if len(meets) == 0:
    raise errors.ConfigError("no measured concurrency meets the deadline with headroom")
"""


def choose(budget="(1 - headroom) * deadline_s", within="<=", guard=GUARD, pick="min(meets)"):
    return CHOOSE.format(budget=budget, within=within, guard=guard, pick=pick)


SYSTEM = """
able = offers[offers[sorted(needs)].all(axis=1)] if needs else offers
if able.empty:
    raise errors.ConfigError(f"no system offers all of {sorted(needs)}")
return str(able["lines"].idxmin())
"""

MUTANTS = [
    # task 1: the bound
    Mutant(
        "forgets the burst: every call waits its turn at R a minute",
        0,
        bound(rate="calls * 60 / requests_per_minute"),
        caught_by=0,
    ),
    Mutant("ignores the rate limit: only slots and the chain", 0, bound(rate="0.0"), caught_by=0),
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
    Mutant(
        "wrong statistic: the slots spread requests, not calls (model time of one call each)",
        0,
        bound(slots="requests * seconds_per_call / slots"),
        caught_by=0,
    ),
    Mutant(
        "a request makes a whole number of calls: rounds the mean chain up",
        0,
        bound(chain="math.ceil(calls_per_request) * seconds_per_call"),
        caught_by=1,
    ),
    # task 2: slots for a deadline
    Mutant("floor instead of ceil: 3.33 slots becomes 3", 1, slots(rounding="int"), caught_by=3),
    Mutant(
        "always one slot more than the division (int + 1)",
        1,
        slots(rounding="1 + int"),
        caught_by=3,
    ),
    Mutant(
        "never refuses: more slots when the deadline is impossible",
        1,
        slots(refuse_rate="return max_slots", chain_check="False", max_slots="10**9"),
        caught_by=3,
    ),
    Mutant(
        "refuses with a bare ValueError, not a named error",
        1,
        slots(refuse_rate='raise ValueError("the deadline cannot be met")'),
        caught_by=3,
    ),
    Mutant(
        "a refusal that does not say which limit is in the way",
        1,
        slots(refuse_rate='raise errors.ConfigError("the deadline cannot be met")'),
        caught_by=3,
    ),
    Mutant(
        "forgets one request's chain: slots for a deadline shorter than a request",
        1,
        slots(chain_check="False"),
        caught_by=3,
    ),
    Mutant(
        "forgets the burst: refuses deadlines the burst makes possible",
        1,
        slots(rate="calls * 60 / requests_per_minute"),
        caught_by=3,
    ),
    Mutant(
        "boundary: a deadline met exactly is refused (>= for >)",
        1,
        slots(over=">="),
        caught_by=3,
    ),
    Mutant(
        "ignores the max_slots argument (its default, 1000, always)",
        1,
        slots(max_slots="1000"),
        caught_by=3,
    ),
    # task 3: the concurrency to ship
    Mutant(
        "trusts the bound: ships what slots_needed says, whatever the table",
        2,
        "return slots_needed(n, calls_each, seconds_each, requests_per_minute, deadline_s)",
        caught_by=4,
    ),
    Mutant(
        "no headroom: the smallest that just meets the deadline",
        2,
        choose(budget="deadline_s"),
        caught_by=4,
    ),
    Mutant(
        "ignores the headroom argument: the notebook's 10% typed in",
        2,
        choose(budget="0.9 * deadline_s"),
        caught_by=4,
    ),
    Mutant(
        "the most slots measured, to be safe",
        2,
        choose(pick="measured.index.max()"),
        caught_by=4,
    ),
    Mutant(
        "the answer typed in from the printed table",
        2,
        "return 4",
        caught_by=4,
    ),
    Mutant(
        "first match, not the cheapest: the first row that meets the budget",
        2,
        choose(pick="meets[0]"),
        caught_by=4,
    ),
    Mutant(
        "boundary: a makespan exactly at the budget does not count (< for <=)",
        2,
        choose(within="<"),
        caught_by=4,
    ),
    Mutant(
        "nothing qualifies: min() of nothing raises ValueError, not a named error",
        2,
        choose(guard=""),
        caught_by=4,
    ),
    Mutant(
        "side effect: marks the rows that meet the budget in the caller's table",
        2,
        """
        measured["meets"] = measured["makespan (sim s)"] <= (1 - headroom) * deadline_s
        meets = measured.index[measured["meets"]]
        if len(meets) == 0:
            raise errors.ConfigError("no measured concurrency meets the deadline with headroom")
        return int(min(meets))
        """,
        caught_by=4,
    ),
    # task 4: the system
    Mutant("always Temporal: it can do everything", 3, 'return "Temporal"', caught_by=5),
    Mutant(
        "the fewest lines, whatever the needs",
        3,
        'return str(offers["lines"].idxmin())',
        caught_by=5,
    ),
    Mutant(
        "any one of the needs instead of every need",
        3,
        SYSTEM.replace(".all(axis=1)", ".any(axis=1)"),
        caught_by=5,
    ),
    Mutant(
        "first match, not the cheapest: the first system that offers every need",
        3,
        """
        for name, row in offers.iterrows():
            if all(row[need] for need in needs):
                return str(name)
        raise errors.ConfigError(f"no system offers all of {sorted(needs)}")
        """,
        caught_by=5,
    ),
    Mutant(
        "nothing qualifies: idxmin of an empty table raises ValueError, not a named error",
        3,
        SYSTEM.replace("if able.empty:", "if False:"),
        caught_by=5,
    ),
    Mutant(
        "side effect: sorts the caller's table by lines in place",
        3,
        """
        offers.sort_values("lines", inplace=True)
        for name, row in offers.iterrows():
            if all(row[need] for need in needs):
                return str(name)
        raise errors.ConfigError(f"no system offers all of {sorted(needs)}")
        """,
        caught_by=5,
    ),
    Mutant(
        "reads the notebook's CAN and WIRING, not the table it is given",
        3,
        """
        able = [s for s in CAN if all(CAN[s][NEEDS.index(need)] for need in needs)]
        if not able:
            raise errors.ConfigError(f"no system offers all of {sorted(needs)}")
        return min(able, key=lambda s: measure.lines_of_code(*WIRING[s]))
        """,
        caught_by=5,
    ),
]
