"""Wrong solutions to exercises/03_router (see tests/mutants/__init__.py)."""

from mutants import Mutant

PICK = """
for th in {order}:
    auto = [(label, true) for label, c, true in rows if c >= th{team}]
    bad = sum(label != true for label, true in auto)
    if bad <= max_misroute * {among}:
        return th
return None
"""

MUTANTS = [
    Mutant(
        "a confidence equal to the threshold counts as unsure",
        0,
        """
        ROUTES = {name: handler(llm, name, URGENCY) for name in TEAMS}


        def route(t: Ticket) -> str:
            return t.label if t.confidence > threshold else LOW_CONFIDENCE
        """,
        caught_by=0,
    ),
    Mutant(
        "a route for 'other' too: nobody owns those tickets",
        0,
        """
        ROUTES = {name: handler(llm, name, URGENCY) for name in [*TEAMS, "other"]}


        def route(t: Ticket) -> str:
            return t.label if t.confidence >= threshold else LOW_CONFIDENCE
        """,
        caught_by=0,
    ),
    Mutant(
        "the threshold ignored: every label is routed",
        0,
        """
        ROUTES = {name: handler(llm, name, URGENCY) for name in TEAMS}


        def route(t: Ticket) -> str:
            return t.label
        """,
        caught_by=0,
    ),
    Mutant(
        "route writes the verdict into the ticket",
        0,
        """
        ROUTES = {name: handler(llm, name, URGENCY) for name in TEAMS}


        def route(t: Ticket) -> str:
            if t.confidence < threshold:
                t.label = LOW_CONFIDENCE
            return t.label
        """,
        caught_by=0,
    ),
    Mutant(
        "the threshold typed in (0.6), not the notebook's threshold",
        0,
        """
        ROUTES = {name: handler(llm, name, URGENCY) for name in TEAMS}


        def route(t: Ticket) -> str:
            return t.label if t.confidence >= 0.6 else LOW_CONFIDENCE
        """,
        caught_by=0,
    ),
    Mutant(
        "a threshold above 1: every ticket escalated, nothing automated",
        1,
        "return router(llm, teams, categories=CATEGORIES, default=escalate, threshold=1.01)",
        caught_by=1,
    ),
    Mutant(
        "a default route but no threshold: unsure tickets still routed",
        1,
        "return router(llm, teams, categories=CATEGORIES, default=escalate)",
        caught_by=1,
    ),
    Mutant(
        "the highest candidate: safe, but automates the least",
        2,
        PICK.format(
            order="sorted(candidates, reverse=True)", team=" and label in TEAMS", among="len(auto)"
        ),
        caught_by=2,
    ),
    Mutant(
        "misroutes counted among all tickets, not among the automatic routes",
        2,
        PICK.format(order="sorted(candidates)", team=" and label in TEAMS", among="len(rows)"),
        caught_by=2,
    ),
    Mutant(
        "labels without a team counted as automatic routes",
        2,
        PICK.format(order="sorted(candidates)", team="", among="len(auto)"),
        caught_by=2,
    ),
    Mutant(
        "candidates taken in the order given",
        2,
        PICK.format(order="candidates", team=" and label in TEAMS", among="len(auto)"),
        caught_by=2,
    ),
]
MUTANTS += [
    Mutant(
        "the budget typed in (10%), the argument ignored",
        2,
        PICK.format(
            order="sorted(candidates)", team=" and label in TEAMS", among="len(auto)"
        ).replace("max_misroute *", "0.10 *"),
        caught_by=2,
    ),
    Mutant(
        "a rate equal to the budget is over it (< for <=)",
        2,
        PICK.format(
            order="sorted(candidates)", team=" and label in TEAMS", among="len(auto)"
        ).replace("<=", "<"),
        caught_by=2,
    ),
    Mutant(
        "no automatic route divides by zero",
        2,
        """
        for th in sorted(candidates):
            auto = [(label, true) for label, c, true in rows if c >= th and label in TEAMS]
            if sum(label != true for label, true in auto) / len(auto) <= max_misroute:
                return th
        return None
        """,
        caught_by=2,
    ),
    Mutant(
        "the caller's candidates sorted in place",
        2,
        PICK.format(order="candidates", team=" and label in TEAMS", among="len(auto)").replace(
            "for th in candidates:", "candidates.sort()\nfor th in candidates:"
        ),
        caught_by=2,
    ),
    Mutant("the threshold typed in from the printed table", 2, "return 0.6\n", caught_by=2),
]

SAYS = {
    "route writes the verdict into the ticket": "changed the ticket",
    "the threshold typed in (0.6), not the notebook's threshold": "not a number typed in",
    "the budget typed in (10%), the argument ignored": "over 35%",
    "a rate equal to the budget is over it (< for <=)": "equal is within",
    "no automatic route divides by zero": "raised ZeroDivisionError",
    "the caller's candidates sorted in place": "changed its arguments",
    "the threshold typed in from the printed table": "returned 0.6; expected 0.5",
}
