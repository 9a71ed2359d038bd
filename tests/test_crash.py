"""Crash test: a durable workflow in a subprocess is killed with SIGKILL at random moments.

At least 20 kills; after each, a fresh process resumes the run. Every run must complete
with each step's output exactly once, and no step may start again after its commit.
"""

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from orchestra.checkpoint import SqliteStore

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = WORKER.parent.parent
KILLS = 20


def spawn(db: Path, run_id: str, effects: Path, mode: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(db), run_id, str(effects), mode],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": os.defpath},  # a bare environment, any POSIX
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_killed_runs_resume_and_record_each_step_once(tmp_path):
    rng = random.Random(2024)
    db, effects = tmp_path / "crash.db", tmp_path / "effects.log"
    kills, runs, finals = 0, 0, {}
    while kills < KILLS:
        run_id, mode = f"run{runs}", "start"
        runs += 1
        while True:  # kill this run at random moments until a process survives to the end
            proc = spawn(db, run_id, effects, mode)
            mode = "resume"
            time.sleep(rng.uniform(0.0, 0.12))
            if proc.poll() is None and kills < KILLS:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
            proc.wait(timeout=30)
            # not communicate(): it reads the pipe itself, and would miss what spawn()'s
            # readline() already buffered when the worker printed its result quickly
            out = proc.stdout.read()
            proc.stdout.close()
            assert proc.returncode == 0, out
            status, log = out.split()
            assert status == "completed"
            finals[run_id] = log.split(",")
            break

    store = SqliteStore(db)
    starts = defaultdict(list)
    for line in effects.read_text().splitlines():
        run_id, key, at = line.split()
        starts[run_id, key].append(float(at))
    assert kills >= KILLS and len(finals) == runs
    expected = [f"s{i}" for i in range(10)]
    reran = 0
    for run_id, log in finals.items():
        assert log == expected, run_id  # each output exactly once, in order
        commits = store.commits(run_id)
        assert [k for k, _ in commits] == [f"{i:02d}.s{i}" for i in range(10)]
        assert store.load(run_id).status == "completed"
        for key, committed in commits:
            assert starts[run_id, key], (run_id, key)
            # completed steps are never executed again: every start precedes the commit
            assert max(starts[run_id, key]) <= committed, (run_id, key)
            reran += len(starts[run_id, key]) - 1
    assert reran >= 1  # some kill did land mid-step (the step ran again, uncommitted)
