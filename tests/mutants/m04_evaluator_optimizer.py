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
runs_at = {{}}
for t in (0.6, 0.7, 0.8, 0.9, 1.0):
    runs_at[t] = await asyncio.gather(*(polish(b, {threshold}budget_usd=0.05) for b in briefs))
curve = pd.DataFrame(
    [
        {{
            "threshold": t,
            "mean grade": sum({grade} for r in runs) / len(runs),
            "mean cost ($)": sum(r.cost_usd for r in runs){per},
        }}
        for t, runs in runs_at.items()
    ]
).set_index("threshold")
"""


def curve(threshold="threshold=t, ", grade="r.state.score", per=" / len(runs)"):
    return CURVE.format(threshold=threshold, grade=grade, per=per)


PICK = """
good = curve[curve["mean grade"] {at} target]
best = good["mean cost ($)"].idxmin() if len(good) else curve["mean grade"].idxmax()
return float(best)
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
    Mutant(
        "good_enough typed in: 0.9, not the notebook's threshold",
        0,
        PROMPT + "\n\ndef good_enough(state: Draft) -> bool:\n    return state.score >= 0.9\n",
        caught_by=0,
    ),
    Mutant(
        "a grade equal to the threshold is not good enough (> for >=)",
        0,
        PROMPT + "\n\ndef good_enough(state: Draft) -> bool:\n    return state.score > threshold\n",
        caught_by=0,
    ),
    Mutant(
        "max_words typed in (60)",
        0,
        PROMPT.replace("{state.max_words}", "60")
        + "\n\ndef good_enough(state: Draft) -> bool:\n    return state.score >= threshold\n",
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
        "the loop stops at the notebook's threshold, not polish's argument",
        1,
        LOOP.format(rounds="max_iterations").replace(
            "lambda s: s.score >= threshold", "good_enough"
        )
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
    # task 3: the measurement
    Mutant(
        "every threshold measured at the notebook's threshold (threshold=t not passed)",
        2,
        curve(threshold=""),
        caught_by=2,
    ),
    Mutant(
        "the first round's grade averaged, not the final one",
        2,
        curve(grade="r.state.scores[0]"),
        caught_by=2,
    ),
    Mutant("the total cost of the briefs, not the mean per brief", 2, curve(per=""), caught_by=2),
    # task 3: the choice
    Mutant("the strictest threshold, to be safe", 3, "return 1.0\n", caught_by=3),
    Mutant(
        "the cheapest threshold, whatever the grade",
        3,
        'return float(curve["mean cost ($)"].idxmin())\n',
        caught_by=3,
    ),
    Mutant(
        "the highest grade, whatever it costs",
        3,
        'return float(curve["mean grade"].idxmax())\n',
        caught_by=3,
    ),
    Mutant(
        "a grade equal to the target does not reach it (> for >=)",
        3,
        PICK.format(at=">"),
        caught_by=3,
    ),
    Mutant(
        "no threshold reaches the target: idxmin of nothing raises",
        3,
        'good = curve[curve["mean grade"] >= target]\nreturn float(good["mean cost ($)"].idxmin())\n',
        caught_by=3,
    ),
    Mutant(
        "the target typed in (0.97), the argument ignored",
        3,
        PICK.format(at=">=").replace("target]", "0.97]"),
        caught_by=3,
    ),
    Mutant(
        "the caller's curve sorted by cost in place",
        3,
        """
        curve.sort_values("mean cost ($)", inplace=True)
        good = curve[curve["mean grade"] >= target]
        return float(good.index[0] if len(good) else curve["mean grade"].idxmax())
        """,
        caught_by=3,
    ),
]

SAYS = {
    "every threshold measured at the notebook's threshold (threshold=t not passed)": (
        "did not stop at threshold"
    ),
    "the first round's grade averaged, not the final one": "not its first",
    "the total cost of the briefs, not the mean per brief": "not their total",
    "the strictest threshold, to be safe": "the cheapest threshold with a mean grade",
    "a grade equal to the target does not reach it (> for >=)": "returned 0.9; expected 0.8",
    "no threshold reaches the target: idxmin of nothing raises": "raised ValueError",
    "the target typed in (0.97), the argument ignored": "pick(curve, 0.",
    "the caller's curve sorted by cost in place": "changed the curve it was given",
    "good_enough typed in: 0.9, not the notebook's threshold": "not a number typed in",
    "a grade equal to the threshold is not good enough (> for >=)": "a grade equal to the threshold",
    "max_words typed in (60)": "in at most 60 words",
    "the loop stops at the notebook's threshold, not polish's argument": "not the notebook's",
}
