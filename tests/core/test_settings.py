"""Settings: embedded defaults, env overrides, and refusal of sandbox defaults in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from copilot.settings import SANDBOX_DEFAULT_API_KEY, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("COPILOT_") or name in {"PORT", "HOST", "SANDBOX_PORT"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # no .env file is read from the repo


def test_defaults_use_embedded_parts() -> None:
    settings = Settings()
    assert settings.uses_sandbox
    assert settings.freshservice_base_url == "http://127.0.0.1:8001"
    assert settings.redis_url is None
    assert settings.model == "offline"
    assert settings.port == 8000
    assert settings.portal_base_url == settings.freshservice_base_url


def test_env_overrides_and_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9100")
    monkeypatch.setenv("SANDBOX_PORT", "9101")
    monkeypatch.setenv("COPILOT_FRESHSERVICE_URL", "https://acme.freshservice.com/")
    monkeypatch.setenv("COPILOT_REDIS_URL", "")
    settings = Settings()
    assert settings.port == 9100
    assert settings.sandbox_port == 9101
    assert not settings.uses_sandbox
    assert settings.freshservice_base_url == "https://acme.freshservice.com"
    assert settings.redis_url is None  # blank means unset


def test_secret_is_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_FRESHSERVICE_API_KEY", "real-secret-key-123")
    settings = Settings()
    assert "real-secret-key-123" not in repr(settings)
    assert "real-secret-key-123" not in str(settings.model_dump())


def test_production_refuses_sandbox_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_ENV", "production")
    with pytest.raises(ValidationError, match="COPILOT_FRESHSERVICE_URL"):
        Settings()
    monkeypatch.setenv("COPILOT_FRESHSERVICE_URL", "https://acme.freshservice.com")
    with pytest.raises(ValidationError, match="COPILOT_FRESHSERVICE_API_KEY"):
        Settings()
    monkeypatch.setenv("COPILOT_FRESHSERVICE_API_KEY", "k" * 20)
    assert Settings().freshservice_api_key.get_secret_value() != SANDBOX_DEFAULT_API_KEY


def test_env_example_documents_every_setting() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"COPILOT_{name.upper()}" in text, f"COPILOT_{name.upper()} missing from .env.example"
