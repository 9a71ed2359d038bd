"""Tests for how orchestra imports: lazily, and in layers that a checker holds it to."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a clean sys.modules), from the repository."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_the_engine_loads_neither_the_sdk_nor_the_server():
    out = python(
        "import sys, orchestra, orchestra.workflow, orchestra.compose\n"
        "print(sorted(m for m in ('anthropic', 'aiohttp') if m in sys.modules))\n"
        "print('pydantic' in sys.modules)"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "True"]  # the check sees real imports


def test_public_names_after_the_engine_was_imported_first():
    out = python(
        "import inspect, sys, orchestra.workflow\n"
        "from orchestra import step, LLM, sim, Workflow\n"
        "import orchestra.steps, orchestra.llm, orchestra.workflow as wf\n"
        "assert inspect.isfunction(step) and step is orchestra.steps.step, step\n"
        "assert LLM is orchestra.llm.LLM, LLM\n"
        "assert inspect.ismodule(sim) and sim.__name__ == 'orchestra.sim' and sim.start\n"
        "assert Workflow is wf.Workflow\n"
        "print('anthropic' in sys.modules, 'aiohttp' in sys.modules)"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True True"  # asking for LLM and sim loads them


def test_an_unknown_public_name_is_an_attribute_error():
    out = python(
        "import orchestra\ntry:\n    orchestra.Nope\nexcept AttributeError as e:\n    print(e)"
    )
    assert out.returncode == 0 and "no attribute 'Nope'" in out.stdout


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    # lint-imports puts its working directory first on sys.path, and grimp finds the package
    # there; PYTHONPATH says the same, so the copy is analysed, not the editable install.
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", "pyproject.toml"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package and its layer contracts, copied where a test may break them."""
    shutil.copytree(
        ROOT / "orchestra", tmp_path / "orchestra", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layer_checker_passes_the_package_as_it_is(copy: Path):
    out = lint_imports(copy)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0 broken" in out.stdout


def test_the_layer_checker_fails_when_the_engine_imports_the_client(copy: Path):
    with open(copy / "orchestra" / "policies.py", "a") as f:
        f.write("\nimport orchestra.llm  # noqa\n")
    out = lint_imports(copy)
    assert out.returncode != 0
    broken = "The engine knows neither the client nor the simulator, nor their libraries BROKEN"
    assert broken in out.stdout, out.stdout + out.stderr
    assert "orchestra.policies -> orchestra.llm" in out.stdout
