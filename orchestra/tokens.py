"""Approximate Claude tokens: about one token per four characters of words (chapter 00).

One estimate for the whole kit: the simulator bills with it, the client and the context
patterns count with it (real Claude's tokenizer is not public). It counts the pieces of a
simple regex: each word is cut into chunks of at most four characters, each punctuation mark
is its own piece, and a piece keeps the whitespace before it. Joining the pieces gives back the text exactly,
which lets the server stream a reply token by token and cut it at ``max_tokens``.

The 5.x models use a newer tokenizer that counts about 30% more tokens for the same text
(``prices.Listing.tokens_per_old_token``): pass ``model`` and the count is scaled.

    >>> tokenize("Hello, worldwide!")
    ['Hell', 'o', ',', ' worl', 'dwid', 'e', '!']
    >>> count_tokens("Hello, worldwide!")
    7
    >>> count_tokens("Hello, worldwide!", model="claude-haiku-5-5")
    9
"""

from __future__ import annotations

import re
from itertools import islice

from orchestra.prices import listing

__all__ = ["tokenize", "count_tokens", "truncate", "per_old_token"]

# Leading whitespace + up to 4 word characters, or + one punctuation mark; trailing whitespace
# (nothing after it) is a piece of its own. Greedy \w{1,4} cuts a long word into 4-char chunks.
PIECE = re.compile(r"\s*\w{1,4}|\s*[^\w\s]|\s+")


def per_old_token(model: str | None) -> float:
    """Tokens a model counts for each token of the 4.5 generation's tokenizer (1.0 if unknown)."""
    found = listing(model) if model else None
    return found.tokens_per_old_token if found else 1.0


def tokenize(text: str) -> list[str]:
    """Split text into token-like pieces that join back to the text: ``tokenize("Hi!")``.

    >>> "".join(tokenize(" two  words ")) == " two  words "
    True
    """
    return PIECE.findall(text)


def count_tokens(text: str, model: str | None = None) -> int:
    """How many tokens ``text`` costs (on ``model``'s tokenizer): ``count_tokens("Hi, all")`` is 3.

    Called on every request: one C-level ``findall`` is faster than iterating match objects.
    """
    n = len(PIECE.findall(text))
    ratio = per_old_token(model)
    return n if ratio == 1.0 else int(n * ratio + 0.5)


def truncate(text: str, n: int, model: str | None = None) -> str:
    """The text of the first ``n`` tokens: ``truncate("Hello, world", 3)`` is ``"Hello,"``.

    Stops scanning after ``n`` pieces, so cutting a long reply at ``max_tokens`` stays cheap; on
    a model with a denser tokenizer, ``n`` of its tokens hold fewer pieces.
    """
    pieces_n = int(n / per_old_token(model))
    if pieces_n <= 0:
        return ""
    pieces = list(islice(PIECE.finditer(text), pieces_n))
    return text[: pieces[-1].end()] if pieces else ""
