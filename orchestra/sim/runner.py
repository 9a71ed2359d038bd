"""An aiohttp application served on 127.0.0.1 from its own thread and event loop (chapter 00).

A notebook already runs an event loop; the simulator must not share it (a blocking SDK call in a
cell would then wait for a server that cannot run), so it gets a thread of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from aiohttp import web

from orchestra.errors import SimulatorError


class LoopThread:
    """Serve one ``web.Application`` on 127.0.0.1 from a daemon thread: ``start()``, ``stop()``."""

    def __init__(self, make_app: Callable[[], web.Application]):
        self.make_app = make_app
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, port: int = 0) -> int:
        """Listen on ``port`` (0: a free one) and return the port actually bound."""
        ready, failure = threading.Event(), []

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            try:
                runner = loop.run_until_complete(self._open(port))
            except OSError as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="orchestra-sim", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread = None
            raise SimulatorError(
                f"cannot listen on 127.0.0.1:{port}: {failure[0]}; "
                f"pick another port or use port=0 for a free one"
            )
        return self.port

    async def _open(self, port: int) -> web.AppRunner:
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self.port = runner.addresses[0][1]  # (host, port): the port the OS picked
        return runner

    def stop(self) -> None:
        """Stop the loop (closing the server) and wait for the thread to end."""
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread, self._loop, self.port = None, None, None
