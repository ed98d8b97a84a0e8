"""A demo employee portal that embeds the copilot, and the security headers for embedding.

``/portal`` is what an intranet page looks like with the floating widget (one script tag plus
``mountChainlitWidget`` with a token minted by the portal's backend), ``/portal/iframe`` the iframe
variant, ``/portal/admin`` the copy-paste snippet for IT admins. The pages are in ``portal/``.

Tokens are minted here only in development with the demo login on (``make run``). In production the
pages still render, but without a token (the widget shows its sign-in instead): your portal's
backend mints tokens for the employee it has signed in (docs/auth.md).
"""

from __future__ import annotations

import html
import json
from string import Template

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.middleware.base import BaseHTTPMiddleware

from copilot.settings import PROJECT_ROOT, Settings, get_settings
from copilot.ui.auth import ensure_auth_secret, mint_portal_token

router = APIRouter(prefix="/portal", tags=["portal"])
DEMO_EMAIL = "alice.nguyen@acme.example"

PORTAL_DIR = PROJECT_ROOT / "portal"


def _page(who: str, body: str, script: str = "") -> HTMLResponse:
    base = Template((PORTAL_DIR / "base.html").read_text(encoding="utf-8"))
    return HTMLResponse(base.substitute(who=html.escape(who), body=body, script=script))


def _fragment(name: str, **values: str) -> str:
    return Template((PORTAL_DIR / name).read_text(encoding="utf-8")).substitute(**values)


def _demo_token(request: Request) -> tuple[str, str]:
    """A widget token for ``?employee=`` (any email!), so development only: never in production."""
    settings = get_settings()
    if settings.env != "development" or not settings.demo_login_enabled:
        return "", ""
    email = request.query_params.get("employee", DEMO_EMAIL).strip().lower()
    return email, mint_portal_token(ensure_auth_secret(settings), email)


@router.get("", response_class=HTMLResponse)
async def portal(request: Request) -> HTMLResponse:
    email, token = _demo_token(request)
    server = str(request.base_url).rstrip("/")
    config = {"chainlitServer": server, "accessToken": token, "theme": "light", "displayMode": "floating"}
    script = _fragment("widget.html", server=html.escape(server), config=json.dumps(config))
    return _page(email or "nobody (demo login is off)", _fragment("index.html"), script)


@router.get("/iframe", response_class=HTMLResponse)
async def iframe(request: Request) -> HTMLResponse:
    return _page("(the frame signs in itself)", _fragment("iframe.html"))


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request) -> HTMLResponse:
    server = str(request.base_url).rstrip("/")
    snippet = f"""<meta charset="utf-8">
<script src="{server}/copilot/index.js"></script>
<script>
  const config = {{
    chainlitServer: "{server}",
    accessToken: "<short-lived token from your portal backend>",
    displayMode: "floating"
  }};
  // Exchange the token before mounting: the widget's socket does not wait for its own exchange.
  fetch(config.chainlitServer + "/auth/jwt", {{method: "POST", credentials: "include",
        headers: {{Authorization: "Bearer " + config.accessToken}}}})
    .catch(() => null).then(() => window.mountChainlitWidget(config));
</script>"""
    minting = """import jwt, datetime
token = jwt.encode({"identifier": email, "display_name": name,
                    "metadata": {"email": email, "provider": "portal"},
                    "exp": datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)},
                   CHAINLIT_AUTH_SECRET, algorithm="HS256")"""
    return _page("IT admin", _fragment("admin.html", snippet=html.escape(snippet), minting=html.escape(minting)))


def content_security_policy(frame_ancestors: str) -> str:
    """Only the configured portals may frame the app; images load only from the app itself (or inline
    data/blob previews), so Markdown in an article or a ticket can never make the browser call out."""
    return f"frame-ancestors {frame_ancestors}; img-src 'self' data: blob:"


class SecurityHeaders(BaseHTTPMiddleware):
    """Clickjacking protection for the iframe embed, and no remote images (see content_security_policy)."""

    def __init__(self, app: object, frame_ancestors: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.policy = content_security_policy(frame_ancestors)

    async def dispatch(self, request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    """The CSP on every response, and exact CORS origins.

    ``COPILOT_ALLOWED_ORIGINS`` set: exactly those origins. Unset in production: an empty list, so no
    cross-origin request is answered with CORS headers (same-origin only; Chainlit's ``["*"]`` would
    reflect any Origin with credentials). Unset in development: ``.chainlit/config.toml`` as is.
    """
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    origins = settings.cors_origins()
    if origins is not None:
        from chainlit.config import config

        # Chainlit's CORS middleware holds this very list; it is read when the app first serves a request.
        config.project.allow_origins[:] = origins
