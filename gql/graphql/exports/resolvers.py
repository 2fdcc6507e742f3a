"""Data exports: exportData, dataExports, and the download endpoint GET /exports/{id}."""

from __future__ import annotations

import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from strawberry.types import Info

from seatwise.gql.graphql.core import credentials
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageBilling
from seatwise.gql.graphql.types import DataExport, ExportFormat
from seatwise.models.exports import files as exports
from seatwise.models.people.auth import Viewer
from seatwise.models.core.errors import DomainError, Forbidden, Unauthenticated
from seatwise.models.core.tables import ExportFormat as Format
from seatwise.models.core.tables import TokenScope


def _with_url(context: Context, row) -> DataExport:
    """The export with an absolute downloadUrl when the request named its host (see public_base_url)."""
    export = DataExport.from_model(row)
    export.download_url = context.public_base_url() + export.download_url
    return export


@strawberry.input
class ExportDataInput:
    format: ExportFormat


@strawberry.type
class ExportDataPayload:
    data_export: DataExport | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field
    async def data_exports(self, info: Info[Context, None]) -> list[DataExport]:
        return [_with_url(info.context, row) for row in await exports.list_exports(info.context.viewer.org)]


@strawberry.type
class Mutation:
    @domain_mutation(CanManageBilling, context=True)
    async def export_data(viewer: Viewer, input: ExportDataInput, context: Context) -> ExportDataPayload:
        row = await exports.create_export(viewer.org, Format(input.format.value), actor=viewer.actor, now=viewer.now)
        return ExportDataPayload(data_export=_with_url(context, row))


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
