"""The IT insights dashboard: ``/console/insights`` (``/insights`` redirects there).

Same sign-in, session cookie, CSP and page frame as the reviewer queue (``copilot/web/console.py``): an
IT agent signs in there; only IT admins (an admin role in Freshservice, or ``COPILOT_INSIGHTS_ADMINS``)
see the figures — other agents and employees get a 403 page. Figures come from the analytics tables
(``copilot.insights.figures``); each table has a CSV export that is exactly that table, and the charts
are SVG pictures drawn on the server (``copilot.insights.charts``), so the page needs no script.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from copilot import logs, store
from copilot.insights import charts, runtime, tables
from copilot.insights.access import is_insights_admin
from copilot.insights.audit_source import stream_events
from copilot.insights.figures import Dashboard, Range, dashboard
from copilot.insights.gaps import GapCluster, knowledge_gaps, new_article_url
from copilot.insights.gaps import to_csv as gaps_to_csv
from copilot.insights.outcomes import OUTCOME_TITLES, OUTCOMES
from copilot.insights.prometheus import assumptions
from copilot.services import Services, get_services
from copilot.web.console import Gate, _finish, _gate, _headers, _page, _unreachable, find_agent
from tools.freshservice import FreshserviceError

router = APIRouter(tags=["insights"])
log = logs.get_logger(__name__)
DEFAULT_DAYS = 30
MAX_DAYS = 731
NOT_ADMIN = ("The insights are for IT admins. {email} is an IT agent without an admin role in Freshservice. "
             "Ask a Freshservice account admin for an admin role, or ask whoever runs the copilot to add you "
             "to COPILOT_INSIGHTS_ADMINS.")
# The pages that say what to fix next (copilot/insights/gaps.py and recurring.py's Problem proposals).
COMPANIONS = (("Knowledge gaps", "/console/insights/gaps",
               "Questions the copilot declined or that were thumbed down, grouped by meaning."),
              ("Recurring issues", "/console/problems",
               "Clusters of tickets and conversations growing against their baseline, as Problem proposals."))


MAX_CACHED_CHARTS = 64
_charts: dict[tuple[str, date, date, str], bytes] = {}  # drawn SVGs until the data changes (oldest dropped first)


async def data_version(engine: AsyncEngine) -> str:
    """Changes whenever the consumer stores events or pulls tickets (its cursors), and every day."""
    async with engine.connect() as connection:
        rows = await connection.execute(select(tables.cursor.c.name, tables.cursor.c.value))
        cursors = sorted((str(name), str(value)) for name, value in rows)
    return f"{datetime.now(UTC).date()}|{cursors}"


def forget_charts() -> None:
    _charts.clear()


def parse_range(request: Request, today: date | None = None) -> Range:
    """The ``from``/``to`` query (YYYY-MM-DD, inclusive); the last 30 days when absent or unreadable."""
    today = today or datetime.now(UTC).date()
    default = Range.last_days(DEFAULT_DAYS, today)

    def read(name: str, fallback: date) -> date:
        try:
            return date.fromisoformat(request.query_params.get(name, ""))
        except ValueError:
            return fallback

    start, end = read("from", default.start), read("to", default.end)
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS))
    return Range(start=start, end=end)


async def _admin_gate(request: Request, services: Services) -> Gate:
    """A signed-in agent who is an IT admin; any other visitor gets the console's refusals or a 403."""
    gate = await _gate(request, services, wants_json=False)
    if gate.refusal is not None or gate.session is None:
        return gate
    settings = services.settings
    try:
        agent = gate.agent or await find_agent(services, gate.session.email)
        admin = agent is not None and await is_insights_admin(
            agent, services.freshservice, admin_emails=settings.insights_admin_emails(),
            admin_role_names=settings.insights_admin_role_names())
    except FreshserviceError as error:
        log.warning("insights_admin_check_failed", error=type(error).__name__, status=error.status)
        return Gate(refusal=_unreachable(False))
    if not admin:
        log.info("insights_refused", reason="not an admin")
        return Gate(refusal=_page("forbidden.html", 403, heading="The insights are for IT admins",
                                  message=NOT_ADMIN.format(email=gate.session.email)))
    return gate


async def _board(services: Services, span: Range) -> Dashboard:
    engine = await runtime.database(services.settings)
    return await dashboard(engine, span, assumptions(services.settings))


@router.get("/insights", include_in_schema=False)
async def short_link(request: Request) -> Response:
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/console/insights{query}", status_code=307)


