"""Deployment files are static here (no Docker engine): parse them and check every variable they
set is one the app reads, so a typo cannot ship silently."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from copilot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
OTHER_KNOWN = {"CHAINLIT_AUTH_SECRET", "DATABASE_URL", "PORT", "HOST", "SANDBOX_PORT", "SANDBOX_API_KEY", "SANDBOX_PLAN",
               "SANDBOX_CONTROL", "SANDBOX_KNOWLEDGE", "SANDBOX_WEBHOOKS"}


def known_variables() -> set[str]:
    names = {f"COPILOT_{name.upper()}" for name in Settings.model_fields}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        for choice in getattr(alias, "choices", []) or []:
            names.add(str(choice))
    return names | OTHER_KNOWN


def test_compose_file_uses_known_settings() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    assert set(compose["services"]) == {"copilot", "redis", "postgres"}
    env = compose["services"]["copilot"]["environment"]
    assert set(env) <= known_variables(), set(env) - known_variables()
    assert env["COPILOT_ENV"] == "production"
    assert "COPILOT_DEMO_LOGIN" not in env


def test_kubernetes_placeholders_cannot_start_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """Applying the example manifest unchanged must fail at start-up, not run with shared secrets."""
    documents = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "copilot.yaml").read_text())}
    monkeypatch.chdir("/")  # no .env
    for name in [n for n in os.environ if n.startswith("COPILOT_")]:
        monkeypatch.delenv(name)
    for name, value in {**documents["ConfigMap"]["data"], **documents["Secret"]["stringData"]}.items():
        monkeypatch.setenv(name, str(value))
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()


def test_kubernetes_manifests_are_consistent() -> None:
    documents = list(yaml.safe_load_all((ROOT / "deploy" / "k8s" / "copilot.yaml").read_text()))
    kinds = {d["kind"]: d for d in documents}
    assert set(kinds) == {"ConfigMap", "Secret", "Deployment", "Service", "HorizontalPodAutoscaler"}
    variables = set(kinds["ConfigMap"]["data"]) | set(kinds["Secret"]["stringData"])
    assert variables <= known_variables(), variables - known_variables()
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert kinds["Service"]["spec"]["sessionAffinity"] == "ClientIP"  # websockets stick to one replica
    assert kinds["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == kinds["Deployment"]["metadata"]["name"]


def test_dockerfile_is_non_root_with_healthcheck_and_copies_what_the_app_needs() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER copilot$", text, re.M) and "HEALTHCHECK" in text and "/healthz" in text
    assert "download.pytorch.org/whl/cpu" in text  # CPU-only torch
    assert re.search(r"^\s*COPILOT_ENV=production\b", text, re.M)  # explicit, not only the settings' default
    for needed in ("copilot", "tools", "sandbox", "portal", "app.py", ".chainlit"):
        assert needed in text


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    missing = [f"COPILOT_{name.upper()}" for name in Settings.model_fields if f"COPILOT_{name.upper()}" not in text]
    assert not missing, missing
