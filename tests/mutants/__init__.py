"""Deliberately wrong solutions, one module per exercise (``tests/mutants/NN_name.py``).

Each module defines ``MUTANTS``: a list of ``Mutant``s. A mutant replaces the code between the
``### BEGIN SOLUTION`` and ``### END SOLUTION`` markers of one block of the solution's source
(blocks counted from 0, in source order) with wrong code that a learner might write.
``tests/test_mutants.py`` runs each and requires at least one ``check`` cell to fail: a check
that lets a wrong answer pass grades nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """One wrong solution: which block it replaces, with what, and why it is wrong."""

    name: str
    """A short name: what the learner got wrong."""
    block: int
    """Which SOLUTION block of the source it replaces (0-based, in source order)."""
    code: str
    """The wrong code, indented as if at column 0 (it takes the block's indentation)."""
    caught_by: int | None = None
    """The 0-based index of the check cell expected to catch it (None: any check)."""
