"""The portal widget right after a fresh start: the knowledge index is still building, and the
employee types at once. Each session must get a reply, never React's "Minified React error #310"."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CHROMIUM, RunningApp, running_app
from tests.conftest import SandboxHandle

SESSIONS = 4
EMPLOYEES = ["alice.nguyen@acme.example", "dan.okafor@acme.example"]
REACT_ERROR = re.compile("Minified React error")
QUESTION = "How do I reset my password?"
# While the index builds the copilot either says so or, once the articles indexed first already hold
# the answer (the app answers from them while the rest builds), answers from the password article.
REPLY = re.compile("knowledge base is still being built|Reset your Acme password")


def _knowledge(app: RunningApp) -> str:
    return str(httpx.get(f"{app.url}/healthz", timeout=10).json()["components"]["knowledge"]["status"])


@pytest.fixture(scope="module")
def fresh_app(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """A new data directory and the full knowledge base (900+ articles to embed, minutes of work):
    the app is used as soon as /healthz answers, while the index is still being built."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    handle = sandbox_factory(knowledge="full")
    with running_app(handle, redis_url, str(tmp_path_factory.mktemp("fresh")), "app-fresh.log",
                     lambda response: response.status_code in (200, 503), 120) as app:
        yield app


# Clicks the send button in the first animation frame it is enabled, as an employee who typed while
# the widget was connecting does (Playwright's own polling would wait up to hundreds of ms longer).
SEND_AT_ONCE = """() => new Promise((resolve) => {
  const root = document.querySelector('#chainlit-copilot').shadowRoot;
  const until = performance.now() + 30000;
  const tick = () => {
    const button = root.querySelector('#chat-submit');
    if (button && !button.disabled) { button.click(); resolve(true); }
    else if (performance.now() > until) { resolve(false); }
    else { requestAnimationFrame(tick); }
  };
  tick();
})"""


def _open_widget_and_ask_at_once(page: Page, app: RunningApp, employee: str) -> None:
    page.goto(f"{app.url}/portal?employee={employee}")
    page.click("#chainlit-copilot-button")
    box = page.locator("#chat-input")
    expect(box).to_be_visible()
    box.fill(QUESTION)
    if not page.evaluate(SEND_AT_ONCE):
        raise AssertionError("the send button never became enabled")


def test_widget_replies_while_the_index_is_still_building(browser: object, fresh_app: RunningApp) -> None:
    assert _knowledge(fresh_app) != "ok", "the index was built before the test could use it"
    broken: list[str] = []
    for session in range(SESSIONS):
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        try:
            _open_widget_and_ask_at_once(page, fresh_app, EMPLOYEES[session % len(EMPLOYEES)])
            reply = page.locator("[data-step-type='assistant_message']").last
            try:
                expect(reply).to_be_visible(timeout=45_000)
                expect(reply).to_contain_text(REPLY)
            except AssertionError:
                text = reply.inner_text() if reply.count() else "(none)"
                broken.append(f"session {session + 1}: reply {text.strip()[:80]!r}")
            if page.get_by_text(REACT_ERROR).count() or any(REACT_ERROR.search(e) for e in errors):
                broken.append(f"session {session + 1}: React error on the page ({errors[:1]})")
        finally:
            page.screenshot(path=str(fresh_app_artifact(session)), full_page=True)
            context.close()
    assert _knowledge(fresh_app) != "ok", "the index finished building during the test: it proved nothing"
    assert broken == [], "\n".join(broken)


def fresh_app_artifact(session: int) -> object:
    from tests.browser.conftest import ARTIFACTS

    return ARTIFACTS / f"widget-fresh-start-{session + 1}.png"
