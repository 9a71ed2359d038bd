"""The suite itself: a whole run collects every chapter, solution, exercise and mutant.

Speeding the suite up must never mean quietly running less of it (a group left out of the
schedule, a notebook that no longer matches a glob, a mutant missing from its list). The
expected sets are read from the tree here, independently of the test modules that use them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def names(folder: str) -> list[str]:
    return sorted(p.name for p in (ROOT / folder).glob("[0-9][0-9]_*.ipynb"))


def test_a_whole_run_collects_every_notebook_and_mutant(request):
    if request.config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        pytest.skip("only a whole run (pytest without paths, as make test runs it) collects all")
    ids = [item.nodeid.split("@")[0] for item in request.session.items]
    chapters, solutions, exercises = names("notebooks"), names("solutions"), names("exercises")
    assert len(chapters) >= 12 and len(solutions) >= 11 and exercises == solutions

    def missing(prefix: str, wanted: list[str]) -> list[str]:
        return [w for w in wanted if not any(i.startswith(prefix.format(w)) for i in ids)]

    assert missing("notebooks/{}::", chapters) == [], "chapters nbval does not run"
    assert missing("solutions/{}::", solutions) == [], "solutions nbval does not run"
    second = "tests/test_notebooks.py::test_runs_with_a_second_parameter_set[{}/"
    assert missing(second.format("notebooks") + "{}]", chapters) == []
    assert missing(second.format("solutions") + "{}]", solutions) == []
    unsolved = "tests/test_exercises.py::test_unsolved_exercise_fails_every_check[{}]"
    assert missing(unsolved, exercises) == [], "unsolved exercises not run"
    # every Mutant( written in tests/mutants/ is a test of its own
    written = sum(
        len(re.findall(r"^\s*Mutant\(", p.read_text(), re.M))
        for p in (ROOT / "tests" / "mutants").glob("m[0-9][0-9]_*.py")
    )
    mutants = [i for i in ids if i.startswith("tests/test_mutants.py::test_a_wrong_solution")]
    assert len(mutants) == written > 0, f"{written} mutants written, {len(mutants)} collected"
