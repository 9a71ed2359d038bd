"""Redaction of secrets from any text we keep: previews, traces, logs, checkpoints
(tests/test_secrets.py scans every artifact for keys).

>>> redact("key=" + "sk-ant-" + "api03-abcdefghijklmnopqrstuv")   # split so scanners stay quiet
'key=[REDACTED]'
"""

from __future__ import annotations

import re

# Anthropic keys, other "sk-" style keys, bearer tokens and key headers written out in text.
_SECRET = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]{8,}"
    r"|\bsk-[A-Za-z0-9_\-]{16,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._\-]{16,}"
    r"|(?i:x-api-key|api[_-]?key|authorization)[\"']?\s*[:=]\s*[\"']?[^\s\"',}]{8,}"
)


def redact(text: str) -> str:
    """Replace anything that looks like an API key or token with ``[REDACTED]``."""
    return _SECRET.sub("[REDACTED]", text)
