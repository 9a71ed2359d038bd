"""Thinking-block signatures (chapter 00): seeded, checkable, bound to the transcript before them.

A thinking block comes back with a ``signature``; replayed in a later request, the model checks
it. The simulator's signature is two seeded digests: one of the block's text (an edited thought
fails it, on every model) and one of the text and everything before the block (system prompt,
tools, earlier turns): an edited history fails that one, on the models whose thinking is bound
to its transcript (``prices.Listing.bound_thinking``). Like the real one, it reveals nothing.

    >>> s = sign(0, "claude-opus-5-5", "Think.", "p")
    >>> check(0, "claude-opus-5-5", "Think.", "p", s), check(0, "claude-opus-5-5", "Think!", "p", s)
    ('ok', 'edited')
    >>> check(0, "claude-opus-5-5", "Think.", "q", s)
    'moved'
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Literal

from orchestra.prices import canonical
from orchestra.sim.api import Request, text_of

Verdict = Literal["ok", "edited", "moved"]


def _mac(*parts: object) -> bytes:
    return hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:12]


def sign(seed: int, model: str, text: str, prefix: str) -> str:
    """The signature of a thinking block's ``text`` written after the transcript ``prefix``."""
    model = canonical(model)
    return base64.b64encode(_mac(seed, model, text) + _mac(seed, model, text, prefix)).decode()


def check(seed: int, model: str, text: str, prefix: str, signature: str) -> Verdict:
    """``ok``, ``edited`` (not this model's signature of this text) or ``moved`` (the same text
    after another transcript)."""
    good = sign(seed, model, text, prefix)
    if signature == good:
        return "ok"
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        return "edited"
    return "moved" if raw[:12] == base64.b64decode(good)[:12] else "edited"


def prefix(req: Request, turn: int, block: int = 0) -> str:
    """A digest of what comes before block ``block`` of message ``turn``: the system prompt,
    the tools, the earlier turns and the blocks of this turn before it."""
    said = [[m.role, m.text] for m in req.messages[:turn]]
    before = text_of(req.messages[turn].content[:block]) if block else ""
    key = [req.system_text, req.tool_dicts(), said, before]
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
