"""Chapter 11's capstone on Temporal (``orchestra.examples.capstone_temporal``, ``temporal_scaleout``).

One dev server for the module; the simulator is the session's. Each LLM call carries
``metadata.user_id = "<request>:<step>"``, so the simulator's log says which calls each
request made.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from orchestra.errors import ServerStartError
from orchestra.examples import capstone_temporal as ct
from orchestra.examples import temporal_scaleout as so

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server():
    with ct.DevServer() as s:
        yield s


def calls_by_user(sim) -> Counter:
    return Counter(c["user"] for c in sim.log if c.get("status") == 200)


def test_the_pipeline_runs_its_steps_as_activities_and_workflow_code(sim, server):
    questions = ct.cap.golden(3)
    asked = {q["id"]: q["question"] for q in questions}
    results = asyncio.run(ct.run_questions(server.address, questions, max_regenerations=1))
    assert [r["id"] for r in results] == [q["id"] for q in questions]
    calls = calls_by_user(sim)
    for r in results:
        assert set(ct.RUNNER_KEYS) <= set(r) and r["category"] in ct.cap.CATEGORIES
        assert r["steps"][:4] == ["classify", "retrieve", "generate:0", "validate:0"]
        rounds = [s for s in r["steps"] if s.startswith("generate:")]
        # One model call per LLM step the workflow ran, no more (nothing retried here).
        assert calls[f"{r['id']}:classify"] == 1
        assert all(calls[f"{r['id']}:{s}"] == 1 for s in rounds)
        assert set(r["attempts"].values()) == {1}
        if r["status"] == "completed":  # the answer passed the capstone's own checks
            passages = ct.cap.retrieve(asked[r["id"]], r["category"])
            assert ct.cap.validate(json.dumps(r["answer"]), passages)
            assert r["steps"][-1] == "format" and r["reply"].startswith(f"[{r['category']}]")
        else:  # refused every draft it was allowed: 1 + max_regenerations of them
            assert r["status"] == "failed" and len(rounds) == r["refused"] == 2
            assert r["error"].startswith(("OutputFormatError: ", "UngroundedAnswerError: "))
    assert sum(calls.values()) == sum(len(r["attempts"]) for r in results)  # LLM steps run


def test_the_workflow_replays_its_history_deterministically(sim, server):
    from temporalio.worker import Replayer

    async def go():
        client = await ct.connect(server.address)
        q = ct.cap.golden(1)[0]
        async with ct.worker(client, "replay-test"):
            handle = await client.start_workflow(
                ct.Capstone.run,
                ct.Question(q["id"], q["question"]),
                id=f"replay-{time.time_ns()}",
                task_queue="replay-test",
            )
            await handle.result()
        history = await handle.fetch_history()
        replayed = await Replayer(workflows=[ct.Capstone]).replay_workflow(
            history, raise_on_replay_failure=False
        )
        assert replayed.replay_failure is None, replayed.replay_failure  # same commands again

    asyncio.run(go())


def test_the_runner_prints_one_json_document_in_the_chapter_format(sim, server):
    out = subprocess.run(
        [sys.executable, "-m", "orchestra.examples.capstone_temporal"]
        + ["--questions", "2", "--address", server.address],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd="/",
    )
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert [q["id"] for q in doc["questions"]] == ["Q01", "Q02"]
    assert all(set(q) == set(ct.RUNNER_KEYS) for q in doc["questions"])
    assert 0 < doc["import_s"] < doc["wall_s"]


def test_a_killed_worker_loses_nothing_and_answers_nothing_twice(sim, server):
    sim.configure(time_scale=0.05)  # calls take wall time, so some are in flight at the kill
    row = asyncio.run(
        so.run(sim, server, workers=2, requests=16, concurrency=2, kill_at=0.25, progress=False)
    )
    results = row["results"]
    assert row["killed_pid"] and row["finished"] == 16
    assert sorted(r["id"] for r in results) == [f"R{i:03d}" for i in range(16)]
    for r in results:  # every workflow ran to its end: an answer, or every draft refused
        assert r["status"] == "completed" or r["refused"] == 2
    ran_on = Counter(w for r in results for w in r["workers"].values())
    assert str(row["killed_pid"]) != max(ran_on, key=ran_on.get)  # the survivor did most of it
    # A call answered twice for one step is only ever the retry of an attempt that died with
    # the worker after the simulator answered it: the step shows a later attempt.
    retried = {f"{r['id']}:{s}" for r in results for s, n in r["attempts"].items() if n > 1}
    assert set(so.duplicates(row["log"])) <= retried
    # every step's call was answered once, but for those repeats: nothing lost, nothing extra
    steps = sum(1 + sum(s.startswith("generate") for s in r["steps"]) for r in results)
    repeats = sum(n - 1 for n in so.duplicates(row["log"]).values())
    assert row["calls"] == len(row["log"]) == steps + repeats


def test_a_dev_server_that_exits_raises_the_named_error_at_once(tmp_path):
    started = time.perf_counter()
    with pytest.raises(ServerStartError, match="exited with status 1"):
        ct.DevServer(cli="/bin/false", timeout_s=30).start()
    assert time.perf_counter() - started < 10


def test_a_dev_server_that_never_answers_gives_up_at_its_timeout(tmp_path):
    mute = tmp_path / "temporal"
    mute.write_text("#!/bin/sh\necho listening, honest\nexec sleep 60\n")
    mute.chmod(0o755)
    server = ct.DevServer(cli=str(mute), timeout_s=1.5)
    started = time.perf_counter()
    with pytest.raises(ServerStartError, match="did not answer within 1.5 s") as info:
        server.start()
    assert time.perf_counter() - started < 10
    assert "listening, honest" in info.value.output and server.process.poll() is not None


def test_the_bound_is_the_largest_of_slots_rate_limit_one_request_and_cpu():
    calls = [{"user": f"R{i % 4}:classify", "model_s": 2.0} for i in range(100)]
    # 200 model-s over 10 slots at scale 0.1: 2 s; 100 calls at 40/min (a minute is 6 s), the
    # first 40 free: 9 s; R0's 25 calls in a row: 5 s; 30 CPU-s over the cores.
    b = so.bound(calls, so.Limits(requests_per_minute=40), 0.1, 10, cpu=30.0)
    assert b["worker_slots_bound_s"] == pytest.approx(2.0)
    assert b["rate_limit_bound_s"] == pytest.approx(9.0)
    assert b["one_request_bound_s"] == pytest.approx(5.0)
    assert b["cpu_bound_s"] == pytest.approx(30.0 / os.cpu_count())
    assert b["bound_s"] == max(9.0, 30.0 / os.cpu_count())
    unlimited = so.bound(calls, so.Limits(), 0.1, 1)
    assert unlimited["limited_by"] == "worker slots" and unlimited["bound_s"] == pytest.approx(20)


def test_the_chart_labels_its_axes_with_units_and_each_bound_with_its_cause():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    df = pd.DataFrame(
        {
            "workers": [1, 2, 4],
            "makespan_s": [50.0, 30.0, 20.0],
            "bound_s": [45.0, 25.0, 15.0],
            "limited_by": ["worker slots", "worker slots", "rate limit"],
            "throughput_rps": [0.8, 1.3, 2.0],
            "bound_rps": [0.9, 1.6, 2.7],
        }
    ).set_index("workers")
    left, right = so.chart(df).axes
    assert (
        left.get_ylabel() == "makespan (wall-clock s)" and left.get_xlabel() == "worker processes"
    )
    assert right.get_ylabel() == "requests per wall-clock s"
    assert [t.get_text() for t in left.texts] == ["worker slots", "worker slots", "rate limit"]


def test_a_process_that_exits_without_stop_leaves_no_server_behind():
    """A kernel restarted mid-chapter exits without calling stop(): the server goes with it."""
    code = (
        "from orchestra.examples.capstone_temporal import DevServer\n"
        "print(DevServer().start().process.pid, flush=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # bounded: reaped by its parent's exit, or still running
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if (
            Path(f"/proc/{pid}/stat").exists()
            and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
        ):
            return  # a zombie: already dead
        time.sleep(0.2)
    os.kill(pid, 9)
    pytest.fail(f"the dev server (pid {pid}) outlived the process that started it")
