"""Sign-in: every way in ends at a Freshservice requester, resolved on the server.

1. Portal token: the portal backend mints a short-lived HS256 JWT with the shared secret
   (:func:`mint_portal_token`); the Chainlit widget exchanges it at ``/auth/jwt``. Our route in front
   of Chainlit's checks the claims first (``exp``, ``identifier``), so a malformed token is a 401 with
   a reason instead of a 500 inside Chainlit.
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
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from copilot.settings import Settings

PROXY_SECRET_HEADER = "x-proxy-secret"
MAX_TOKEN_CHARS = 8192
MAX_IDENTIFIER_CHARS = 254
router = APIRouter(tags=["sign-in"])


#: Why a sign-in failed when the IT system cannot be asked who the employee is (HTTP 503). Chainlit's
#: sign-in page looks its error text up by the response's status text, so the page shows
#: ``auth.login.errors["service unavailable"]`` from ``.chainlit/translations`` (not "check your details").
SIGN_IN_UNAVAILABLE = "The IT system can't be reached right now, so your account can't be checked. Try again in a few minutes."


class PortalTokenRejected(ValueError):
    """A portal token that cannot sign anyone in; the message says why (safe to show)."""


def portal_token_claims(token: str, secret: str) -> dict[str, object]:
    """The claims of a valid portal token: HS256, signed with ``secret``, not expired, with a string
    ``identifier`` (the employee's email); anything else raises :class:`PortalTokenRejected`."""
    if len(token) > MAX_TOKEN_CHARS:
        raise PortalTokenRejected("The sign-in token is too long.")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "identifier"]})
    except jwt.ExpiredSignatureError:
        raise PortalTokenRejected("The sign-in token has expired; reload the portal page.") from None
    except jwt.MissingRequiredClaimError as missing:
        raise PortalTokenRejected(f"The sign-in token has no '{missing.claim}' claim.") from None
    except jwt.InvalidTokenError:
        raise PortalTokenRejected("The sign-in token is not valid.") from None
    identifier = claims.get("identifier")
    if not isinstance(identifier, str) or not identifier.strip() or len(identifier) > MAX_IDENTIFIER_CHARS:
        raise PortalTokenRejected("The sign-in token's 'identifier' must be the employee's email.")
    if not isinstance(claims.get("metadata", {}), dict) or not isinstance(claims.get("display_name", ""), str | None):
        raise PortalTokenRejected("The sign-in token's 'metadata' or 'display_name' has the wrong type.")
    return dict(claims)


@router.post("/auth/jwt")
async def portal_token_sign_in(request: Request) -> Response:
    """Chainlit's ``/auth/jwt`` with the claims checked first (Chainlit answers 500 on a missing claim)."""
    from chainlit.auth.jwt import get_jwt_secret
    from chainlit.server import _authenticate_user
    from chainlit.user import User

    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(status_code=401, detail="Send the portal token as 'Authorization: Bearer <token>'.")
    try:
        claims = portal_token_claims(token.strip(), get_jwt_secret() or "")
    except PortalTokenRejected as rejected:
        raise HTTPException(status_code=401, detail=str(rejected)) from None
    metadata = claims.get("metadata")
    user = User(identifier=str(claims["identifier"]), display_name=claims.get("display_name") or None,  # type: ignore[arg-type]
                metadata=metadata if isinstance(metadata, dict) else {})
    return await _authenticate_user(request, user)


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
