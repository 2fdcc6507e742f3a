"""Relay's paging arguments as a resolver gets them: `first` has a default (50) that a backward page must not see."""

from __future__ import annotations

from strawberry.types import Info


def asked_first(info: Info, first: int | None, last: int | None, before: str | None) -> int | None:
    """`first` as the client wrote it: when paging backward (`last` or `before` given), a `first` that the query
    does not set (its default) is None, so that only a `first` the client wrote together with `last` is an error."""
    if last is None and before is None:
        return first
    for node in info._raw_info.field_nodes:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            variable = getattr(getattr(argument.value, "name", None), "value", None)
            if argument.value.kind != "variable" or variable in info.variable_values:
                return first
    return None
