"""A local Arize Phoenix trace UI, started as a subprocess on loopback (chapter 10).

Phoenix lives in its own environment, ``.venv-phoenix`` (``make phoenix``; ``make test``
makes it too): its pins conflict with the kit's. It is never imported here: ``Phoenix`` runs
``phoenix serve`` from that environment on two free ports of 127.0.0.1, with its own working
directory (a fresh SQLite database) and its telemetry off, and talks to it over HTTP only.
Starting takes a while (about 16 s on an idle 2-core machine), so ``launch()`` returns at once
and ``wait(timeout)`` waits at most ``timeout`` seconds: a chapter launches it first and does
other work meanwhile. When it cannot start (no environment, a crash, too slow), ``wait``
returns False and ``reason`` says why, in one line; nothing hangs.

    >>> ui = Phoenix().launch()
    >>> ...                                  # other work while it starts
    >>> if ui.wait(timeout=60):
    ...     provider = otel.otlp_provider(ui.otlp_url, project="chapter-10")
    ...     ...; ui.spans("chapter-10")      # what arrived, read back through its REST API
    >>> ui.stop()

``make phoenix`` serves one on http://127.0.0.1:6006 to browse; ``Phoenix(url=...)`` uses it.
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["Phoenix", "VENV"]

VENV = Path(
    os.environ.get("ORCHESTRA_PHOENIX_VENV", Path(__file__).resolve().parents[1] / ".venv-phoenix")
)
"""Where ``make phoenix`` puts Phoenix's environment (override: ``ORCHESTRA_PHOENIX_VENV``)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Phoenix:
    """One Phoenix server: ``launch()``, ``wait(timeout)``, ``spans(project)``, ``stop()``."""

    def __init__(self, venv: Path | str = VENV, *, url: str | None = None):
        """``url``: use a Phoenix already running there (``make phoenix``) instead of starting one."""
        self.venv = Path(venv)
        self._given = url.rstrip("/") if url else None
        self.port: int | None = None
        self.reason: str | None = None
        """Why it is not available, in one line (None while starting or when up)."""
        self.started_s: float | None = None
        """Wall-clock seconds from launch until it answered its health check."""
        self._proc: subprocess.Popen | None = None
        self._dir: str | None = None
        self._t0 = 0.0

    @property
    def url(self) -> str:
        """The UI and REST API, e.g. ``http://127.0.0.1:41234``."""
        return self._given or f"http://127.0.0.1:{self.port}"

    @property
    def otlp_url(self) -> str:
        """Where to send spans over OTLP/HTTP (protobuf)."""
        return f"{self.url}/v1/traces"

    def launch(self) -> Phoenix:
        """Start ``phoenix serve`` in the background; never waits, never raises."""
        if self._given:  # someone else's server: nothing to start
            self._t0 = time.monotonic()
            return self
        exe = self.venv / "bin" / "phoenix"
        if not exe.exists():
            self.reason = f"no Phoenix environment at {self.venv.name}/ (run `make phoenix`)"
            return self
        self.port, self._dir = _free_port(), tempfile.mkdtemp(prefix="orchestra-phoenix-")
        env = {
            **os.environ,
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(_free_port()),
            "PHOENIX_WORKING_DIR": self._dir,
            "PHOENIX_TELEMETRY_ENABLED": "false",
        }
        env.pop("PHOENIX_SQL_DATABASE_URL", None)  # its own SQLite file, never a shared database
        log = open(Path(self._dir) / "phoenix.log", "wb")  # a pipe could fill and block it
        self._t0 = time.monotonic()
        self._proc = subprocess.Popen(
            [str(exe), "serve"],
            cwd=self._dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        atexit.register(self.stop)  # a kernel that exits without stop() leaves no server behind
        return self

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait at most ``timeout`` seconds for it to answer; True when it is up.

        With ``ORCHESTRA_PHOENIX_LOG`` set (``make test`` sets it), the outcome is appended to
        that file as one JSON line: how long Phoenix took to start in the test run.
        """
        up = self._wait(timeout)
        if log := os.environ.get("ORCHESTRA_PHOENIX_LOG"):
            with open(log, "a") as f:
                print(json.dumps({"started_s": self.started_s, "reason": self.reason}), file=f)
        return up

    def _wait(self, timeout: float) -> bool:
        if self.started_s is not None:
            return True
        if self._proc is None and not self._given:
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                self.reason = f"Phoenix exited with status {self._proc.returncode} while starting"
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        self.started_s = time.monotonic() - self._t0
                        return True
            except (urllib.error.URLError, OSError, http.client.HTTPException):
                pass  # not up yet; or another process holds the port (Phoenix will then exit)
            time.sleep(0.25)
        self.reason = f"Phoenix did not answer within {timeout:.0f} s"
        return False

    def spans(self, project: str, *, at_least: int = 1, timeout: float = 15.0) -> list[dict]:
        """The spans Phoenix holds for ``project``, read back through its REST API.

        Phoenix stores what it receives in the background, so this asks again (every half
        second, for at most ``timeout`` seconds) until it holds ``at_least`` spans.
        """
        deadline = time.monotonic() + timeout
        while True:
            got = self._all_spans(project)
            if len(got) >= at_least or time.monotonic() > deadline:
                return got
            time.sleep(0.5)

    def _all_spans(self, project: str) -> list[dict]:
        out: list[dict] = []
        cursor = None
        for _ in range(1000):  # pages of 1000: a bound, not a limit anyone reaches here
            query = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            path = f"{self.url}/v1/projects/{urllib.parse.quote(project)}/spans?"
            try:
                with urllib.request.urlopen(path + urllib.parse.urlencode(query), timeout=10) as r:
                    page = json.loads(r.read())
            except urllib.error.HTTPError as exc:
                if exc.code == 404:  # no such project yet: nothing has arrived
                    return out
                raise
            out += page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return out
        return out

    def stop(self) -> None:
        """Stop the server (politely, then for good) and remove its working directory."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __repr__(self) -> str:
        state = f"up at {self.url}" if self.started_s is not None else (self.reason or "starting")
        return f"Phoenix({state})"
