"""What the client and the simulator agree on over HTTP, beyond the Messages API (chapter 00).

The simulator answers with two headers of its own; the client reads them to charge simulated
time. Both import the names from here, so the client never imports the simulator.

    >>> MODEL_SECONDS_HEADER
    'orchestra-sim-model-seconds'
"""

from __future__ import annotations

__all__ = ["MODEL_SECONDS_HEADER", "TIME_SCALE_HEADER", "PLACEHOLDER_KEY"]

MODEL_SECONDS_HEADER = "orchestra-sim-model-seconds"
"""Response header with the call's simulated duration (one of the simulator's two additions)."""
TIME_SCALE_HEADER = "orchestra-sim-time-scale"
"""Response header with the wall-clock seconds the simulator sleeps per simulated second."""
PLACEHOLDER_KEY = "sim-placeholder-key"
"""The key clients send the simulator: not a secret, any non-empty key is accepted."""
