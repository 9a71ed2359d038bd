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
