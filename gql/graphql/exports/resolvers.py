"""Data exports: exportData and dataExports (the download endpoint GET /exports/{id} is gql/http/downloads.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.core.errors import UserError
from seatwise.gql.graphql.core.mutations import domain_mutation
from seatwise.gql.graphql.core.permissions import CanManageBilling
from seatwise.gql.graphql.core.phrases import MUTATION_INPUT, USER_ERRORS
from seatwise.gql.graphql.exports.types import DataExport, ExportFormat
from seatwise.models.core.tables import ExportFormat as Format
from seatwise.models.exports import files as exports
from seatwise.models.people.auth import Viewer


def _with_url(context: Context, row) -> DataExport:
    """The export with an absolute downloadUrl when the request named its host (see public_base_url)."""
    export = DataExport.from_model(row)
    export.download_url = context.public_base_url() + export.download_url
    return export


@strawberry.input(description="The export to make.")
class ExportDataInput:
    format: ExportFormat = strawberry.field(description="JSON (everything) or CSV (one row per user).")


@strawberry.type(description="The result of exportData.")
class ExportDataPayload:
    data_export: DataExport | None = strawberry.field(default=None, description="The finished export.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="The organization's data exports still kept (30 days), newest first.")
    async def data_exports(self, info: Info[Context, None]) -> list[DataExport]:
        return [_with_url(info.context, row) for row in await exports.list_exports(info.context.viewer.org)]


@strawberry.type
class Mutation:
    @domain_mutation(
        CanManageBilling,
        context=True,
        description="Export the organization's data as a file to download (JSON: everything; CSV: one row per user).",
    )
    async def export_data(
        viewer: Viewer, input: Annotated[ExportDataInput, strawberry.argument(description=MUTATION_INPUT)], context: Context
    ) -> ExportDataPayload:
        row = await exports.create_export(viewer.org, Format(input.format.value), actor=viewer.actor, now=viewer.now)
        return ExportDataPayload(data_export=_with_url(context, row))
