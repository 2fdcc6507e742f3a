"""GET /exports/{id}: the download of a data export (exportData and dataExports are in gql/graphql/exports/)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from seatwise.gql.graphql.core import credentials
from seatwise.models.core.errors import DomainError, Forbidden, Unauthenticated
from seatwise.models.core.tables import TokenScope
from seatwise.models.exports import files as exports


async def download_export(request: Request) -> Response:
    """GET /exports/{id}: the export's exact bytes, streamed from its chunks; 404 for another organization's."""
    try:
        viewer = await credentials.authenticate(request.headers.get("authorization"))
    except Unauthenticated as error:
        return JSONResponse({"error": str(error)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    try:
        viewer.require_scope(TokenScope.GRAPHQL)
    except Forbidden as refused:
        return JSONResponse({"error": str(refused)}, status_code=403)
    try:
        export = await exports.get_export(viewer.org, request.path_params["export_id"])
    except DomainError:
        return JSONResponse({"error": "No such data export."}, status_code=404)
    return StreamingResponse(
        exports.export_bytes(export),
        media_type=exports.media_type(export.format),
        headers={
            "Content-Length": str(export.size_bytes),
            "Content-Disposition": f'attachment; filename="{exports.file_name(export)}"',
            "Cache-Control": "no-store",
            "X-Content-SHA256": export.sha256,
        },
    )
