"""SCIM PATCH (RFC 7644 section 3.5.2) on a resource's kept attributes, as directories send it.

The operations apply, in order, to a document of the kept attributes (canonical names); the result is then
checked like a PUT body. What real directories send is accepted: `op` in any case (Entra's `Add`/`Replace`/
`Remove`), a PATCH without `path` whose `value` is an object of attributes (dotted names and schema URNs included),
paths with a value filter such as `emails[type eq "work"].value` (models/scim/value_filter.py), attributes and
extensions Seatwise does not keep (ignored). Group members never enter the document: they go to a `Members` tally
(models/scim/members.py), applied in bulk."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from scim2_models.exceptions import SCIMException
from scim2_models.path import AttrPath, FilterNode, Path, ValuePath

from seatwise.models.scim import members as member_changes
from seatwise.models.scim.errors import ScimError, invalid_syntax, invalid_value
from seatwise.models.scim.members import Members
from seatwise.models.scim.schema import PATCH_OP
from seatwise.models.scim.value_filter import equalities, matches

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


def _parse(path: str) -> AttrPath | ValuePath:
    """The path's attribute, its value filter and sub-attribute (`emails[type eq "work"].value`); invalidPath else."""
    try:
        node = Path(path).ast
    except (SCIMException, ValueError, TypeError):
        raise ScimError(400, "The path does not parse.", "invalidPath") from None
    if not isinstance(node, ValuePath | AttrPath):
        raise ScimError(400, "The path is not an attribute path.", "invalidPath")
    return node


def _apply_path(doc: dict[str, Any], kind: str, path: str, value: Any, spec: Spec, members: Members | None) -> None:
    node = _parse(path)
    if isinstance(node, ValuePath):
        attr_path, value_filter = node.attr_path, node.val_filter
        sub = node.sub_attr or attr_path.sub_attr
    else:
        attr_path, value_filter, sub = node, None, node.sub_attr
    if attr_path.uri is not None and attr_path.uri.lower() != spec.schema.lower():
        return  # an extension Seatwise does not keep: accepted and ignored
    attribute = spec.find(attr_path.attr)
    if attribute is None:
        return  # an attribute Seatwise does not keep: accepted and ignored
    if attribute.kind == MEMBERS:
        if members is not None:
            member_changes.tally(members, kind, value_filter, sub, value)
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
    elif value_filter is None and sub_name is None:
        _multi(doc, kind, attribute, value)
    else:
        _multi_values(doc, kind, attribute, value_filter, sub_name, value)


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


def _multi(doc: dict[str, Any], kind: str, attribute: Attribute, value: Any) -> None:
    """An operation on a multi-valued attribute as a whole: remove it, replace its values, or add the new ones."""
    if kind == "remove":
        doc.pop(attribute.name, None)
        return
    items: list[dict[str, Any]] = list(doc.get(attribute.name) or [])
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


def _multi_values(
    doc: dict[str, Any], kind: str, attribute: Attribute, value_filter: FilterNode | None, sub: str | None, value: Any
) -> None:
    """An operation on the values a filter chooses (every value without one), or on a sub-attribute of them."""
    items: list[dict[str, Any]] = list(doc.get(attribute.name) or [])
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
        items.append(_created(attribute, value_filter, sub, value))
    doc[attribute.name] = items


def _created(attribute: Attribute, value_filter: FilterNode | None, sub: str | None, value: Any) -> dict[str, Any]:
    """Nothing matches: an add (and Entra's replace) of `emails[type eq "work"].value` creates that value."""
    seed = equalities(value_filter) if value_filter is not None else {}
    if seed is None:
        raise ScimError(400, f"No value of {attribute.name} matches the path's filter.", "noTarget")
    created = {name: item for key, item in seed.items() if (name := attribute.sub(key)) is not None}
    if sub is None:
        created.update(_canonical(attribute, value))
    else:
        created[sub] = value
    return created
