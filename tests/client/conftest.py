"""Fixtures for the client tests: a freshly reset shared sandbox with an empty call log and no faults."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import SandboxHandle


@pytest.fixture
async def fresh(sandbox: SandboxHandle) -> AsyncIterator[SandboxHandle]:
    await sandbox.reset()
    sandbox.control("DELETE", "/_sandbox/requests")
    yield sandbox
    sandbox.control("DELETE", "/_sandbox/faults")
