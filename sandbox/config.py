"""Sandbox configuration: which API key it accepts, which rate-limit plan, webhooks, control API."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

Plan = Literal["starter", "growth", "pro", "enterprise", "unlimited"]
DEFAULT_API_KEY = "sandbox-api-key"

# Per-minute overall budget by plan (reference §2); None = no limit (tests, demos).
PLAN_LIMITS: dict[str, int | None] = {"starter": 100, "growth": 200, "pro": 400, "enterprise": 500, "unlimited": None}


class WebhookTarget(BaseModel):
    """A Workflow-Automator style "Trigger Webhook" action: where to POST and with which secret header."""

    url: str
    events: list[Literal["ticket_created", "ticket_updated", "note_added"]] = Field(
        default_factory=lambda: ["ticket_created", "ticket_updated", "note_added"])
    header_name: str = "X-Webhook-Token"
    header_value: str = ""
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Waits before each retry after a failed attempt (no answer, timeout, non-2xx). Freshworks documents
    # 5, 30 and 60 minutes for automation webhooks; Freshservice's schedule is unconfirmed (reference §13).
    retry_delays: list[Annotated[float, Field(ge=0, le=86_400)]] = Field(default_factory=lambda: [300.0, 1800.0, 3600.0], max_length=10)
    # "Advanced" content mode: a hand-written body with {{ticket.<field>}} placeholders, substituted as raw
    # text (quoting is the template author's job, as in Freshservice); None = the "simple" JSON body.
    body_template: str | None = None


class SandboxConfig(BaseModel):
    api_key: str = DEFAULT_API_KEY
    plan: Plan = "enterprise"
    control_enabled: bool = True
    seed: int = 42
    # "full": the 913 imported Microsoft articles plus Acme's own; "org": Acme's own only (fast tests)
    knowledge: Literal["full", "org"] = "full"
    webhooks: list[WebhookTarget] = Field(default_factory=list)
    now: datetime | None = None

    @classmethod
    def from_env(cls) -> SandboxConfig:
        """Read ``SANDBOX_API_KEY``, ``SANDBOX_PLAN``, ``SANDBOX_CONTROL``, ``SANDBOX_KNOWLEDGE``,
        ``SANDBOX_WEBHOOKS`` (JSON list)."""
        values: dict[str, object] = {}
        if key := os.environ.get("SANDBOX_API_KEY"):
            values["api_key"] = key
        if plan := os.environ.get("SANDBOX_PLAN"):
            values["plan"] = plan
        if control := os.environ.get("SANDBOX_CONTROL"):
            values["control_enabled"] = control.strip().lower() in ("1", "true", "yes", "on")
        if knowledge := os.environ.get("SANDBOX_KNOWLEDGE"):
            values["knowledge"] = knowledge
        if hooks := os.environ.get("SANDBOX_WEBHOOKS"):
            values["webhooks"] = json.loads(hooks)
        return cls.model_validate(values)
