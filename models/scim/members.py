"""A group's members in a SCIM request: the ids a request lists, and what a PATCH does to them.

Members never enter the PATCH document (models/scim/patch.py): each operation on `members` is tallied in `Members`,
applied to the group in bulk (models/scim/directory.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim2_models.path import CompareOperator, Comparison, FilterNode, LogicalExpr, LogicalOperator

from seatwise.models.scim.errors import ScimError, invalid_value


@dataclass
class Members:
    """Membership changes of a group PATCH, in order: adds, removes, or a whole new list (`replace`). Ordered sets
    (dicts), so that each listed id costs O(1) whatever the number of operations and members in the request."""

    _add: dict[str, None] = field(default_factory=dict)
    _remove: dict[str, None] = field(default_factory=dict)
    _replace: dict[str, None] | None = None

    @property
    def add(self) -> list[str]:
        return list(self._add)

    @property
    def remove(self) -> list[str]:
        return list(self._remove)

    @property
    def replace(self) -> list[str] | None:
        return None if self._replace is None else list(self._replace)

    def added(self, ids: list[str]) -> None:
        for i in ids:
            if self._replace is not None:
                self._replace.setdefault(i)
            else:
                self._remove.pop(i, None)
                self._add.setdefault(i)

    def removed(self, ids: list[str]) -> None:
        for i in ids:
            if self._replace is not None:
                self._replace.pop(i, None)
            else:
                self._add.pop(i, None)
                self._remove.setdefault(i)

    def replaced(self, ids: list[str]) -> None:
        self._replace, self._add, self._remove = dict.fromkeys(ids), {}, {}

    @property
    def touched(self) -> bool:
        return bool(self.add or self.remove or self.replace is not None)


def member_ids(value: Any) -> list[str]:
    """`[{"value": "12"}, ...]` (or one such object) -> ["12", ...]; invalidValue otherwise."""
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        raw = item.get("value") if isinstance(item, dict) else None
        ref = item.get("$ref") if isinstance(item, dict) else None
        if raw is None and isinstance(ref, str):
            raw = ref.rstrip("/").rsplit("/", 1)[-1]  # the member's URI names it (…/Users/{id})
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise invalid_value("A member is an object with the user id as its value.")
        ids.append(str(raw))
    return ids


def _member_filter_ids(node: FilterNode) -> list[str]:
    """`value eq "1" or value eq "2"` -> ["1", "2"]; noTarget for any other member filter."""
    if isinstance(node, Comparison) and node.op is CompareOperator.eq and node.attr_path.attr.lower() == "value":
        return [str(node.value)]
    if isinstance(node, LogicalExpr) and node.op is LogicalOperator.or_:
        return [i for term in node.terms for i in _member_filter_ids(term)]
    raise ScimError(400, 'A member filter names members by value: members[value eq "<user id>"].', "noTarget")


def tally(members: Members, kind: str, value_filter: FilterNode | None, sub: str | None, value: Any) -> None:
    """One PATCH operation (`kind` add, replace or remove) on `members`, its path's filter and sub-attribute."""
    if sub is not None and sub.lower() != "value":
        return  # display and $ref are read-only
    if value_filter is not None:
        ids = _member_filter_ids(value_filter)
        if kind == "remove":
            members.removed(ids)
        else:
            members.added(ids if value is None or sub else member_ids(value))
        return
    if kind == "remove":
        if value is None:
            members.replaced([])  # remove every member
        else:
            members.removed(member_ids(value))
    elif kind == "add":
        members.added(member_ids(value) if value is not None else [])
    else:
        members.replaced(member_ids(value) if value is not None else [])
