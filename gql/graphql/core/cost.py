"""What a GraphQL document costs, computed before it runs (GitHub's model, docs/rules.md section 17).

Each connection (a field whose type is `...Connection`) may return `first` (or `last`) nodes for each of the nodes
above it: its nodes are its page size times the nodes of the connections it is nested in. A document's `nodes` is the
sum over its connections; its cost in points is 1 plus that sum divided by 100, rounded up. A page size the
document does not give is the argument's default, else 100 (the largest page). A document that only asks for
`rateLimit` (and `__typename`) is free. Fragments count where they are spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

MAX_NODES = 500_000  # a document whose page sizes multiply past this is refused before it runs
DEFAULT_PAGE = 100
FREE_ROOT_FIELDS = frozenset({"rateLimit", "__typename"})


@dataclass(frozen=True)
class Cost:
    nodes: int
    points: int
    root_fields: tuple[str, ...]  # the operation's root fields, one per selection (aliases repeat a name)


def operation_of(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return operations[0] if len(operations) == 1 or (operations and operation_name) else None


def document_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
) -> Cost:
    """The cost of the operation that would run (a document that does not name one clearly costs 1)."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return Cost(0, 1, ())
    root = schema.get_root_type(operation.operation)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, fragments, variables or {})
    nodes = walk.nodes(operation.selection_set, root, 1)
    roots = tuple(walk.root_fields(operation.selection_set))
    points = 0 if set(roots) <= FREE_ROOT_FIELDS else 1 + math.ceil(nodes / 100)
    return Cost(nodes, points, roots)


class _Walk:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]):
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def _fields(self, selection_set: SelectionSetNode, parent: Any, seen: frozenset[str] = frozenset()):
        """(field node, the type it is selected on) of a selection set, fragments spread in."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                on = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                yield from self._fields(selection.selection_set, on or parent, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # validation refuses cycles; never loop anyway
                    on = self.schema.get_type(fragment.type_condition.name.value) or parent
                    yield from self._fields(fragment.selection_set, on, seen | {name})

    def root_fields(self, selection_set: SelectionSetNode) -> list[str]:
        return [field.name.value for field, _ in self._fields(selection_set, None)]

    def nodes(self, selection_set: SelectionSetNode | None, parent: Any, above: int) -> int:
        """The nodes the connections of a selection set may return, `above` objects selecting it."""
        if selection_set is None or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        total = 0
        for field, on in self._fields(selection_set, parent):
            definition = on.fields.get(field.name.value) if isinstance(on, GraphQLObjectType | GraphQLInterfaceType) else None
            if definition is None:
                continue
            named = get_named_type(definition.type)
            count = above
            if named.name.endswith("Connection"):
                count = above * self._page_size(field, definition)
                total += count
            total += self.nodes(field.selection_set, named, count)
        return total

    def _page_size(self, field: FieldNode, definition: Any) -> int:
        given = {argument.name.value: argument.value for argument in field.arguments or ()}
        for name in ("first", "last"):
            value = given.get(name)
            if isinstance(value, IntValueNode):
                return max(int(value.value), 0)
            if isinstance(value, VariableNode) and isinstance(self.variables.get(value.name.value), int):
                return max(self.variables[value.name.value], 0)
        argument = definition.args.get("first")
        default = getattr(argument, "default_value", None) if argument is not None else None
        return default if isinstance(default, int) and default > 0 else DEFAULT_PAGE
