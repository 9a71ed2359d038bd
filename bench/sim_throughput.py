"""How fast the simulator answers through the official async SDK on loopback (chapter 00).

The simulator must never be what slows a chapter. With ``time_scale=0`` (no simulated latency)
we send N requests from ``AsyncAnthropic`` with a fixed number in flight and report
requests/second and the per-call overhead (p50, p95). Two set-ups, side by side:

- standalone: the simulator in its own process (``orchestra sim serve``), as a server would run;
- in-process: the simulator on a thread of the same process as the client, as in a notebook,
  where client and server share one core's worth of Python (the GIL).

Each with the SDK's two transports: its default (httpx) and its official aiohttp one
(``anthropic[aiohttp]``, ``http_client=DefaultAioHttpClient()``). On this 2-core machine the
httpx transport tops out near 420 requests/s even against a server that does no work at all,
so it, not the simulator, is the ceiling of the first rows.

Target: >= 500 requests/s non-streaming. Run: ``.venv/bin/python bench/sim_throughput.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

import anthropic

from orchestra import sim as simulator

PROMPT = (
    "Classify this ticket into one of: billing, technical, account.\nTicket: I was charged twice."
)


async def hammer(
    url: str, n: int, in_flight: int, stream: bool, transport: str
) -> tuple[float, list[float]]:
    http = anthropic.DefaultAioHttpClient() if transport == "aiohttp" else None
    client = anthropic.AsyncAnthropic(
        base_url=url, api_key="bench", max_retries=0, http_client=http
    )
    gate = asyncio.Semaphore(in_flight)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            t = time.perf_counter()
            kwargs = dict(
                model="claude-haiku-5-5",
                max_tokens=50,
                thinking={"type": "disabled"},  # the answer alone, as the 4.5 bench measured
                messages=[{"role": "user", "content": f"{PROMPT} #{i}"}],
            )
            if stream:
                async with client.messages.stream(**kwargs) as s:
                    await s.get_final_message()
            else:
                await client.messages.create(**kwargs)
            latencies.append(time.perf_counter() - t)

    await asyncio.gather(*(one(i) for i in range(min(50, n))))  # warm-up
    latencies.clear()
    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    await client.close()
    if http is not None:
        await http.aclose()
    return n / elapsed, latencies


def report(label: str, rate: float, latencies: list[float]) -> None:
    q = statistics.quantiles(latencies, n=20)
    print(
        f"{label:<36} {rate:>8.0f} req/s   p50 {statistics.median(latencies) * 1e3:6.2f} ms"
        f"   p95 {q[18] * 1e3:6.2f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000, help="requests per measurement")
    ap.add_argument("--in-flight", type=int, default=16, help="concurrent requests")
    args = ap.parse_args()
    print(f"{args.n} requests, {args.in_flight} in flight, time_scale=0, claude-haiku-5-5\n")

    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestra", "sim", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().split(" at ")[1].split()[0]
        for transport in ("httpx", "aiohttp"):
            for stream in (False, True):
                rate, lat = asyncio.run(hammer(url, args.n, args.in_flight, stream, transport))
                report(f"standalone, {transport}, {'streaming' if stream else 'plain'}", rate, lat)
    finally:
        proc.terminate()
        proc.wait(10)

    with simulator.Simulator() as s:
        for transport in ("httpx", "aiohttp"):
            for stream in (False, True):
                rate, lat = asyncio.run(hammer(s.url, args.n, args.in_flight, stream, transport))
                report(f"in-process, {transport}, {'streaming' if stream else 'plain'}", rate, lat)


if __name__ == "__main__":
    main()
