"""Structured logging: one JSON object per line, with the context of the work in hand.

Operators feed these lines to journald, Loki or Elasticsearch, so every event is
one line with ``time``, ``level``, ``logger``, ``message`` and whatever context is
bound at that moment (``tenant``, ``call_id``, ``request_id``, ``user``). The
context lives in a ``contextvars.ContextVar`` so it follows asyncio tasks and the
threads FastAPI runs sync routes in, without passing loggers around.

Written on the standard ``logging`` module (a formatter and a filter) rather than
a logging library: the stdlib already does levels, handlers and third-party
loggers (uvicorn, sqlalchemy), and all that is missing is the line format.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["JsonFormatter", "bind", "configure", "context", "log_context", "parse_level"]

_context: ContextVar[Mapping[str, Any] | None] = ContextVar("centralino_log_context", default=None)

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is context.
# uvicorn adds ``color_message`` (ANSI escapes for its own formatter), useless in JSON.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}

LEVELS = ("debug", "info", "warning", "error", "critical")


def parse_level(level: str | int | None) -> int:
    """A level from a flag or ``CENTRALINO_LOG_LEVEL``; names are case-insensitive."""
    if level is None:
        level = os.environ.get("CENTRALINO_LOG_LEVEL", "info")
    if isinstance(level, int):
        return level
    name = level.strip().upper()
    value = logging.getLevelNamesMapping().get(name)
    if value is None:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LEVELS)}")
    return value


def context() -> dict[str, Any]:
    """The fields bound for the current task or thread."""
    return dict(_context.get() or {})


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Bind fields (e.g. ``tenant="acme"``, ``call_id=...``) for the lines logged inside the block."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Bind fields until the current task ends (each asyncio task has its own copy of the context)."""
    _context.set({**(_context.get() or {}), **fields})


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; context and ``extra=`` fields become keys."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context.get() or {})
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class _Handler(logging.StreamHandler[TextIO]):
    """Ours, so ``configure`` can find and replace it.

    Without an explicit stream it writes to whatever ``sys.stderr`` is at each record, so a
    CLI runner or test harness that swaps stderr does not leave it writing to a closed file.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream or sys.stderr)
        self._follow_stderr = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stderr:
            self.stream = sys.stderr
        super().emit(record)


def configure(level: str | int | None = None, stream: TextIO | None = None) -> int:
    """Send every logger (ours, uvicorn's, sqlalchemy's) as JSON lines to ``stream`` (stderr).

    Returns the numeric level. Calling it again replaces the handler, so tests and the
    CLI can reconfigure without stacking handlers.
    """
    numeric = parse_level(level)
    handler = _Handler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _Handler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    # uvicorn installs its own handlers unless told otherwise; route its records to ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return numeric
