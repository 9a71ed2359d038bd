"""What every chapter 11 runner shares: its command line and the one JSON document it prints.

A runner is the capstone (``orchestra.examples.capstone``) wired in another system, run in that
system's own environment as a subprocess of the chapter:

    PYTHONPATH=<repo> .venv-agents/bin/python -m orchestra.examples.capstone_crewai \\
        --questions 3 --model claude-haiku-5-5

It reads ``ANTHROPIC_BASE_URL`` and ``ANTHROPIC_API_KEY`` from the environment (the chapter's
simulator, or the real API) and prints one JSON document on stdout:

    {"system": "crewai", "model": ..., "import_s": 1.9, "wall_s": 4.2,
     "results": [{"id", "category", "answer": {"answer", "sources"} or null,
                  "status": "completed" | "failed", "error": null or "Name: message"}]}

the same rows as ``orchestra.examples.capstone_frameworks``: ``failed`` with ``error`` naming
why (``UngroundedAnswerError``/``OutputFormatError`` when every draft failed ``validate``, or
a category the classify reply did not name; anything else is the framework or the transport
failing). Log lines go to stderr, one per step, so stdout stays one document.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

__all__ = ["parse_args", "result", "emit"]


def parse_args(system: str, argv: list[str] | None = None) -> argparse.Namespace:
    """The runner's options: ``--questions N`` (the first N golden ones), ``--model``,
    ``--max-regenerations``, ``--concurrency``; also sends the ``orchestra.capstone`` log to stderr."""
    ap = argparse.ArgumentParser(prog=f"python -m orchestra.examples.capstone_{system}")
    ap.add_argument("--questions", type=int, default=24, help="the first N golden questions")
    ap.add_argument("--model", default="claude-haiku-5-5")
    ap.add_argument("--max-regenerations", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=1, help="questions in flight at once")
    args = ap.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
    logging.getLogger("orchestra.capstone").setLevel(logging.INFO)
    return args


def result(gold: dict, category: str | None, answer: Any, error: Exception | None) -> dict:
    """One question's row: ``answer`` an ``Answer`` (or its dict) or None; ``error`` what
    stopped it. Every system's runner, in any environment, reports with this."""
    if answer is not None and not isinstance(answer, dict):
        answer = answer.model_dump()
    return {
        "id": gold["id"],
        "category": category,
        "answer": answer,
        "status": "completed" if error is None and answer is not None else "failed",
        "error": None if error is None else f"{type(error).__name__}: {error}",
    }


def emit(system: str, model: str, results: list[dict], import_s: float, wall_s: float) -> None:
    """Print the one JSON document on stdout."""
    doc = {
        "system": system,
        "model": model,
        "import_s": round(import_s, 3),
        "wall_s": round(wall_s, 3),
        "results": results,
    }
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()
