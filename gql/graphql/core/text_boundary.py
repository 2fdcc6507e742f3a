"""The one boundary for text no database stores (docs/rules.md section 19): NUL (U+0000), which PostgreSQL refuses
in text, and lone surrogates (U+D800 to U+DFFF), which asyncpg cannot encode (SQLite would store both).

Every String and ID of a request reaches a resolver through its arguments: the literals of the document (nested in
input objects and lists, directives' and variables' defaults included) and the variables' values. They are checked
here, once, after validation and before any resolver runs (queries, mutations and subscriptions alike): one refused
is a BAD_USER_INPUT error naming the argument or variable path (`input.displayName`, `$ids.2`), never the value, and
nothing runs. No area checks these characters field by field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from seatwise.models.core.inputs import has_forbidden_text


def _in_value(value: ValueNode, path: str) -> str | None:
    if isinstance(value, StringValueNode):
        return path if has_forbidden_text(value.value) else None
    if isinstance(value, ListValueNode):
        return next((p for i, item in enumerate(value.values) if (p := _in_value(item, f"{path}.{i}"))), None)
    if isinstance(value, ObjectValueNode):
        return next((p for f in value.fields if (p := _in_value(f.value, f"{path}.{f.name.value}"))), None)
    return None


class _Literals(Visitor):
    """The path of the first argument (or variable default) whose literal holds a forbidden character."""

    def __init__(self) -> None:
        super().__init__()
        self.found: str | None = None

    def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
        self.found = self.found or _in_value(node.value, node.name.value)
        return self.SKIP

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> Any:
        if node.default_value is not None:
            self.found = self.found or _in_value(node.default_value, f"${node.variable.name.value}")
        return self.SKIP


def _in_variables(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if has_forbidden_text(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and has_forbidden_text(key):
                yield path
            yield from _in_variables(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_variables(item, f"{path}.{index}")


# The literals' answer per document text (what Strawberry's ParserCache keys the document by): a document sent
# again is not walked again; its variables are checked on every request.
_LITERALS_CACHE = 256
_literals_of: dict[str, str | None] = {}


def _in_literals(document: DocumentNode, query: str | None) -> str | None:
    if query is not None and query in _literals_of:
        return _literals_of[query]
    literals = _Literals()
    visit(document, literals)
    if query is not None:
        if len(_literals_of) >= _LITERALS_CACHE:
            _literals_of.pop(next(iter(_literals_of)))  # the oldest entry
        _literals_of[query] = literals.found
    return literals.found


def forbidden_text_at(document: DocumentNode, variables: dict[str, Any] | None, query: str | None = None) -> str | None:
    """The argument or variable path of the first forbidden character of a request, or None (`query`: the
    document's text, when the document was parsed from it)."""
    for name, value in (variables or {}).items():
        found = next(_in_variables(value, f"${name}"), None)
        if found is not None:
            return found
    return _in_literals(document, query)


def refusal(path: str) -> GraphQLError:
    return GraphQLError(
        f"The argument {path} contains a character that is not allowed (NUL or a lone surrogate).",
        extensions={"code": "BAD_USER_INPUT", "argument": path},
    )


class RefuseForbiddenText(SchemaExtension):
    """After validation (a valid document only), before execution: the request refused as a whole."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            found = forbidden_text_at(context.graphql_document, context.variables, context.query)
            if found is not None:
                context.pre_execution_errors = [refusal(found)]
        yield
