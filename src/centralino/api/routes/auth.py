"""Login, logout and "who am I"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, Response

from centralino.api.deps import API_PREFIX, Auth, DbDep, SettingsDep, audit, tenant_names
from centralino.api.errors import ApiError
from centralino.api.schemas import LoginIn, LoginOut, Me, as_role
from centralino.api.security import SESSION_COOKIE, Principal, check_password, new_token
from centralino.core.ids import new_id
from centralino.store.models import ApiToken, User

router = APIRouter(prefix=API_PREFIX, tags=["auth"])


def me_of(user: User, tenant: str | None) -> Me:
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=as_role(user.role),
        tenant=tenant,
        tenant_id=user.tenant_id,
    )


@router.post("/auth/login", response_model=LoginOut, responses={401: {"description": "wrong credentials"}})
def login(body: LoginIn, request: Request, response: Response, db: DbDep, settings: SettingsDep) -> LoginOut:
    """Check the password, set the session cookie; with ``issue_token`` also return a short-lived token."""
    with db.session() as session:
        user = check_password(session, body.username, body.password)
        if user is None:
            audit(session, None, "login.failed", body.username)
            failed = True
        else:
            failed = False
            principal = Principal.of(user)
            audit(session, principal, "login", user.username)
            tenant = tenant_names(session, {user.tenant_id}).get(user.tenant_id or "")
            out = LoginOut(user=me_of(user, tenant))
            if body.issue_token:
                token, digest = new_token()
                now = datetime.fromtimestamp(settings.clock.now(), UTC)
                expires = now + timedelta(seconds=settings.login_token_ttl)
                session.add(
                    ApiToken(
                        id=new_id(), user_id=user.id, name="login", token_sha256=digest, expires_at=expires
                    )
                )
                out.token, out.token_expires_at = token, expires
            cookie = request.app.state.signer.dumps(user)
    if failed:
        raise ApiError(401, "unauthenticated", "wrong username or password")
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return out


@router.post("/auth/logout", status_code=204)
def logout(principal: Auth, response: Response, db: DbDep) -> Response:
    """End the browser session (clears the cookie). A bearer token used here is revoked."""
    with db.session() as session:
        if principal.token_id is not None:
            token = session.get(ApiToken, principal.token_id)
            if token is not None:
                token.revoked = True
        audit(session, principal, "logout", principal.username)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=Me)
def me(principal: Auth, db: DbDep) -> Me:
    with db.session() as session:
        user = session.get(User, principal.user_id)
        if user is None:
            raise ApiError.unauthenticated()
        return me_of(user, tenant_names(session, {user.tenant_id}).get(user.tenant_id or ""))
