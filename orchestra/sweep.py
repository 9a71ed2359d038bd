"""Parameter sweeps: a notebook over a grid of parameters, with papermill and scrapbook (ch. 11).

A chapter is an experiment with knobs (its ``parameters`` cell). A sweep runs it once per point
of a grid, each point a papermill run in a kernel (a process) of its own, and gathers what each run
*glued* (``scrapbook.glue("cost_usd", x)``) into one DataFrame: a row per point, the parameters
and then the scraps.

    orchestra sweep notebooks/04_evaluator_optimizer.ipynb -p seed 0 1 2 -p threshold 0.8 0.9

    >>> df = sweep("notebooks/04_evaluator_optimizer.ipynb", {"seed": [0, 1, 2]}, workers=2)

It is resumable: point ``p`` writes ``<out>/<p>.ipynb`` (the executed notebook) and then
``<out>/<p>.json`` (its status, parameters and wall-clock seconds, written last and atomically).
A point whose record says ``ok`` and whose notebook is there is skipped next time; a failed,
interrupted or deleted one runs again. Killing the sweep loses no completed point. The table is
saved as ``results.csv`` and ``results.parquet`` beside the runs, and ``chart`` draws one scrap
against one parameter. ``tools/prefect_sweep.py`` runs the same points as a Prefect flow.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestra.errors import ConfigError, UnknownParameterError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "Point",
    "expand",
    "load_grid",
    "point_id",
    "check",
    "glue",
    "sweep",
    "collect",
    "chart",
]

KERNEL = "orchestra"
# Units for axis labels, read from a scrap's or a parameter's name ("cost_usd" -> USD).
UNITS = {"_usd": "USD", "_s": "s", "_ms": "ms", "_tokens": "tokens", "_pct": "%"}


Point = dict[str, Any]
"""One run's parameters, in the grid's order: ``{"seed": 0, "threshold": 0.9}``."""


SCRAP = "application/scrapbook.scrap.json+json"


def glue(name: str, value: Any, *, display: Any = None) -> None:
    """Record a JSON value in the running notebook's output, as ``scrapbook.glue`` does.

    The output is scrapbook's own (its media type and metadata), so ``collect`` and
    ``scrapbook.read_notebook`` read it; the kernel is spared scrapbook's import, which builds
    a URI grammar for several seconds.

        >>> glue("loop_cost_usd", 0.0141)
    """
    json.dumps(value)  # a value JSON cannot hold fails here, not when the sweep reads it
    if display is None:
        from IPython.display import display
    payload = {"name": name, "data": value, "encoder": "json", "version": 1}
    meta = {"scrapbook": {"name": name, "data": True, "display": False}}
    display({SCRAP: payload}, raw=True, metadata=meta)


def expand(grid: Mapping[str, Any], *, max_points: int = 1000) -> list[Point]:
    """The cartesian product of a grid, in order (the last name varies fastest).

    A list is the values to try; anything else is one fixed value. ``max_points`` bounds the
    product, which grows fast: past it a ``ConfigError`` says how many points you asked for.

        >>> expand({"seed": [0, 1], "model": "claude-haiku-5-5"})
        [{'seed': 0, 'model': 'claude-haiku-5-5'}, {'seed': 1, 'model': 'claude-haiku-5-5'}]
    """
    names = list(grid)
    values = [v if isinstance(v, list) else [v] for v in grid.values()]
    empty = [n for n, v in zip(names, values, strict=True) if not v]
    if empty:
        raise ConfigError(f"parameter {empty[0]!r} has no values to try; give at least one")
    size = 1
    for v in values:
        size *= len(v)
    if size > max_points:
        raise ConfigError(f"the grid has {size} points, more than max_points={max_points}")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def load_grid(path: str | Path) -> dict[str, Any]:
    """A grid from a YAML or JSON file: a mapping of parameter names to lists (or one value)."""
    import yaml  # JSON is YAML, so one reader serves both

    try:
        grid = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the grid file {path}: {exc}") from None
    if not isinstance(grid, dict) or not all(isinstance(k, str) for k in grid):
        raise ConfigError(f"{path} must map parameter names to values, e.g. 'seed: [0, 1, 2]'")
    return grid


def point_id(point: Point) -> str:
    """A stable, file-safe id: the parameters spelt out (cut at 60 characters) and a hash.

    >>> point_id({"seed": 0, "model": "claude-haiku-5-5"})
    'seed-0_model-claude-haiku-5-5-4ac9958a'
    """
    slug = "_".join(
        re.sub(r"[^A-Za-z0-9.=]+", "-", f"{k} {v}").strip("-") for k, v in point.items()
    )
    digest = hashlib.sha1(json.dumps(point, sort_keys=True).encode()).hexdigest()[:8]
    return f"{slug[:60].rstrip('-_')}-{digest}"


def parameters(notebook: Path) -> list[str]:
    """The names in a notebook's ``parameters`` cell (papermill reads them without running it)."""
    import papermill

    if notebook.suffix != ".ipynb" or not notebook.exists():
        raise ConfigError(f"{notebook} is not a notebook (.ipynb) that exists")
    names = list(papermill.inspect_notebook(str(notebook)))
    if not names:
        raise ConfigError(f"{notebook.name} has no cell tagged 'parameters' to sweep over")
    return names