@router.get("/console/insights", response_class=HTMLResponse, include_in_schema=False)
async def insights_page(request: Request) -> Response:
    services = await get_services()
    gate = await _admin_gate(request, services)
    if gate.refusal is not None:
        return gate.refusal
    span = parse_range(request)
    board = await _board(services, span)
    query = f"from={span.start.isoformat()}&to={span.end.isoformat()}"
    companions = [{"title": title, "href": href, "about": about} for title, href, about in COMPANIONS]
    page = _page("insights.html", session=gate.session, board=board, span=span, query=query,
                 classes=[(o, OUTCOME_TITLES[o], board.totals.get(o, 0)) for o in OUTCOMES],
                 total=board.totals.get("all", 0), companions=companions,
                 presets=[(label, (span.end - timedelta(days=days - 1)).isoformat(), span.end.isoformat())
                          for label, days in (("7 days", 7), ("30 days", 30), ("90 days", 90))])
    return _finish(page, request, gate, services)


@router.get("/console/insights/export/{key}.csv", include_in_schema=False)
async def export_csv(key: str, request: Request) -> Response:
    """One table as CSV: the same columns and the same cells as on the page."""
    services = await get_services()
    gate = await _admin_gate(request, services)
    if gate.refusal is not None:
        return gate.refusal
    span = parse_range(request)
    board = await _board(services, span)
    figure = board.figures.get(key)
    if figure is None:
        return Response("No such table.", status_code=404, media_type="text/plain", headers=_headers())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(figure.columns)
    writer.writerows(figure.text_rows())
    name = f"{key}_{span.start.isoformat()}_{span.end.isoformat()}.csv"
    return _finish(Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                            headers={**_headers(), "Content-Disposition": f'attachment; filename="{name}"'}),
                   request, gate, services)


@router.get("/console/insights/chart/{name}.svg", include_in_schema=False)
async def chart(name: str, request: Request) -> Response:
    services = await get_services()
    gate = await _admin_gate(request, services)
    if gate.refusal is not None:
        return gate.refusal
    draw = charts.CHARTS.get(name)
    if draw is None:
        return Response("No such chart.", status_code=404, media_type="text/plain", headers=_headers())
    span = parse_range(request)
    engine = await runtime.database(services.settings)
    version = await data_version(engine)
    key = (name, span.start, span.end, version)
    svg = _charts.get(key)
    if svg is None:
        board = await dashboard(engine, span, assumptions(services.settings))
        svg = await asyncio.to_thread(draw, board)
        _charts[key] = svg
        while len(_charts) > MAX_CACHED_CHARTS:
            _charts.pop(next(iter(_charts)))
    return _finish(Response(svg, media_type="image/svg+xml", headers={**_headers(), "X-Content-Type-Options": "nosniff"}),
                   request, gate, services)


# -- knowledge gaps (copilot.insights.gaps) -------------------------------------------------------------

async def _gaps(services: Services, span: Range) -> list[GapCluster]:
    """The period's declined and thumbed-down questions, grouped by meaning (read from the audit stream)."""
    since = datetime.combine(span.start, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(span.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    settings = services.settings
    events = await stream_events(await store.get_redis(settings), since, until)
    return await knowledge_gaps(events, services.knowledge, since=since, until=until,
                                new_article_url=new_article_url(settings.freshservice_base_url,
                                                                settings.insights_new_article_url))


@router.get("/console/insights/gaps", response_class=HTMLResponse, include_in_schema=False)
async def gaps_page(request: Request) -> Response:
    """Knowledge gaps for IT admins only: the groups hold employees' own words (as the audit keeps them)."""
    services = await get_services()
    gate = await _admin_gate(request, services)
    if gate.refusal is not None:
        return gate.refusal
    span = parse_range(request)
    clusters = await _gaps(services, span)
    query = f"from={span.start.isoformat()}&to={span.end.isoformat()}"
    page = _page("gaps.html", session=gate.session, span=span, query=query, clusters=clusters)
    return _finish(page, request, gate, services)


@router.get("/console/insights/gaps.csv", include_in_schema=False)
async def gaps_csv(request: Request) -> Response:
    """Every question of every group, one row each (``copilot.insights.gaps.to_csv``)."""
    services = await get_services()
    gate = await _admin_gate(request, services)
    if gate.refusal is not None:
        return gate.refusal
    span = parse_range(request)
    body = gaps_to_csv(await _gaps(services, span))
    name = f"knowledge-gaps_{span.start.isoformat()}_{span.end.isoformat()}.csv"
    return _finish(Response(body, media_type="text/csv; charset=utf-8",
                            headers={**_headers(), "Content-Disposition": f'attachment; filename="{name}"'}),
                   request, gate, services)
