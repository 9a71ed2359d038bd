"""Command line.

orchestra sim serve --port 8765                  the simulator, in the foreground
orchestra sweep NOTEBOOK -p seed 0 1 2 --workers 2   a notebook over a grid (orchestra/sweep.py)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orchestra", description="Orchestra Lab tools")
    sub = parser.add_subparsers(dest="command", required=True)
    sim_p = sub.add_parser("sim", help="the offline Claude simulator").add_subparsers(
        dest="action", required=True
    )
    serve = sim_p.add_parser("serve", help="serve the Messages API on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free one)")
    serve.add_argument("--seed", type=int, default=0, help="seed for answers, faults and jitter")
    serve.add_argument(
        "--time-scale",
        type=float,
        default=0.0,
        help="wall-clock seconds per simulated second (0: answer at once)",
    )
    _sweep_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "sweep":
        from orchestra import sweep
        from orchestra.errors import OrchestraError

        try:
            return sweep.main(args)
        except OrchestraError as exc:  # a bad grid or parameter: one line, no traceback
            print(f"orchestra sweep: error: {exc}", file=sys.stderr)
            return 2

    from orchestra.sim import Simulator  # imported here so --help stays instant
    from orchestra.wire import PLACEHOLDER_KEY

    sim = Simulator(seed=args.seed, time_scale=args.time_scale).start(args.port)
    print(f"Simulator serving the Messages API at {sim.url} (Ctrl-C to stop)", flush=True)
    print(f"  export ANTHROPIC_BASE_URL={sim.url} ANTHROPIC_API_KEY={PLACEHOLDER_KEY}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    sim.stop()
    return 0


def _sweep_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a notebook over a parameter grid (papermill), collect its scrapbook values",
        description="Run NOTEBOOK once per point of a grid with papermill, each point in a "
        "kernel of its own; skip points already done; collect each run's scrapbook values into "
        "OUT/results.csv and .parquet, and draw OUT/chart.png.",
    )
    p.add_argument("notebook", help="the notebook (.ipynb) with a cell tagged 'parameters'")
    p.add_argument(
        "-p",
        "--param",
        nargs="+",
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter and the values to try, each read as YAML (repeat for a product)",
    )
    p.add_argument("--grid", help="a YAML or JSON file mapping names to lists of values")
    p.add_argument("--workers", type=int, default=1, help="points run at once (default 1)")
    p.add_argument("--out", help="where the runs go (default build/sweeps/<notebook name>)")
    p.add_argument("--only", action="append", metavar="ID", help="run only this point (repeatable)")
    p.add_argument("--list", action="store_true", help="print the points and their ids as JSON")
    p.add_argument("--collect", action="store_true", help="run nothing; collect what is there")
    p.add_argument("--y", help="the scrap to chart (default: the first numeric one)")
    p.add_argument("--x", help="the parameter on the x axis (default: the first that varies)")
    p.add_argument("--by", help="a line per value of this parameter (default: the next varying)")
    p.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell")
    p.add_argument("--max-points", type=int, default=1000, help="refuse grids larger than this")


if __name__ == "__main__":
    sys.exit(main())
