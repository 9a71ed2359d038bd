"""Seeded, reproducible faults for the simulator (chapters 00 and 07).

Two ways to make a call fail:

- rates: ``Faults(overloaded=0.1)`` makes about 10% of calls answer 529, drawn from a random
  generator seeded by the simulator's seed and the request itself, so a rerun fails the same calls;
- a script: ``Faults(plan=[Rule("overloaded", match="invoice", nth=3)])`` makes exactly the third
  call whose prompt matches ``invoice`` fail with 529, so a chapter can stage a failure.

Kinds: ``rate_limit`` (429), ``overloaded`` (529), ``server_error`` (500), ``hang`` (no answer
until the client gives up), ``truncate`` (the answer stops early with ``max_tokens``) and
``bad_json`` (an answer that should be JSON does not parse; a tool answer loses a field).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from orchestra.errors import SimulatorError

FaultKind = Literal["rate_limit", "overloaded", "server_error", "hang", "truncate", "bad_json"]
KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]
HTTP_FAULTS = {"rate_limit": 429, "overloaded": 529, "server_error": 500}


@dataclass
class Rule:
    """One scripted fault: calls whose prompt matches ``match`` fail on their ``nth`` occurrence."""

    kind: FaultKind
    """What happens to the call."""
    match: str = ""
    """Regular expression searched in the system prompt and messages ("" matches every call)."""
    nth: int | Sequence[int] | None = None
    """1-based occurrence(s) among matching calls; None means every matching call."""
    model: str | None = None
    """Only calls to this model, if given."""
    seen: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SimulatorError(f"unknown fault kind {self.kind!r}; use one of {KINDS}")
        try:
            self._pattern = re.compile(self.match, re.IGNORECASE | re.DOTALL)
        except re.error as exc:
            raise SimulatorError(f"Rule.match {self.match!r} is not a valid regex: {exc}") from None
        if isinstance(self.nth, int):
            self.nth = (self.nth,)

    def fires(self, model: str, prompt: str) -> bool:
        """Count this call if it matches; true when the count is one of ``nth``."""
        if (self.model and self.model != model) or not self._pattern.search(prompt):
            return False
        self.seen += 1
        return self.nth is None or self.seen in self.nth


@dataclass
class Faults:
    """Fault rates (0..1 each, per call) and a scripted plan; all zero by default."""

    rate_limit: float = 0.0
    overloaded: float = 0.0
    server_error: float = 0.0
    hang: float = 0.0
    truncate: float = 0.0
    bad_json: float = 0.0
    plan: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        rates = [getattr(self, k) for k in KINDS]
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0:
            raise SimulatorError(
                f"fault rates must each be in 0..1 and sum to at most 1, "
                f"got {dict(zip(KINDS, rates, strict=True))}"
            )

    def pick(self, model: str, prompt: str, rng: random.Random) -> str | None:
        """The fault for this call, or None: scripted rules first, then one draw against the rates."""
        for rule in self.plan:
            if rule.fires(model, prompt):
                return rule.kind
        roll, edge = rng.random(), 0.0
        for kind in KINDS:
            edge += getattr(self, kind)
            if roll < edge:
                return kind
        return None
