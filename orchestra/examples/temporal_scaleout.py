"""Chapter 11's scale-out: the capstone's activities served by 1, 2 and 4 worker processes.

One Temporal dev server, one task queue per run; this process hosts the workflows (they only
decide what runs next), and ``n`` worker processes (``capstone_temporal worker
--activities-only``) run the activities, each with an explicit ``max_concurrent_activities``.
The simulator runs here, rate limited, and its log counts the calls made for each request
(each call carries ``metadata.user_id = "<request>:<step>"``).

    >>> s = sim.start(seed=0, time_scale=0.02)
    >>> with DevServer() as server:
    ...     table = await sweep(s, server, workers=(1, 2, 4), requests=200)
    ...     killed = await run(s, server, workers=2, requests=200, kill_at=0.3)
    >>> chart(table)

What is measured in which clock: the makespan is wall-clock (Temporal's dispatch, its server
round trips and the workers' CPU are real time that no ``time_scale`` shrinks); the bound is
computed from what the simulator charged (model-seconds, shown too) and the rate limit, turned
into wall-clock at the run's ``time_scale``, so the two can be compared.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from orchestra.errors import ConfigError, ServerStartError
from orchestra.examples import capstone_temporal as ct
from orchestra.measure import cpu_seconds
from orchestra.sim import Limits

__all__ = ["run", "sweep", "duplicates", "chart"]

ROOT = Path(__file__).resolve().parents[2]
"""The repository root: the worker processes import ``orchestra`` from here."""


def spawn_workers(address: str, task_queue: str, n: int, concurrency: int) -> list:
    """Start ``n`` activity-only worker processes; the environment (ANTHROPIC_BASE_URL) is ours."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "orchestra.examples.capstone_temporal", "worker"]
    cmd += ["--address", address, "--task-queue", task_queue, "--activities-only"]
    cmd += ["--max-concurrent-activities", str(concurrency)]
    # Their output goes to files, not pipes: a pipe nobody reads would stall a chatty worker.
    procs = []
    for _ in range(n):
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        procs.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=err))
        procs[-1].said, procs[-1].errors = out, err
    return procs


async def wait_until_serving(procs: list, timeout_s: float = 60.0) -> None:
    """Wait until every worker process has connected and built its worker, which it says on
    stdout just before it starts polling (at most ``timeout_s``)."""
    deadline = time.perf_counter() + timeout_s
    while True:  # bounded by the deadline
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            dead[0].errors.seek(0)
            why = dead[0].errors.read().decode(errors="replace")[-500:]
            raise ServerStartError(f"a worker process exited before serving: {why}")
        said = [p.said.seek(0) or p.said.read() for p in procs]
        if all(b"task_queue" in line for line in said):
            return
        if time.perf_counter() > deadline:
            raise ServerStartError(f"{len(procs)} workers did not all start within {timeout_s} s")
        await asyncio.sleep(0.1)


async def retry_causes(client, workflow_id: str) -> list[str]:
    """Why each retried activity of a workflow was retried, from its history: the failure of
    the attempt before (``"classify attempt 2: activity Heartbeat timeout"``)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    kinds, causes = {}, []
    for e in history.events:
        if e.HasField("activity_task_scheduled_event_attributes"):
            kinds[e.event_id] = e.activity_task_scheduled_event_attributes.activity_type.name
        if e.HasField("activity_task_started_event_attributes"):
            a = e.activity_task_started_event_attributes
            if a.attempt > 1:
                why = a.last_failure.message or "?"
                causes.append(f"{kinds.get(a.scheduled_event_id)} attempt {a.attempt}: {why}")
    return causes


def stop_workers(procs: list) -> None:
    """SIGTERM each live worker (a graceful stop), SIGKILL after 10 s."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


async def _run(
    sim, server, workers, requests, concurrency, kill_at, model, progress
) -> tuple[dict, list[dict]]:
    address = server.address
    client = await ct.connect(address)
    task_queue = f"capstone-{workers}w-{uuid.uuid4().hex[:8]}"
    procs = spawn_workers(address, task_queue, workers, concurrency)
    try:
        await wait_until_serving(procs)
        gold = ct.cap.golden()
        questions = [
            ct.Question(f"R{i:03d}", gold[i % len(gold)]["question"], model)
            for i in range(requests)
        ]
        sim.configure()  # a fresh log and full rate-limit buckets for this run
        async with ct.worker(client, task_queue, workflows=True, activities=False):
            cpu = [cpu_seconds(server.process.pid), time.process_time()] + [
                cpu_seconds(p.pid) for p in procs
            ]
            started = time.perf_counter()
            handles = await asyncio.gather(
                *(
                    client.start_workflow(
                        ct.Capstone.run, q, id=f"{task_queue}-{q.id}", task_queue=task_queue
                    )
                    for q in questions
                )
            )
            results, killed_at, victim = [], None, None
            bar = tqdm(total=requests, desc=f"{workers} worker(s)", disable=not progress)
            for done in asyncio.as_completed([h.result() for h in handles]):
                results.append(await done)
                bar.update()
                if kill_at is not None and victim is None and len(results) >= kill_at * requests:
                    victim = procs[0].pid
                    cpu[2] -= cpu_seconds(victim)  # what it used until now
                    os.kill(victim, signal.SIGKILL)  # no goodbye: its activities are in flight
                    killed_at = time.perf_counter() - started
            bar.close()
            makespan = time.perf_counter() - started
            used = [cpu_seconds(server.process.pid), time.process_time()]
            used += [cpu_seconds(p.pid) if p.pid != victim else 0.0 for p in procs]
        retried = [r["id"] for r in results if max(r["attempts"].values(), default=1) > 1]
        causes = {i: await retry_causes(client, f"{task_queue}-{i}") for i in retried}
    finally:
        stop_workers(procs)
    return {
        "makespan_s": makespan,
        "killed_pid": victim,
        "killed_at_s": killed_at,
        "log": list(sim.log),
        "cpu_s": sum(used) - sum(cpu),
        "retries": causes,
    }, results


