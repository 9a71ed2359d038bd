"""Tests for orchestra/sweep.py (`orchestra sweep`) and tools/prefect_sweep.py.

They sweep a tiny notebook (tests/sweep_fixture.py, written out as .ipynb here) that glues a
seeded random value and fails on purpose at one seed; the expected values are computed here
with the same two lines, independently of the sweep.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import jupytext
import pandas as pd
import pytest

from orchestra import sweep as sw
from orchestra.errors import ConfigError, UnknownParameterError

ROOT = Path(__file__).resolve().parents[1]
PREFECT_PYTHON = ROOT / ".venv-prefect" / "bin" / "python"
GRID = {"seed": [0, 1], "fail_at": 1}  # two points; seed 1 fails


def value(seed: int) -> float:
    return round(random.Random(seed).random() * 1.0, 6)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("nb") / "fixture.ipynb"
    jupytext.write(jupytext.read(ROOT / "tests" / "sweep_fixture.py"), path)
    return path


@pytest.fixture(scope="module")
def first(notebook, tmp_path_factory):
    """The grid swept once with two workers: (table, output folder, log lines)."""
    out, lines = tmp_path_factory.mktemp("runs"), []
    df = sw.sweep(notebook, GRID, workers=2, out=out, progress=False, log=lines.append)
    return df, out, lines


def test_the_grid_is_a_cartesian_product_in_order():
    points = sw.expand({"seed": [0, 1], "model": ["a", "b"], "n": 3})
    assert points == [
        {"seed": 0, "model": "a", "n": 3},
        {"seed": 0, "model": "b", "n": 3},
        {"seed": 1, "model": "a", "n": 3},
        {"seed": 1, "model": "b", "n": 3},
    ]
    with pytest.raises(ConfigError, match="no values"):
        sw.expand({"seed": []})
    with pytest.raises(ConfigError, match="12 points"):
        sw.expand({"a": [1, 2, 3], "b": [1, 2, 3, 4]}, max_points=10)


def test_a_grid_file_in_yaml_or_json(tmp_path):
    (tmp_path / "g.yaml").write_text("seed: [0, 1]\nmodel: claude-haiku-5-5\n")
    (tmp_path / "g.json").write_text('{"seed": [0, 1], "model": "claude-haiku-5-5"}')
    assert sw.load_grid(tmp_path / "g.yaml") == sw.load_grid(tmp_path / "g.json")
    (tmp_path / "bad.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must map parameter names"):
        sw.load_grid(tmp_path / "bad.yaml")


def test_point_ids_are_stable_distinct_and_file_safe():
    a = sw.point_id({"seed": 0, "writers": ["claude-haiku-5-5", "x/y"]})
    assert a == sw.point_id({"seed": 0, "writers": ["claude-haiku-5-5", "x/y"]})
    assert a != sw.point_id({"seed": 1, "writers": ["claude-haiku-5-5", "x/y"]})
    assert a.startswith("seed-0_writers-claude-haiku-5-5-x-y-") and "/" not in a and " " not in a


def test_an_unknown_parameter_is_a_named_error(notebook):
    with pytest.raises(UnknownParameterError, match="no parameter 'sed'") as caught:
        sw.check(notebook, {"sed": [1]})
    assert caught.value.known == ["seed", "scale", "fail_at"]


def test_the_command_line_says_so_in_one_line(notebook, tmp_path):
    cli = [sys.executable, "-m", "orchestra", "sweep", str(notebook), "--out", str(tmp_path)]
    done = subprocess.run([*cli, "-p", "sed", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "orchestra sweep: error: fixture.ipynb has no parameter 'sed'; "
        "it takes: seed, scale, fail_at"
    ]
    assert list(tmp_path.iterdir()) == []  # nothing ran


def test_the_table_has_the_parameters_then_the_scraps(first):
    df, out, _ = first
    assert list(df.columns) == [
        "point",
        "seed",
        "fail_at",
        "status",
        "error",
        "value_usd",
        "doubled",
        "label",
    ]
    assert df["seed"].tolist() == [0, 1] and df["status"].tolist() == ["ok", "failed"]
    ok = df.iloc[0]
    assert ok["value_usd"] == value(0) and ok["doubled"] == 2 * value(0)
    assert ok["label"] == "seed 0" and ok["error"] == ""
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), df)
    assert (out / "results.csv").exists()


def test_a_failing_point_is_recorded_with_its_error(first):
    df, out, lines = first
    failed = df.iloc[1]
    assert failed["status"] == "failed"
    assert failed["error"] == "ValueError: asked to fail at seed 1"
    assert pd.isna(failed["value_usd"])
    record = json.loads((out / f"{failed['point']}.json").read_text())
    assert record["status"] == "failed" and record["parameters"] == {"seed": 1, "fail_at": 1}
    assert "2 points, 0 already done, 2 run (1 failed)" in lines[0]


def test_a_second_run_skips_what_is_done_and_reruns_the_rest(notebook, first):
    df, out, _ = first
    seed0, seed1 = df["point"]
    stamp = lambda p: (out / f"{p}.json").stat().st_mtime_ns  # the record is rewritten by a run
    before, lines = {p: stamp(p) for p in df["point"]}, []
    run = lambda grid, **kw: sw.sweep(
        notebook, grid, out=out, progress=False, log=lines.append, **kw
    )

    assert run({"seed": [0], "fail_at": 1})["status"].tolist() == ["ok"]
    assert "1 points, 1 already done, 0 run" in lines[-1]  # nothing executed
    assert {p: stamp(p) for p in df["point"]} == before

    run(GRID)  # the failed point runs again, the done one does not
    assert "2 points, 1 already done, 1 run (1 failed)" in lines[-1]
    assert stamp(seed0) == before[seed0] and stamp(seed1) != before[seed1]

    (out / f"{seed0}.ipynb").unlink()  # a deleted output runs again
    one_worker = run(GRID, workers=1, only=[seed0])
    assert "2 points, 0 already done, 1 run (0 failed)" in lines[-1]
    assert stamp(seed0) != before[seed0]
    pd.testing.assert_frame_equal(one_worker, df)  # run by one worker or two: the same table


def test_a_point_killed_before_its_record_was_written_is_not_done(first):
    df, out, _ = first
    record = out / f"{df['point'][0]}.json"
    saved = record.read_text()
    record.unlink()  # as if the sweep died after papermill wrote the notebook
    try:
        assert sw.collect(out, sw.expand(GRID))["status"].tolist() == ["missing", "failed"]
    finally:
        record.write_text(saved)
    assert sw.collect(out, sw.expand(GRID))["status"].tolist() == ["ok", "failed"]


def test_the_chart_labels_its_axes_with_units(first, tmp_path):
    df, _, _ = first
    fig = sw.chart(df, "value_usd", "seed")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "seed" and ax.get_ylabel() == "value_usd (USD)"
    assert ax.get_title() == "value_usd against seed (1 of 2 points succeeded)"
    fig.savefig(tmp_path / "chart.png")


def test_the_prefect_flow_returns_the_same_table(notebook, first, tmp_path):
    assert PREFECT_PYTHON.exists(), f"{PREFECT_PYTHON} is missing: run `make prefect-env`"
    df, _, _ = first
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    command = [str(PREFECT_PYTHON), str(ROOT / "tools" / "prefect_sweep.py"), str(notebook)]
    command += ["-p", "seed", "0", "1", "-p", "fail_at", "1", "--out", str(tmp_path / "runs")]
    command += ["--workers", "2", "--retries", "0", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr[-3000:]  # one point fails, as in the core's sweep
    table = pd.DataFrame(json.loads(done.stdout.splitlines()[-1])["records"])
    pd.testing.assert_frame_equal(table, df, check_dtype=False)
    assert len(list((tmp_path / "runs").glob("*.json"))) == 2  # Prefect's tasks ran both
    assert "1 of 2 points completed" in done.stdout + done.stderr


def test_glue_writes_what_scrapbook_reads(tmp_path):
    import nbformat
    import scrapbook

    from orchestra.sweep import glue

    outputs = []

    def display(data, raw, metadata):
        outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=metadata))

    glue("loop_cost_usd", 0.0141, display=display)
    glue("rounds", [1, 2], display=display)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("glue(...)", outputs=outputs))
    path = tmp_path / "glued.ipynb"
    nbformat.write(nb, path)
    assert scrapbook.read_notebook(str(path)).scraps.data_dict == {
        "loop_cost_usd": 0.0141,
        "rounds": [1, 2],
    }
    with pytest.raises(TypeError):
        glue("frame", object(), display=display)
