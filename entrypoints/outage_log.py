"""One log line per kind of failure per interval, not one traceback per request.

During an outage every request and every background sweep fails the same way; logging each
would bury the one line that matters under megabytes of identical tracebacks. `OutageLog`
writes the first failure of a kind, then at most one line per `interval` seconds for that
kind, saying how many were left out in between.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

INTERVAL_SECONDS = 10.0


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


class OutageLog:
    def __init__(
        self,
        logger: logging.Logger,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

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
        now = self._clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self._interval:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return False
            self._last[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
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
