"""The reviewer queue: a page where IT agents approve, edit or reject triage proposals.

Who may enter: only people who are *agents* in Freshservice (``GET /agents?email=``), signed in the
ways the chat knows (docs/auth.md): a portal token (``POST /console/sign-in/token`` with
``Authorization: Bearer``, or a link ending ``#token=…`` that the page's script exchanges, so the
token never reaches a server log), the SSO proxy header, or the demo password in development.
Employees get a 403 page; nobody signed in gets the sign-in page (JSON routes: 401).

The console session is its own cookie: an HS256 JWT signed with the app's auth secret (PyJWT, as
for portal tokens) with audience ``copilot-console``, so it is neither a portal token nor a
Chainlit session and they are not one either. HttpOnly, SameSite=Lax, Secure over https. Every
POST carries the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``); without it
the answer is 403. Whether the person is still an active agent is re-checked on every request
(cached for ``COPILOT_TRIAGE_CONSOLE_AGENT_CACHE_SECONDS``).

Pages are rendered on the server with Jinja2 autoescaping: ticket content (subjects, similar
tickets, reply drafts, reasons) is text, never markup; links show their real target and only
http(s) targets are links; no remote images (the console's CSP allows only its own script and
style). Decisions go through :func:`copilot.triage.review.decide` (lock per proposal, one PUT
through :func:`copilot.triage.dispatch.apply`, audited with the reviewer's email).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlparse

import jinja2
import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from copilot import logs, store
from copilot.insights.access import is_insights_admin
from copilot.services import Services, get_services
from copilot.settings import Settings
from copilot.triage.modes import ModesFileError, load_modes
from copilot.triage.proposal import TRIAGE_FIELDS, Proposal, ProposalStatus, ProposalStore
from copilot.triage.review import Outcome, acceptance, decide, proposed_values
from copilot.ui.auth import PortalTokenRejected, ensure_auth_secret, portal_token_claims, trusted_proxy_email
from tools.freshservice import Agent, FreshserviceClient, FreshserviceError

router = APIRouter(prefix="/console", tags=["reviewer console"])
log = logs.get_logger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "console_templates"
STATIC = HERE / "console_static"
STATIC_FILES = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}

SESSION_COOKIE = "copilot_console"
LOGIN_COOKIE = "copilot_console_login"
AUDIENCE = "copilot-console"
CSRF_HEADER = "x-csrf-token"
AGENT_CACHE = "copilot:console:agent:"
MAX_BATCH = 100
MAX_EMAIL_CHARS = 254
CHOICES_SECONDS = 300.0
CONSOLE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
FIELD_TITLES = {"type": "Type", "category": "Category", "sub_category": "Sub-category", "item_category": "Item",
                "priority": "Priority", "urgency": "Urgency", "impact": "Impact", "group_id": "Group",
                "responder_id": "Agent"}
PRIORITIES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}  # fixed by Freshservice (reference §6.1)
LEVELS = {1: "Low", 2: "Medium", 3: "High"}
TYPES = ("Incident", "Service Request")
NOT_AGENT = ("The reviewer queue is for IT agents. {email} is not an active agent in Freshservice, so it "
             "cannot open it. If you work on the IT team, ask a Freshservice admin to add you as an agent.")
SIGN_IN_ERRORS = {
    "password": "That email and password did not match.",
    "expired": "The sign-in form had expired; please try again.",
    "off": "Password sign-in is off here; use your portal link or your company's sign-in.",
    "email": "Enter your work email.",
}

_jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) link, else None (then it is shown as text only)."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


_jinja.filters["safe_href"] = safe_href
_jinja.filters["pct"] = lambda value: "–" if value is None else f"{100 * float(value):.0f}%"


# -- session ------------------------------------------------------------------------------------------

class ConsoleSession(BaseModel):
    email: str
    name: str
    agent_id: int
    csrf: str


def mint_session(secret: str, agent: Agent, *, hours: float) -> str:
    """The console cookie's value for ``agent`` (a fresh CSRF token inside)."""
    claims = {"aud": AUDIENCE, "sub": (agent.email or "").lower(), "name": agent.name, "agent_id": agent.id,
              "csrf": secrets.token_urlsafe(24), "exp": datetime.now(UTC) + timedelta(hours=hours)}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_session(secret: str, token: str | None) -> ConsoleSession | None:
    """The session in a console cookie, or None when it is missing, forged, expired or another kind of token."""
    if not token or len(token) > 4096:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE,
                            options={"require": ["exp", "aud", "sub", "csrf"]})
        return ConsoleSession(email=str(claims["sub"]), name=str(claims.get("name") or claims["sub"]),
                              agent_id=int(claims.get("agent_id") or 0), csrf=str(claims["csrf"]))
    except (jwt.InvalidTokenError, ValidationError, ValueError, TypeError):
        return None


