"""Logging for the whole process: JSON lines in prod, readable lines in dev, secrets scrubbed.

Every record passes through `Redactor` before it is written, whichever library logged it
(the app, uvicorn, SQLAlchemy, Alembic): bearer tokens, JWTs, webhook signatures,
`password=`/`token=`/`secret=` values, card-like numbers and the configured secrets
themselves are replaced by `[redacted]`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from adapters.outages import unavailable_dependency
from entrypoints.outage_log import OutageFilter
from entrypoints.settings import Settings

REDACTED = "[redacted]"
ACCESS_LOGGER = "storefront.access"

_SENSITIVE_KEY = re.compile(
    r"(password|passwd|secret|token|authorization|signature|api[_-]?key|card|cvc|cvv|pan)", re.I
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer <anything up to whitespace or a quote>
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), rf"\1 {REDACTED}"),
    # A JWT anywhere (header.payload.signature, base64url)
    (re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*"), REDACTED),
    # Stripe-style signature header values: t=…,v1=<hex>
    (re.compile(r"(?i)\b(v\d+=)[0-9a-f]{16,}"), rf"\1{REDACTED}"),
    # key=value / "key": "value" / 'key': 'value' with a sensitive key
    (
        re.compile(
            r"(?i)((?:[\w-]*(?:password|passwd|secret|token|authorization|signature|api[_-]?key)[\w-]*)"
            r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&}]+)"
        ),
        rf"\1{REDACTED}",
    ),
    # Long hex strings: HMACs, SHA-256 digests (refresh-token hashes)
    (re.compile(r"\b[0-9a-fA-F]{48,}\b"), REDACTED),
]
_CARD_LIKE = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w.])")

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "taskName", "color_message"}
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class Redactor:
    """Scrubs secrets out of text. `known` adds exact values (the configured secrets)."""

    def __init__(self, known: Iterable[str | None] = ()) -> None:
        values = sorted({v for v in known if v and len(v) >= 6}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def __call__(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return _CARD_LIKE.sub(self._card, text)

    @staticmethod
    def _card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return REDACTED if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)

    def value(self, key: str, value: Any) -> Any:
        if _SENSITIVE_KEY.search(key) and value is not None:
            return REDACTED
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(key, v) for v in value]
        return value


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's extras."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self._redact(record.getMessage()),
        }
        for key, value in _extras(record).items():
            entry[key] = self._redact.value(key, value)
        if record.exc_info:
            entry["exception"] = self._redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class ReadableFormatter(logging.Formatter):
    """`HH:MM:SS level logger message key=value…` for a developer's terminal."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s  %(message)s", datefmt="%H:%M:%S")
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items() if v is not None)
        return self._redact(f"{line}  {extras}" if extras else line)


def redactor_for(settings: Settings) -> Redactor:
    """Scrubs the patterns above plus this configuration's own secrets."""
    return Redactor([settings.secret_key, settings.payment_webhook_secret, settings.admin_password])


# Libraries whose DEBUG output carries raw query parameters (password hashes, emails):
# never below INFO, whatever LOG_LEVEL says.
_PARAMETER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine.Engine.raw")


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Route every logger (ours, uvicorn's, the libraries') through one handler; returns it."""
    redactor = redactor_for(settings)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(redactor) if settings.is_prod else ReadableFormatter(redactor))
    # A library's "connection lost" warning during an outage: one line per interval, no traceback.
    handler.addFilter(OutageFilter(unavailable_dependency))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    # Alembic announces each of its plugins at INFO when it is first imported (in `migrate` and
    # `serve`, after logging is set up): noise, not news. Its migration lines stay.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for name in _PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # Our own access log replaces the server's (it knows the route, the user and the request id).
    # With no handler anywhere above it, uvicorn does not even format its line for each request.
    server_access = logging.getLogger("uvicorn.access")
    server_access.handlers.clear()
    server_access.propagate = False
    server_access.disabled = True
    logging.getLogger(ACCESS_LOGGER).disabled = not settings.access_log
    return handler
