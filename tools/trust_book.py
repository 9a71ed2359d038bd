"""Trust the book's notebooks as committed, so that JupyterLab draws their saved widgets.

    .venv/bin/python tools/trust_book.py [--root DIR] [--data-dir DIR]

JupyterLab shows the saved output of an *untrusted* notebook without its HTML, JavaScript and
widget views: a freshly cloned chapter 09 shows its review panel as ``VBox(children=(...``
and chapter 11 its finished progress bars as ``0%| | 0/16``. A notebook is trusted when its
signature is in the notary's database. ``make lab`` runs this script first: it signs every
notebook under notebooks/, solutions/ and exercises/ that is as committed (in a git checkout,
unchanged from HEAD; a notebook a learner has edited is left to them), in a database of the
kit's own (``--data-dir``, default ``.venv/share/jupyter/orchestra-trust``), which the lab is
started with (``--NotebookNotary.data_dir``). Nothing else on the machine is trusted or changed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.sign import NotebookNotary

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "solutions", "exercises")
DATA_DIR = Path(sys.prefix) / "share" / "jupyter" / "orchestra-trust"


def committed(root: Path) -> list[Path]:
    """The book's notebooks under ``root``, less those changed since the last commit."""
    books = sorted(p for f in FOLDERS for p in (root / f).glob("*.ipynb"))
    try:
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", *FOLDERS],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return books  # not a git checkout (a copy, an archive): the files are as shipped
    edited = {(root / line[3:].strip()).resolve() for line in changed.splitlines()}
    return [p for p in books if p.resolve() not in edited]


def trust(paths: list[Path], data_dir: Path) -> int:
    """Sign each notebook in the notary's database under ``data_dir``; how many were new."""
    data_dir.mkdir(parents=True, exist_ok=True)
    notary = NotebookNotary(data_dir=str(data_dir))
    signed = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not notary.check_signature(nb):
            notary.sign(nb)
            signed += 1
    return signed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the kit's folder")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="the notary's database")
    args = parser.parse_args(argv)
    paths = committed(args.root)
    signed = trust(paths, args.data_dir)
    print(f"trusted {len(paths)} notebooks as committed ({signed} newly signed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
