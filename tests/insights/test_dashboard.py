"""The insights dashboard in the real app (``python -m copilot.serve app.py``), fed by its embedded consumer from the
real Redis stream: who may open it, the CSV of every table equals the table, and Chromium renders it.

With ``COPILOT_UPDATE_SCREENSHOTS=1`` the README's screenshot is written to docs/images/insights.png.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import redis as sync_redis

from copilot.audit import STREAM_KEY
from copilot.insights.figures import Range
from tests.browser.conftest import ARTIFACTS, CHROMIUM, ROOT, RunningApp, running_app
from tests.browser.conftest import browser as browser  # noqa: PLC0414 - the Chromium fixture, re-exported
from tests.conftest import SandboxHandle
from tests.insights.script import sample, sample_triage
from tools.context import AuditEvent

PROXY_SECRET = "insights-proxy-secret-7d2e91c4b0"
PROXY_HEADER = "X-Forwarded-Email"
ADMIN = "sam.taylor@acme.example"  # Service Desk lead: the "Account Admin" role in the sandbox seed
LISTED = "jonas.berg@acme.example"  # an agent without an admin role, listed in COPILOT_INSIGHTS_ADMINS
AGENT = "riya.kapoor@acme.example"  # an agent without an admin role
EMPLOYEE = "alice.nguyen@acme.example"  # a requester, not an agent
CONVERSATIONS = 240
START = datetime.combine(datetime.now(UTC).date() - timedelta(days=20), datetime.min.time(), UTC)
SPAN = Range(start=START.date(), end=START.date() + timedelta(days=19))
QUERY = f"from={SPAN.start.isoformat()}&to={SPAN.end.isoformat()}"
GAP_QUESTIONS = ["how do i set an out of office reply", "ooo message outlook how",
                 "I'm away next week, how do I turn on the automatic reply in Outlook?",
                 "automatic replies while on holiday??"]  # declined: the Acme KB has no such article
pytestmark = pytest.mark.timeout(900)  # the module's app starts (and reads the stream) in the first test
SHOTS = ROOT / "docs" / "images" if os.environ.get("COPILOT_UPDATE_SCREENSHOTS") == "1" else ARTIFACTS


def as_(email: str) -> dict[str, str]:
    return {PROXY_HEADER: email, "X-Proxy-Secret": PROXY_SECRET}


def _seed_stream(redis_url: str) -> None:
    """The scripted conversations and triage decisions, written to the stream the app's consumer reads."""
    import json

    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        client.delete(STREAM_KEY)
        events = [e for s in sample(CONVERSATIONS, START, 20, seed=11) for e in s.events]
        events += sample_triage(60, START, 20, seed=11)
        events += [AuditEvent(conversation_id=f"gap-{n}", employee=EMPLOYEE, tool="search_kb",
                              arguments={"question": question},
                              result={"message": "…", "confidence": 0.1, "answer": False, "tier": "none",
                                      "articles": []}, at=datetime.now(UTC) - timedelta(minutes=n))
                   for n, question in enumerate(GAP_QUESTIONS)]  # written now: the stream is read by entry time
        with client.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.xadd(STREAM_KEY, {"event": json.dumps(event.model_dump(mode="json"))})
            pipe.execute()
    finally:
        client.close()


def _redis_ok(response: httpx.Response) -> bool:
    return bool(response.json().get("components", {}).get("redis", {}).get("status") == "ok")


