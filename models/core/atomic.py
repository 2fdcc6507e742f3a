"""One transaction around several changes, with what each change does after its commit deferred to the end.

A change of the seat ledger publishes its live events after it commits, and a deletion ends its user's live
subscriptions after it commits. Inside `atomic()` (a SCIM request: every write of the request in one transaction,
docs/rules.md section 11.2) the changes it runs are savepoints of its one transaction: their `after_commit`
actions wait until that transaction commits, and are dropped when it rolls back, so nobody sees a change that
did not happen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from tortoise.transactions import in_transaction

Action = Callable[[], Awaitable[object]]
_deferred: ContextVar[list[Action] | None] = ContextVar("seatwise_after_commit", default=None)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """One transaction; the `after_commit` actions of what runs inside it run once it has committed."""
    outer = _deferred.get()
    actions: list[Action] = []
    token = _deferred.set(actions if outer is None else outer)
    try:
        async with in_transaction():
            yield
    finally:
        _deferred.reset(token)
    if outer is None:
        for action in actions:
            await action()


async def after_commit(action: Action) -> None:
    """Run `action` now (the caller's transaction has committed), or when the enclosing `atomic()` commits."""
    actions = _deferred.get()
    if actions is None:
        await action()
    else:
        actions.append(action)
