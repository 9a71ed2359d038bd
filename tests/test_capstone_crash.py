"""Chapter 11's crash and resume (``capstone_crash``): a killed batch, resumed in a new process.

Each system runs in a subprocess on the session's simulator, is killed with SIGKILL after
``KILL_AFTER`` answered calls, and runs again on the same SQLite file. A journal (orchestra's
checkpoint store, LangGraph's checkpointer) pays no call twice; LCEL, with none, pays again
every call made before the kill.
"""

from __future__ import annotations

import pytest

from orchestra.errors import ConfigError
from orchestra.examples import capstone_crash as cc

N, KILL_AFTER = 4, 3


@pytest.mark.parametrize(
    "system, twice", [("orchestra", 0), ("LangGraph", 0), ("LCEL", KILL_AFTER)]
)
def test_a_journal_resumes_a_killed_batch_without_paying_twice(sim, tmp_path, system, twice):
    clean = cc.run_once(sim, system, N, db=tmp_path / "clean.db")  # the batch, never killed
    crash = cc.crash_and_resume(sim, system, N, db=tmp_path / "runs.db", kill_after=KILL_AFTER)
    assert crash["killed"] == -9  # SIGKILL
    assert len(crash["before"]) == KILL_AFTER
    assert cc.paid_twice(crash) == twice
    # every question has its row again (new samples: the answers may differ from a clean run's)
    assert [r["id"] for r in crash["results"]] == [r["id"] for r in clean["results"]]
    assert not sim.faults.plan  # the hang is lifted


def test_a_kill_after_the_last_call_is_refused(sim, tmp_path):
    with pytest.raises(ConfigError, match="smaller kill_after"):
        cc.crash_and_resume(sim, "orchestra", 1, db=tmp_path / "runs.db", kill_after=50)
    with pytest.raises(ConfigError, match="no crash runner"):
        cc.crash_and_resume(sim, "Temporal", 1, db=tmp_path / "runs.db", kill_after=1)
