"""Text shown as Markdown in a notebook: what JupyterLab would otherwise read as maths.

JupyterLab typesets the text between two ``$`` as LaTeX, so a sentence with two prices
("$0.0029 and 51%, against $0.0031") loses its numbers, and a ``%`` inside starts a TeX comment.
Markdown's own escape, ``\\$``, is not enough there: the Markdown renderer turns it back into a
bare ``$`` before MathJax reads the page (jupyterlab/jupyterlab#8645). Two backslashes are:
Markdown keeps one, and MathJax reads ``\\$`` as a dollar sign.

    >>> print(escape_math("costs $0.0029, against $0.0031"))
    costs \\\\$0.0029, against \\\\$0.0031
"""

from __future__ import annotations

import re

__all__ = ["escape_math"]


def escape_math(text: str) -> str:
    """Text with every ``$`` escaped so that JupyterLab shows a dollar sign, never maths."""
    return re.sub(r"(?:\\\\|\\)?\$", r"\\\\$", text)
