"""One error body for every failure: ``{"error": {"code", "message", "field"?}}``.

Clients (the web pages, scripts, the tests) branch on ``code`` and show
``message``; ``field`` names the request field at fault, in the dotted form the
config loader uses (``phones[0].number``). Objects of another tenant answer 404
exactly like missing ones, so existence never leaks across tenants.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from centralino.core.errors import ConfigError, Conflict, NotFound

__all__ = ["ApiError", "error_body", "field_path", "install_handlers"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error a route raises on purpose; becomes the error body with ``status``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers

    @classmethod
    def not_found(cls, what: str) -> ApiError:
        return cls(404, "not_found", f"{what} not found")

    @classmethod
    def forbidden(cls, message: str = "your role does not allow this") -> ApiError:
        return cls(403, "forbidden", message)

    @classmethod
    def unauthenticated(cls, message: str = "log in or send 'Authorization: Bearer <token>'") -> ApiError:
        return cls(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})

    @classmethod
    def invalid(cls, field: str, message: str) -> ApiError:
        return cls(422, "invalid", message, field=field)

    @classmethod
    def conflict(cls, message: str, field: str | None = None) -> ApiError:
        return cls(409, "conflict", message, field=field)


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    error.update(extra)
    return {"error": error}


_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "phones", 0, "number")`` -> ``phones[0].number``; the location kind is dropped."""
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def _respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _respond(exc.status, error_body(exc.code, exc.message, exc.field), exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    details = [
        {"field": field_path(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in errors
    ]
    first = details[0] if details else {"field": "body", "message": "invalid request"}
    extra = {"details": details} if len(details) > 1 else {}
    body = error_body("invalid", f"{first['field']}: {first['message']}", first["field"], **extra)
    return _respond(422, body)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "error"
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    message = exc.detail if isinstance(exc.detail, str) else phrase
    return _respond(exc.status_code, error_body(code, message), getattr(exc, "headers", None))


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return _respond(404, error_body("not_found", str(exc) or "not found"))


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return _respond(409, error_body("conflict", str(exc) or "conflict"))


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # A unique or foreign key constraint: the request contradicts existing data.
    log.info("integrity error: %s", exc)
    return _respond(409, error_body("conflict", "this would duplicate or orphan an existing record"))


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value (too long for its column, a NUL byte): the request's fault.
    log.info("data error: %s", exc)
    return _respond(
        422, error_body("invalid", "a value is too long or contains characters the database refuses")
    )


async def _config_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConfigError)
    first = exc.problems[0] if exc.problems else None
    message = first.message if first else "invalid configuration"
    field = first.path if first else None
    return _respond(422, error_body("invalid", message, field))


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _respond(500, error_body("internal", "internal error; the server log has the details"))


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(ConfigError, _config_error)
    app.add_exception_handler(Exception, _internal)
