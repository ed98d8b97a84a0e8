"""Keep secrets out of logs, prompts, the UI and the audit trail.

One function, used by the log pipeline and the audit log: it masks values under secret-looking
keys and any occurrence of a known secret value (API keys, tokens) inside free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
SECRET_KEY = re.compile(r"(api[_-]?key|token|secret|password|passwd|authorization|cookie|credential)", re.I)
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact(value: Any, secrets: Iterable[str] = (), *, _depth: int = 0) -> Any:
    """Return a copy of ``value`` with secrets masked (dicts, lists and strings, nested)."""
    known = [s for s in secrets if s and len(s) >= 6]
    if _depth > 20:
        return MASK
    if isinstance(value, Mapping):
        return {
            k: MASK if isinstance(k, str) and SECRET_KEY.search(k) and v not in (None, "")
            else redact(v, known, _depth=_depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(v, known, _depth=_depth + 1) for v in value)
    if isinstance(value, str):
        text = BEARER.sub(lambda m: f"{m.group(1)} {MASK}", value)
        for secret in known:
            text = text.replace(secret, MASK)
        return text
    return value
