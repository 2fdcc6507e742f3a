"""Data exports as the API shows them."""

from __future__ import annotations

import strawberry
from strawberry import relay

from seatwise.gql.graphql.core.common import exposed
from seatwise.gql.graphql.core.scalars import DateTime
from seatwise.models.core import tables

# `exposed` makes the domain enum itself the GraphQL enum: fields here name the domain class (mypy takes no variable as a type).
ExportFormat = exposed(
    tables.ExportFormat,
    "ExportFormat",
    description="The file format of a data export.",
    values={
        "JSON": "One UTF-8 JSON document with everything of the organization.",
        "CSV": "UTF-8 CSV (RFC 4180), one row per user; cells never run as formulas.",
    },
)


@strawberry.type(description="A file of the organization's data, kept 30 days.")
class DataExport(relay.Node):
    id: relay.NodeID[int]
    format: tables.ExportFormat = strawberry.field(description="The file's format.")
    size_bytes: int = strawberry.field(description="The file's size in bytes.")
    sha256: str = strawberry.field(description="Lower-case hex SHA-256 of the file.")
    download_url: str = strawberry.field(
        description="Absolute URL of the file (a path when the request named no host); GET it with the same Authorization header."
    )
    created_at: DateTime = strawberry.field(description="When it was made.")

    @classmethod
    def from_model(cls, row: tables.DataExport) -> DataExport:
        return cls(
            id=row.id,
            format=row.format,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            download_url=f"/exports/{row.id}",
            created_at=row.created_at,
        )
