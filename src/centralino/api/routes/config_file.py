"""Upload of a configuration file: check first (every problem with line:column), apply on confirm.

``POST /config/check`` runs ``centralino.config.check_text`` and answers the problems and the
SHA-256 of the text; nothing is stored. ``POST /config/apply`` takes the same text with that
hash (so what is applied is exactly what the admin saw checked), checks it again and applies it
all-or-nothing with ``centralino.store.apply.apply_config``. A file describes the whole
installation, so applying is for installation admins; tenant admins may check.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from centralino import config
from centralino.api.deps import API_PREFIX, Auth, DbDep, audit
from centralino.api.errors import ApiError
from centralino.core.errors import Problem
from centralino.store.apply import apply_config

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["configuration"])

MAX_TEXT = 2_000_000


class ConfigText(BaseModel):
    text: Annotated[str, Field(max_length=MAX_TEXT)]
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00/\\]+$")] = (
        "upload.yaml"
    )


class ConfigApply(ConfigText):
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="from /config/check")]


def _problem(p: Problem) -> dict[str, Any]:
    return {
        "severity": p.severity,
        "message": p.message,
        "line": p.line,
        "column": p.column,
        "path": p.path,
        "hint": p.hint,
        "text": str(p),
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@router.post("/config/check")
def check_config(body: ConfigText, principal: Auth) -> dict[str, Any]:
    """Every error and warning of the text, in file order; nothing is applied."""
    principal.require("admin")
    problems = config.check_text(body.text, body.filename)
    errors = sum(1 for p in problems if p.severity == "error")
    return {
        "sha256": _digest(body.text),
        "errors": errors,
        "warnings": len(problems) - errors,
        "problems": [_problem(p) for p in problems],
    }


@router.post("/config/apply")
def apply_uploaded(body: ConfigApply, principal: Auth, db: DbDep) -> dict[str, Any]:
    """Apply a checked text (installation admins): all or nothing; 422 with the problems if any."""
    if not principal.is_installation_admin:
        raise ApiError.forbidden("applying a configuration file needs an installation admin")
    if _digest(body.text) != body.sha256:
        raise ApiError.invalid("sha256", "the text changed since it was checked; check it again")
    analysis = config.analyse(body.text, body.filename)
    if analysis.errors or analysis.config is None:
        first = analysis.errors[0] if analysis.errors else None
        raise ApiError(422, "invalid", str(first) if first else "invalid configuration", field="text")
    summary = apply_config(db, analysis.config, body.filename, text_sha256=body.sha256)
    with db.session() as session:
        audit(
            session,
            principal,
            "config.apply",
            body.filename,
            sha256=body.sha256,
            changes=len(summary.changes),
        )
    return {
        "changed": summary.changed,
        "changes": list(summary.changes),
        "created": dict(summary.created),
        "updated": dict(summary.updated),
        "deleted": dict(summary.deleted),
        "revision_id": summary.revision_id,
    }
