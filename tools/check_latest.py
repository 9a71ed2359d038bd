"""`make check-latest`: the newest releases of the SDK and its integrations against the simulator.

Builds a throwaway environment (a temporary directory, removed afterwards) with the kit's own
pins except these packages, which take their newest releases; runs tests/test_integrations.py
and langchain's standard suite (tests/conformance) there; prints the versions and a table of
what broke and why. The kit's .venv and lock files are not touched.

It also reads the newest SDK's model list (``types/model_param.py``) and deprecation table
(``_data/deprecated_models.py``) and prints, for each model the kit names
(``orchestra.prices.CATALOG``), whether that SDK lists it as active, deprecated (with the date)
or not at all: the warning before the next retirement reaches a notebook.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LATEST = [
    "anthropic",
    "langchain-anthropic",
    "langchain-core",
    "llama-index-core",
    "llama-index-llms-anthropic",
    "langgraph",
]
EXTRA = ["langchain-tests", "pytest-asyncio"]  # the conformance suite's own needs


SDK_MODELS = r"""
import json, typing
import anthropic.types.model_param as mp
try:
    from anthropic._data.deprecated_models import DEPRECATED_MODELS
except ImportError:
    DEPRECATED_MODELS = {}
listed = [a for arg in typing.get_args(mp.ModelParam) for a in typing.get_args(arg)]
print(json.dumps({"listed": listed, "deprecated": DEPRECATED_MODELS}))
"""


def model_status(listed: list[str], deprecated: dict[str, str]) -> list[tuple[str, str, str]]:
    """(model, what the kit says, what the SDK says) for every model and snapshot the kit names.

    >>> model_status(["claude-haiku-5-5"], {"claude-opus-4-5": "January 22nd, 2027"})[:1]
    [('claude-haiku-5-5', 'active', 'active')]
    """
    sys.path.insert(0, str(ROOT))
    from orchestra.prices import CATALOG

    rows = []
    for m in CATALOG.values():
        kit = m.status + (f" ({m.until})" if m.until else "")
        for name in (m.id, *m.snapshots):
            if name in deprecated:
                sdk = f"deprecated ({deprecated[name]})"
            elif name in listed:
                sdk = "active"
            else:
                sdk = "missing"
            rows.append((name, kit, sdk))
    return rows


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, text=True, **kw)


def failures(report: Path) -> list[tuple[str, str, str]]:
    """(test, outcome, why) for each test that did not pass, from a JUnit XML report."""
    rows = []
    if not report.exists():
        return [("(no report)", "error", "pytest did not run")]
    for case in ET.parse(report).iter("testcase"):
        for kind in ("failure", "error"):
            node = case.find(kind)
            if node is not None:
                why = (node.get("message") or node.text or "").strip().splitlines()
                rows.append((case.get("name"), kind, (why[0] if why else "")[:110]))
    return rows


def summary(report: Path) -> str:
    if not report.exists():
        return "no report"
    suite = next(ET.parse(report).iter("testsuite"))
    n, f, e, s = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    return f"{n - f - e - s} passed, {f} failed, {e} errors, {s} skipped"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--uv", default="uv")
    ap.add_argument("--keep", action="store_true", help="keep the environment and print its path")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="orchestra-latest-"))
    venv = tmp / "venv"
    try:
        if run([args.uv, "venv", "-q", "--python", sys.executable, str(venv)]).returncode:
            return 1
        py = str(venv / "bin" / "python")
        overrides = tmp / "overrides.txt"  # lift the kit's exact pins on these packages only
        overrides.write_text("".join(f"{p}>=0\n" for p in LATEST))
        pins = [
            p
            for p in (ROOT / "tests/conformance/pyproject.toml").read_text().split('"')
            if "==" in p and p.startswith("langchain-tests")
        ]
        install = [args.uv, "pip", "install", "-q", "--python", py, "--override", str(overrides)]
        if run([*install, "-e", str(ROOT), *LATEST, *(pins or EXTRA[:1]), EXTRA[1]]).returncode:
            print(
                "could not install the newest releases together (see the resolver's message above)"
            )
            return 1
        versions = subprocess.run(
            [
                py,
                "-c",
                "import importlib.metadata as m\nfor p in %r: print(p, m.version(p))"
                % (LATEST + EXTRA[:1]),
            ],
            capture_output=True,
            text=True,
        ).stdout
        reports = {"integrations": tmp / "integrations.xml", "conformance": tmp / "conformance.xml"}
        run(
            [
                py,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=",
                "-p",
                "no:xdist",
                "-p",
                "no:asyncio",
                "tests/test_integrations.py",
                f"--junitxml={reports['integrations']}",
            ],
            cwd=ROOT,
        )
        run(
            [
                py,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={reports['conformance']}",
            ],
            cwd=ROOT / "tests/conformance",
            env={**__import__("os").environ, "ORCHESTRA_SIM_PYTHON": py},
        )
        sdk = subprocess.run([py, "-c", SDK_MODELS], capture_output=True, text=True)
        print("\n== newest releases\n" + versions)
        if sdk.returncode == 0:
            said = json.loads(sdk.stdout)
            print("== the kit's models in the newest SDK")
            for name, kit, in_sdk in model_status(said["listed"], said["deprecated"]):
                stale = (kit.startswith("active") and in_sdk != "active") or (
                    kit.startswith("retired") and in_sdk == "active"
                )
                print(f"{name:30} kit: {kit:26} SDK: {in_sdk}" + ("  <- check" if stale else ""))
        else:
            print("could not read the SDK's model list:", sdk.stderr.strip()[-300:])
        print("== results")
        for name, report in reports.items():
            print(f"{name:14} {summary(report)}")
        rows = [(name, *row) for name, report in reports.items() for row in failures(report)]
        print("\n== what broke, and why" if rows else "\nnothing broke")
        for suite, test, kind, why in rows:
            print(f"{suite:13} | {test[:60]:60} | {kind:7} | {why}")
        return 1 if rows else 0
    finally:
        if args.keep:
            print("kept", venv)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
