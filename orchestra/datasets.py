"""The small datasets shipped with the kit (chapters 01-04); their origin: ``orchestra/data/README.md``.

>>> tickets = load("tickets")      # a list of dicts, one per line of tickets.jsonl
>>> names()
['capstone_golden', 'documents', 'helpcenter', 'products', 'tickets']
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestra.errors import ConfigError

DATA = Path(__file__).resolve().parent / "data"


def names() -> list[str]:
    """The datasets there are."""
    return sorted(p.stem for p in DATA.glob("*.jsonl"))


def load(name: str) -> list[dict]:
    """One dataset as a list of records: ``load("tickets")``."""
    path = DATA / f"{name}.jsonl"
    if not path.exists():
        raise ConfigError(f"no dataset {name!r}; there are {names()}")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
