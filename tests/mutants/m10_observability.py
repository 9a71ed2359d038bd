"""Wrong solutions to exercise 10 (name the culprit step from traces, write the release test)."""

from mutants import Mutant

MUTANTS = [
    # task 1: the culprit
    Mutant(
        "the step most often first wrong after the release, ignoring how it was before",
        0,
        """
def culprit(old, new):
    now = Counter(first_wrong(r.trace, golden(t)) for r, t in zip(new, tickets, strict=True))
    return max(STEPS, key=lambda step: now[step])
""",
        caught_by=0,
    ),
    Mutant(
        "a name read off one release, not computed",
        0,
        """
def culprit(old, new):
    return "draft"
""",
        caught_by=0,
    ),
    # task 2: the test
    Mutant(
        "a test that always passes",
        1,
        """
def test_release(results):
    assert len(results) > 0
""",
        caught_by=1,
    ),
    Mutant(
        "end-to-end accuracy with a loose threshold",
        1,
        """
def test_release(results):
    right = sum(first_wrong(r.trace, golden(t)) is None for r, t in zip(results, tickets, strict=True))
    assert right / len(results) >= 0.5, f"{right} of {len(results)} right"
""",
        caught_by=1,
    ),
    Mutant(
        "every answer must be right (last week's version fails too)",
        1,
        """
def test_release(results):
    wrong = [t["id"] for r, t in zip(results, tickets, strict=True) if first_wrong(r.trace, golden(t))]
    assert not wrong, f"wrong answers: {wrong}"
""",
        caught_by=1,
    ),
    Mutant(
        "only the classifier is tested",
        1,
        """
def test_release(results):
    firsts = [first_wrong(r.trace, golden(t)) for r, t in zip(results, tickets, strict=True)]
    right = sum(f != "classify" for f in firsts) / len(firsts)
    assert right >= 0.75, f"classify: {right:.0%} right"
""",
        caught_by=1,
    ),
]
