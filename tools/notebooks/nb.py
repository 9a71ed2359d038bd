"""Build a notebook from a compact Python description, then execute it in place.

Each chapter's notebooks (chapter, exercise, solution) are written by a script beside this
one (bNN.py, with eNN.py / bNNx.py for exercises); run it to rebuild them after changing the
script, the package or the simulator: ``.venv/bin/python tools/notebooks/b03.py``, or
``make notebooks`` for all. Exercises are saved without outputs; the rest are executed with
the ``orchestra`` kernel, so their committed outputs are what nbval checks.

Usage in a build script:  from nb import md, code, params, build, ROOT
    build(f"{ROOT}/notebooks/00_setup.ipynb", [md("..."), params("..."), code("...")])
"""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = str(Path(__file__).resolve().parents[2])  # the repository


def md(src):
    return nbformat.v4.new_markdown_cell(src.strip("\n"))


def code(src, tags=()):
    c = nbformat.v4.new_code_cell(src.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def params(src):
    return code(src, tags=["parameters"])


def build(path, cells, test_parameters=None, execute=True, timeout=600):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {
        "name": "orchestra",
        "display_name": "Python (orchestra)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    if test_parameters is not None:
        nb.metadata["orchestra"] = {"test_parameters": test_parameters}
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i:02d}"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    if execute:
        r = subprocess.run(
            [
                str(Path(ROOT) / ".venv/bin/jupyter"),
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--inplace",
                f"--ExecutePreprocessor.timeout={timeout}",
                "--ExecutePreprocessor.kernel_name=orchestra",
                str(path),
            ],
            cwd=path.parent,
            capture_output=True,
            text=True,
        )
        if r.returncode:
            print(r.stderr[-3000:])
            sys.exit(1)
        # strip volatile metadata so diffs stay small
        nb = nbformat.read(path, as_version=4)
        for c in nb.cells:
            c.metadata.pop("execution", None)
        nbformat.write(nb, path)
    print("built", path)
