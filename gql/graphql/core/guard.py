"""Before any resolver runs: a request without a valid credential gets UNAUTHENTICATED and no data."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from seatwise.gql.graphql.core import credentials
from seatwise.models.core.errors import Forbidden
from seatwise.models.core.tables import TokenScope

PUBLIC_ROOT_FIELDS = {"signIn", "__schema", "__type", "__typename"}


def _root_fields(document, operation_name: str | None) -> set[str]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    names: set[str] = set()
    for operation in operations[:1]:
        for selection in operation.selection_set.selections:
            # Fragments at the root are treated as private: only plain fields can be public.
            names.add(selection.name.value if isinstance(selection, FieldNode) else "...")
    return names


class RequireCredential(SchemaExtension):
    """Only signIn and introspection work without a token (GraphiQL loads the schema before sign-in).

    On a WebSocket the token of connection_init is checked again for every operation: once it is
    revoked or lapses (or its user is deleted or changes role), the connection's operations are refused.
    A SCIM-scoped token is refused here with FORBIDDEN: it only provisions over /scim/v2.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if context.is_websocket:
            await credentials.reauthenticate(context)
        document = self.execution_context.graphql_document
        if context.has_viewer:
            try:
                context.viewer.require_scope(TokenScope.GRAPHQL)
            except Forbidden as refused:
                self.execution_context.result = ExecutionResult(
                    data=None, errors=[GraphQLError(str(refused), extensions={"code": "FORBIDDEN"})]
                )
        if document is not None and not context.has_viewer:
            fields = _root_fields(document, self.execution_context.operation_name)
            if not fields <= PUBLIC_ROOT_FIELDS:
                self.execution_context.result = ExecutionResult(
                    data=None,
                    errors=[GraphQLError("A valid bearer token is required.", extensions={"code": "UNAUTHENTICATED"})],
                )
        yield
