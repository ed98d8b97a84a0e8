"""The reviewer queue in Chromium: an IT agent signs in, moves with j/k, approves with the keyboard,
edits a field, bulk-rejects; every decision is read back from the sandbox.

With ``COPILOT_UPDATE_SCREENSHOTS=1`` the README's console screenshots are written to docs/images/;
otherwise they go to test-artifacts/ like the other browser screenshots.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from copilot.ui.auth import mint_portal_token
from tests.browser.conftest import ARTIFACTS, ROOT, RunningApp
from tests.console.seed import AGENT, DESKTOP, KWAME, seed_blocking

SHOTS = ROOT / "docs" / "images" if os.environ.get("COPILOT_UPDATE_SCREENSHOTS") == "1" else ARTIFACTS


def shot(page: Page, name: str, *, top: bool = False) -> None:
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    if top:
        page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(Path(SHOTS) / name), full_page=False)


def ticket(app: RunningApp, ticket_id: int) -> dict[str, Any]:
    with httpx.Client(base_url=f"{app.sandbox.base_url}/api/v2", auth=(app.sandbox.api_key, "X")) as api:
        return dict(api.get(f"/tickets/{ticket_id}").json()["ticket"])


def ticket_puts(app: RunningApp) -> list[dict[str, Any]]:
    found = app.sandbox.control("GET", "/_sandbox/requests").json()["requests"]
    return [c for c in found if c["method"] == "PUT" and c["path"].startswith("/api/v2/tickets/")]


def sign_in(page: Page, app: RunningApp, email: str = AGENT) -> None:
    page.goto(f"{app.url}/console/sign-in")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Pending proposals"))).to_be_visible()
    wait_for_shortcuts(page)


def wait_for_shortcuts(page: Page) -> None:
    """The deferred script has installed the keyboard shortcuts (keys pressed before it are lost)."""
    expect(page.locator("body[data-ready='1']")).to_have_count(1)


def focused_proposal(page: Page) -> str | None:
    return page.evaluate("() => document.activeElement && document.activeElement.dataset.proposal || null")


def test_agent_approves_with_the_keyboard(page: Page, app: RunningApp, redis_url: str) -> None:
    seeded = seed_blocking(app.sandbox.base_url, app.sandbox.api_key, redis_url)
    sign_in(page, app)
    expect(page.locator("article.proposal")).to_have_count(len(seeded))
    expect(page.locator("table.modes tr").nth(1)).to_contain_text("type Incident, category Email")
    expect(page.locator("table.modes")).to_contain_text("everything else")
    assert focused_proposal(page) == seeded[0].id  # the first proposal has the focus on arrival
    page.keyboard.press("j")
    assert focused_proposal(page) == seeded[1].id
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert focused_proposal(page) == seeded[0].id
    shot(page, "console-queue.png", top=True)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    shot(page, "console-help.png")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    app.sandbox.control("DELETE", "/_sandbox/requests")
    page.keyboard.press("a")
    expect(page.get_by_role("status").filter(has_text="1 approved and written to Freshservice")).to_be_visible()
    expect(page.locator("article.proposal")).to_have_count(len(seeded) - 1)
    written = ticket(app, seeded[0].ticket_id)
    assert (written["category"], written["sub_category"], written["group_id"], written["responder_id"]) == \
           ("Hardware", "Laptop", DESKTOP, KWAME)
    assert len(ticket_puts(app)) == 1
    # hostile ticket text is shown as text: no image request, no script ran
    hostile = page.locator("article.proposal", has_text="Need Figma for the new campaign")
    expect(hostile.locator(".subject")).to_contain_text('<img src="https://evil.example/pixel.png"')
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_agent_edits_a_field_before_writing(page: Page, app: RunningApp, redis_url: str) -> None:
    seeded = seed_blocking(app.sandbox.base_url, app.sandbox.api_key, redis_url)
    token = mint_portal_token(app.secret, AGENT)
    page.goto(f"{app.url}/console/sign-in#token={token}")  # the portal link: the page exchanges the token
    expect(page).to_have_url(f"{app.url}/console")
    wait_for_shortcuts(page)
    page.keyboard.press("j")  # the VPN ticket
    assert focused_proposal(page) == seeded[1].id
    page.keyboard.press("e")
    card = page.locator(f"article[data-proposal='{seeded[1].id}']")
    editor = card.locator("form.edit-form")
    expect(editor).to_be_visible()
    expect(card.get_by_label("Type")).to_be_focused()
    card.get_by_label("Sub-category").select_option("Wi-Fi")
    card.get_by_label("Priority").select_option(label="Medium")
    card.get_by_label("Agent").select_option(label="Hana Sato")
    card.get_by_role("button", name="Write these values").scroll_into_view_if_needed()
    shot(page, "console-edit.png")
    card.get_by_role("button", name="Write these values").click()
    expect(page.get_by_role("status").filter(has_text="1 approved and written")).to_be_visible()
    written = ticket(app, seeded[1].ticket_id)
    assert (written["category"], written["sub_category"], written["priority"]) == ("Network", "Wi-Fi", 2)
    assert written["responder_id"] == 21000400011  # Hana Sato
    expect(page.locator("table.figures").first).to_contain_text("Sub-category")


def test_agent_bulk_rejects_with_the_keyboard(page: Page, app: RunningApp, redis_url: str) -> None:
    seeded = seed_blocking(app.sandbox.base_url, app.sandbox.api_key, redis_url)
    sign_in(page, app)
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    expect(page.get_by_role("button", name="Reject selected")).to_be_enabled()
    shot(page, "console-bulk.png")
    app.sandbox.control("DELETE", "/_sandbox/requests")
    page.keyboard.press("R")
    expect(page.get_by_role("status").filter(has_text="2 rejected")).to_be_visible()
    remaining = page.locator("article.proposal")
    expect(remaining).to_have_count(2)
    assert ticket_puts(app) == []
    assert ticket(app, seeded[0].ticket_id)["group_id"] is None
    # the mouse works too: select all and approve the two left
    page.get_by_label("Select all").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("status").filter(has_text="2 approved")).to_be_visible()
    expect(page.get_by_text("Nothing to review")).to_be_visible()
    shot(page, "console-figures.png", top=True)
