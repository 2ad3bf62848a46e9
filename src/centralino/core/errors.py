"""Errors as values users can act on.

A ``Problem`` names where (file, line, column, or a field path, or a call id)
and what to do. Configuration checks collect every problem and raise them
together as one ``ConfigError`` so the user fixes all in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, with where it is and a hint on what to do."""

    message: str
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    path: str | None = None  # e.g. "tenants[0].queues[1].name"
    hint: str | None = None
    severity: str = "error"  # "error" (blocks loading) or "warning" (reported, not blocking)

    def location(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = f"{self.location()}: {'warning: ' if self.severity == 'warning' else ''}{self.message}"
        if self.path:
            text += f" (at {self.path})"
        if self.hint:
            text += f"; {self.hint}"
        return text


class CentralinoError(Exception):
    """Base of every error this package raises on purpose."""


@dataclass
class ConfigError(CentralinoError):
    """One or more problems in a configuration; ``problems`` are in file order."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class NotFound(CentralinoError):
    """A named thing does not exist (or is not visible to the caller)."""


class Conflict(CentralinoError):
    """The request contradicts the current state (duplicate key, wrong state)."""
