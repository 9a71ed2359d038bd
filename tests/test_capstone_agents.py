"""Chapter 11's CrewAI and AutoGen runners, each run in ``.venv-agents`` against a simulator here.

Each runner answers the first three golden questions; the tests read the JSON document it
prints, the simulator's log (the calls reached it) and the requests it received (the
framework's prompt shapes: its role prompt, the capstone's prompt inside, a retry's turns),
and check the mechanics, not the accuracy. ``make agents`` (or ``make test``) creates the
environment; without it these tests fail and say so.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from orchestra import sim
from orchestra.examples import capstone as cap
from orchestra.sim import brain

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv-agents" / "bin" / "python"
N = 3


@pytest.fixture
def recorded(monkeypatch):
    """A simulator that also keeps each request it answered: (system, messages, answer)."""
    seen, answer = [], brain.answer

    def spy(req, *args, **kwargs):
        got = answer(req, *args, **kwargs)
        seen.append((req.system_text, req.model_dump()["messages"], got))
        return got

    monkeypatch.setattr(brain, "answer", spy)
    s = sim.start(seed=0)
    try:
        yield s, seen
    finally:
        s.stop()


def run(system: str, s: sim.Simulator, home: Path) -> dict:
    """The runner's JSON document; ``home`` keeps the files CrewAI writes (a key under
    ~/.local/share/crewai) out of the user's home."""
    if not PYTHON.exists():
        pytest.fail(f"{PYTHON} is missing: run `make agents` (make test creates it)")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ANTHROPIC_BASE_URL": s.url,
        "ANTHROPIC_API_KEY": "sk-sim-placeholder",
        "HOME": str(home),
    }
    proc = subprocess.run(
        [str(PYTHON), "-m", f"orchestra.examples.capstone_{system}", "--questions", str(N)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a loaded machine; idle, each runner takes seconds
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"stdout must be one JSON document, got {proc.stdout[:500]!r}"
    doc = json.loads(lines[0])
    assert proc.stderr.count("classify: ") == N  # one log line per step, on stderr
    return doc


def check_document(doc: dict, system: str) -> None:
    assert doc["system"] == system and doc["model"] == "claude-haiku-5-5"
    assert 0 < doc["import_s"] < doc["wall_s"]
    assert [r["id"] for r in doc["results"]] == [q["id"] for q in cap.golden(N)]
    for r in doc["results"]:
        assert cap.parse_category(r["category"]) == r["category"], r
        assert r["status"] in ("completed", "failed"), r
        assert (r["error"] is None) == (r["status"] == "completed"), r
        if r["status"] == "completed":
            assert cap.validate(json.dumps(r["answer"]), cap.retrieve(*question_of(r)))
        else:  # refused by validate; never the framework choking (its parsing, an HTTP error)
            assert r["answer"] is None
            assert r["error"].split(":")[0] in ("OutputFormatError", "UngroundedAnswerError")


def question_of(r: dict) -> tuple[str, str]:
    gold = next(q for q in cap.golden(N) if q["id"] == r["id"])
    return gold["question"], r["category"]


def check_calls(s: sim.Simulator, seen: list, most_per_question: int) -> None:
    assert all(rec["status"] == 200 for rec in s.log)
    assert 2 * N <= len(s.log) <= most_per_question * N  # classify + 1..(1 + retries) drafts
    assert len(seen) == len(s.log)


def text_of(messages: list[dict]) -> str:
    parts = []
    for m in messages:
        c = m["content"]
        parts.append(c if isinstance(c, str) else "\n".join(b.get("text", "") for b in c))
    return "\n".join(parts)


def test_crewai_runner(recorded, tmp_path):
    s, seen = recorded
    doc = run("crewai", s, tmp_path)
    check_document(doc, "crewai")
    check_calls(s, seen, most_per_question=3)
    opening = cap.classify_prompt("")[:60]  # the same for every question
    classify = [(sy, m, a) for sy, m, a in seen if opening in text_of(m)]
    assert len(classify) == N
    for system, messages, answer in seen:
        # CrewAI's shape: the agent's role, backstory and goal as the system prompt; the
        # capstone's prompt inside its task wrapper, the expected output after it
        assert system.startswith("You are Support ") and "Your personal goal is:" in system
        assert "final answer" in text_of(messages)
        if answer.task == "classify":
            assert cap.parse_category(answer.text)
        else:
            assert answer.is_json and set(json.loads(answer.text)) == {"answer", "sources"}
    assert {a.task for _, _, a in classify} == {"classify"}


def test_autogen_runner(recorded, tmp_path):
    s, seen = recorded
    doc = run("autogen", s, tmp_path)
    check_document(doc, "autogen")
    check_calls(s, seen, most_per_question=3)
    retries = 0
    for system, messages, answer in seen:
        assert system.startswith("You are a support ")  # the agent's system message
        if "triage" in system:
            assert answer.task == "classify" and cap.parse_category(answer.text)
            continue
        # the writer: the generate prompt first; a retry is the checker's reason as a new
        # user turn after the writer's own draft, and keeps the JSON form asked at first
        assert '"sources"' in text_of(messages[:1])
        retries += len(messages) > 1
        assert [m["role"] for m in messages][-1] == "user"
        assert answer.is_json and set(json.loads(answer.text)) == {"answer", "sources"}
    # a refused question had max_regenerations (1) retries before giving up
    assert retries >= sum(r["status"] == "failed" for r in doc["results"])
