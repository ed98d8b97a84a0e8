"""Helpers shared by the client tests (the ``fresh`` fixture lives in this folder's conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sandbox.seed import DEMO_EMPLOYEES
from tests.conftest import SandboxHandle

ALICE = DEMO_EMPLOYEES[0]["email"]


async def first(items: AsyncIterator[Any], predicate: Any) -> Any:
    async for item in items:
        if predicate(item):
            return item
    raise AssertionError("no matching item")


def calls(handle: SandboxHandle, method: str | None = None, contains: str = "") -> list[dict[str, Any]]:
    """The sandbox's call log since the last clear, filtered by verb and path fragment."""
    found = handle.control("GET", "/_sandbox/requests").json()["requests"]
    return [c for c in found if (method is None or c["method"] == method) and contains in c["path"]]
