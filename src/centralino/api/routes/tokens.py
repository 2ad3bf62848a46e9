"""The caller's own API tokens: create (the token is shown once), list, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Response
from sqlalchemy import select

from centralino.api.deps import API_PREFIX, Auth, DbDep, PagingDep, SettingsDep, audit, page
from centralino.api.errors import ApiError
from centralino.api.schemas import Page, TokenCreated, TokenIn, TokenOut
from centralino.api.security import new_token
from centralino.core.ids import new_id
from centralino.store.models import ApiToken

router = APIRouter(prefix=API_PREFIX, tags=["tokens"])


def token_out(row: ApiToken) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def create_token(body: TokenIn, principal: Auth, db: DbDep, settings: SettingsDep) -> TokenCreated:
    token, digest = new_token()
    expires = None
    if body.expires_in_days is not None:
        expires = datetime.fromtimestamp(settings.clock.now(), UTC) + timedelta(days=body.expires_in_days)
    with db.session() as session:
        row = ApiToken(
            id=new_id(), user_id=principal.user_id, name=body.name, token_sha256=digest, expires_at=expires
        )
        session.add(row)
        audit(session, principal, "token.create", body.name)
        session.flush()
        session.refresh(row)
        return TokenCreated(**token_out(row).model_dump(), token=token)


@router.get("/tokens", response_model=Page[TokenOut])
def list_tokens(principal: Auth, db: DbDep, paging: PagingDep) -> Page[TokenOut]:
    """Tokens of the caller that are not revoked, newest first."""
    with db.session() as session:
        stmt = select(ApiToken).where(ApiToken.user_id == principal.user_id, ApiToken.revoked.is_(False))
        rows, total = page(session, stmt, [ApiToken.created_at.desc(), ApiToken.id.desc()], paging)
        return Page(items=[token_out(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, principal: Auth, db: DbDep) -> Response:
    with db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != principal.user_id or row.revoked:
            raise ApiError.not_found("token")
        row.revoked = True
        audit(session, principal, "token.revoke", row.name)
    return Response(status_code=204)
