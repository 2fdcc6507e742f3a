"""Value filters of a PATCH path (RFC 7644 section 3.5.2), such as `emails[type eq "work"]`, on the few values of
a multi-valued attribute held in memory (a list's filters become SQL instead: models/scim/filter.py)."""

from __future__ import annotations

from typing import Any

from scim2_models.path import CompareOperator, Comparison, FilterNode, LogicalExpr, LogicalOperator, Not, Present

from seatwise.models.scim.errors import ScimError
from seatwise.models.scim.values import boolean


def equalities(node: FilterNode) -> dict[str, Any] | None:
    """`type eq "work" and primary eq true` -> {"type": "work", "primary": True}; None for any other filter."""
    if isinstance(node, Comparison) and node.op is CompareOperator.eq and node.attr_path.sub_attr is None:
        return {node.attr_path.attr: node.value}
    if isinstance(node, LogicalExpr) and node.op is LogicalOperator.and_:
        found: dict[str, Any] = {}
        for term in node.terms:
            part = equalities(term)
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
        return _compares(node.op, actual, node.value, name)
    return False


def _compares(op: CompareOperator, actual: Any, expected: Any, name: str) -> bool:
    """`actual op expected`: booleans in Entra's spelling too, strings ignoring case."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        try:
            actual, expected = boolean(actual, name), boolean(expected, name)
        except ScimError:
            return False
    if isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.lower(), expected.lower()
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
