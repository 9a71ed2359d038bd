"""Wrong solutions to exercise 10 (name the culprit step from traces, measure each step, write
the release test); blocks: 0 culprit, 1 step_accuracy, 2 THRESHOLDS and test_release, 3 the
interview answer (not checked: self-scored against a rubric).

Checks, 0-based: 0 culprit on the two releases and on an unchanged version, 1 culprit on
generated versions, 2 step_accuracy (generated lists, empty, unreached steps, the caller's list
unchanged), 3 test_release on the three runs with THRESHOLDS, 4 test_release on generated
versions at and just above the thresholds it is given.
"""

from mutants import Mutant

FIRSTS = """
def culprit(old, new):
    def firsts(results):
        return Counter(first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True))

    {body}
"""

RELEASE = """
THRESHOLDS = {{"classify": 0.75, "urgency": 0.82, "draft": 0.88}}


def test_release(results, thresholds):
    accuracy = step_accuracy([first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)])
    {body}
"""

MUTANTS = [
    # task 1: the culprit
    Mutant(
        "wrong statistic: the step most often first wrong after, ignoring how it was before",
        0,
        FIRSTS.format(body="now = firsts(new)\n    return max(STEPS, key=lambda step: now[step])"),
        caught_by=0,
    ),
    Mutant(
        "nothing qualifies: names a step even when no step got worse",
        0,
        FIRSTS.format(
            body="was, now = firsts(old), firsts(new)\n"
            "    return max(STEPS, key=lambda step: now[step] - was[step])"
        ),
        caught_by=0,
    ),
    Mutant(
        "a name typed in from the table: 'draft' for release A, else 'urgency'",
        0,
        """
def culprit(old, new):
    return "draft" if new is runs["release A"] else "urgency"
""",
        caught_by=0,
    ),
    Mutant(
        "ignores `old`: compares with the global runs['before']",
        0,
        FIRSTS.format(
            body='was, now = firsts(runs["before"]), firsts(new)\n'
            "    worse = {s: now[s] - was[s] for s in STEPS if now[s] > was[s]}\n"
            "    return max(worse, key=worse.get) if worse else None"
        ),
        caught_by=1,
    ),
    Mutant(
        "a tie goes to the later step (sorted, then the last)",
        0,
        FIRSTS.format(
            body="was, now = firsts(old), firsts(new)\n"
            "    worse = {s: now[s] - was[s] for s in STEPS if now[s] > was[s]}\n"
            "    return sorted(worse, key=worse.get)[-1] if worse else None"
        ),
        caught_by=1,
    ),
    # task 2: each step's accuracy
    Mutant(
        "wrong statistic: accuracy over all tickets, not over those that reached the step",
        1,
        """
def step_accuracy(firsts):
    if not firsts:
        return {step: None for step in STEPS}
    return {step: sum(f != step for f in firsts) / len(firsts) for step in STEPS}
""",
        caught_by=2,
    ),
    Mutant(
        "side effect: removes each step's tickets from the caller's list as it goes",
        1,
        """
def step_accuracy(firsts):
    accuracy = {}
    for step in STEPS:
        accuracy[step] = sum(f != step for f in firsts) / len(firsts) if firsts else None
        while step in firsts:
            firsts.remove(step)
    return accuracy
""",
        caught_by=2,
    ),
    Mutant(
        "raises on empty input: divides by the tickets that reached a step, even when none did",
        1,
        """
def step_accuracy(firsts):
    accuracy = {}
    for i, step in enumerate(STEPS):
        reached = [f for f in firsts if f is None or STEPS.index(f) >= i]
        accuracy[step] = sum(f != step for f in reached) / len(reached)
    return accuracy
""",
        caught_by=2,
    ),
    Mutant(
        "a step no ticket reached counts as 100% right",
        1,
        """
def step_accuracy(firsts):
    accuracy = {}
    for i, step in enumerate(STEPS):
        reached = [f for f in firsts if f is None or STEPS.index(f) >= i]
        accuracy[step] = sum(f != step for f in reached) / len(reached) if reached else 1.0
    return accuracy
""",
        caught_by=2,
    ),
    # task 3: the release test
    Mutant(
        "a test that always passes",
        2,
        RELEASE.format(body="assert len(results) > 0"),
        caught_by=3,
    ),
    Mutant(
        "wrong statistic: end-to-end accuracy with a loose threshold",
        2,
        RELEASE.format(
            body="right = sum(first_wrong(r.trace, golden(t)) is None for r, t in zip(results, tickets, strict=True))\n"
            '    assert right / len(results) >= 0.5, f"{right} of {len(results)} right"'
        ),
        caught_by=3,
    ),
    Mutant(
        "every answer must be right (last week's version fails too)",
        2,
        RELEASE.format(
            body='wrong = [s for s in thresholds if accuracy[s] < 1]\n    assert not wrong, f"wrong answers at {wrong}"'
        ),
        caught_by=3,
    ),
    Mutant(
        "only the classifier is tested",
        2,
        RELEASE.format(
            body='assert accuracy["classify"] >= thresholds["classify"], f"classify: {accuracy[\'classify\']:.0%}"'
        ),
        caught_by=3,
    ),
    Mutant(
        "a message that does not say which step",
        2,
        RELEASE.format(
            body='assert all(accuracy[s] >= least for s, least in thresholds.items()), "accuracy too low"'
        ),
        caught_by=3,
    ),
    Mutant(
        "ignores the `thresholds` argument: always the global THRESHOLDS",
        2,
        RELEASE.format(
            body="low = [s for s, least in THRESHOLDS.items() if accuracy[s] < least]\n"
            '    assert not low, f"below threshold: {low}"'
        ),
        caught_by=4,
    ),
    Mutant(
        "boundary: a step exactly at its threshold fails (<= for <)",
        2,
        RELEASE.format(
            body="low = [s for s, least in thresholds.items() if accuracy[s] <= least]\n"
            '    assert not low, f"below threshold: {low}"'
        ),
        caught_by=4,
    ),
]
