"""The offline Claude simulator (chapter 00): a Messages API server on loopback.

    >>> from orchestra import sim
    >>> s = sim.start(seed=0, time_scale=0.01)   # env now points the official SDKs at it
    >>> s.configure(faults=sim.Faults(overloaded=0.1), limits=sim.Limits(requests_per_minute=50))
    >>> s.advance(301)   # five minutes of model time pass: a 5-minute cache entry expires
    >>> s.stop()

It imports nothing else of ``orchestra`` but the errors and the shared facts (``prices``,
``tokens``, ``wire``), so it could ship on its own. How it answers: ``brain``.
"""

from orchestra.sim.faults import Faults, Rule
from orchestra.sim.limits import Limits
from orchestra.sim.models import MODELS, PRICES_DATE, ModelProfile, cost_usd, profile
from orchestra.sim.server import Simulator, start

__all__ = [
    "Simulator",
    "start",
    "Faults",
    "Rule",
    "Limits",
    "MODELS",
    "PRICES_DATE",
    "ModelProfile",
    "cost_usd",
    "profile",
]
