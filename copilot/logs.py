"""Structured logging (structlog over stdlib) with secrets redacted before anything is written."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import structlog

from copilot.redact import redact

QUIET_LOGGERS = ("autogen_core", "autogen_core.events", "autogen_agentchat", "httpx", "httpcore")


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Set up JSON-ish key/value logs; autogen's payload logging is silenced (it logs whole messages)."""
    known = tuple(secrets)

    def mask(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        return redact(event, known)  # type: ignore[no-any-return]

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        cache_logger_on_first_use=True,
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
