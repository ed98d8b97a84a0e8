"""Per-minute, account-wide token bucket (reference §2) and fault injection for reliability tests."""

from __future__ import annotations

import math
import random
import re
import time
from collections import deque
from typing import Literal

from pydantic import BaseModel, Field

Fault = Literal["429", "500", "503", "slow", "drop"]


class TokenBucket:
    """``per_minute`` credits refilled continuously; a call spends its credits or is refused."""

    def __init__(self, per_minute: int | None, clock: type[time] | None = None) -> None:
        self._clock = time.monotonic
        self.configure(per_minute)

    def configure(self, per_minute: int | None) -> None:
        self.per_minute = per_minute
        self.tokens = float(per_minute or 0)
        self.updated = self._clock()

    def _refill(self) -> None:
        if self.per_minute is None:
            return
        now = self._clock()
        self.tokens = min(float(self.per_minute), self.tokens + (now - self.updated) * self.per_minute / 60.0)
        self.updated = now

    def spend(self, credits: int) -> tuple[bool, int]:
        """(allowed, seconds until enough credits) — failed calls consume budget too, like the real API."""
        if self.per_minute is None:
            return True, 0
        self._refill()
        if self.tokens >= credits:
            self.tokens -= credits
            return True, 0
        missing = credits - self.tokens
        self.tokens = max(0.0, self.tokens - 1)
        return False, max(1, math.ceil(missing * 60.0 / self.per_minute))

    def headers(self, credits: int) -> dict[str, str]:
        total = self.per_minute if self.per_minute is not None else 1_000_000
        remaining = int(self.tokens) if self.per_minute is not None else total
        return {"X-RateLimit-Total": str(total), "X-RateLimit-Remaining": str(max(0, remaining)),
                "X-RateLimit-Used-CurrentRequest": str(credits)}


class FaultPlan(BaseModel):
    """What to break: ``sequence`` applies to the next matching calls in order; ``ratios`` at random."""

    sequence: list[Fault] = Field(default_factory=list)
    ratios: dict[Fault, float] = Field(default_factory=dict)
    slow_seconds: float = 2.0
    retry_after: int = 1
    path_regex: str | None = None
    methods: list[str] | None = None
    seed: int | None = None


class FaultInjector:
    def __init__(self) -> None:
        self.plan: FaultPlan | None = None
        self._queue: deque[Fault] = deque()
        self._rng = random.Random(0)

    def set(self, plan: FaultPlan | None) -> None:
        self.plan = plan
        self._queue = deque(plan.sequence if plan else [])
        self._rng = random.Random(plan.seed if plan and plan.seed is not None else 0)

    def next_fault(self, method: str, path: str) -> Fault | None:
        plan = self.plan
        if plan is None:
            return None
        if plan.methods and method.upper() not in {m.upper() for m in plan.methods}:
            return None
        if plan.path_regex and not re.search(plan.path_regex, path):
            return None
        if self._queue:
            return self._queue.popleft()
        roll = self._rng.random()
        for fault, share in plan.ratios.items():
            if roll < share:
                return fault
            roll -= share
        return None
