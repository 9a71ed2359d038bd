"""The model ids the kit names agree: the price table, the simulator, the sources and the SDK."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from orchestra import sim
from orchestra.prices import CATALOG, PRICES, listing

ROOT = Path(__file__).resolve().parents[1]
MODEL_ID = re.compile(r"\bclaude-(?:haiku|sonnet|opus)-\d+(?:-\d+)?(?:-\d{8})?\b")
SOURCES = [
    *ROOT.glob("notebooks/*.py"),
    *ROOT.glob("solutions/*.py"),
    *ROOT.glob("orchestra/**/*.py"),
    *ROOT.glob("bench/*.py"),
    ROOT / "README.md",
]
SHOWS_A_RETIREMENT = {"00_setup.py", "07_failures.py", "prices.py", "README.md"}
"""Where a retired id may appear: the places that show it being refused (and the table)."""


def named() -> dict[str, set[str]]:
    """Model id -> the files that name it."""
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        for model in MODEL_ID.findall(path.read_text()):
            found.setdefault(model, set()).add(path.name)
    return found


def test_the_simulator_serves_exactly_the_models_the_table_prices():
    assert set(sim.MODELS) == set(PRICES) <= set(CATALOG)


def test_every_model_the_sources_name_is_in_the_table():
    unknown = {m: sorted(f) for m, f in named().items() if listing(m) is None}
    assert not unknown, f"model ids the price table does not list: {unknown}"


def test_a_retired_model_is_named_only_where_its_refusal_is_shown():
    for model, files in named().items():
        if listing(model) is not None and listing(model).status == "retired":
            assert files <= SHOWS_A_RETIREMENT, (model, sorted(files - SHOWS_A_RETIREMENT))


def test_check_latest_reports_each_model_as_the_sdk_lists_it():
    sys.path.insert(0, str(ROOT / "tools"))
    from check_latest import model_status

    rows = {
        name: (kit, sdk)
        for name, kit, sdk in model_status(
            ["claude-haiku-5-5", "claude-sonnet-4-5"], {"claude-sonnet-4-5": "November 30th, 2026"}
        )
    }
    assert rows["claude-haiku-5-5"] == ("active", "active")
    assert rows["claude-opus-5-5"] == ("active", "missing")
    assert rows["claude-sonnet-4-5"] == ("retired (2026-11-30)", "deprecated (November 30th, 2026)")