async def run(
    sim,
    server: ct.DevServer,
    *,
    workers: int,
    requests: int = 200,
    concurrency: int = 4,
    kill_at: float | None = None,
    model: str = ct.MODEL,
    progress: bool = True,
) -> dict:
    """One run: ``requests`` golden questions (repeated) over ``workers`` processes, each with
    ``concurrency`` activity slots; with ``kill_at`` (a share of the requests done, e.g. 0.3),
    the first worker is SIGKILLed then. Returns the row of the table, plus ``results`` (the
    workflows' results) and ``log`` (the simulator's answered calls in the run)."""
    if workers < 1 or concurrency < 1 or requests < 1:
        raise ConfigError("workers, concurrency and requests must each be at least 1")
    if kill_at is not None and (workers < 2 or not 0 < kill_at < 1):
        raise ConfigError("killing a worker needs at least 2 workers and 0 < kill_at < 1")
    raw, results = await _run(sim, server, workers, requests, concurrency, kill_at, model, progress)
    calls = [c for c in raw["log"] if c.get("status") == 200 and c.get("user")]
    row = {"workers": workers, "slots": workers * concurrency, "requests": requests}
    row |= {"finished": len({r["id"] for r in results}), "calls": len(calls)}
    row |= {"model_s": sum(c["model_s"] for c in calls), "makespan_s": raw["makespan_s"]}
    row["cpu_s"] = raw["cpu_s"]
    row |= bound(calls, sim.limits, sim.time_scale, workers * concurrency, raw["cpu_s"])
    row["throughput_rps"] = requests / raw["makespan_s"]
    row["bound_rps"] = requests / row["bound_s"] if row["bound_s"] else float("inf")
    row["makespan_over_bound"] = raw["makespan_s"] / row["bound_s"] if row["bound_s"] else None
    row |= {"killed_pid": raw["killed_pid"], "killed_at_s": raw["killed_at_s"]}
    row["duplicate_calls"] = len(duplicates(calls))
    row["retries"] = raw["retries"]
    return row | {"results": results, "log": calls}


def bound(
    calls: list[dict], limits: Limits, time_scale: float, slots: int, cpu: float = 0.0
) -> dict:
    """The shortest makespan the run allows, in wall-clock seconds at ``time_scale``: the
    largest of the slots bound (all model time spread over every activity slot), the rate
    bound (calls beyond the first minute's burst, at ``requests_per_minute``), the longest
    request's own chain of calls, and the CPU bound (the CPU seconds the server, the workers
    and this process used, over this machine's cores)."""
    model_s = sum(c["model_s"] for c in calls)
    per_request = Counter()
    for c in calls:
        per_request[c["user"].split(":")[0]] += c["model_s"]
    rpm = limits.requests_per_minute
    minute_wall = 60.0 * time_scale
    parts = {
        "worker slots": model_s * time_scale / slots,
        "rate limit": max(0, len(calls) - rpm) / rpm * minute_wall if rpm else 0.0,
        "one request": max(per_request.values(), default=0.0) * time_scale,
        "CPU": cpu / (os.cpu_count() or 1),
    }
    limited_by = max(parts, key=parts.get)
    each = {f"{k.replace(' ', '_').lower()}_bound_s": v for k, v in parts.items()}
    return each | {"bound_s": parts[limited_by], "limited_by": limited_by}


def duplicates(calls: list[dict]) -> dict[str, int]:
    """The steps of a request (``"R007:generate:0"``) whose model call the simulator answered
    more than once, and how often. Only a retried attempt can put a step here: one whose
    first attempt died with its worker after the simulator had answered."""
    counts = Counter(c["user"] for c in calls)
    return {user: n for user, n in counts.items() if n > 1}


