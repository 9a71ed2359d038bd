"""Text shown as Markdown in a notebook: what JupyterLab would otherwise read as maths.

JupyterLab typesets the text between two ``$`` as LaTeX, so a sentence with two prices
("$0.0029 and 51%, against $0.0031") loses its numbers, and a ``%`` inside starts a TeX comment.

    >>> escape_math("costs $0.0029, against $0.0031")
    'costs \\\\$0.0029, against \\\\$0.0031'
"""

from __future__ import annotations

import re

__all__ = ["escape_math"]


def escape_math(text: str) -> str:
    """Text with every ``$`` escaped, so that Markdown shows it as a dollar sign, never maths."""
    return re.sub(r"(?<!\\)\$", r"\\$", text)
