"""Redaction of secrets from any text we keep: previews, traces, logs, checkpoints
(tests/test_secrets.py scans every artifact for keys); and of a customer's personal data from
what leaves the process (``redact_pii``: chapter 10's spans sent to a trace UI).

>>> redact("key=" + "sk-ant-" + "api03-abcdefghijklmnopqrstuv")   # split so scanners stay quiet
'key=[REDACTED]'
>>> redact_pii("card 4242 4242 4242 4242, write to jo@example.com")
'card [CARD], write to [EMAIL]'
"""

from __future__ import annotations

import re

__all__ = ["redact", "redact_pii"]

# Anthropic keys, other "sk-" style keys, bearer tokens and key headers written out in text.
_SECRET = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]{8,}"
    r"|\bsk-[A-Za-z0-9_\-]{16,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._\-]{16,}"
    r"|(?i:x-api-key|api[_-]?key|authorization)[\"']?\s*[:=]\s*[\"']?[^\s\"',}]{8,}"
)
# Personal data a support ticket may carry. A card number is 13-19 digits, in groups or not;
# a phone number a "+" or a leading 0 and 8+ digits. Order numbers ("order 4471") stay.
_PII = [
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "[EMAIL]"),
    (re.compile(r"\b\d(?:[ -]?\d){12,18}\b"), "[CARD]"),
    (re.compile(r"(?:\+|\b0)\d(?:[ ()-]?\d){7,}\b"), "[PHONE]"),
]


def redact(text: str) -> str:
    """Replace anything that looks like an API key or token with ``[REDACTED]``."""
    return _SECRET.sub("[REDACTED]", text)


def redact_pii(text: str) -> str:
    """``redact``, then e-mail addresses, card and phone numbers replaced by ``[EMAIL]``,
    ``[CARD]``, ``[PHONE]``: for text sent to a third party (a trace UI, a log service)."""
    text = redact(text)
    for pattern, label in _PII:
        text = pattern.sub(label, text)
    return text