def _set_session(response: Response, request: Request, token: str, hours: float) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=int(hours * 3600), path="/console", httponly=True,
                        samesite="lax", secure=_https(request))


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


async def find_agent(services: Services, email: str) -> Agent | None:
    """The active Freshservice agent with this email, or None (answers cached briefly in Redis)."""
    email = email.strip().lower()
    if not email or "@" not in email or len(email) > MAX_EMAIL_CHARS:
        return None
    redis = await store.get_redis(services.settings)
    key = AGENT_CACHE + email
    seconds = services.settings.triage_console_agent_cache_seconds
    if seconds and (cached := await redis.get(key)) is not None:
        return Agent.model_validate_json(cached) if cached else None
    agent = await services.freshservice.find_agent_by_email(email)
    if agent is not None and not agent.active:
        agent = None
    if seconds:
        await redis.set(key, agent.model_dump_json() if agent else "", ex=seconds)
    return agent


# -- pages --------------------------------------------------------------------------------------------

def _page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    body = _jinja.get_template(template).render(**values)
    return HTMLResponse(body, status_code=status, headers=_headers())


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"error": message}}, status_code=status, headers=_headers())


def _forbidden(email: str, *, wants_json: bool) -> Response:
    message = NOT_AGENT.format(email=email)
    response = (_problem(403, message) if wants_json
                else _page("forbidden.html", 403, heading="This page is for IT agents", message=message))
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


def _unreachable(wants_json: bool) -> Response:
    message = ("Freshservice cannot be reached right now, so I cannot check that you are an IT agent. "
               "Nothing was changed; try again in a minute.")
    return (_problem(503, message) if wants_json
            else _page("forbidden.html", 503, heading="Freshservice cannot be reached", message=message))


@dataclass
class Gate:
    """Who is asking: a signed-in agent's session, or the response that refuses them."""

    session: ConsoleSession | None = None
    refusal: Response | None = None
    new_cookie: str | None = None  # a session opened on this request (SSO proxy)
    agent: Agent | None = None  # the Freshservice agent behind the session, as looked up for this request


async def _gate(request: Request, services: Services, *, wants_json: bool) -> Gate:
    settings = services.settings
    secret = ensure_auth_secret(settings)
    session = read_session(secret, request.cookies.get(SESSION_COOKIE))
    proxied = trusted_proxy_email(settings, dict(request.headers))
    email = proxied or (session.email if session else None)
    if email is None:
        refusal: Response = (_problem(401, "Sign in to the reviewer queue first (it is for IT agents).")
                             if wants_json else RedirectResponse("/console/sign-in", status_code=303))
        return Gate(refusal=refusal)
    try:
        agent = await find_agent(services, email)
    except FreshserviceError as error:
        log.warning("console_agent_check_failed", error=type(error).__name__, status=error.status)
        return Gate(refusal=_unreachable(wants_json))
    if agent is None:
        return Gate(refusal=_forbidden(email, wants_json=wants_json))
    if session is None or session.email != email:  # first request through the SSO proxy
        token = mint_session(secret, agent, hours=settings.triage_console_session_hours)
        session = read_session(secret, token)
        return Gate(session=session, new_cookie=token, agent=agent)
    return Gate(session=session, agent=agent)


async def shows_insights(services: Services, agent: Agent | None) -> bool:
    """Whether to link the insights: only for IT admins, so other agents never meet a 403. Reuses the
    agent the gate looked up and the cached roles; a failed check hides the link (the page re-checks)."""
    if agent is None:
        return False
    settings = services.settings
    try:
        return await is_insights_admin(agent, services.freshservice, admin_emails=settings.insights_admin_emails(),
                                       admin_role_names=settings.insights_admin_role_names())
    except FreshserviceError as error:
        log.warning("console_insights_check_failed", error=type(error).__name__, status=error.status)
        return False


