"""SCIM PATCH (RFC 7644 section 3.5.2) on a resource's kept attributes, as directories send it.

The operations apply, in order, to a document of the kept attributes (canonical names); the result is then
checked like a PUT body. What real directories send is accepted: `op` in any case (Entra's `Add`/`Replace`/
`Remove`), a PATCH without `path` whose `value` is an object of attributes (dotted names and schema URNs included),
paths with a value filter such as `emails[type eq "work"].value`, attributes and extensions Seatwise does not keep
(ignored). Group members never enter the document: they go to a `Members` tally, applied in bulk."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from scim2_models.exceptions import SCIMException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Path,
    Present,
    ValuePath,
)

from seatwise.models.scim.errors import ScimError, invalid_syntax, invalid_value
from seatwise.models.scim.schema import PATCH_OP

SIMPLE, COMPLEX, MULTI, MEMBERS = "simple", "complex", "multi", "members"


@dataclass(frozen=True)
class Attribute:
    name: str
    kind: str = SIMPLE
    subs: tuple[str, ...] = ()

    def sub(self, raw: str) -> str | None:
        for name in self.subs:
            if name.lower() == raw.lower():
                return name
        return None


@dataclass
class Spec:
    schema: str
    attributes: dict[str, Attribute]

    def find(self, raw: str) -> Attribute | None:
        return self.attributes.get(raw.lower())


def spec(schema: str, *attributes: Attribute) -> Spec:
    return Spec(schema, {a.name.lower(): a for a in attributes})


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


def boolean(value: Any, what: str) -> bool:
    """A JSON boolean, or the strings "True" / "False" in any case (Entra)."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, bool):
        return value
    raise invalid_value(f"{what} is a boolean.")


def operations(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise invalid_syntax("A PATCH body is a JSON object.")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH_OP not in schemas):
        raise invalid_syntax(f"A PATCH body names the schema {PATCH_OP}.")
    ops = body.get("Operations", body.get("operations"))
    if not isinstance(ops, list) or not ops:
        raise invalid_syntax("A PATCH body has a non-empty Operations list.")
    if not all(isinstance(op, dict) for op in ops):
        raise invalid_syntax("Each operation is a JSON object.")
    return ops


def apply(document: dict[str, Any], body: Any, spec: Spec, members: Members | None = None) -> dict[str, Any]:
    """The document after the PATCH `body`'s operations (the input is left as it was)."""
    doc = copy.deepcopy(document)
    for op in operations(body):
        kind = op.get("op")
        if not isinstance(kind, str) or kind.strip().lower() not in ("add", "replace", "remove"):
            raise invalid_syntax("op is add, replace or remove.")
        kind = kind.strip().lower()
        path = op.get("path")
        value = op.get("value")
        if path is None or (isinstance(path, str) and not path.strip()):
            if kind == "remove":
                raise ScimError(400, "A remove names its path.", "noTarget")
            if not isinstance(value, dict):
                raise invalid_value("An operation without a path has an object of attributes as its value.")
            _apply_object(doc, kind, value, spec, members)
        elif isinstance(path, str):
            _apply_path(doc, kind, path.strip(), value, spec, members)
        else:
            raise invalid_syntax("path is a string.")
    return doc


def _apply_object(doc: dict[str, Any], kind: str, value: dict[str, Any], spec: Spec, members: Members | None) -> None:
    for key, item in value.items():
        if key.lower() == spec.schema.lower() and isinstance(item, dict):
            _apply_object(doc, kind, item, spec, members)  # {"urn:...:core:2.0:User": {...}}
        elif key.lower().startswith("urn:") and isinstance(item, dict):
            continue  # an extension Seatwise does not keep
        else:
            _apply_path(doc, kind, key, item, spec, members)


def _parse(path: str):
    try:
        return Path(path).ast
    except (SCIMException, ValueError, TypeError) as error:
        raise ScimError(
            400, f"The path {path!r} does not parse: {getattr(error, 'detail', None) or error}.", "invalidPath"
        ) from None


def _apply_path(doc: dict[str, Any], kind: str, path: str, value: Any, spec: Spec, members: Members | None) -> None:
    node = _parse(path)
    if isinstance(node, ValuePath):
        attr_path, value_filter, sub = node.attr_path, node.val_filter, node.sub_attr
    elif isinstance(node, AttrPath):
        attr_path, value_filter, sub = node, None, node.sub_attr
    else:
        raise ScimError(400, f"The path {path!r} is not an attribute path.", "invalidPath")
    if attr_path.uri is not None and attr_path.uri.lower() != spec.schema.lower():
        return  # an extension Seatwise does not keep: accepted and ignored
    attribute = spec.find(attr_path.attr)
    if attribute is None:
        return  # an attribute Seatwise does not keep: accepted and ignored
    if isinstance(node, ValuePath):
        sub = node.sub_attr or attr_path.sub_attr
    if attribute.kind == MEMBERS:
        if members is None:
            return
        _members(members, kind, value_filter, sub, value)
        return
    if value_filter is not None and attribute.kind != MULTI:
        raise ScimError(400, f"{attribute.name} is not multi-valued.", "invalidPath")
    sub_name = None
    if sub is not None:
        if attribute.kind == SIMPLE:
            raise ScimError(400, f"{attribute.name} has no sub-attributes.", "invalidPath")
        sub_name = attribute.sub(sub)
        if sub_name is None:
            return  # a sub-attribute Seatwise does not keep
    if attribute.kind == SIMPLE:
        if kind == "remove":
            doc.pop(attribute.name, None)
        else:
            doc[attribute.name] = _single(value)
    elif attribute.kind == COMPLEX:
        _complex(doc, kind, attribute, sub_name, value)
    else:
        _multi(doc, kind, attribute, value_filter, sub_name, value)


