"""Structured logging (structlog) with secrets redacted before anything is written.

Every copilot module logs through ``get_logger(__name__)`` with an event name and key/value fields,
never an employee's message text. ``configure`` is called once by each entry point (the Chainlit app,
the REST-only app); it also quiets libraries that would log whole prompts or per-batch progress.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

import structlog

from copilot.redact import redact

QUIET_LOGGERS = ("autogen_core", "autogen_core.events", "autogen_agentchat", "httpx", "httpcore", "bm25s",
                 "sentence_transformers")


class _CurrentStderr:
    """``sys.stderr`` as it is when a line is written, not when logging was configured (a test runner or a
    supervisor may swap it afterwards; a logger holding the old object would write into the void)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Key/value lines on stderr; tracebacks are rendered first so the redaction covers them too."""
    known = tuple(secrets)

    def mask(_: Any, __: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
        return dict(redact(event, known))

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


class Throttled:
    """A warning that can repeat thousands of times a second under overload (every refused request says
    "busy") is written at most once per ``interval`` seconds per event, with ``suppressed=N``: how many
    were left out since the last line. The first occurrence is always written at once."""

    def __init__(self, logger: Any, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger, self.interval, self.clock = logger, interval, clock
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warning(self, event: str, key: str = "", **fields: Any) -> bool:
        """Write ``event`` unless one with the same ``key`` (default: the event) was written less than
        ``interval`` ago; True if it was written."""
        key = key or event
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        self._last[key] = now
        self.logger.warning(event, suppressed=self._suppressed.pop(key, 0), **fields)
        return True