def _finish(response: Response, request: Request, gate: Gate, services: Services) -> Response:
    if gate.new_cookie:
        _set_session(response, request, gate.new_cookie, services.settings.triage_console_session_hours)
    return response


# -- rollout modes ---------------------------------------------------------------------------------------

class ModeRow(BaseModel):
    scope: str  # "type Incident, category Network", "everything else"
    mode: str  # shadow | assist | autonomous
    detail: str = ""  # "may send a confident KB answer to the requester"


class ModesView(BaseModel):
    """The rollout modes config as the console shows it (read-only; first matching row wins)."""

    rules: list[ModeRow] = Field(default_factory=list)
    source: str = ""  # the config file, or that none is set
    note: str = ""  # a problem with the file, in words

    @property
    def all_shadow(self) -> bool:
        """Every ticket in shadow mode: nothing can ever wait in the queue (the default after ``make run``)."""
        return bool(self.rules) and not self.note and all(row.mode == "shadow" for row in self.rules)


def rollout_modes(settings: Settings) -> ModesView:
    """The rollout modes in force, from ``COPILOT_TRIAGE_MODES_FILE`` (``copilot.triage.modes``)."""
    path = settings.triage_modes_file
    source = str(path) if path else "COPILOT_TRIAGE_MODES_FILE is not set"
    try:
        config = load_modes(path)
    except ModesFileError as error:
        return ModesView(source=source, note=str(error))
    rows = []
    for rule in config.rules:
        scope = ", ".join(f"{name} {value}" for name, value in (("type", rule.type), ("category", rule.category))
                          if value not in (None, "*")) or "every ticket"
        detail = "may send a confident KB answer to the requester" if rule.send_kb_reply else ""
        rows.append(ModeRow(scope=scope, mode=rule.mode.value, detail=detail))
    rows.append(ModeRow(scope="everything else", mode=config.default.value))
    return ModesView(rules=rows, source=source)


# -- form choices ---------------------------------------------------------------------------------------

class Choice(BaseModel):
    value: str  # as the form sends it (ids as text)
    label: str
    parent: str = ""  # the category of a sub-category, "category / sub-category" of an item


class FormChoices(BaseModel):
    """What a reviewer may pick for each field: the account's ticket form, groups and agents."""

    fields: dict[str, list[Choice]] = Field(default_factory=dict)

    def allowed(self) -> dict[str, set[str]]:
        return {name: {c.value for c in choices} for name, choices in self.fields.items()}

    def label(self, name: str, value: str | int) -> str:
        for choice in self.fields.get(name, []):
            if choice.value == str(value):
                return choice.label
        return str(value)


_choices: tuple[float, FormChoices] | None = None


async def load_choices(client: FreshserviceClient) -> FormChoices:
    """The choices from Freshservice (``ticket_form_fields``, groups, active agents), cached 5 minutes."""
    global _choices
    if _choices is not None and time.monotonic() - _choices[0] < CHOICES_SECONDS:
        return _choices[1]
    form = {field.name: field for field in await client.list_ticket_form_fields()}
    fields: dict[str, list[Choice]] = {}
    ticket_type = form.get("ticket_type")
    types = [c.value for c in ticket_type.choices] if ticket_type and ticket_type.choices else list(TYPES)
    fields["type"] = [Choice(value=t, label=t) for t in types]
    categories, subs, items = [], [], []
    category = form.get("category")
    for top in category.choices if category else []:
        categories.append(Choice(value=top.value, label=top.value))
        for sub in top.nested_options:
            subs.append(Choice(value=sub.value, label=sub.value, parent=top.value))
            for item in sub.nested_options:
                items.append(Choice(value=item.value, label=item.value, parent=f"{top.value} / {sub.value}"))
    fields["category"], fields["sub_category"], fields["item_category"] = categories, subs, items
    fields["priority"] = [Choice(value=str(k), label=v) for k, v in PRIORITIES.items()]
    fields["urgency"] = [Choice(value=str(k), label=v) for k, v in LEVELS.items()]
    fields["impact"] = [Choice(value=str(k), label=v) for k, v in LEVELS.items()]
    fields["group_id"] = [Choice(value=str(g.id), label=g.name) async for g in client.iter_groups()]
    agents = [a async for a in client.iter_agents() if a.active]
    fields["responder_id"] = sorted((Choice(value=str(a.id), label=a.name) for a in agents), key=lambda c: c.label.lower())
    loaded = FormChoices(fields=fields)
    _choices = (time.monotonic(), loaded)
    return loaded


