"""Structured logging (structlog) with secrets redacted before anything is written.

Every copilot module logs through ``get_logger(__name__)`` with an event name and key/value fields,
never an employee's message text. ``configure`` is called once by each entry point (the Chainlit app,
the REST-only app); it also quiets libraries that would log whole prompts or per-batch progress.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
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
