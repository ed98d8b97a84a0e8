"""Secrets are masked wherever they hide: keys, nested values, free text, auth headers."""

from __future__ import annotations

from copilot.redact import MASK, redact


def test_secret_keys_are_masked_nested() -> None:
    event = {"tool": "x", "args": {"api_key": "abc123456", "nested": [{"Authorization": "Basic Zm9vOmJhcg=="}]}}
    out = redact(event)
    assert out["args"]["api_key"] == MASK
    assert out["args"]["nested"][0]["Authorization"] == MASK
    assert out["tool"] == "x"
    assert event["args"]["api_key"] == "abc123456"  # the input is not modified


def test_known_secret_values_are_masked_in_text() -> None:
    out = redact({"message": "calling with key sk-live-998877 failed"}, secrets=["sk-live-998877"])
    assert "sk-live-998877" not in out["message"]
    assert MASK in out["message"]


def test_bearer_tokens_in_text_are_masked() -> None:
    assert "eyJhbGciOi" not in redact("header was Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")


def test_short_or_empty_values_are_left_alone() -> None:
    assert redact({"token": None, "password": ""}) == {"token": None, "password": ""}
    assert redact("the word key", secrets=["", "abc"]) == "the word key"
