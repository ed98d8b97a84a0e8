"""The copilot in a real browser: full-page chat, portal widget, iframe, tokens, safe rendering."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from playwright.sync_api import Page, expect

from copilot.ui.auth import mint_portal_token
from tests.browser.conftest import ARTIFACTS, RunningApp

ALICE = "alice.nguyen@acme.example"
expect.set_options(timeout=45_000)  # the first turn of a fresh app loads the offline model


def sign_in(page: Page, app: RunningApp, email: str = ALICE) -> None:
    page.goto(f"{app.url}/login")
    page.fill("input[name='email']", email)
    page.fill("input[name='password']", "demo")
    page.click("button[type='submit']")
    expect(page.locator("#chat-input")).to_be_visible()


def ask(page: Page, text: str) -> None:
    page.locator("#chat-input").fill(text)
    submit = page.locator("#chat-submit")
    expect(submit).to_be_enabled()
    submit.click()


def test_full_page_chat_answers_an_faq_with_a_working_source(page: Page, app: RunningApp) -> None:
    sign_in(page, app)
    ask(page, "How do I reset my password?")
    expect(page.get_by_text(re.compile("From “Reset your Acme password”")).first).to_be_visible()
    source = page.get_by_role("link", name=re.compile("Reset your Acme password"))
    expect(source.first).to_be_visible()
    href = source.first.get_attribute("href")
    assert href and httpx.get(href).status_code == 200


def test_widget_on_the_portal_runs_a_licence_check_and_a_request(page: Page, app: RunningApp) -> None:
    app.sandbox.control("POST", "/_sandbox/reset")
    page.goto(f"{app.url}/portal")
    page.click("#chainlit-copilot-button")
    expect(page.locator("#chat-input")).to_be_visible()
    ask(page, "is there a free adobe acrobat licence?")
    expect(page.get_by_text(re.compile(r"13 of 50")).first).to_be_visible()
    ask(page, "order a headset please")
    expect(page.get_by_text(re.compile("Connection")).first).to_be_visible()
    ask(page, "USB-C")
    page.get_by_role("button", name="Submit request").click()
    done = page.get_by_text(re.compile(r"SR-\d+")).last
    expect(done).to_be_visible()
    number = int(re.search(r"SR-(\d+)", done.inner_text()).group(1))  # type: ignore[union-attr]
    with httpx.Client(base_url=f"{app.sandbox.base_url}/api/v2", auth=(app.sandbox.api_key, "X")) as api:
        ticket = api.get(f"/tickets/{number}", params={"include": "requester"}).json()["ticket"]
    assert ticket["type"] == "Service Request" and ticket["requester"]["email"] == ALICE and "Headset" in ticket["subject"]


def test_iframe_embed_loads_the_app(page: Page, app: RunningApp) -> None:
    page.goto(f"{app.url}/portal/iframe")
    frame = page.frame_locator("#copilot-frame")
    expect(frame.locator("input[name='email']")).to_be_visible()


def test_forged_and_expired_tokens_are_refused(app: RunningApp) -> None:
    forged = mint_portal_token("not-the-secret-" * 4, ALICE)
    expired = jwt.encode({"identifier": ALICE, "metadata": {"email": ALICE},
                          "exp": datetime.now(UTC) - timedelta(minutes=1)}, app.secret, algorithm="HS256")
    valid = mint_portal_token(app.secret, ALICE)
    assert httpx.post(f"{app.url}/auth/jwt", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert httpx.post(f"{app.url}/auth/jwt", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    assert httpx.post(f"{app.url}/auth/jwt", headers={"Authorization": f"Bearer {valid}"}).status_code == 200


def test_html_in_messages_is_shown_not_executed(page: Page, app: RunningApp) -> None:
    sign_in(page, app)
    ask(page, "<img src=x onerror=\"alert('xss')\"> <script>alert('xss')</script> is there a free figma licence?")
    expect(page.get_by_text(re.compile("Figma")).last).to_be_visible()
    page.wait_for_timeout(500)
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator("img[src='x']").count() == 0


def test_reload_mid_request_continues_the_draft(page: Page, app: RunningApp) -> None:
    sign_in(page, app)
    ask(page, "I need Microsoft Visio")
    expect(page.get_by_text(re.compile("Operating system")).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/thread/"))
    page.reload()
    expect(page.get_by_text(re.compile("Operating system")).first).to_be_visible()  # history replayed
    ask(page, "macOS")
    expect(page.get_by_text(re.compile("Business justification")).last).to_be_visible()


def test_history_shows_the_previous_conversation_after_signing_in_again(browser: object, app: RunningApp) -> None:
    first = browser.new_context()  # type: ignore[attr-defined]
    page = first.new_page()
    sign_in(page, app, "dan.okafor@acme.example")
    ask(page, "Is there a free Miro licence?")
    expect(page.get_by_text(re.compile("Miro")).last).to_be_visible()
    first.close()
    second = browser.new_context()  # type: ignore[attr-defined]
    page = second.new_page()
    sign_in(page, app, "dan.okafor@acme.example")
    expect(page.get_by_role("link", name=re.compile("Is there a free Miro licence"))).to_be_visible()
    page.screenshot(path="test-artifacts/history.png")
    second.close()


def test_thumbs_feedback_is_stored(page: Page, app: RunningApp) -> None:
    import sqlite3
    from pathlib import Path

    sign_in(page, app, "erin.walsh@acme.example")
    ask(page, "How do I set up MFA on my new phone?")
    expect(page.get_by_text(re.compile("multi-factor", re.I)).first).to_be_visible()
    # rate the finished answer: streamed text shows before the turn ends, and the reply then replaces it
    expect(page.locator("#stop-button")).to_have_count(0)
    page.locator("button:has(svg.lucide-thumbs-up)").first.click()
    page.get_by_placeholder("Your feedback...").fill("clear steps, thanks")
    page.get_by_role("button", name="Submit feedback").click()
    database = Path(app.data_dir) / "history.db"
    for _ in range(40):
        with sqlite3.connect(database) as connection:
            rows = connection.execute("SELECT value, comment FROM feedbacks").fetchall()
        if rows:
            break
        page.wait_for_timeout(250)
    assert (1, "clear steps, thanks") in rows


def test_widget_tells_it_which_page_the_employee_was_on(page: Page, app: RunningApp) -> None:
    page.goto(f"{app.url}/portal?employee=dan.okafor@acme.example")
    page.click("#chainlit-copilot-button")
    expect(page.locator("#chat-input")).to_be_visible()
    ask(page, "I want to talk to a human")
    handed = page.get_by_text(re.compile(r"INC-\d+")).last
    expect(handed).to_be_visible()
    number = int(re.search(r"INC-(\d+)", handed.inner_text()).group(1))  # type: ignore[union-attr]
    with httpx.Client(base_url=f"{app.sandbox.base_url}/api/v2", auth=(app.sandbox.api_key, "X")) as api:
        ticket = api.get(f"/tickets/{number}").json()["ticket"]
    assert "Opened from: page: /portal" in ticket["description_text"]


def test_cors_allows_only_the_configured_portal(app: RunningApp) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(f"{app.url}/auth/jwt", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})

    assert preflight("https://intranet.acme.example").headers.get("access-control-allow-origin") == \
        "https://intranet.acme.example"
    assert "access-control-allow-origin" not in preflight("https://evil.example").headers
    assert "frame-ancestors" in httpx.get(f"{app.url}/portal").headers["content-security-policy"]


def test_markdown_image_in_a_ticket_subject_loads_nothing(page: Page, app: RunningApp) -> None:
    pixel = "http://127.0.0.1:9/pixel.png"
    created = app.sandbox.control("POST", "/api/v2/tickets", json={
        "subject": f"Printer jam ![x]({pixel}) [open the fix](https://evil.example/fix)",
        "description": "paper stuck", "status": 2, "priority": 1, "email": "erin.walsh@acme.example"})
    assert created.status_code == 201, created.text
    ticket_id = created.json()["ticket"]["id"]
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        sign_in(page, app, "erin.walsh@acme.example")
        ask(page, f"what's the status of INC-{ticket_id}?")
        expect(page.get_by_text(re.compile("Printer jam")).last).to_be_visible()
        expect(page.get_by_role("link", name=pixel).last).to_be_visible()  # shown as a link to its target
        expect(page.get_by_role("link", name="https://evil.example/fix").last).to_be_visible()
        page.wait_for_timeout(500)
        assert page.locator("img[src*='127.0.0.1:9']").count() == 0
        assert not [url for url in requests if "127.0.0.1:9/" in url]
        assert page.get_by_role("link", name="open the fix").count() == 0  # no look-alike label
    finally:
        app.sandbox.control("POST", "/_sandbox/reset")


def test_sign_in_while_freshservice_is_down_says_so(page: Page, app: RunningApp, redis_url: str) -> None:
    """The sign-in page blames the IT system, not the employee's password, when Freshservice can't be asked."""
    import redis

    from copilot.identity import CACHE_PREFIX

    with redis.Redis.from_url(redis_url) as cache:  # another test may have looked Carol up: ask Freshservice now
        cache.delete(f"{CACHE_PREFIX}carol.diaz@acme.example")
    app.sandbox.control("PUT", "/_sandbox/faults", json={"ratios": {"503": 1.0}, "path_regex": "/requesters"})
    try:
        page.goto(f"{app.url}/login")
        page.fill("input[name='email']", "carol.diaz@acme.example")
        page.fill("input[name='password']", "demo")
        page.click("button[type='submit']")
        expect(page.get_by_text("The IT system can't be reached right now").first).to_be_visible()
        expect(page.get_by_text("Check the details you provided")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "sign-in-while-the-it-system-is-down.png"))
    finally:
        app.sandbox.control("DELETE", "/_sandbox/faults")
    page.click("button[type='submit']")  # the IT system is back: the same form now signs in
    expect(page.locator("#chat-input")).to_be_visible()


def test_a_five_megabyte_paste_is_refused_with_words_and_the_chat_goes_on(browser: object, app: RunningApp) -> None:
    """Pasting megabytes would freeze the tab (Chainlit renders the text before sending it) and then the
    socket would drop the message: the message guard refuses the paste and says why."""
    context = browser.new_context()  # type: ignore[attr-defined]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    page = context.new_page()
    try:
        sign_in(page, app, "bob.martin@acme.example")
        box = page.locator("#chat-input")
        expect(box).to_be_editable()
        page.evaluate("n => navigator.clipboard.writeText('Error: disk full at /var/log/app.log\\n'.repeat(n))", 140_000)
        box.focus()
        box.press("Control+V")  # 5.2 MB, a real paste
        notice = page.get_by_role("alert").filter(has_text="too long for me")
        expect(notice).to_be_visible()
        assert box.input_value() == ""
        page.evaluate("navigator.clipboard.writeText('How do I reset my password?')")
        box.press("Control+V")  # a normal paste still pastes
        assert box.input_value() == "How do I reset my password?"
        page.locator("#chat-submit").click()
        expect(page.get_by_text(re.compile("From “Reset your Acme password”")).first).to_be_visible()
    finally:
        context.close()


SEND_OVER_THE_SOCKET = """async (size) => {
  // The chat's own socket protocol (Engine.IO 4 / Socket.IO 5) on a socket of this page, signed in by its cookie.
  const ws = new WebSocket(location.origin.replace("http", "ws") + "/ws/socket.io/?EIO=4&transport=websocket");
  return await new Promise((resolve) => {
    ws.onmessage = (event) => {
      const data = String(event.data);
      if (data === "2") { ws.send("3"); return; }
      if (data.startsWith("0{")) {
        ws.send("40" + JSON.stringify({clientType: "webapp", sessionId: crypto.randomUUID(), threadId: null,
                                       userEnv: "{}", chatProfile: null}));
      } else if (data.startsWith("40")) {
        ws.send('42["connection_successful"]');
        ws.send("42" + JSON.stringify(["client_message", {message: {threadId: "", id: crypto.randomUUID(), name: "User",
          type: "user_message", output: "x".repeat(size), createdAt: new Date().toISOString()}, fileReferences: []}]));
      } else if (data.includes("too long for me")) {
        ws.close();
        resolve("answered");
      }
    };
    ws.onclose = () => resolve("closed");
  });
}"""


def test_a_frame_above_the_socket_buffer_still_gets_words(page: Page, app: RunningApp) -> None:
    """Whatever puts 5 MB into one message (not a paste: a script, a drop), the guard cuts the frame so the
    server answers "too long" instead of Engine.IO closing the socket."""
    sign_in(page, app, "bob.martin@acme.example")
    assert page.evaluate(SEND_OVER_THE_SOCKET, 5 * 1024 * 1024) == "answered"
    page.goto(f"{app.url}/healthz")  # same origin and cookie, a page without the guard: the socket is dropped
    assert page.evaluate(SEND_OVER_THE_SOCKET, 5 * 1024 * 1024) == "closed"


def test_the_portal_widget_loads_the_message_guard_first(page: Page, app: RunningApp) -> None:
    page.goto(f"{app.url}/portal?employee=bob.martin@acme.example")
    assert page.evaluate("window.__copilotMessageGuard") is True
