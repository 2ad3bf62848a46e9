"""Collecting flow problems with their place in the configuration file."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from centralino.core.errors import Problem

__all__ = ["Locate", "Path", "Reporter", "format_path", "suggest"]

Path = tuple[str | int, ...]
Locate = Callable[[Path], "tuple[int, int] | None"]
"""Maps a document path to its 1-based (line, column); the configuration loader provides it."""


def suggest(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class Reporter:
    """Collects problems, turning document paths into file:line:column."""

    def __init__(self, locate: Locate | None, filename: str | None) -> None:
        self.locate = locate
        self.filename = filename
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, hint: str | None = None, severity: str = "error") -> None:
        where = self.locate(path) if self.locate else None
        line, column = where if where else (None, None)
        self.problems.append(Problem(message, file=self.filename, line=line, column=column,
                                     path=format_path(path), hint=hint, severity=severity))