def forget_choices() -> None:
    """Drop the cached choices (tests, and after the account's form changed)."""
    global _choices
    _choices = None


# -- the queue ------------------------------------------------------------------------------------------

def ticket_url(services: Services, ticket_id: int) -> str:
    return f"{services.settings.freshservice_base_url}/a/tickets/{int(ticket_id)}"


def _proposal_view(proposal: Proposal, choices: FormChoices, services: Services) -> dict[str, Any]:
    """What the template shows for one proposal: every value with a person's label next to it."""
    values = proposed_values(proposal)
    applied = {name: value for d in proposal.decisions if d.action == "auto" for name, value in d.fields.items()}
    rows = []
    for name in TRIAGE_FIELDS:
        guess = proposal.fields.get(name)
        value = values.get(name)
        options = list(choices.fields.get(name, []))
        if value is not None and str(value) not in {o.value for o in options}:
            options.insert(0, Choice(value=str(value), label=f"{guess.label if guess and guess.label else value} "
                                                            "(proposed; not in the form)"))
        label = ""
        if value is not None:
            label = (guess.label if guess and guess.label else "") or choices.label(name, value)
        rows.append({"name": name, "title": FIELD_TITLES.get(name, name), "value": "" if value is None else str(value),
                     "label": label, "confidence": guess.confidence if guess else None,
                     "auto": bool(guess and guess.auto), "proposed": guess is not None,
                     "from_assignee": guess is None and value is not None, "options": options,
                     "applied": name in applied and str(applied[name]) == str(value)})
    last = proposal.decisions[-1] if proposal.decisions else None
    return {"p": proposal, "rows": rows, "ticket_url": ticket_url(services, proposal.ticket_id),
            "failed": proposal.status == ProposalStatus.FAILED, "last": last}


async def _store(services: Services) -> tuple[ProposalStore, Any]:
    redis = await store.get_redis(services.settings)
    return ProposalStore(redis), redis


FLASH_KEYS = ("applied", "rejected", "failed", "skipped", "invalid", "not_found")


def _flash(request: Request) -> list[str]:
    words = {"applied": "{n} approved and written to Freshservice.",
             "rejected": "{n} rejected; those tickets were not changed.",
             "failed": "{n} could not be written: the reason is on the proposal, which stays in the queue.",
             "skipped": "{n} had already been decided (or were being decided by someone else); nothing was written twice.",
             "invalid": "{n} had an edit that is not one of the field's choices; nothing was written.",
             "not_found": "{n} no longer exist."}
    lines = []
    for key in FLASH_KEYS:
        raw = request.query_params.get(key, "")
        if raw.isdigit() and 0 < int(raw) <= MAX_BATCH:
            lines.append(words[key].format(n=int(raw)))
    return lines


@router.get("", response_class=HTMLResponse, include_in_schema=False)
async def queue_page(request: Request) -> Response:
    """The queue: pending proposals with their evidence, the rollout modes and the acceptance figures."""
    services = await get_services()
    gate = await _gate(request, services, wants_json=False)
    if gate.refusal is not None:
        return gate.refusal
    assert gate.session is not None
    proposals, redis = await _store(services)
    try:
        choices = await load_choices(services.freshservice)
    except FreshserviceError as error:
        log.warning("console_choices_failed", error=type(error).__name__, status=error.status)
        choices = FormChoices()
    pending = await proposals.pending(limit=200)
    figures = acceptance(await proposals.recent(limit=2000))
    page = _page("queue.html", session=gate.session, proposals=[_proposal_view(p, choices, services) for p in pending],
                 figures=figures, modes=rollout_modes(services.settings), flash=_flash(request),
                 titles=FIELD_TITLES, choices_missing=not choices.fields,
                 insights=await shows_insights(services, gate.agent))
    return _finish(page, request, gate, services)


