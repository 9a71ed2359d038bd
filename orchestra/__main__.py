"""Command line: ``orchestra sim serve --port 8765`` runs the simulator in the foreground."""

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
    args = parser.parse_args(argv)

    from orchestra.sim import Simulator  # imported here so --help stays instant
    from orchestra.sim.api import PLACEHOLDER_KEY

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


if __name__ == "__main__":
    sys.exit(main())
