"""Tests for orchestra.phoenix: launch, wait with a hard timeout, read spans back, degrade.

A stand-in ``phoenix`` executable (a few lines of http.server) plays the server, so these run
in a second; the real Phoenix is exercised by chapter 10.
"""

import json
import sys
import time

from orchestra.phoenix import Phoenix

FAKE = """#!{python}
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            body = b"OK"
        elif self.path.startswith("/v1/projects/demo/spans"):
            body = json.dumps({{"data": [{{"name": "step"}}], "next_cursor": None}}).encode()
        else:
            self.send_response(404); self.end_headers(); return
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a):
        pass

assert os.environ["PHOENIX_TELEMETRY_ENABLED"] == "false"
assert os.environ["PHOENIX_HOST"] == "127.0.0.1"
HTTPServer(("127.0.0.1", int(os.environ["PHOENIX_PORT"])), H).serve_forever()
"""


def venv_with(tmp_path, script: str):
    (tmp_path / "bin").mkdir()
    exe = tmp_path / "bin" / "phoenix"
    exe.write_text(script.format(python=sys.executable))
    exe.chmod(0o755)
    return tmp_path


def test_serves_on_loopback_and_reads_spans_back(tmp_path):
    ui = Phoenix(venv_with(tmp_path, FAKE)).launch()
    try:
        assert ui.wait(timeout=20), ui.reason
        assert ui.url.startswith("http://127.0.0.1:") and ui.otlp_url.endswith("/v1/traces")
        assert ui.started_s is not None and ui.started_s < 20
        assert ui.spans("demo") == [{"name": "step"}]
        assert ui.spans("nothing-here", at_least=0) == []  # 404: no such project yet
    finally:
        ui.stop()
    assert ui._proc is None


def test_no_environment_says_what_to_run(tmp_path):
    ui = Phoenix(tmp_path / "missing").launch()
    assert ui.wait(timeout=5) is False
    assert "make phoenix" in ui.reason


def test_a_server_that_never_answers_times_out(tmp_path):
    ui = Phoenix(venv_with(tmp_path, "#!{python}\nimport time\ntime.sleep(60)\n")).launch()
    t0 = time.monotonic()
    try:
        assert ui.wait(timeout=1.5) is False
    finally:
        ui.stop()
    assert time.monotonic() - t0 < 10 and "did not answer within 2 s" in ui.reason


def test_a_crash_while_starting_is_reported(tmp_path):
    ui = Phoenix(venv_with(tmp_path, "#!{python}\nraise SystemExit(3)\n")).launch()
    assert ui.wait(timeout=10) is False
    assert "exited with status 3" in ui.reason
    ui.stop()


def test_an_existing_server_is_used_not_started(tmp_path):
    ui = Phoenix(tmp_path / "missing", url="http://127.0.0.1:9/").launch()
    assert ui.url == "http://127.0.0.1:9" and ui._proc is None
    assert ui.wait(timeout=0.5) is False and "did not answer" in ui.reason
    json.dumps(repr(ui))
