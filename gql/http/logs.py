"""Structured JSON logs with the request id on every line, the same in every process.

`config(level)` is a `logging.config.dictConfig` dictionary: the CLI applies it, and `serve` hands it
to uvicorn, which applies it again in each worker process (`--workers N`).
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime

from seatwise.gql.graphql.core.request_id import request_id

# Record attributes that are not extras; `color_message` is uvicorn's copy of the message with ANSI colours.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "color_message"}


# Defence in depth: whatever reaches a log line, card-number-like digit runs (12 to 19 digits, maybe
# separated by spaces, dots, dashes or a URL-encoded space) and bearer tokens do not.
_SECRETS = re.compile(r"\b\d(?:(?:[ +.-]|%20)?\d){11,18}\b|sw_[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(self._format(record))

    def _format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def config(level: str = "INFO", stream=None) -> dict:
    """JSON lines on stderr (stdout stays free for `--json` output), for the root logger and uvicorn's."""
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "seatwise.gql.http.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": stream or "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            # Tortoise logs SQL with bound values at DEBUG; keep it quiet so no value ever reaches a log.
            "tortoise": quiet,
            "aiosqlite": quiet,
            "asyncpg": quiet,
        },
    }


def setup(level: str = "INFO", stream=None) -> None:
    logging.config.dictConfig(config(level, stream))
