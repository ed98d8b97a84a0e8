"""The seam through which clients of one Freshservice account share its rate budget.

Freshservice limits calls per account per minute, whichever process makes them. A client that gets
a 429 learns that the whole account must pause for ``Retry-After`` seconds; without sharing, every
other replica and worker keeps calling and collects its own 429s. An implementation of
:class:`SharedRateState` (the copilot's is in Redis, ``copilot/rate_budget.py``) lets one client's
429 pause them all, and lets background clients step aside on the latest ``X-RateLimit-Remaining``
any of them has seen. Durations are relative (seconds from now), so clocks of different machines
never need to agree.
"""

from __future__ import annotations

from typing import Protocol

from tools.freshservice.transport import RateLimitStatus


class SharedRateState(Protocol):
    """Rate-limit facts shared by every client of one Freshservice account.

    Implementations must never raise: when the shared store is unreachable they answer "nothing
    known" (None) and drop writes, so each client falls back to what it sees itself."""

    async def pause_remaining(self) -> float | None:
        """Seconds left of the account-wide pause set after a 429, or None when no pause is active."""
        ...

    async def pause(self, seconds: float) -> None:
        """Pause every client for ``seconds`` from now (never shortens a longer pause already set)."""
        ...

    async def record(self, status: RateLimitStatus) -> None:
        """Remember the ``X-RateLimit-*`` headers of the latest response."""
        ...

    async def latest(self) -> RateLimitStatus | None:
        """The latest status any client recorded (recently), or None."""
        ...