def check(notebook: str | Path, grid: Mapping[str, Any]) -> None:
    """Raise ``UnknownParameterError`` if the grid names a parameter the notebook does not take."""
    known = parameters(Path(notebook))
    for name in grid:
        if name not in known:
            raise UnknownParameterError(
                f"{Path(notebook).name} has no parameter {name!r}; it takes: {', '.join(known)}",
                name=name,
                known=known,
            )


def _record(out: Path, pid: str) -> dict | None:
    """The status record of a point, or None if it never finished (or its notebook is gone)."""
    try:
        record = json.loads((out / f"{pid}.json").read_text())
    except (OSError, ValueError):
        return None
    return record if (out / f"{pid}.ipynb").exists() else None


def _error_line(exc: BaseException) -> str:
    """One line for a failed run: the exception a cell raised (``Name: message``), or another."""
    import papermill

    if isinstance(exc, papermill.PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}".splitlines()[0][:300]
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def run_point(notebook: Path, out: Path, point: Point, *, timeout: float = 600) -> dict:
    """Execute one point with papermill, in a kernel of its own; record how it ended.

    The record (``<id>.json``) is written after the run and atomically, so a sweep killed here
    leaves no record and the point runs again next time.
    """
    import papermill

    pid = point_id(point)
    (out / f"{pid}.json").unlink(missing_ok=True)
    start, error = time.perf_counter(), ""
    try:
        # Absolute paths, and the kernel started in the notebook's folder: papermill's own
        # cwd= would chdir the whole process, which threads running side by side share.
        papermill.execute_notebook(
            str(notebook.resolve()),
            str((out / f"{pid}.ipynb").resolve()),
            parameters=point,
            kernel_name=KERNEL,
            progress_bar=False,
            execution_timeout=timeout,
            resources={"metadata": {"path": str(notebook.parent.resolve())}},
        )
    except Exception as exc:  # a cell raised, timed out, or the kernel died: the point failed
        error = _error_line(exc)
    record = {
        "point": pid,
        "parameters": point,
        "status": "failed" if error else "ok",
        "error": error,
        "wall_s": round(time.perf_counter() - start, 3),
    }
    tmp = out / f"{pid}.json.tmp"
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, out / f"{pid}.json")
    return record


