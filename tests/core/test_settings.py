"""Settings: embedded defaults, env overrides, and refusal of sandbox defaults in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from copilot.settings import DEMO_API_TOKEN, SANDBOX_DEFAULT_API_KEY, Settings

STRONG_SECRET = "kX3v9Qm2Lr7Tz1Wb8Nc4Hd6Jf0Gp5Ys-Ue_Ai2Ok7Rt"  # 44 chars, like `chainlit create-secret`
REAL_KEY = "Fs8kq2LmZx7RwT1vNp4c"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("COPILOT_") or name in {"PORT", "HOST", "SANDBOX_PORT"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # no .env file is read from the repo


def production(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    """A complete production environment (plus ``extra``), set through the real variables."""
    values = {"COPILOT_FRESHSERVICE_URL": "https://acme.freshservice.com", "COPILOT_FRESHSERVICE_API_KEY": REAL_KEY,
              "CHAINLIT_AUTH_SECRET": STRONG_SECRET, **extra}
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_unset_env_means_production_and_refuses_sandbox_defaults() -> None:
    assert Settings.model_fields["env"].default == "production"
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    for expected in ("COPILOT_ENV=production", "COPILOT_FRESHSERVICE_URL", "COPILOT_FRESHSERVICE_API_KEY",
                     "COPILOT_AUTH_SECRET", "COPILOT_ENV=development"):
        assert expected in message


def test_complete_production_config_starts_without_demo_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch)
    settings = Settings()
    assert settings.env == "production"
    assert not settings.demo_login_enabled
    assert settings.api_token_values() == []  # no demo REST token
    assert settings.cors_origins() == []  # same-origin only unless COPILOT_ALLOWED_ORIGINS is set
    monkeypatch.setenv("COPILOT_ALLOWED_ORIGINS", "https://intranet.acme.example, https://portal.acme.example")
    assert Settings().cors_origins() == ["https://intranet.acme.example", "https://portal.acme.example"]


def test_refusal_message_does_not_echo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, CHAINLIT_AUTH_SECRET="changeme", COPILOT_MODEL_API_KEY="sk-live-abcdef0123456789")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert "placeholder" in str(raised.value)
    for secret in (REAL_KEY, "changeme", "sk-live-abcdef0123456789", "0123456789"):
        assert secret not in str(raised.value)


def test_production_refuses_demo_login(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, COPILOT_DEMO_LOGIN="true")
    with pytest.raises(ValidationError, match="COPILOT_DEMO_LOGIN=true is only allowed with COPILOT_ENV=development"):
        Settings()
    monkeypatch.setenv("COPILOT_DEMO_LOGIN", "false")
    assert not Settings().demo_login_enabled


@pytest.mark.parametrize("secret", ["x", "short-but-random-9Qm2", "a" * 64, "ab" * 32, "changeme", "secret",
                                    "change-me", "CHANGEME-CHANGEME-CHANGEME-CHANGEME-CHANGEME",
                                    "replace-me-with-chainlit-create-secret", "my-super-secret-changeme-value-0123456789"])
def test_production_refuses_short_or_placeholder_auth_secret(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    production(monkeypatch, CHAINLIT_AUTH_SECRET=secret)
    with pytest.raises(ValidationError, match="AUTH_SECRET"):
        Settings()


def test_production_accepts_generated_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    for secret in (secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(48)):
        production(monkeypatch, COPILOT_AUTH_SECRET=secret)
        monkeypatch.delenv("CHAINLIT_AUTH_SECRET")
        assert Settings().auth_secret.get_secret_value() == secret  # type: ignore[union-attr]


@pytest.mark.parametrize("key", ["", "changeme", "replace-me", "your-api-key", SANDBOX_DEFAULT_API_KEY])
def test_production_refuses_placeholder_freshservice_key(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    production(monkeypatch, COPILOT_FRESHSERVICE_API_KEY=key)
    with pytest.raises(ValidationError, match="COPILOT_FRESHSERVICE_API_KEY"):
        Settings()


def test_production_refuses_demo_or_placeholder_api_tokens_and_wildcard_origins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for tokens in (DEMO_API_TOKEN, f"bot-token-8f2kQz91xLm3,{DEMO_API_TOKEN}", "replace-me"):
        production(monkeypatch, COPILOT_API_TOKENS=tokens)
        with pytest.raises(ValidationError, match="COPILOT_API_TOKENS"):
            Settings()
    production(monkeypatch, COPILOT_API_TOKENS="bot-token-8f2kQz91xLm3")
    assert Settings().api_token_values() == ["bot-token-8f2kQz91xLm3"]
    production(monkeypatch, COPILOT_ALLOWED_ORIGINS="*")
    with pytest.raises(ValidationError, match="COPILOT_ALLOWED_ORIGINS"):
        Settings()


def test_development_keeps_the_embedded_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_ENV", "development")
    settings = Settings()
    assert settings.uses_sandbox and settings.auth_secret is None
    assert settings.demo_login_enabled
    assert settings.api_token_values() == [DEMO_API_TOKEN]
    assert settings.cors_origins() is None  # .chainlit/config.toml as is
    monkeypatch.setenv("COPILOT_DEMO_LOGIN", "false")
    assert not Settings().demo_login_enabled


def test_make_run_defaults_to_development_but_respects_an_explicit_choice(tmp_path: Path) -> None:
    from copilot.launch import default_to_development

    dotenv = tmp_path / ".env"
    environ: dict[str, str] = {}
    assert default_to_development(environ, dotenv) == "development" and environ["COPILOT_ENV"] == "development"
    environ = {"COPILOT_ENV": "production"}
    assert default_to_development(environ, dotenv) == "production" and environ["COPILOT_ENV"] == "production"
    dotenv.write_text("COPILOT_ENV=production\n")
    environ = {}
    assert default_to_development(environ, dotenv) == "production" and "COPILOT_ENV" not in environ


def test_defaults_use_embedded_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_ENV", "development")
    settings = Settings()
    assert settings.uses_sandbox
    assert settings.freshservice_base_url == "http://127.0.0.1:8001"
    assert settings.redis_url is None
    assert settings.model == "offline"
    assert settings.port == 8000
    assert settings.portal_base_url == settings.freshservice_base_url


def test_env_overrides_and_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_ENV", "development")
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
    monkeypatch.setenv("COPILOT_ENV", "development")
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
    monkeypatch.setenv("COPILOT_AUTH_SECRET", STRONG_SECRET)
    assert Settings().freshservice_api_key.get_secret_value() != SANDBOX_DEFAULT_API_KEY


def test_env_example_documents_every_setting() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"COPILOT_{name.upper()}" in text, f"COPILOT_{name.upper()} missing from .env.example"


def test_kb_libraries_are_the_named_categories_or_with_the_sandbox_its_imported_ones() -> None:
    from copilot.settings import SANDBOX_KB_LIBRARIES

    sandbox = Settings(env="development")
    assert sandbox.uses_sandbox and sandbox.kb_libraries == SANDBOX_KB_LIBRARIES
    named = Settings(env="development", kb_library_categories=" Vendor docs, Microsoft Office ,")
    assert named.kb_libraries == {"Vendor docs", "Microsoft Office"}
    real = Settings(env="development", freshservice_url="https://acme.freshservice.com")
    assert real.kb_libraries == frozenset()  # a real account: only what is named (and the size rule)
