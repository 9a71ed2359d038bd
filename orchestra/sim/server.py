"""The offline Claude: a seeded Messages API server on loopback (chapter 00).

    >>> sim = start(seed=0, time_scale=0.01)   # random free port on 127.0.0.1, env pointed at it
    >>> anthropic.Anthropic().messages.create(model="claude-haiku-4-5", max_tokens=100,
    ...     messages=[{"role": "user", "content": "Summarize: ..."}])
    >>> sim.stop()

``Simulator`` only ties the parts together, one concern each: ``app`` (HTTP handlers),
``decide`` (limits, faults, answer, latency for one call), ``clock`` (model time), ``cache``
(the prompt cache), ``batches`` (the Message Batches API), ``runner`` (the thread and event
loop that serve the app) and ``env`` (pointing the official clients at it).
"""

from __future__ import annotations

from collections import deque

from orchestra.errors import SimulatorError
from orchestra.sim.app import make_app
from orchestra.sim.batches import Batches
from orchestra.sim.cache import PromptCache
from orchestra.sim.clock import Clock
from orchestra.sim.decide import Decider
from orchestra.sim.env import EnvPatch
from orchestra.sim.faults import Faults
from orchestra.sim.limits import Limits
from orchestra.sim.runner import LoopThread
from orchestra.wire import PLACEHOLDER_KEY


class Simulator:
    """A seeded Messages API server; start it, point clients at ``url``, stop it."""

    def __init__(
        self,
        *,
        seed: int = 0,
        time_scale: float = 0.0,
        faults: Faults | None = None,
        limits: Limits | None = None,
        max_request_bytes: int = 32 * 2**20,
    ):
        self.seed, self.max_request_bytes = seed, max_request_bytes
        self._runner = LoopThread(lambda: make_app(self))
        self._env = EnvPatch()
        self.decider = Decider(seed, 0.0, Faults(), Limits())
        self.clock = Clock(time_scale)
        self.cache = PromptCache(self.clock)
        self.batches = Batches(seed, self.clock, self.cache)
        self.configure(time_scale=time_scale, faults=faults or Faults(), limits=limits or Limits())

    def configure(
        self,
        *,
        time_scale: float | None = None,
        faults: Faults | None = None,
        limits: Limits | None = None,
    ) -> Simulator:
        """Change the dials and start counting afresh: ``sim.configure(faults=Faults(overloaded=.2))``.

        The prompt cache starts empty again; batches already created are kept."""
        if time_scale is not None and time_scale < 0:
            raise SimulatorError(f"time_scale must be >= 0, got {time_scale}")
        old = self.decider
        self.decider = Decider(
            self.seed,
            old.time_scale if time_scale is None else time_scale,
            old.faults if faults is None else faults,
            old.limits if limits is None else limits,
        )
        self.log: deque[dict] = deque(maxlen=100_000)
        self.clock.rescale(self.decider.time_scale)
        self.cache.clear()
        return self

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of model time pass at once: cache entries age, batches run.

        ``sim.advance(301)`` lets a 5-minute cache entry expire without waiting."""
        self.clock.advance(seconds)

    time_scale = property(
        lambda self: self.decider.time_scale, doc="Wall seconds per model second."
    )
    faults = property(lambda self: self.decider.faults, doc="The fault rates and plan in force.")
    limits = property(lambda self: self.decider.limits, doc="The per-key rate limits in force.")

    @property
    def port(self) -> int | None:
        """The port served on, or None when stopped."""
        return self._runner.port

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. ``http://127.0.0.1:40123``."""
        if self.port is None:
            raise SimulatorError("the simulator is not running: call sim.start() first")
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> Simulator:
        """Serve on 127.0.0.1 (a free port by default) from a background thread."""
        if not self._runner.running:
            self._runner.start(port)
        return self

    def stop(self) -> None:
        """Stop serving and restore the environment ``use()`` changed."""
        self.unuse()
        self._runner.stop()

    def use(self) -> Simulator:
        """Point the official clients at this server: sets ``ANTHROPIC_BASE_URL`` and a placeholder key."""
        self._env.set(ANTHROPIC_BASE_URL=self.url, ANTHROPIC_API_KEY=PLACEHOLDER_KEY)
        return self

    def unuse(self) -> None:
        """Put back the environment variables ``use()`` replaced."""
        self._env.restore()

    def __enter__(self) -> Simulator:
        return self.start().use()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.port else "stopped"
        return f"Simulator({where}, seed={self.seed}, time_scale={self.time_scale})"


def start(
    *,
    seed: int = 0,
    time_scale: float = 0.0,
    faults: Faults | None = None,
    limits: Limits | None = None,
    port: int = 0,
    use: bool = True,
) -> Simulator:
    """Start a simulator and (by default) point the environment at it: ``sim = start(seed=1)``."""
    sim = Simulator(seed=seed, time_scale=time_scale, faults=faults, limits=limits).start(port)
    return sim.use() if use else sim