def sweep(
    notebook: str | Path,
    grid: Mapping[str, Any],
    *,
    workers: int = 1,
    out: str | Path | None = None,
    only: list[str] | None = None,
    max_points: int = 1000,
    timeout: float = 600,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run ``notebook`` at every point of ``grid`` not already done; return the table of all.

    ``workers`` points run at once (threads, each driving a kernel process of its own).
    ``out`` defaults to ``build/sweeps/<notebook name>``; ``only`` restricts the run to some
    point ids (the table still lists every point). ``timeout`` bounds each cell, in seconds.

        >>> df = sweep("notebooks/04_evaluator_optimizer.ipynb", {"seed": [0, 1]}, workers=2)
    """
    from tqdm.auto import tqdm

    notebook = Path(notebook).resolve()
    check(notebook, grid)
    points = expand(grid, max_points=max_points)
    ids = [point_id(p) for p in points]
    unknown = sorted(set(only or []) - set(ids))
    if unknown:
        raise ConfigError(f"no point of this grid has the id {unknown[0]!r}; see --list")
    out = Path(out) if out else Path("build") / "sweeps" / notebook.stem
    out.mkdir(parents=True, exist_ok=True)
    done = [
        p for p, i in zip(points, ids, strict=True) if (_record(out, i) or {}).get("status") == "ok"
    ]
    todo = [
        p for p, i in zip(points, ids, strict=True) if p not in done and (not only or i in only)
    ]
    start = time.perf_counter()
    with (
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
        tqdm(total=len(todo), desc=notebook.stem, unit="point", disable=not progress) as bar,
    ):
        futures = [pool.submit(run_point, notebook, out, p, timeout=timeout) for p in todo]
        try:
            for future in as_completed(futures):
                record = future.result()
                bar.update()
                if record["status"] != "ok":
                    bar.write(f"failed {record['point']}: {record['error']}")
        except KeyboardInterrupt:  # start nothing new; what finished is recorded already
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    failed = sum((_record(out, point_id(p)) or {}).get("status") != "ok" for p in todo)
    (log or print)(
        f"{notebook.name}: {len(points)} points, {len(done)} already done, {len(todo)} run "
        f"({failed} failed) in {time.perf_counter() - start:.1f} s wall-clock; results in {out}"
    )
    return collect(out, points)


def collect(out: str | Path, points: list[Point]) -> pd.DataFrame:
    """The table of a sweep: one row per point, its parameters, status and error, then its scraps.

    Written to ``results.csv`` and ``results.parquet`` in ``out``. A point that never finished
    has status ``missing``; one that failed keeps its error line and no scraps.
    """
    import pandas as pd
    import scrapbook

    out = Path(out)
    rows = []
    for point in points:
        pid = point_id(point)
        record = _record(out, pid) or {"status": "missing", "error": ""}
        row = {"point": pid, **point, "status": record["status"], "error": record["error"]}
        if record["status"] == "ok":
            row |= scrapbook.read_notebook(str(out / f"{pid}.ipynb")).scraps.data_dict
        rows.append(row)
    df = pd.DataFrame(rows)
    df.to_csv(out / "results.csv", index=False)
    df.to_parquet(out / "results.parquet", index=False)
    return df


def _label(name: str) -> str:
    unit = next((u for suffix, u in UNITS.items() if name.endswith(suffix)), None)
    return f"{name} ({unit})" if unit else name


def chart(
    df: pd.DataFrame, y: str, x: str, *, by: str | None = None, title: str | None = None
) -> Figure:
    """One scrap (``y``) against one parameter (``x``), a line per value of ``by``; mean ± range.

    Several rows at one ``x`` (other parameters, such as seeds, vary) are summarised by their
    mean, with a bar from the lowest to the highest value. Units come from the name
    (``cost_usd`` is in USD, ``makespan_s`` in seconds). Failed points are left out.

        >>> chart(df, "mean_grade", "threshold", by="grader").savefig("sweep.png")
    """
    import matplotlib.pyplot as plt

    ok = df[df["status"] == "ok"]
    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=100)
    groups = ok.groupby(by, sort=False) if by else [(None, ok)]
    for value, part in groups:
        stats = part.groupby(x, sort=True)[y].agg(["mean", "min", "max"])
        err = [stats["mean"] - stats["min"], stats["max"] - stats["mean"]]
        label = f"{by} = {value[0] if isinstance(value, tuple) else value}" if by else y
        ax.errorbar(stats.index, stats["mean"], yerr=err, marker="o", capsize=4, label=label)
    xs = sorted(ok[x].unique())
    if len(xs) <= 12:  # the values swept, and only those, as ticks (no 0.2 seeds)
        ax.set_xticks(xs, [str(v) for v in xs])
    ax.set_xlabel(_label(x))
    several = ok.groupby([by, x] if by else [x]).size().max() > 1
    ax.set_ylabel(_label(y) + (" (mean; bar: min to max)" if several else ""))
    ax.set_title(title or f"{y} against {x} ({len(ok)} of {len(df)} points succeeded)")
    if by:  # one line needs no legend
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def main(args: Any) -> int:
    """``orchestra sweep``: the command line's arguments (see ``orchestra/__main__.py``)."""
    import yaml

    grid: dict[str, Any] = load_grid(args.grid) if args.grid else {}
    for name, *values in args.param or []:  # "-p seed 0 1 2": each value read as YAML
        grid[name] = [yaml.safe_load(v) for v in values]
    if not grid:
        raise ConfigError("give a grid: -p NAME VALUE [VALUE ...] (repeatable) or --grid FILE")
    notebook = Path(args.notebook)
    out = Path(args.out) if args.out else Path("build") / "sweeps" / notebook.stem
    if args.list:
        check(notebook, grid)
        points = expand(grid, max_points=args.max_points)
        print(json.dumps([{"point": point_id(p), "parameters": p} for p in points], indent=1))
        return 0
    if args.collect:
        check(notebook, grid)
        df = collect(out, expand(grid, max_points=args.max_points))
    else:
        df = sweep(
            notebook,
            grid,
            workers=args.workers,
            out=out,
            only=args.only,
            max_points=args.max_points,
            timeout=args.timeout,
        )
    if not args.only:
        _draw(df, grid, out, y=args.y, x=args.x, by=args.by)
    shown = df[df["point"].isin(args.only)] if args.only else df
    print(shown.drop(columns=["point"]).to_string(index=False, max_colwidth=40))
    for row in shown[shown["status"] != "ok"].itertuples():  # last on stderr: what a caller shows
        print(f"{row.status} {row.point}: {row.error}", file=sys.stderr)
    return 0 if (shown["status"] == "ok").all() else 1


def _draw(df, grid, out: Path, *, y=None, x=None, by=None) -> None:
    """Save ``chart.png``: y defaults to the first numeric scrap, x to the first varying name."""
    varying = [n for n, v in grid.items() if isinstance(v, list) and len(v) > 1]
    scraps = [c for c in df.columns[len(grid) + 3 :] if df[c].dtype.kind in "if"]
    x = x or (varying[0] if varying else None)
    y = y or (scraps[0] if scraps else None)
    by = by or next((n for n in varying if n != x), None)
    if x is None or y is None or (df["status"] != "ok").all():
        print("no chart: nothing varies, no numeric scrap, or no point succeeded")
        return
    chart(df, y, x, by=by).savefig(out / "chart.png")
    print(f"chart: {out / 'chart.png'} ({y} against {x}{f', by {by}' if by else ''})")
