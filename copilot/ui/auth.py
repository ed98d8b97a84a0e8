"""Sign-in: every way in ends at a Freshservice requester, resolved on the server.

1. Portal token: the portal backend mints a short-lived HS256 JWT with the shared secret
   (:func:`mint_portal_token`); the Chainlit widget exchanges it at ``/auth/jwt``.
2. SSO reverse proxy: the proxy puts the employee's email in ``COPILOT_AUTH_HEADER`` and proves
   itself with ``X-Proxy-Secret`` (requests that do not come through the proxy are refused).
3. Demo password login (``make run`` only): any seeded employee with the demo password.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from copilot.settings import Settings

PROXY_SECRET_HEADER = "x-proxy-secret"


def ensure_auth_secret(settings: Settings) -> str:
    """The signing secret: configured, or (development only) generated once and kept under data_dir."""
    if settings.auth_secret is not None:
        return settings.auth_secret.get_secret_value()
    if settings.env == "production":
        raise RuntimeError("CHAINLIT_AUTH_SECRET (or COPILOT_AUTH_SECRET) is required in production")
    path = Path(settings.data_dir) / "auth-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def mint_portal_token(secret: str, email: str, *, name: str | None = None, minutes: int = 5) -> str:
    """What the portal backend does for a signed-in employee (copy this into your portal)."""
    claims = {"identifier": email.lower(), "display_name": name or email,
              "metadata": {"email": email.lower(), "provider": "portal"},
              "exp": datetime.now(UTC) + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm="HS256")


def trusted_proxy_email(settings: Settings, headers: dict[str, str]) -> str | None:
    """The email an SSO proxy asserted, if the request really came through that proxy."""
    if not settings.auth_header or settings.auth_proxy_secret is None:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    sent = lowered.get(PROXY_SECRET_HEADER, "")
    if not hmac.compare_digest(sent, settings.auth_proxy_secret.get_secret_value()):
        return None
    email = lowered.get(settings.auth_header.lower(), "").strip().lower()
    return email if "@" in email else None


def demo_password_ok(settings: Settings, password: str) -> bool:
    return settings.demo_login_enabled and hmac.compare_digest(password, settings.demo_password.get_secret_value())
