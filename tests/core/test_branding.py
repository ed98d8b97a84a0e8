"""The chat looks like the company's: name, logo, colour and disclaimer come from settings (issue 13, item 8)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from copilot.settings import Settings
from copilot.ui import branding
from tests.servers import serve


def settings(**overrides: object) -> Settings:
    return Settings(env="development", _env_file=None, **overrides)  # type: ignore[call-arg]


def app_for(config: Settings) -> FastAPI:
    app = FastAPI()
    app.include_router(branding.router(config))
    return app


def test_defaults_are_neutral_not_the_framework() -> None:
    config = settings()
    assert config.product_name == "IT Copilot"
    with serve(app_for(config)) as base:
        logo = httpx.get(f"{base}/logo?theme=dark")
        assert logo.headers["content-type"].startswith("image/svg+xml") and "IT Copilot" in logo.text
        assert "chainlit" not in logo.text.lower()
        assert httpx.get(f"{base}/favicon").text.startswith("<svg")


def test_name_colour_and_logo_come_from_settings(tmp_path: Path) -> None:
    mark = tmp_path / "acme.png"
    mark.write_bytes(b"\x89PNG\r\n\x1a\n" + b"acme-logo")
    config = settings(product_name="Acme <Help>", primary_color="#ff6600", logo_path=mark)
    with serve(app_for(config)) as base:
        assert httpx.get(f"{base}/logo").content.endswith(b"acme-logo")
        css = httpx.get(f"{base}{branding.THEME_CSS}")
        assert css.headers["content-type"].startswith("text/css") and "--primary: 24 100% 50%" in css.text
    drawn = branding.logo_svg(settings(product_name="Acme <Help>", primary_color="#ff6600"))
    assert "Acme &lt;Help&gt;" in drawn and "<Help>" not in drawn and "#ff6600" in drawn
    with serve(app_for(settings(logo_url="https://intranet.acme.example/logo.svg"))) as base:
        moved = httpx.get(f"{base}/logo", follow_redirects=False)
        assert moved.status_code == 302 and moved.headers["location"] == "https://intranet.acme.example/logo.svg"


def test_the_copilot_avatar_is_the_product_mark_not_chainlits_logo() -> None:
    with serve(app_for(settings(primary_color="#ff6600"))) as base:
        for name in ("IT%20Copilot", "Searched%20the%20knowledge%20base", "default"):
            mark = httpx.get(f"{base}/avatars/{name}")
            assert mark.headers["content-type"].startswith("image/svg+xml") and "#ff6600" in mark.text
        assert httpx.get(f"{base}/avatars/..%2Fsecret").status_code in (404, 422)


def test_the_floating_widget_gets_the_colour_and_a_local_font_sheet() -> None:
    """Chainlit's widget reads no custom CSS: without ``/public/theme.json`` it is pink, logs a 404 and
    fetches Inter from Google Fonts on the portal page."""
    with serve(app_for(settings(primary_color="#ff6600"))) as base:
        theme = httpx.get(f"{base}{branding.WIDGET_THEME}")
        assert theme.status_code == 200
        body = theme.json()
        assert body["variables"]["light"]["--primary"] == "24 100% 50%" == body["variables"]["dark"]["--ring"]
        assert body["custom_fonts"] == [f"{base}{branding.FONTS_CSS}"]
        fonts = httpx.get(body["custom_fonts"][0])
        assert fonts.headers["content-type"].startswith("text/css") and "googleapis" not in fonts.text


@pytest.mark.parametrize("colour", ["red", "#12345", "#fff;}body{display:none", ""])
def test_a_colour_that_is_not_hex_is_refused_at_start_up(colour: str) -> None:
    with pytest.raises(ValidationError):
        settings(primary_color=colour)


def test_chainlit_says_the_disclaimer_and_names_steps_by_what_was_done() -> None:
    from chainlit.config import config

    config_ = settings(product_name="Acme IT", disclaimer="Acme IT Copilot can be wrong; call x4444.")
    branding.apply(config_)
    assert config.ui.name == "Acme IT" and config.ui.custom_css == branding.THEME_CSS
    with serve(app_for(config_)) as base:
        for language in ("en-US", "de-DE"):
            words = httpx.get(f"{base}/project/translations", params={"language": language}).json()["translation"]
            assert words["chat"]["watermark"] == "Acme IT Copilot can be wrong; call x4444."
            assert words["chat"]["messages"]["status"]["used"] == ""
        assert httpx.get(f"{base}/project/translations", params={"language": "../../etc"}).status_code == 422


def test_sign_in_page_picture_names_the_product_in_its_colour_without_chainlits_grey_filter() -> None:
    from chainlit.config import config as chainlit_config

    config = settings(product_name="Acme <Help>", primary_color="#ff6600")
    branding.apply(config)
    assert chainlit_config.ui.login_page_image == branding.LOGIN_PANEL
    assert chainlit_config.ui.login_page_image_dark_filter == branding.NO_FILTER  # not "brightness-[0.2] grayscale"
    with serve(app_for(config)) as base:
        panel = httpx.get(f"{base}{branding.LOGIN_PANEL}")
    assert panel.headers["content-type"].startswith("image/svg+xml")
    assert "Acme &lt;Help&gt;" in panel.text and "<Help>" not in panel.text and "#ff6600" in panel.text
    branding.apply(settings())  # leave Chainlit's config as the other tests expect it


def test_the_chat_offers_no_attachment_it_would_ignore() -> None:
    """The copilot reads no file: a paperclip would let an employee believe IT got their screenshot."""
    from chainlit.config import config

    upload = config.features.spontaneous_file_upload
    assert upload is None or not upload.enabled
