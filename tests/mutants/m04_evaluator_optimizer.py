"""Wrong solutions to exercise 04 (a bounded evaluator loop, a measured threshold); see the package doc."""

from mutants import Mutant

PROMPT = """
def rewrite_prompt(state: Draft) -> str:
    brief = (
        f"Write a product description for the {state.product} in at most {state.max_words} "
        f"words. It must mention: {', '.join(state.points)}."
    )
    if not state.draft:
        return brief
    advice = "\\n".join(f"- {line}" for line in state.feedback)
    return f"{brief}\\nFeedback:\\n{advice}\\nPrevious draft: {state.draft}"
"""

LOOP = """
wf = Workflow(
    "polish",
    state=Draft,
    steps=[
        loop(
            generate,
            evaluate,
            until=lambda s: s.score >= threshold,
            max_iterations={rounds},
            on_limit="continue",
        )
    ],
)
"""

CURVE = """
rows = []
for t in (0.6, 0.7, 0.8, 0.9, 1.0):
    runs = await asyncio.gather(*(polish(b, threshold=t, budget_usd=0.05) for b in briefs))
    rows.append(
        {
            "threshold": t,
            "mean grade": sum(r.state.score for r in runs) / len(runs),
            "mean cost ($)": sum(r.cost_usd for r in runs) / len(runs),
        }
    )
curve = pd.DataFrame(rows).set_index("threshold")
"""

MUTANTS = [
    # task 1: feedback injection and the stop condition
    Mutant(
        "the rewrite never sees the feedback (the brief every round)",
        0,
        PROMPT.split("    if not state.draft")[0]
        + "    return brief\n\n\ndef good_enough(state: Draft) -> bool:\n"
        "    return state.score >= threshold\n",
        caught_by=0,
    ),
    Mutant(
        "feedback without the previous draft",
        0,
        PROMPT.replace("\\nPrevious draft: {state.draft}", "")
        + "\n\ndef good_enough(state: Draft) -> bool:\n    return state.score >= threshold\n",
        caught_by=0,
    ),
    Mutant(
        "the stop condition never holds: every run pays for every round",
        0,
        PROMPT + "\n\ndef good_enough(state: Draft) -> bool:\n    return state.score > 1.0\n",
        caught_by=0,
    ),
    # task 2: the bounds
    Mutant(
        "no real bound: a max_iterations too large to matter, and no budget",
        1,
        LOOP.format(rounds=100) + "return await wf.run(brief)\n",
        caught_by=1,
    ),
    Mutant(
        "bounded by rounds, but the budget is ignored",
        1,
        LOOP.format(rounds="max_iterations") + "return await wf.run(brief)\n",
        caught_by=1,
    ),
    Mutant(
        "bounded by the budget only (max_iterations ignored)",
        1,
        LOOP.format(rounds=1000)
        + "return await wf.run(brief, budget=Budget(max_cost_usd=budget_usd))\n",
        caught_by=1,
    ),
    Mutant(
        "the budget stops even a brief it could afford (a fixed tiny ceiling)",
        1,
        LOOP.format(rounds="max_iterations")
        + "return await wf.run(brief, budget=Budget(max_cost_usd=0.001))\n",
        caught_by=1,
    ),
    # task 3: the threshold
    Mutant("the strictest threshold, to be safe", 2, CURVE + "THRESHOLD = 1.0\n", caught_by=2),
    Mutant(
        "the cheapest threshold, whatever the grade",
        2,
        CURVE + 'THRESHOLD = float(curve["mean cost ($)"].idxmin())\n',
        caught_by=2,
    ),
    Mutant(
        "the highest grade, whatever it costs",
        2,
        CURVE + 'THRESHOLD = float(curve["mean grade"].idxmax())\n',
        caught_by=2,
    ),
]
