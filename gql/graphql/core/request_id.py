"""The id of the request being served: set by the RequestId middleware (gql/http/middleware.py), on every JSON log
line (gql/http/logs.py) and in the extensions of a masked error (`requestId`, gql/graphql/core/errors.py)."""

from __future__ import annotations

import contextvars

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
