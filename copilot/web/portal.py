"""A demo employee portal that embeds the copilot, and the security headers for embedding.

``/portal`` is what an intranet page looks like with the floating widget (one script tag plus
``mountChainlitWidget`` with a token minted by the portal's backend), ``/portal/iframe`` the iframe
variant, ``/portal/admin`` the copy-paste snippet for IT admins. Tokens are minted here only while
the demo login is enabled (development); in production your portal's backend mints them.
"""

from __future__ import annotations

import html
import json

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.middleware.base import BaseHTTPMiddleware

from copilot.settings import Settings, get_settings
from copilot.ui.auth import ensure_auth_secret, mint_portal_token

router = APIRouter(prefix="/portal", tags=["portal"])
DEMO_EMAIL = "alice.nguyen@acme.example"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme intranet</title>
<style>body{{font-family:system-ui,sans-serif;margin:0}}header{{background:#1f3a5f;color:#fff;padding:14px 24px}}
main{{padding:24px;max-width:860px}}code,pre{{background:#f3f4f6;padding:2px 4px}}pre{{padding:12px;overflow:auto}}</style>
</head><body><header><b>Acme intranet</b> · signed in as <span id="who">{who}</span></header><main>{body}</main>{script}</body></html>"""


def _settings() -> Settings:
    return get_settings()


def _demo_token(request: Request) -> tuple[str, str]:
    settings = _settings()
    if not settings.demo_login_enabled:
        return "", ""
    email = request.query_params.get("employee", DEMO_EMAIL).strip().lower()
    return email, mint_portal_token(ensure_auth_secret(settings), email)


@router.get("", response_class=HTMLResponse)
async def portal(request: Request) -> HTMLResponse:
    email, token = _demo_token(request)
    server = str(request.base_url).rstrip("/")
    body = ("<h1>Welcome to the intranet</h1><p>Need IT help? Open the copilot with the button at the bottom right.</p>"
            "<p>Other embeds: <a href='/portal/iframe'>iframe</a> · <a href='/portal/admin'>for IT admins</a></p>")
    config = {"chainlitServer": server, "accessToken": token, "theme": "light", "displayMode": "floating"}
    script = (f"<script src='{server}/copilot/index.js'></script>"
              f"<script>window.addEventListener('chainlit-call-fn', (e) => {{ const {{callback}} = e.detail;"
              f" callback(JSON.stringify({{page: location.pathname}})); }});"
              f"window.mountChainlitWidget({json.dumps(config)});</script>")
    return HTMLResponse(PAGE.format(who=html.escape(email or "nobody (demo login is off)"), body=body, script=script))


@router.get("/iframe", response_class=HTMLResponse)
async def iframe(request: Request) -> HTMLResponse:
    body = ("<h1>IT help (iframe embed)</h1><iframe id='copilot-frame' title='IT copilot' src='/' "
            "style='width:100%;height:640px;border:1px solid #ccc;border-radius:8px'></iframe>")
    return HTMLResponse(PAGE.format(who="(the frame signs in itself)", body=body, script=""))


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request) -> HTMLResponse:
    server = html.escape(str(request.base_url).rstrip("/"))
    snippet = html.escape(f"""<meta charset="utf-8">
<script src="{server}/copilot/index.js"></script>
<script>
  window.mountChainlitWidget({{
    chainlitServer: "{server}",
    accessToken: "<short-lived token from your portal backend>",
    displayMode: "floating"
  }});
</script>""")
    minting = html.escape("""import jwt, datetime
token = jwt.encode({"identifier": email, "display_name": name,
                    "metadata": {"email": email, "provider": "portal"},
                    "exp": datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)},
                   CHAINLIT_AUTH_SECRET, algorithm="HS256")""")
    body = (f"<h1>Embed the IT copilot</h1><p>Add this to your portal template:</p><pre>{snippet}</pre>"
            f"<p>Mint the token in your portal's backend for the signed-in employee (shared secret "
            f"<code>CHAINLIT_AUTH_SECRET</code>, HS256, a few minutes' lifetime):</p><pre>{minting}</pre>"
            "<p>Serve the copilot on the same site as the portal (e.g. <code>copilot.acme.example</code> next to "
            "<code>intranet.acme.example</code>): its session cookie is <code>SameSite=Lax</code>.</p>")
    return HTMLResponse(PAGE.format(who="IT admin", body=body, script=""))


class SecurityHeaders(BaseHTTPMiddleware):
    """Clickjacking protection for the iframe embed: only the configured portals may frame the app."""

    def __init__(self, app: object, frame_ancestors: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.frame_ancestors = frame_ancestors

    async def dispatch(self, request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", f"frame-ancestors {self.frame_ancestors}")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
