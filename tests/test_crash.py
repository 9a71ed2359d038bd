"""Crash test: a durable workflow in a subprocess is killed with SIGKILL at random moments.

At least 20 kills; after each, two fresh processes resume the run at the same moment (two
competing resumers): one owns the run, the other is refused (``busy``) or, starting after the
owner finished, only replays it. Every run must complete with each step's output exactly
once, and no step may start again after its commit.
"""

import multiprocessing
import random
import time
from collections import defaultdict

import crash_worker

from orchestra.checkpoint import SqliteStore

KILLS = 20
# Workers are forked from a server that has imported orchestra once: each is a fresh process
# with its own pid, started in milliseconds rather than an interpreter's start-up, so that
# pairs of resumers cost no more than single ones did. (The server imports by the default
# path, so it preloads what crash_worker imports, not crash_worker itself.)
FORK = multiprocessing.get_context("forkserver")
FORK.set_forkserver_preload(["orchestra.checkpoint", "orchestra.steps", "orchestra.workflow"])


def spawn(db, run_id: str, effects, mode: str, n: int = 1) -> list:
    """Start n workers on the run and let them go at the same moment once all are up."""
    procs = []
    for _ in range(n):
        ours, theirs = FORK.Pipe()
        proc = FORK.Process(
            target=crash_worker.work, args=(str(db), run_id, str(effects), mode, theirs)
        )
        proc.start()
        theirs.close()
        procs.append((proc, ours))
    for _, conn in procs:
        assert conn.recv() == "ready"  # set up, its store open
    for _, conn in procs:
        conn.send("go")
    return procs


def outcome(proc, conn) -> list[str] | None:
    """What a worker reported (e.g. ``["completed", "s0,...,s9", "3"]``), None if killed."""
    proc.join(30)
    try:
        return conn.recv().split()
    except (EOFError, ConnectionResetError):  # killed before it could say
        return None
    finally:
        conn.close()


def test_killed_runs_resume_and_record_each_step_once(tmp_path):
    rng = random.Random(2024)
    db, effects = tmp_path / "crash.db", tmp_path / "effects.log"
    kills, runs, finals, busy = 0, 0, {}, 0
    while kills < KILLS:
        run_id = f"run{runs}"
        runs += 1
        procs = spawn(db, run_id, effects, "start")
        while True:  # kill this run at random moments until a process survives to the end
            time.sleep(rng.uniform(0.0, 0.12))
            alive = [p for p, _ in procs if p.is_alive()]
            if alive and kills < KILLS:
                for proc in alive:
                    proc.kill()  # SIGKILL
                busy += sum(outcome(*p) == ["busy", "-"] for p in procs)  # refused before
                kills += 1
                procs = spawn(db, run_id, effects, "resume", n=2)  # competing resumers
                continue
            outcomes = [outcome(*p) for p in procs]
            assert all(p.exitcode == 0 for p, _ in procs), outcomes
            done = [o for o in outcomes if o[0] == "completed"]
            assert done, outcomes  # at least one resumer completed the run
            for other in outcomes:
                if other is not done[0]:
                    # refused while the owner ran, or started after it finished: a pure replay
                    assert other == ["busy", "-"] or other[::2] == ["completed", "0"], outcomes
            busy += sum(o == ["busy", "-"] for o in outcomes)
            finals[run_id] = done[0][1].split(",")
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
    assert busy >= 1  # the resumers did compete, and the loser was refused