async def sweep(
    sim,
    server: ct.DevServer,
    *,
    workers: tuple[int, ...] = (1, 2, 4),
    requests: int = 200,
    concurrency: int = 4,
    model: str = ct.MODEL,
    progress: bool = True,
) -> pd.DataFrame:
    """``run`` for each worker count: one row each (wall-clock makespan and bound, simulated
    model-seconds charged); ``progress`` shows a bar over the worker counts."""
    from tqdm.auto import tqdm

    counts = tqdm(workers, desc=f"{requests} requests on n worker processes", disable=not progress)
    rows = [
        await run(sim, server, workers=n, requests=requests, concurrency=concurrency, model=model)
        for n in counts
    ]
    return table(rows)


COLUMNS = [
    "workers",
    "slots",
    "requests",
    "finished",
    "calls",
    "model_s",
    "cpu_s",
    "makespan_s",
    "worker_slots_bound_s",
    "rate_limit_bound_s",
    "cpu_bound_s",
    "bound_s",
    "limited_by",
    "makespan_over_bound",
    "throughput_rps",
    "bound_rps",
    "duplicate_calls",
]


def table(rows: list[dict]) -> pd.DataFrame:
    """The rows of ``run`` as a DataFrame, one row per run, without the raw results."""
    return pd.DataFrame([{k: r[k] for k in COLUMNS} for r in rows]).set_index("workers")


def chart(df: pd.DataFrame, *, title: str = "The capstone on Temporal: worker processes"):
    """Two panels: makespan and its bound per worker count (the bound labelled with what sets
    it); throughput and its bound. Wall-clock seconds throughout."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    x = list(range(len(df)))
    labels = [str(n) for n in df.index]
    top = max(df["makespan_s"].max(), df["bound_s"].max())
    left.bar(x, df["makespan_s"], width=0.6, color="tab:blue", label="measured makespan")
    left.scatter(x, df["bound_s"], color="black", marker="_", s=1500, label="bound", zorder=3)
    for i, (b, why) in enumerate(zip(df["bound_s"], df["limited_by"], strict=True)):
        left.annotate(
            why,
            (i, b),
            xytext=(0, 5),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            bbox={"fc": "white", "ec": "none", "pad": 1},
        )
    left.set(xticks=x, xticklabels=labels, xlabel="worker processes", ylim=(0, top * 1.35))
    left.set(ylabel="makespan (wall-clock s)", title="Makespan")
    right.plot(x, df["throughput_rps"], "o-", color="tab:blue", label="measured")
    right.plot(x, df["bound_rps"], "s--", color="black", label="bound")
    right.set(xticks=x, xticklabels=labels, xlabel="worker processes")
    top = max(df["throughput_rps"].max(), df["bound_rps"].max())
    right.set(ylabel="requests per wall-clock s", title="Throughput", ylim=(0, top * 1.35))
    left.legend(loc="upper left", frameon=False, ncols=2, markerscale=0.3)
    right.legend(loc="upper left", frameon=False, ncols=2)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _main() -> None:
    import argparse

    from orchestra import sim as simulator

    p = argparse.ArgumentParser(prog="temporal_scaleout")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--rpm", type=int, default=120)
    p.add_argument("--time-scale", type=float, default=0.05)
    p.add_argument("--save", help="write the table (and the kill run) as JSON here")
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--kill", type=int, default=0, help="also a run with this many, one killed")
    a = p.parse_args()
    s = simulator.start(seed=0, time_scale=a.time_scale, limits=Limits(requests_per_minute=a.rpm))
    with ct.DevServer() as server:
        print(json.dumps({"server_start_s": server.startup_s}))
        rows, saved = [], {}
        for n in a.workers.split(","):
            rows.append(
                asyncio.run(
                    run(s, server, workers=int(n), requests=a.requests, concurrency=a.concurrency)
                )
            )
            saved["sweep"] = table(rows).reset_index().to_dict("records")
            saved.setdefault("retries", {})[n] = rows[-1]["retries"]
            if a.save:
                Path(a.save).write_text(json.dumps(saved, indent=1))
        print(table(rows).to_string())
        if a.kill:
            row = asyncio.run(
                run(
                    s,
                    server,
                    workers=a.kill,
                    requests=a.requests,
                    concurrency=a.concurrency,
                    kill_at=0.3,
                )
            )
            print(table([row]).to_string())
            print(json.dumps({k: row[k] for k in ("killed_pid", "killed_at_s")}))
            print(json.dumps(duplicates(row["log"])))
            retried = row["retries"]
            print(json.dumps(retried))
            saved["kill"] = table([row]).reset_index().to_dict("records")[0]
            saved["kill"] |= {"killed_pid": row["killed_pid"], "killed_at_s": row["killed_at_s"]}
            saved["kill"] |= {"duplicates": duplicates(row["log"])}
            saved["kill"] |= {"retried": retried}
        if a.save:
            Path(a.save).write_text(json.dumps(saved, indent=1))
    s.stop()


if __name__ == "__main__":
    _main()
