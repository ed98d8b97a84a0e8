"""Problem proposals in the reviewer queue: ``/console/problems``, where IT agents approve or dismiss them.

The recurring-issues job (:mod:`copilot.insights.recurring`) posts a proposal per growing group of
tickets. The page shows each with its evidence (how many, how usual, where, the linked tickets);
approving creates the Problem in Freshservice once (:func:`copilot.insights.problem_proposals.decide_problem`,
with the agent as its requester, audited with the agent's email), dismissing creates nothing.

Same gate as the triage queue (``copilot.web.console``): active Freshservice agents only, the console
session cookie, the CSRF token on every POST, server-rendered Jinja2 with autoescaping.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from copilot import logs, store
from copilot.insights.problem_proposals import ProblemOutcome, ProblemProposalStore, decide_problem
from copilot.services import Services, get_services
from copilot.web.console import (
    CSRF_HEADER,
    CSRF_MISSING,
    ConsoleSession,
    _csrf_ok,
    _finish,
    _gate,
    _headers,
    _page,
    _problem,
)

router = APIRouter(prefix="/console", tags=["reviewer console"])
log = logs.get_logger(__name__)
MAX_BATCH = 20
FLASH = {"created": "{n} Problem(s) created in Freshservice.", "dismissed": "{n} dismissed; nothing was created.",
         "failed": "{n} could not be created: the reason is on the proposal, which stays in the queue.",
         "skipped": "{n} had already been decided (or were being decided by someone else); nothing was created twice.",
         "not_found": "{n} no longer exist."}


class ProblemDecisionRequest(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    action: Literal["approve", "dismiss"]
    comment: str = Field("", max_length=1000)


async def _decide(services: Services, session: ConsoleSession, body: ProblemDecisionRequest) -> list[ProblemOutcome]:
    redis = await store.get_redis(services.settings)
    proposals = ProblemProposalStore(redis)
    audit = (await services.engine()).deps.audit
    outcomes = []
    for proposal_id in dict.fromkeys(body.ids):
        outcome = await decide_problem(proposal_id, body.action, reviewer=session.email, requester_id=session.agent_id,
                                       redis=redis, store=proposals, client=services.freshservice, audit=audit,
                                       base_url=services.settings.freshservice_base_url, comment=body.comment)
        log.info("problem_decision", proposal=proposal_id, action=body.action, result=outcome.result)
        outcomes.append(outcome)
    return outcomes


@router.get("/problems", response_class=HTMLResponse, include_in_schema=False)
async def problems_page(request: Request) -> Response:
    """Pending problem proposals with their evidence, and the latest decided ones."""
    services = await get_services()
    gate = await _gate(request, services, wants_json=False)
    if gate.refusal is not None:
        return gate.refusal
    assert gate.session is not None
    proposals = ProblemProposalStore(await store.get_redis(services.settings))
    flash = [FLASH[key].format(n=int(raw)) for key in FLASH
             if (raw := request.query_params.get(key, "")).isdigit() and 0 < int(raw) <= MAX_BATCH]
    decided = [p for p in await proposals.recent(limit=50) if p.status.value in ("created", "dismissed")][:10]
    page = _page("problems.html", session=gate.session, pending=await proposals.pending(limit=100), decided=decided,
                 flash=flash)
    return _finish(page, request, gate, services)


@router.get("/api/problems")
async def problems_api(request: Request) -> Response:
    services = await get_services()
    gate = await _gate(request, services, wants_json=True)
    if gate.refusal is not None:
        return gate.refusal
    proposals = ProblemProposalStore(await store.get_redis(services.settings))
    body = {"proposals": [p.model_dump(mode="json") for p in await proposals.pending(limit=100)]}
    return _finish(JSONResponse(body, headers=_headers()), request, gate, services)


@router.post("/api/problems/decisions")
async def problems_decisions_api(request: Request) -> Response:
    """Approve or dismiss problem proposals (JSON ``{"ids": [...], "action": "approve"|"dismiss"}``, ``X-CSRF-Token``)."""
    services = await get_services()
    gate = await _gate(request, services, wants_json=True)
    if gate.refusal is not None:
        return gate.refusal
    assert gate.session is not None
    if gate.new_cookie or not _csrf_ok(gate.session, request.headers.get(CSRF_HEADER)):
        return _problem(403, CSRF_MISSING)
    raw = await request.body()
    if len(raw) > 16 * 1024:
        return _problem(413, "The request is too large.")
    try:
        body = ProblemDecisionRequest.model_validate_json(raw or b"{}")
    except ValidationError:
        return _problem(422, "Send JSON with 'ids' (1 to 20 proposal ids) and 'action' (approve or dismiss).")
    outcomes = await _decide(services, gate.session, body)
    return JSONResponse({"results": [o.model_dump(mode="json") for o in outcomes]}, headers=_headers())


@router.post("/problems/decide", include_in_schema=False)
async def problems_decide_form(request: Request) -> Response:
    """The page's forms (no script needed); back to the page with what happened."""
    services = await get_services()
    gate = await _gate(request, services, wants_json=False)
    if gate.refusal is not None:
        return gate.refusal
    assert gate.session is not None
    form = await request.form()
    sent = form.get("csrf")
    if gate.new_cookie or not _csrf_ok(gate.session, sent if isinstance(sent, str) else None):
        return _page("forbidden.html", 403, heading="Please reload the page", message=CSRF_MISSING)
    try:
        body = ProblemDecisionRequest(ids=[str(i) for i in form.getlist("ids") if isinstance(i, str) and i],
                                      action=form.get("action"), comment=str(form.get("comment") or ""))
    except ValidationError:
        return RedirectResponse("/console/problems", status_code=303)
    counts: dict[str, int] = {}
    for outcome in await _decide(services, gate.session, body):
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    return RedirectResponse("/console/problems?" + urlencode(counts), status_code=303)
