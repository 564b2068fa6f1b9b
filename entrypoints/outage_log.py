"""One log line per kind of failure per interval, not one traceback per request.

During an outage every request and every background sweep fails the same way; logging each
would bury the one line that matters under megabytes of identical tracebacks. `OutageLog`
writes the first failure of a kind, then at most one line per `interval` seconds for that
kind, saying how many were left out in between.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

INTERVAL_SECONDS = 10.0
_MAX_KEYS = 1000


def describe(error: BaseException) -> str:
    """`TypeName: first line of the message` of the innermost cause, short."""
    root = error
    for _ in range(8):
        nested = getattr(root, "orig", None) or root.__cause__ or root.__context__
        if not isinstance(nested, BaseException) or nested is root:
            break
        root = nested
    text = str(root).strip().splitlines()[0] if str(root).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(root).__name__}: {text}" if text else type(root).__name__


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\b(?:0x[0-9a-fA-F]+|\d+)\b")
_CLASS_LENGTH = 100


def fault_kind(error: BaseException) -> str:
    """What makes two unexpected errors the same fault, for throttling their tracebacks: the
    error's type, the type of the driver error it wraps (SQLAlchemy's `.orig`: every database
    error arrives as a `DBAPIError`), and the class of the message — its first line with quoted
    values and numbers blanked, so that the same fault with other ids counts once while an
    integer overflow and a NUL byte count apart."""
    inner = getattr(error, "orig", None)
    said = inner if isinstance(inner, BaseException) else error
    parts = [type(error).__name__]
    if said is not error:
        parts.append(f"{type(said).__module__}.{type(said).__qualname__}")
    lines = str(said).strip().splitlines()
    first = lines[0] if lines else ""
    parts.append(_NUMBER.sub("N", _QUOTED.sub("?", first))[:_CLASS_LENGTH])
    return ":".join(parts)


class OutageFilter(logging.Filter):
    """For a log handler: a record whose exception `classify` recognises as an outage (a library's
    own "connection lost, retrying" warning, say) is written as one line without its traceback,
    at most once per kind per interval; every other record passes untouched."""

    def __init__(
        self,
        classify: Callable[[BaseException], str | None],
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._classify = classify
        self._gate = Gate(interval, clock)

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or (kind := self._classify(error)) is None:
            return True
        allowed, suppressed = self._gate.allow(f"{record.name}:{kind}:{type(error).__name__}")
        if not allowed:
            return False
        line = f"{record.getMessage()} ({describe(error)})"
        if suppressed:
            line += f"; {suppressed} more like it since the previous line"
        record.msg, record.args, record.exc_info, record.exc_text = line, (), None, None
        return True


class Gate:
    """Lets one event per key through per `interval`; counts the ones it holds back."""

    def __init__(
        self, interval: float = INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def allow(self, key: str) -> tuple[bool, int]:
        """(whether to write it, how many were held back since the last one written)."""
        now = self._clock()
        with self._lock:
            if len(self._last) > _MAX_KEYS:
                # Keys not seen for an interval would be let through anyway: forget them, so
                # that many distinct faults cannot grow the table without end.
                for stale in [k for k, at in self._last.items() if now - at >= self.interval]:
                    del self._last[stale]
                    self._suppressed.pop(stale, None)
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return False, 0
            self._last[key] = now
            return True, self._suppressed.pop(key, 0)


class OutageLog:
    def __init__(
        self,
        logger: logging.Logger,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._gate = Gate(interval, clock)

    def report(
        self,
        kind: str,
        message: str,
        error: BaseException | None = None,
        *,
        level: int = logging.WARNING,
        traceback: bool = False,
    ) -> bool:
        """Log `message` (plus the error's type and first line) unless `kind` was logged less
        than `interval` ago; returns whether it was written. With `traceback`, the written
        line carries the exception's traceback (for errors nobody recognised)."""
        allowed, suppressed = self._gate.allow(kind)
        if not allowed:
            return False
        line = f"{message} ({describe(error)})" if error is not None else message
        if suppressed:
            line += f"; {suppressed} more like it since the previous line"
        self._log.log(
            level,
            line,
            exc_info=error if traceback and error is not None else None,
            extra={"failure": kind, "suppressed": suppressed},
        )
        return True