class DecisionRequest(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    action: Literal["approve", "edit", "reject"]
    fields: dict[str, str | int] = Field(default_factory=dict)  # edit only: field -> value ("" leaves it)
    comment: str = Field("", max_length=1000)


async def _decide_all(services: Services, session: ConsoleSession, body: DecisionRequest) -> list[Outcome]:
    proposals, redis = await _store(services)
    allowed: dict[str, set[str]] | None = None
    if body.action == "edit":
        allowed = (await load_choices(services.freshservice)).allowed()
        for proposal_id in body.ids:  # the proposed value itself is always a valid pick
            if (current := await proposals.get(proposal_id)) is not None:
                for name, value in proposed_values(current).items():
                    allowed.setdefault(name, set()).add(str(value))
    audit = (await services.engine()).deps.audit
    outcomes = []
    for proposal_id in dict.fromkeys(body.ids):  # the same id twice in one request is one decision
        outcome = await decide(proposal_id, body.action, reviewer=session.email, redis=redis, store=proposals,
                               client=services.freshservice, audit=audit, edits=body.fields, allowed=allowed,
                               comment=body.comment)
        log.info("console_decision", proposal=proposal_id, action=body.action, result=outcome.result)
        outcomes.append(outcome)
    return outcomes


def _csrf_ok(session: ConsoleSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(str(sent), session.csrf)


CSRF_MISSING = "This request did not carry the console's security token; reload the page and try again."


@router.post("/api/decisions")
async def decisions_api(request: Request) -> Response:
    """Decide one or many proposals (JSON ``DecisionRequest``, header ``X-CSRF-Token``)."""
    services = await get_services()
    gate = await _gate(request, services, wants_json=True)
    if gate.refusal is not None:
        return gate.refusal
    assert gate.session is not None
    if gate.new_cookie or not _csrf_ok(gate.session, request.headers.get(CSRF_HEADER)):
        return _problem(403, CSRF_MISSING)
    raw = await request.body()
    if len(raw) > 64 * 1024:
        return _problem(413, "The request is too large.")
    try:
        body = DecisionRequest.model_validate_json(raw or b"{}")
    except ValidationError:
        return _problem(422, "Send JSON with 'ids' (1 to 100 proposal ids), 'action' (approve, edit or reject) "
                             "and, for an edit, 'fields'.")
    if body.action == "edit" and len(body.ids) > 1:
        return _problem(422, "Edit one proposal at a time; approve or reject many at once.")
    outcomes = await _decide_all(services, gate.session, body)
    return JSONResponse({"results": [o.model_dump(mode="json") for o in outcomes]}, headers=_headers())


@router.post("/decide", include_in_schema=False)
async def decide_form(request: Request) -> Response:
    """The same as the JSON route for the page's forms (no script needed); back to the queue after."""
    services = await get_services()
    gate = await _gate(request, services, wants_json=False)
    if gate.refusal is not None:
        return gate.refusal
    assert gate.session is not None
    form = await request.form()
    sent = form.get("csrf")
    if gate.new_cookie or not _csrf_ok(gate.session, sent if isinstance(sent, str) else None):
        return _page("forbidden.html", 403, heading="Please reload the page", message=CSRF_MISSING)
    ids = [str(i) for i in form.getlist("ids") if isinstance(i, str) and i]
    fields = {key.removeprefix("field:"): value for key, value in form.items()
              if key.startswith("field:") and isinstance(value, str)}
    try:
        body = DecisionRequest(ids=ids, action=form.get("action"), fields=fields)
    except ValidationError:
        return RedirectResponse("/console?" + urlencode({"invalid": max(1, len(ids))} if ids else {}), status_code=303)
    if body.action == "edit" and len(body.ids) > 1:
        return RedirectResponse("/console?invalid=1", status_code=303)
    outcomes = await _decide_all(services, gate.session, body)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    return RedirectResponse("/console?" + urlencode(counts), status_code=303)


@router.get("/api/proposals")
async def proposals_api(request: Request) -> Response:
    """The pending proposals, the acceptance figures and the rollout modes, as JSON."""
    services = await get_services()
    gate = await _gate(request, services, wants_json=True)
    if gate.refusal is not None:
        return gate.refusal
    proposals, _ = await _store(services)
    pending = await proposals.pending(limit=200)
    figures = acceptance(await proposals.recent(limit=2000))
    body = {"proposals": [p.model_dump(mode="json") for p in pending],
            "figures": [{"mode": f.mode, "proposals": f.proposals, "decisions": f.decisions,
                         "fields": {n: {"unchanged": x.unchanged, "edited": x.edited, "rejected": x.rejected}
                                    for n, x in f.fields.items()}} for f in figures],
            "modes": rollout_modes(services.settings).model_dump(mode="json")}
    return _finish(JSONResponse(body, headers=_headers()), request, gate, services)


# -- sign-in --------------------------------------------------------------------------------------------

@router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_page(request: Request) -> Response:
    services = await get_services()
    settings = services.settings
    nonce = secrets.token_urlsafe(18)
    error = SIGN_IN_ERRORS.get(request.query_params.get("error", ""))
    page = _page("sign_in.html", 401 if error == SIGN_IN_ERRORS["password"] else 200,
                 demo=settings.demo_login_enabled, sso=bool(settings.auth_header), login=nonce, error=error,
                 signed_out=request.query_params.get("signed_out") == "1")
    page.set_cookie(LOGIN_COOKIE, nonce, max_age=1800, path="/console", httponly=True, samesite="lax",
                    secure=_https(request))
    return page


async def _sign_in(request: Request, services: Services, email: str, *, wants_json: bool) -> Response:
    try:
        agent = await find_agent(services, email)
    except FreshserviceError as error:
        log.warning("console_agent_check_failed", error=type(error).__name__, status=error.status)
        return _unreachable(wants_json)
    if agent is None:
        log.info("console_sign_in_refused", reason="not an agent")
        return _forbidden(email, wants_json=wants_json)
    hours = services.settings.triage_console_session_hours
    token = mint_session(ensure_auth_secret(services.settings), agent, hours=hours)
    response: Response = (JSONResponse({"redirect": "/console", "name": agent.name}, headers=_headers())
                          if wants_json else RedirectResponse("/console", status_code=303))
    _set_session(response, request, token, hours)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    log.info("console_signed_in", agent_id=agent.id)
    return response


@router.post("/sign-in", include_in_schema=False)
async def sign_in_password(request: Request) -> Response:
    """Demo password sign-in (development only), with the sign-in form's own CSRF nonce."""
    services = await get_services()
    settings = services.settings
    form = await request.form()
    nonce, email, password = (str(form.get(k) or "") for k in ("login", "email", "password"))
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not cookie or not hmac.compare_digest(nonce, cookie):
        return RedirectResponse("/console/sign-in?error=expired", status_code=303)
    if not settings.demo_login_enabled:
        return RedirectResponse("/console/sign-in?error=off", status_code=303)
    email = email.strip().lower()
    if "@" not in email or len(email) > MAX_EMAIL_CHARS:
        return RedirectResponse("/console/sign-in?error=email", status_code=303)
    if not hmac.compare_digest(password, settings.demo_password.get_secret_value()):
        return RedirectResponse("/console/sign-in?error=password", status_code=303)
    return await _sign_in(request, services, email, wants_json=False)


@router.post("/sign-in/token")
async def sign_in_token(request: Request) -> Response:
    """Exchange a portal token (``Authorization: Bearer``, see docs/auth.md) for a console session."""
    services = await get_services()
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _problem(401, "Send the portal token as 'Authorization: Bearer <token>'.")
    try:
        claims = portal_token_claims(token.strip(), ensure_auth_secret(services.settings))
    except PortalTokenRejected as rejected:
        return _problem(401, str(rejected))
    return await _sign_in(request, services, str(claims["identifier"]), wants_json=True)


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    services = await get_services()
    session = read_session(ensure_auth_secret(services.settings), request.cookies.get(SESSION_COOKIE))
    form = await request.form()
    sent = form.get("csrf")
    if session is None or not _csrf_ok(session, sent if isinstance(sent, str) else None):
        return _page("forbidden.html", 403, heading="Please reload the page", message=CSRF_MISSING)
    response = RedirectResponse("/console/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.get("/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    """The console's own script and style sheet (no CDN: the CSP allows only 'self')."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response((STATIC / name).read_bytes(), media_type=media_type,
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


__all__ = ["ConsoleSession", "FormChoices", "ModesView", "find_agent", "load_choices", "mint_session",
           "read_session", "router", "safe_href"]