def _single(value: Any) -> Any:
    """Entra without its compliance flag sends a single-valued attribute as `[{"value": "Babs"}]`."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) and set(value[0]) == {"value"}:
        return value[0]["value"]
    return value


def _key(item: dict[str, Any]) -> str:
    """A multi-valued item as a hashable key (equal items, equal keys)."""
    return json.dumps(item, sort_keys=True, default=str)


def _canonical(attribute: Attribute, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_value(f"{attribute.name} is an object.")
    return {name: item for key, item in value.items() if (name := attribute.sub(key)) is not None}


def _complex(doc: dict[str, Any], kind: str, attribute: Attribute, sub: str | None, value: Any) -> None:
    current = doc.get(attribute.name) or {}
    if sub is None:
        if kind == "remove":
            doc.pop(attribute.name, None)
            return
        doc[attribute.name] = {**current, **_canonical(attribute, value)}  # add and replace set the sub-attributes given
        return
    if kind == "remove":
        current.pop(sub, None)
    else:
        current[sub] = value
    doc[attribute.name] = current


def _multi(
    doc: dict[str, Any], kind: str, attribute: Attribute, value_filter: FilterNode | None, sub: str | None, value: Any
) -> None:
    items: list[dict[str, Any]] = list(doc.get(attribute.name) or [])
    if value_filter is None and sub is None:
        if kind == "remove":
            doc.pop(attribute.name, None)
            return
        incoming = [_canonical(attribute, v) for v in (value if isinstance(value, list) else [value])]
        if kind == "replace":
            items = incoming
        else:
            known = {_key(v) for v in items}
            for v in incoming:
                if (key := _key(v)) not in known:
                    known.add(key)
                    items.append(v)
        doc[attribute.name] = items
        return
    chosen = [i for i, item in enumerate(items) if value_filter is None or matches(item, value_filter)]
    if kind == "remove":
        if sub is None:
            items = [item for i, item in enumerate(items) if i not in chosen]
        else:
            for i in chosen:
                items[i].pop(sub, None)
    elif chosen:
        for i in chosen:
            if sub is None:
                items[i] = {**items[i], **_canonical(attribute, value)}
            else:
                items[i][sub] = value
    else:
        # Nothing matches: an add (and Entra's replace) of `emails[type eq "work"].value` creates that value.
        seed = _equalities(value_filter) if value_filter is not None else {}
        if seed is None:
            raise ScimError(400, f"No value of {attribute.name} matches the path's filter.", "noTarget")
        created = {name: item for key, item in seed.items() if (name := attribute.sub(key)) is not None}
        if sub is None:
            created.update(_canonical(attribute, value))
        else:
            created[sub] = value
        items.append(created)
    doc[attribute.name] = items


def _equalities(node: FilterNode) -> dict[str, Any] | None:
    """`type eq "work" and primary eq true` -> {"type": "work", "primary": True}; None for any other filter."""
    if isinstance(node, Comparison) and node.op is CompareOperator.eq and node.attr_path.sub_attr is None:
        return {node.attr_path.attr: node.value}
    if isinstance(node, LogicalExpr) and node.op is LogicalOperator.and_:
        found: dict[str, Any] = {}
        for term in node.terms:
            part = _equalities(term)
            if part is None:
                return None
            found.update(part)
        return found
    return None


def matches(item: dict[str, Any], node: FilterNode) -> bool:
    """Whether one value of a multi-valued attribute (a few emails) satisfies a value filter."""
    if isinstance(node, LogicalExpr):
        results = [matches(item, term) for term in node.terms]
        return all(results) if node.op is LogicalOperator.and_ else any(results)
    if isinstance(node, Not):
        return not matches(item, node.expr)
    if isinstance(node, Present | Comparison):
        name = node.attr_path.attr.lower()
        actual = next((v for k, v in item.items() if k.lower() == name), None)
        if isinstance(node, Present):
            return actual not in (None, "", [])
        expected = node.value
        if isinstance(actual, bool) or isinstance(expected, bool):
            try:
                actual, expected = boolean(actual, name), boolean(expected, name)
            except ScimError:
                return False
        if isinstance(actual, str) and isinstance(expected, str):
            actual, expected = actual.lower(), expected.lower()
        op = node.op
        if op is CompareOperator.eq:
            return actual == expected
        if op is CompareOperator.ne:
            return actual != expected
        if not isinstance(actual, str) or not isinstance(expected, str):
            return False
        if op is CompareOperator.co:
            return expected in actual
        if op is CompareOperator.sw:
            return actual.startswith(expected)
        if op is CompareOperator.ew:
            return actual.endswith(expected)
        return {
            CompareOperator.gt: actual > expected,
            CompareOperator.ge: actual >= expected,
            CompareOperator.lt: actual < expected,
            CompareOperator.le: actual <= expected,
        }[op]
    return False


def _member_filter_ids(node: FilterNode) -> list[str]:
    """`value eq "1" or value eq "2"` -> ["1", "2"]; noTarget for any other member filter."""
    if isinstance(node, Comparison) and node.op is CompareOperator.eq and node.attr_path.attr.lower() == "value":
        return [str(node.value)]
    if isinstance(node, LogicalExpr) and node.op is LogicalOperator.or_:
        return [i for term in node.terms for i in _member_filter_ids(term)]
    raise ScimError(400, 'A member filter names members by value: members[value eq "<user id>"].', "noTarget")


def _members(members: Members, kind: str, value_filter: FilterNode | None, sub: str | None, value: Any) -> None:
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
