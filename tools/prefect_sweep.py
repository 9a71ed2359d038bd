"""The sweep of ``orchestra sweep`` as a Prefect flow: one task per grid point (chapter 11).

    make prefect-env     # once: Prefect 3 in its own environment, .venv-prefect
    .venv-prefect/bin/python tools/prefect_sweep.py notebooks/04_evaluator_optimizer.ipynb \\
        -p seed 0 1 2 --workers 2

It takes the same grid arguments as ``orchestra sweep`` and returns the same DataFrame. Each
task shells out to the kit's own environment (``.venv/bin/orchestra sweep ... --only ID``), so
the kernel and the pins that run a notebook stay the core's; this file imports nothing of
orchestra, and runs in ``.venv-prefect`` only (Prefect's pins conflict with the kit's).

Where a batch orchestrator fits: work that is a set of independent, minutes-long jobs (a
parameter sweep, a nightly evaluation over a golden set, a backfill), where you care that every
job eventually ran once and want to see, retry and schedule them. It is better for batch than
real-time: every task pays Prefect's bookkeeping (each state change is written to its database
through its API), and the flow pays the start-up below, which a sweep of minutes-long runs does
not notice and a request that must be answered in a second would.

What Prefect adds over ``orchestra sweep``: a UI and an API listing every run, task, state,
log line and duration (``prefect server start`` and set ``PREFECT_API_URL`` to keep them; here
the server is ephemeral and its database lives in ``build/prefect``); retries per task
(``--retries``); a cache of task results keyed by their inputs; schedules and deployments
(``flow.serve(cron=...)``) and remote workers. What it costs: a second environment (389 MB),
and start-up time before the first task: the import, and an ephemeral server (a SQLite
database migrated on first use), which the flow prints ("Prefect ready N s after the script
started"; the README gives what was measured).

Two caches, two layers: orchestra's skips a point whose notebook and status record are on disk;
Prefect's skips a task whose inputs (notebook digest, grid, output folder, point id) it has seen
complete, and cannot see that you deleted an output since: ``--refresh`` makes it check again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
# Prefect reads its settings when it is imported: set them first. Its own home (profiles, the
# ephemeral server's SQLite database, cached task results) under build/; no analytics from the
# SDK (DO_NOT_TRACK) or from the server; a server started for this process when no
# PREFECT_API_URL names one (the ephemeral mode is off by default in Prefect 3.9).
os.environ.setdefault("PREFECT_HOME", str(ROOT / "build" / "prefect"))
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_ENABLED", "true")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)  # Prefect makes one level only

import pandas as pd  # noqa: E402
from prefect import flow, task  # noqa: E402
from prefect.cache_policies import INPUTS  # noqa: E402
from prefect.futures import wait  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

ORCHESTRA = ROOT / ".venv" / "bin" / "orchestra"


def _orchestra(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(ORCHESTRA), *args], capture_output=True, text=True)


# The cache key is a hash of the inputs: the command (notebook, grid, output folder), the point
# id and the notebook's digest, so editing the notebook runs every point again.
@task(task_run_name="point {point}", cache_policy=INPUTS, persist_result=True)
def run_point(command: list[str], point: str, digest: str) -> str:
    """Run one grid point in the kit's environment; raise (so Prefect retries) if it failed."""
    done = _orchestra([*command, "--only", point])
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(f"point {point} failed: {lines[-1] if lines else done.returncode}")
    return point


@flow(name="orchestra-sweep", log_prints=True)
def sweep_flow(
    notebook: str,
    grid_args: list[str],
    out: str,
    workers: int = 1,
    retries: int = 1,
    refresh: bool = False,
) -> pd.DataFrame:
    """Every point of the grid as a task (``workers`` at a time); the table of all of them."""
    print(f"Prefect ready {time.perf_counter() - STARTED:.1f} s after the script started")
    command = ["sweep", notebook, *grid_args, "--out", out]
    listed = _orchestra([*command, "--list"])
    if listed.returncode != 0:
        raise ValueError(listed.stderr.strip())
    points = [p["point"] for p in json.loads(listed.stdout)]
    digest = hashlib.sha256(Path(notebook).read_bytes()).hexdigest()
    task_ = run_point.with_options(retries=retries, retry_delay_seconds=1, refresh_cache=refresh)
    futures = [task_.submit(command, p, digest) for p in points]
    wait(futures)
    failed = [p for p, f in zip(points, futures, strict=True) if not f.state.is_completed()]
    print(f"{len(points) - len(failed)} of {len(points)} points completed; failed: {failed}")
    _orchestra([*command, "--collect"])  # the table, as orchestra sweep writes it
    df = pd.read_csv(Path(out) / "results.csv", dtype={"error": str, "point": str})
    return df.fillna({"error": ""})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("-p", "--param", nargs="+", action="append", default=[])
    parser.add_argument("--grid")
    parser.add_argument("--out", help="default build/sweeps/<notebook name>-prefect")
    parser.add_argument("--workers", type=int, default=1, help="tasks run at once")
    parser.add_argument("--retries", type=int, default=1, help="retries of a failed point")
    parser.add_argument("--refresh", action="store_true", help="ignore Prefect's task cache")
    parser.add_argument("--json", action="store_true", help="print the table as JSON records")
    args = parser.parse_args(argv)
    if not ORCHESTRA.exists():
        sys.exit(f"{ORCHESTRA} is missing: run `make setup` first")
    notebook = str(Path(args.notebook).resolve())
    grid_args = [a for p in args.param for a in ("-p", *p)]
    grid_args += ["--grid", str(Path(args.grid).resolve())] if args.grid else []
    out = args.out or str(ROOT / "build" / "sweeps" / f"{Path(notebook).stem}-prefect")
    runner = ThreadPoolTaskRunner(max_workers=max(1, args.workers))
    flow_ = sweep_flow.with_options(task_runner=runner)
    df = flow_(
        notebook, grid_args, str(Path(out).resolve()), args.workers, args.retries, args.refresh
    )
    total = time.perf_counter() - STARTED
    if args.json:
        print(json.dumps({"seconds": round(total, 2), "records": df.to_dict("records")}))
    else:
        print(df.drop(columns=["point"]).to_string(index=False, max_colwidth=40))
        print(f"{total:.1f} s wall-clock in all")
    return 0 if (df["status"] == "ok").all() else 1


if __name__ == "__main__":
    sys.exit(main())