@pytest.fixture(scope="module")
def insights_app(sandbox_factory: Callable[..., SandboxHandle], redis_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    handle = sandbox_factory(knowledge="org")
    _seed_stream(redis_url)
    data_dir = tmp_path_factory.mktemp("insights")
    with running_app(handle, redis_url, str(data_dir), "insights-app.log", _redis_ok, 420,
                     extra_env={"COPILOT_AUTH_HEADER": PROXY_HEADER, "COPILOT_AUTH_PROXY_SECRET": PROXY_SECRET,
                                "COPILOT_TRIAGE_CONSOLE_AGENT_CACHE_SECONDS": "0", "COPILOT_INSIGHTS_ADMINS": LISTED,
                                "COPILOT_INSIGHTS_POLL_SECONDS": "0.5", "COPILOT_TRIAGE_WORKER": "off",
                                "COPILOT_EMBEDDER_BACKEND": "torch"}) as running:
        _wait_consumed(running)
        yield running


def _wait_consumed(app: RunningApp) -> None:
    """Until the embedded consumer has every scripted conversation in the tables (it reads as it pleases)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        response = httpx.get(f"{app.url}/console/insights/export/outcome_classes.csv?{QUERY}", headers=as_(ADMIN),
                             timeout=30)
        if response.status_code == 200:
            rows = list(csv.reader(io.StringIO(response.text)))[1:]
            if sum(int(r[1]) for r in rows) >= CONVERSATIONS:
                return
        time.sleep(1)
    raise AssertionError("the insights consumer did not read the stream")


@pytest.fixture
async def http(insights_app: RunningApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=insights_app.url, timeout=60) as client:
        yield client


class Tables(HTMLParser):
    """Every ``<table data-figure=…>`` of a page as rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-figure"):
            self._current = str(found["data-figure"])
            self.tables[self._current] = []
        elif self._current and tag == "caption":
            self._in_caption = True
        elif self._current and tag == "tr":
            self._row = []
        elif self._current and self._row is not None and tag in ("td", "th"):
            self._cell = []
            if "empty" in (found.get("class") or ""):
                self._row = None  # the "Nothing in this range." row is no data

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._current = None
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._current and self._row is not None:
            self.tables[self._current].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._in_caption:
            self._cell.append(data)


async def test_employee_gets_403(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/console/insights?{QUERY}", headers=as_(EMPLOYEE))
    assert response.status_code == 403
    assert "for IT agents" in response.text
    export = await http.get(f"/console/insights/export/outcome_classes.csv?{QUERY}", headers=as_(EMPLOYEE))
    assert export.status_code == 403 and "Resolved" not in export.text


async def test_agent_without_admin_role_gets_403(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/console/insights?{QUERY}", headers=as_(AGENT))
    assert response.status_code == 403
    assert "for IT admins" in response.text and AGENT in response.text
    for path in ("/console/insights/export/top_intents.csv", "/console/insights/chart/volume.svg"):
        refused = await http.get(f"{path}?{QUERY}", headers=as_(AGENT))
        assert refused.status_code == 403
    queue = await http.get("/console", headers=as_(AGENT))
    assert queue.status_code == 200  # still an agent: the reviewer queue stays open to them
    assert 'href="/console/insights"' not in queue.text  # no link that only leads to the 403


async def test_the_console_links_the_insights_for_admins_only(http: httpx.AsyncClient) -> None:
    for email in (ADMIN, LISTED):  # by Freshservice role, and by COPILOT_INSIGHTS_ADMINS
        queue = await http.get("/console", headers=as_(email))
        assert queue.status_code == 200 and 'href="/console/insights"' in queue.text, email


async def test_nobody_signed_in_is_sent_to_sign_in(http: httpx.AsyncClient) -> None:
    response = await http.get("/insights", follow_redirects=True)
    assert response.url.path == "/console/sign-in"


async def test_admin_role_and_listed_email_open_it(http: httpx.AsyncClient) -> None:
    for email in (ADMIN, LISTED):
        response = await http.get(f"/console/insights?{QUERY}", headers=as_(email))
        assert response.status_code == 200, email
        assert "What the copilot resolves" in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "<script>" not in response.text  # no inline script: the console's CSP


async def test_every_csv_equals_its_table(http: httpx.AsyncClient) -> None:
    page = await http.get(f"/console/insights?{QUERY}", headers=as_(ADMIN))
    parser = Tables()
    parser.feed(page.text)
    assert len(parser.tables) == 13
    for key, table in parser.tables.items():
        export = await http.get(f"/console/insights/export/{key}.csv?{QUERY}", headers=as_(ADMIN))
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        assert list(csv.reader(io.StringIO(export.text))) == table, key
    classes = {row[0]: int(row[1]) for row in parser.tables["outcome_classes"][1:]}
    assert sum(classes.values()) == CONVERSATIONS
    assert all(classes[name] > 0 for name in ("Resolved", "Likely resolved", "Escalated", "Not resolved"))


async def test_knowledge_gaps_page_groups_the_declined_questions(http: httpx.AsyncClient) -> None:
    today = datetime.now(UTC).date()
    recent = f"from={(today - timedelta(days=1)).isoformat()}&to={today.isoformat()}"
    assert (await http.get(f"/console/insights/gaps?{recent}", headers=as_(AGENT))).status_code == 403
    assert (await http.get(f"/console/insights/gaps.csv?{recent}", headers=as_(EMPLOYEE))).status_code == 403
    page = await http.get(f"/console/insights/gaps?{recent}", headers=as_(ADMIN))
    assert page.status_code == 200
    assert "ooo message outlook how" in page.text and "Write an article" in page.text
    exported = await http.get(f"/console/insights/gaps.csv?{recent}", headers=as_(ADMIN))
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    grouped = {r["question"] for r in rows if r["cluster_id"] == rows[0]["cluster_id"]}
    assert len(grouped) >= 3 and grouped <= set(GAP_QUESTIONS)  # one group: the out-of-office questions
    linked = await http.get(f"/console/insights?{QUERY}", headers=as_(ADMIN))
    assert 'href="/console/insights/gaps?' in linked.text and 'href="/console/problems?' in linked.text


async def test_date_range_filters(http: httpx.AsyncClient) -> None:
    first_day = SPAN.start.isoformat()
    one = await http.get(f"/console/insights/export/conversations_per_day.csv?from={first_day}&to={first_day}",
                         headers=as_(ADMIN))
    rows = list(csv.reader(io.StringIO(one.text)))
    assert [r[0] for r in rows[1:]] == [first_day]
    everything = await http.get(f"/console/insights/export/conversations_per_day.csv?{QUERY}", headers=as_(ADMIN))
    per_day = {r[0]: int(r[1]) for r in list(csv.reader(io.StringIO(everything.text)))[1:]}
    assert int(rows[1][1]) == per_day[first_day]
    assert sum(per_day.values()) == CONVERSATIONS


async def test_charts_are_svg_pictures(http: httpx.AsyncClient) -> None:
    for name in ("volume", "hours", "outcomes", "intents", "tiers"):
        response = await http.get(f"/console/insights/chart/{name}.svg?{QUERY}", headers=as_(ADMIN))
        assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
        assert response.text.lstrip().startswith("<?xml") and "<svg" in response.text


async def test_metrics_carry_the_same_figures(http: httpx.AsyncClient) -> None:
    """The gauges (refreshed every minute) show the same classes as the page's last 30 days."""
    wanted = 'copilot_insights_triage_fields{field="category",mode="assist",verdict="unchanged"}'
    deadline = time.monotonic() + 240
    samples: dict[str, float] = {}
    while time.monotonic() < deadline:
        text = (await http.get("/metrics")).text
        samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("copilot_insights_")}
        if wanted in samples and sum(v for k, v in samples.items()
                                     if k.startswith("copilot_insights_conversations{")) == CONVERSATIONS:
            break
        await asyncio.sleep(3)
    assert wanted in samples
    last30 = Range.last_days(30)
    export = await http.get(f"/console/insights/export/outcome_classes.csv?from={last30.start}&to={last30.end}",
                            headers=as_(ADMIN))
    page = {row[0]: float(row[1]) for row in list(csv.reader(io.StringIO(export.text)))[1:]}
    titles = {"resolved": "Resolved", "likely_resolved": "Likely resolved", "escalated": "Escalated",
              "not_resolved": "Not resolved", "pending": "Too early to tell", "no_outcome": "Nothing to measure"}
    for key, title in titles.items():
        assert samples[f'copilot_insights_conversations{{outcome="{key}"}}'] == page[title], key


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_dashboard_in_chromium(insights_app: RunningApp, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, extra_http_headers=as_(ADMIN))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{insights_app.url}/insights?{QUERY}")
        expect(page.get_by_role("heading", name="Outcome classes")).to_be_visible()
        for alt in ("outcome classes per day", "conversations per day", "top intents"):
            chart = page.get_by_alt_text(alt, exact=False).first
            expect(chart).to_be_visible()
            assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", chart.element_handle())
        page.get_by_label("From").fill(SPAN.end.isoformat())
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(f"**from={SPAN.end.isoformat()}**")
        expect(page.get_by_label("From")).to_have_value(SPAN.end.isoformat())
        page.goto(f"{insights_app.url}/insights?{QUERY}")
        page.wait_for_load_state("networkidle")
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / "insights.png"), full_page=False)
        page.screenshot(path=str(ARTIFACTS / "insights-full.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e]
    finally:
        context.close()
