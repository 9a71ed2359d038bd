"""Approximate Claude tokens: about one token per four characters of words (chapter 00).

One estimate for the whole kit: the simulator bills with it, the client and the context
patterns count with it (real Claude's tokenizer is not public). It counts the pieces of a
simple regex: each word is cut into chunks of at most four characters, each punctuation mark
is its own piece, and a piece keeps the whitespace before it. Joining the pieces gives back the text exactly,
which lets the server stream a reply token by token and cut it at ``max_tokens``.

    >>> tokenize("Hello, worldwide!")
    ['Hell', 'o', ',', ' worl', 'dwid', 'e', '!']
    >>> count_tokens("Hello, worldwide!")
    7
"""

from __future__ import annotations

import re
from itertools import islice

__all__ = ["tokenize", "count_tokens", "truncate"]

# Leading whitespace + up to 4 word characters, or + one punctuation mark; trailing whitespace
# (nothing after it) is a piece of its own. Greedy \w{1,4} cuts a long word into 4-char chunks.
PIECE = re.compile(r"\s*\w{1,4}|\s*[^\w\s]|\s+")


def tokenize(text: str) -> list[str]:
    """Split text into token-like pieces that join back to the text: ``tokenize("Hi!")``.

    >>> "".join(tokenize(" two  words ")) == " two  words "
    True
    """
    return PIECE.findall(text)


def count_tokens(text: str) -> int:
    """How many tokens ``text`` costs: ``count_tokens("Hi, all")`` is 3.

    Called on every request: one C-level ``findall`` is faster than iterating match objects.
    """
    return len(PIECE.findall(text))


def truncate(text: str, n: int) -> str:
    """The text of the first ``n`` tokens: ``truncate("Hello, world", 3)`` is ``"Hello,"``.

    Stops scanning after ``n`` pieces, so cutting a long reply at ``max_tokens`` stays cheap.
    """
    if n <= 0:
        return ""
    pieces = list(islice(PIECE.finditer(text), n))
    return text[: pieces[-1].end()] if pieces else ""
