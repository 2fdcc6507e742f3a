"""node(id:) and nodes(ids:): the objects of the viewer's organization by global id, one query per type asked."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from seatwise.gql.graphql.core import ids
from seatwise.gql.graphql.core.context import Context
from seatwise.gql.graphql.nodes.loaders import LOADERS
from seatwise.models.core.pages import BadUserInput
from seatwise.models.people.roles import Capability

MAX_NODES = 100
# Types whose lists need more than reading the organization (webhookEndpoints, webhookDeliveries: GLOBAL_ADMIN).
READ_REQUIRES = {"WebhookEndpoint": Capability.ADMINISTER, "WebhookDelivery": Capability.ADMINISTER}


async def find_nodes(context: Context, raw_ids: list[str]) -> list[Any]:
    """The object of each id, in order; None for one that is malformed, of no Node type, unknown or another
    organization's. The keys of one type are read together (one loader call per type)."""
    decoded = [ids.decode(raw) for raw in raw_ids]
    keys: dict[str, list[str]] = {}
    viewer = context.viewer
    for gid in decoded:
        needs = READ_REQUIRES.get(gid.type_name) if gid is not None else None
        if needs is not None and not viewer.may(needs):
            continue  # what the role may not list it may not fetch by id either: null, as for an unknown id
        if gid is not None and gid.type_name in LOADERS:
            keys.setdefault(gid.type_name, []).append(gid.node_id)
    found = {type_name: await LOADERS[type_name](context, list(dict.fromkeys(wanted))) for type_name, wanted in keys.items()}
    return [None if gid is None else found.get(gid.type_name, {}).get(gid.node_id) for gid in decoded]


@strawberry.type
class Query:
    @strawberry.field(description="Any object of the viewer's organization by its global id (null: none, or not yours).")
    async def node(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
    ) -> relay.Node | None:
        return (await find_nodes(info.context, [id]))[0]

    @strawberry.field(description="1 to 100 objects by global id, in the order asked (null for each one not found).")
    async def nodes(
        self,
        info: Info[Context, None],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="1 to 100 global ids.")],
    ) -> list[relay.Node | None]:
        if not 1 <= len(ids) <= MAX_NODES:
            raise BadUserInput(f"nodes takes 1 to {MAX_NODES} ids.")
        return await find_nodes(info.context, list(ids))
