"""Pointing the official clients at a server through the environment, and putting it back (chapter 00)."""

from __future__ import annotations

import os


class EnvPatch:
    """Environment variables set for a while; ``restore()`` puts back what was there before."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, **values: str) -> None:
        """Set variables, remembering each one's first previous value."""
        for name, value in values.items():
            self._saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def restore(self) -> None:
        """Put back every variable ``set`` replaced (removing those that were unset)."""
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved = {}
