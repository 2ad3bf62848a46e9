"""Recording download and streaming, with access control and an audit entry for every access.

Agents hear the recordings of calls they took part in; supervisors and admins of the tenant hear
the tenant's; installation admins any (``records.recordings.may_download``). Anything else answers
404, as if the recording did not exist. ``Range`` requests are served (206, for seeking in a
player); the ``ETag`` is the file's SHA-256 as recorded when it was written, so a client can check
the bytes. A recording past its retention period answers 410 (the metadata stays).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from centralino.api.deps import API_PREFIX, Auth, DbDep, SettingsDep, audit
from centralino.api.errors import ApiError
from centralino.api.routes.calls import own_extension
from centralino.records.recordings import may_download
from centralino.store.call_record_store import CallRecordStore

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["recordings"])


@router.get(
    "/recordings/{recording_id}",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}}, 206: {"description": "the requested byte range"}},
)
async def get_recording(
    recording_id: str,
    principal: Auth,
    db: DbDep,
    settings: SettingsDep,
    range_: Annotated[str | None, Header(alias="range", max_length=200)] = None,
) -> FileResponse:
    """The WAV file (``audio/wav``); send ``Range: bytes=START-END`` to stream part of it."""

    def check() -> FileResponse:
        store = CallRecordStore(db, settings.data_dir)
        found = store.recording(recording_id)
        if found is None:
            raise ApiError.not_found("recording")
        row, agents = found
        same_tenant = row.tenant_id == principal.tenant_id
        mine = own_extension(db, principal) if same_tenant and principal.role == "agent" else None
        allowed = may_download(
            role=principal.role,
            same_tenant=same_tenant,
            installation_admin=principal.is_installation_admin,
            own_agent=mine,
            call_agents=agents,
        )
        with db.session() as session:  # the audit entry is committed even when access is refused
            if allowed:
                audit(
                    session,
                    principal,
                    "recording.download",
                    row.id,
                    row.tenant_id,
                    call=row.call_id,
                    range=range_,
                )
            elif same_tenant:  # someone of the tenant tried: worth knowing
                audit(session, principal, "recording.denied", row.id, row.tenant_id, call=row.call_id)
        if not allowed:
            raise ApiError.not_found("recording")
        if row.deleted_at is not None:
            raise ApiError(410, "gone", "recording deleted at the end of its retention period")
        if settings.data_dir is None:
            raise ApiError(503, "unavailable", "this node has no data directory for recordings")
        path = store.recording_path(row)
        if not path.is_file():
            raise ApiError(404, "not_found", "the recording's file is missing from the data directory")
        headers = {"Cache-Control": "private, no-store"}
        if row.sha256:
            headers["ETag"] = f'"{row.sha256}"'
        return FileResponse(
            path,
            media_type="audio/wav",
            filename=f"{row.id}.wav",
            headers=headers,
            content_disposition_type="inline",
        )

    return await run_in_threadpool(check)
