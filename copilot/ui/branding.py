"""The chat in the company's colours: product name, logo, primary colour and the disclaimer line from settings.

Chainlit reads its name, custom CSS and translations at request time, so ``apply`` sets them from
``Settings`` once at start-up and ``router`` serves what Chainlit would otherwise serve from ``public/``:
``/logo`` (and ``/favicon``) is the configured file, a redirect to the configured URL, or the product name
drawn in the primary colour; ``/avatars/<name>`` is that mark too; ``/branding/theme.css`` sets Chainlit's ``--primary`` from the colour; ``/public/theme.json`` gives the
floating widget the same colour (it reads no custom CSS) and a local font sheet, so it neither shows
Chainlit's pink nor fetches Google Fonts nor logs a 404; ``/project/translations`` replaces
the framework's own wording ("LLMs can make mistakes", "Used <tool>") in every language.
"""

from __future__ import annotations

import colorsys
from html import escape
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from copilot.settings import Settings

THEME_CSS = "/branding/theme.css"
LOGIN_PANEL = "/branding/login-panel.svg"
WIDGET_THEME = "/public/theme.json"  # fetched by Chainlit's floating widget (copilot/index.js)
FONTS_CSS = "/branding/fonts.css"
NO_FILTER = "filter-none"  # Chainlit greys the sign-in picture in dark mode unless a filter class is set
AVATAR_ID = r"^[a-zA-Z0-9_ .-]+$"  # what Chainlit's own /avatars route accepts
LANGUAGE = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}$"


def hsl(color: str) -> str:
    """``#rrggbb`` (or ``#rgb``) as the ``H S% L%`` triple Chainlit's CSS variables take."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))
    h, light, s = colorsys.rgb_to_hls(r, g, b)
    return f"{round(h * 360)} {round(s * 100)}% {round(light * 100)}%"


def theme_css(settings: Settings) -> str:
    primary = hsl(settings.primary_color)
    return (f":root, .dark {{ --primary: {primary} !important; --ring: {primary} !important; }}\n"
            f"#chainlit-copilot-button, .watermark a {{ background-color: hsl({primary}); }}\n")


def widget_theme(settings: Settings, server: str) -> dict[str, Any]:
    """The widget's ``theme.json``: the primary colour as CSS variables on its shadow root, and a font sheet
    on ``server`` (the widget loads Google Fonts' Inter unless it is given one)."""
    primary = hsl(settings.primary_color)
    colours = {"--primary": primary, "--ring": primary}
    return {"custom_fonts": [server.rstrip("/") + FONTS_CSS], "variables": {"light": colours, "dark": dict(colours)}}


def logo_svg(settings: Settings, *, mark_only: bool = False) -> str:
    """The default logo: the product's initial in a rounded square of the primary colour, then its name."""
    name = escape(settings.product_name)
    initial = escape(settings.product_name.strip()[:1].upper())
    color = escape(settings.primary_color)
    mark = (f'<rect width="32" height="32" rx="7" fill="{color}"/>'
            f'<text x="16" y="22" font-family="system-ui,sans-serif" font-size="18" font-weight="700" '
            f'fill="#fff" text-anchor="middle">{initial}</text>')
    if mark_only:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">{mark}</svg>'
    width = 44 + 11 * len(settings.product_name)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 32" height="32">{mark}'
            f'<text x="42" y="22" font-family="system-ui,sans-serif" font-size="18" font-weight="600" '
            f'fill="{color}">{name}</text></svg>')


def login_panel_svg(settings: Settings) -> str:
    """The sign-in page's picture: the product's name and what it does, on the primary colour (instead of the
    favicon stretched and greyed, which reads as a broken image)."""
    name, color = escape(settings.product_name), escape(settings.primary_color)
    lines = ("Answers from the IT knowledge base, with sources", "Software licences and catalog requests",
             "The status of your tickets, any hour", "A person from IT when you need one")
    items = "".join(f'<text x="0" y="{150 + 44 * i}" font-size="22" fill="#fff" fill-opacity="0.92">✓  {escape(line)}</text>'
                    for i, line in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 900" preserveAspectRatio="xMidYMid slice">'
            f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{color}"/>'
            f'<stop offset="1" stop-color="#0f172a"/></linearGradient></defs>'
            f'<rect width="800" height="900" fill="url(#g)"/>'
            f'<g transform="translate(110 330)" font-family="system-ui,sans-serif">'
            f'<text x="0" y="40" font-size="52" font-weight="700" fill="#fff">{name}</text>'
            f'<text x="0" y="88" font-size="24" fill="#fff" fill-opacity="0.8">IT help inside your portal</text>'
            f'{items}</g></svg>')


def translate(translation: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Chainlit's words with the company's: the disclaimer line, and tool steps read as what was done."""
    chat = translation.get("chat")
    if isinstance(chat, dict):
        chat["watermark"] = settings.disclaimer
        status = chat.get("messages", {}).get("status") if isinstance(chat.get("messages"), dict) else None
        if isinstance(status, dict):
            status["used"], status["using"] = "", ""  # "Started a request", not "Used Started a request"
    return translation


def apply(settings: Settings) -> None:
    """Point Chainlit's UI config at the product's name and colours (call once at start-up)."""
    from chainlit.config import config

    config.ui.name = settings.product_name
    config.ui.custom_css = THEME_CSS
    config.ui.login_page_image = LOGIN_PANEL
    config.ui.login_page_image_filter = NO_FILTER
    config.ui.login_page_image_dark_filter = NO_FILTER


def router(settings: Settings) -> APIRouter:
    routes = APIRouter()

    @routes.get("/logo", include_in_schema=False)
    async def logo(theme: str = "light") -> Response:
        if settings.logo_path is not None and settings.logo_path.is_file():
            return FileResponse(settings.logo_path)
        if settings.logo_url:
            return RedirectResponse(settings.logo_url, status_code=302)
        return Response(logo_svg(settings), media_type="image/svg+xml")

    @routes.get("/favicon", include_in_schema=False)
    async def favicon() -> Response:
        return Response(logo_svg(settings, mark_only=True), media_type="image/svg+xml")

    @routes.get("/avatars/{avatar_id}", include_in_schema=False)
    async def avatar(avatar_id: str = Path(pattern=AVATAR_ID)) -> Response:
        """The copilot's and its steps' avatar: the product's mark (Chainlit would show its own pink logo)."""
        return Response(logo_svg(settings, mark_only=True), media_type="image/svg+xml")

    @routes.get("/project/translations", include_in_schema=False)
    async def translations(language: str = Query("en-US", pattern=LANGUAGE)) -> JSONResponse:
        """Chainlit's own route, answered first (``copilot.web.routes.install``) with the company's words."""
        from chainlit.config import config

        words = config.load_translation(config.ui.language or language)
        return JSONResponse({"translation": translate(words, settings)})

    @routes.get(LOGIN_PANEL, include_in_schema=False)
    async def login_panel() -> Response:
        return Response(login_panel_svg(settings), media_type="image/svg+xml")

    @routes.get(THEME_CSS, include_in_schema=False)
    async def theme() -> Response:
        return Response(theme_css(settings), media_type="text/css")

    @routes.get(WIDGET_THEME, include_in_schema=False)
    async def widget_theme_json(request: Request) -> JSONResponse:
        return JSONResponse(widget_theme(settings, str(request.base_url)))

    @routes.get(FONTS_CSS, include_in_schema=False)
    async def fonts() -> Response:
        return Response("/* the system's sans-serif: no font is fetched from a CDN */\n"
                        ":host { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }\n",
                        media_type="text/css")

    return routes
