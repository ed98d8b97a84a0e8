"""Async Freshservice API v2 client: typed methods over one retrying, rate-limit-aware request path.

Follows httpx's shape: a small surface, and the ``transport`` argument is the seam for tests.
Every call goes through :meth:`FreshserviceClient._send`, which waits out 429s, retries reads and
updates on 5xx/timeouts, never resends a create that may have reached the server, and turns
error responses into the typed errors of :mod:`tools.freshservice.errors`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from tools.freshservice.claims import WriteClaims, scope_of
from tools.freshservice.errors import (
    FreshserviceError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    Unavailable,
    error_for,
)
from tools.freshservice.schemas import (
    Agent,
    Application,
    ApplicationLicense,
    ApplicationUser,
    Approval,
    Asset,
    BusinessHours,
    Contract,
    Conversation,
    Department,
    Group,
    Installation,
    Location,
    Me,
    PlaceRequest,
    Problem,
    ProblemCreate,
    RequestedItem,
    Requester,
    Role,
    ServiceCategory,
    ServiceItem,
    SolutionArticle,
    SolutionCategory,
    SolutionFolder,
    Ticket,
    TicketCreate,
    TicketField,
    TicketUpdate,
)
from tools.freshservice.shared_rate import SharedRateState
from tools.freshservice.transport import (
    RateLimitStatus,
    backoff_delay,
    may_retry,
    next_link,
    reached_server,
    retry_after_seconds,
)

M = TypeVar("M", bound=BaseModel)
USER_AGENT = "portal-copilot/0.1 (+https://github.com/portal-copilot)"
FILTER_PAGE_SIZE = 30  # fixed by Freshservice for /tickets/filter and requester queries
MAX_FILTER_PAGES = 10  # Freshservice caps query results; 300 tickets is plenty for one person
NOTE_SOURCE = 2  # conversation ``source`` of a note (reference §7)


TAG_PREFIX = "copilot-"


def idempotency_tag(key: str) -> str:
    """A ticket tag derived from the caller's idempotency key, used to find a create that landed."""
    return TAG_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


def note_marker(key: str) -> str:
    """The paragraph appended to a note sent with an idempotency key, found again after a lost answer."""
    return f"<p>Ref {idempotency_tag(key)}</p>"


class FreshserviceClient:
    """Typed access to the parts of Freshservice the copilot uses."""

    def __init__(
        self, base_url: str, api_key: str, *, transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0, max_retries: int = 3, max_rate_limit_waits: int = 5, backoff: float = 0.5,
        max_retry_after: float = 90.0, max_rate_limit_wait: float | None = None, per_page: int = 100,
        yield_below: float | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: SharedRateState | None = None,
    ) -> None:
        """``yield_below`` makes this a background client (e.g. the knowledge sync): while the
        account-wide budget left (``X-RateLimit-Remaining``, shared by every replica and app) is under
        that share of the total, it waits before each call so interactive turns keep the budget.

        A 429 is waited out only while its Retry-After is at most ``max_retry_after`` and all waits of
        one call stay within ``max_rate_limit_wait`` (None: no total cap); otherwise :class:`RateLimited`
        is raised at once. The interactive client keeps both small so an employee is told "busy" in
        seconds; the background sync keeps the patient defaults.

        ``shared`` (optional) is the account's rate state shared with other clients, replicas and
        workers: a 429 here pauses them all, a pause set by another is waited out before calling only
        when it fits the same patience (else :class:`RateLimited` at once, without calling), and
        ``yield_below`` uses the latest remaining budget any of them saw. None: this client alone."""
        if not api_key:
            raise ValueError("A Freshservice API key is required")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_rate_limit_waits = max_rate_limit_waits
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_rate_limit_wait = max_rate_limit_wait
        self.per_page = per_page
        self.yield_below = yield_below
        self.rate_limit: RateLimitStatus = RateLimitStatus()
        self._sleep = sleep
        self.shared = shared
        self._http = httpx.AsyncClient(
            base_url=self.base_url, auth=httpx.BasicAuth(api_key, "X"), transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )

    async def __aenter__(self) -> FreshserviceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the one request path -------------------------------------------------------------------

    async def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    json: Any = None) -> httpx.Response:
        url = path if path.startswith("http") else f"/api/v2/{path.lstrip('/')}"
        failures = waits = 0
        waited = 0.0
        await self._yield_to_interactive()
        while True:
            waited = await self._wait_for_shared_pause(method, url, waited)
            try:
                response = await self._http.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                failures += 1
                if failures <= self.max_retries and may_retry(method, status=None, error=exc):
                    await self._sleep(backoff_delay(failures, self.backoff))
                    continue
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
                raise Unavailable(f"Freshservice {kind}", method=method, path=url,
                                  request_may_have_succeeded=reached_server(exc) and method != "GET") from exc
            if (limit := RateLimitStatus.from_headers(response.headers)) is not None:
                self.rate_limit = limit
                if self.shared is not None:
                    await self.shared.record(limit)
            status = response.status_code
            if status < 400:
                return response
            body = _json_or_text(response)
            if status == 429:
                wait = retry_after_seconds(response.headers)
                if self.shared is not None:
                    await self.shared.pause(wait)
                waits += 1
                within_total = self.max_rate_limit_wait is None or waited + wait <= self.max_rate_limit_wait
                if waits <= self.max_rate_limit_waits and wait <= self.max_retry_after and within_total:
                    waited += wait
                    await self._sleep(wait)
                    continue
                raise error_for(status, body, method=method, path=url, retry_after=wait)
            if status >= 500:
                failures += 1
                if failures <= self.max_retries and may_retry(method, status=status, error=None):
                    await self._sleep(backoff_delay(failures, self.backoff))
                    continue
                error = error_for(status, body, method=method, path=url)
                if isinstance(error, Unavailable):
                    error.request_may_have_succeeded = method not in ("GET", "HEAD")
                raise error
            raise error_for(status, body, method=method, path=url)

    async def _wait_for_shared_pause(self, method: str, url: str, waited: float) -> float:
        """Wait out a pause another client set after its 429, if it fits this client's patience (the
        same rule as for a 429 of its own); otherwise raise :class:`RateLimited` without calling, so
        an employee is told "busy" at once. Returns the call's total rate-limit wait so far."""
        if self.shared is None:
            return waited
        for _ in range(self.max_rate_limit_waits):
            remaining = await self.shared.pause_remaining()
            if remaining is None or remaining <= 0:
                break
            within_total = self.max_rate_limit_wait is None or waited + remaining <= self.max_rate_limit_wait
            if remaining > self.max_retry_after or not within_total:
                raise RateLimited("Freshservice rate limit reached (paused after a 429 elsewhere)", status=429,
                                  method=method, path=url, retry_after=remaining)
            waited += remaining
            await self._sleep(remaining)
        return waited

    async def _yield_to_interactive(self) -> None:
        if self.yield_below is None:
            return
        limit = self.rate_limit
        if self.shared is not None and (latest := await self.shared.latest()) is not None:
            limit = latest  # what any client of the account saw last, not only this one
        if not limit.total or limit.remaining is None:
            return
        floor = self.yield_below * limit.total
        if limit.remaining < floor:
            # credits refill at total/60 per second: wait until the floor is back (at most 30 s per call)
            await self._sleep(min(30.0, (floor - limit.remaining) * 60.0 / limit.total))

    async def _get(self, path: str, key: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        body = (await self._send("GET", path, params=params)).json()
        return model.model_validate(body[key])

    async def _paginate(self, path: str, keys: tuple[str, ...], model: type[M],
                        params: dict[str, Any] | None = None) -> AsyncIterator[M]:
        """Follow ``Link: <...>; rel="next"`` verbatim until it disappears (reference §3)."""
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": self.per_page, **(params or {})}
        while url:
            response = await self._send("GET", url, params=query)
            body = response.json()
            for item in _first_present(body, keys):
                yield model.model_validate(item)
            url, query = next_link(response.headers.get("link")), None

    async def _pages(self, path: str, key: str, model: type[M], params: dict[str, Any]) -> AsyncIterator[M]:
        """Query endpoints page by ``page`` and report ``total`` or ``meta`` instead of a Link."""
        seen = 0
        for page in range(1, MAX_FILTER_PAGES + 1):
            body = (await self._send("GET", path, params={**params, "page": page})).json()
            items = body.get(key) or []
            for item in items:
                yield model.model_validate(item)
            seen += len(items)
            meta = body.get("meta") or {}
            total = body.get("total", meta.get("total_items"))
            if not items or (total is not None and seen >= int(total)) or (
                    meta.get("total_pages") is not None and page >= int(meta["total_pages"])):
                return
            if total is None and len(items) < int(params.get("per_page", FILTER_PAGE_SIZE)):
                return

    # -- account ------------------------------------------------------------------------------------

    async def get_me(self) -> Me:
        return await self._get("agents/me", "agent", Me)

    # -- tickets ------------------------------------------------------------------------------------

    async def get_ticket(self, ticket_id: int, include: list[str] | None = None) -> Ticket:
        params = {"include": ",".join(include)} if include else None
        return await self._get(f"tickets/{int(ticket_id)}", "ticket", Ticket, params)

    def iter_tickets(self, **filters: Any) -> AsyncIterator[Ticket]:
        """``GET /tickets`` (default window: created in the last 30 days, unless ``updated_since``).

        ``updated_since`` may be a ``datetime`` (sent as UTC ``YYYY-MM-DDTHH:MM:SSZ``; httpx would
        otherwise send ``str(dt)`` with a space, which reads as a bare date), a ``date`` or a string."""
        params = {k: _query_value(v) for k, v in filters.items() if v is not None}
        return self._paginate("tickets", ("tickets",), Ticket, params)

    def filter_tickets(self, query: str) -> AsyncIterator[Ticket]:
        """``GET /tickets/filter?query="..."``; pass the expression without the outer quotes."""
        return self._pages("tickets/filter", "tickets", Ticket, {"query": f'"{query}"'})

    async def create_ticket(self, ticket: TicketCreate, *, idempotency_key: str | None = None) -> Ticket:
        """Create an incident. With ``idempotency_key``, a create whose answer was lost is found again
        (through a tag derived from the key) instead of being sent twice."""
        body = ticket.model_dump(exclude_none=True)
        if idempotency_key:
            if (existing := await self.find_ticket_by_idempotency_key(idempotency_key)) is not None:
                return existing
            body["tags"] = [*(body.get("tags") or []), idempotency_tag(idempotency_key)]
        try:
            response = await self._send("POST", "tickets", json=body)
        except Unavailable as error:
            if idempotency_key and error.request_may_have_succeeded:
                if (landed := await self.find_ticket_by_idempotency_key(idempotency_key)) is not None:
                    return landed
            raise
        return Ticket.model_validate(response.json()["ticket"])

    async def find_ticket_by_idempotency_key(self, key: str) -> Ticket | None:
        async for ticket in self.filter_tickets(f"tag:'{idempotency_tag(key)}'"):
            return ticket
        return None

    async def update_ticket(self, ticket_id: int, changes: TicketUpdate) -> Ticket:
        response = await self._send("PUT", f"tickets/{int(ticket_id)}", json=changes.model_dump(exclude_none=True))
        return Ticket.model_validate(response.json()["ticket"])

    async def add_note(self, ticket_id: int, body: str, *, private: bool = True,
                       idempotency_key: str | None = None) -> Conversation:
        """Add a note (private by default, like Freshservice). Never resent blindly.

        With ``idempotency_key`` a marker paragraph (``Ref copilot-<16 hex>``, see
        :func:`note_marker`) is appended to the body; it is plain text, so it survives Freshservice's
        HTML→text and can be found in ``body`` or ``body_text``. If the POST fails ambiguously (sent,
        no answer), the ticket's conversations are searched for the marker and the note that landed
        is returned; if it is not there, the error is re-raised.

        The ticket's conversations are also checked *before* sending, like :meth:`create_ticket`:
        this costs one extra list call per keyed note (notes are rare: a few per handover), but a
        turn that is retried with the same key (the copilot keys notes by conversation and turn)
        after a failure that left the note behind gets the existing note instead of a duplicate
        visible to the employee and the agents.
        """
        if idempotency_key:
            if (existing := await self.find_note_by_idempotency_key(ticket_id, idempotency_key)) is not None:
                return existing
            body = body + note_marker(idempotency_key)
        try:
            response = await self._send("POST", f"tickets/{int(ticket_id)}/notes",
                                        json={"body": body, "private": private})
        except Unavailable as error:
            if idempotency_key and error.request_may_have_succeeded:
                if (landed := await self.find_note_by_idempotency_key(ticket_id, idempotency_key)) is not None:
                    return landed
            raise
        return Conversation.model_validate(response.json()["conversation"])

    async def find_note_by_idempotency_key(self, ticket_id: int, key: str) -> Conversation | None:
        """The note on the ticket that carries the marker of ``key`` (replies quoting it are ignored)."""
        tag = idempotency_tag(key)
        async for conversation in self.iter_conversations(ticket_id):
            if conversation.source not in (None, NOTE_SOURCE):
                continue
            if tag in (conversation.body_text or "") or tag in (conversation.body or ""):
                return conversation
        return None

    async def reply_to_ticket(self, ticket_id: int, body: str, *, idempotency_key: str | None = None) -> Conversation:
        """Reply to the requester (``POST /tickets/{id}/reply``, public, emailed). Never resent blindly:
        with ``idempotency_key`` the marker paragraph is appended and looked for among the ticket's
        replies before sending and after a lost answer, like :meth:`add_note`."""
        if idempotency_key:
            if (existing := await self._find_reply(ticket_id, idempotency_key)) is not None:
                return existing
            body = body + note_marker(idempotency_key)
        try:
            response = await self._send("POST", f"tickets/{int(ticket_id)}/reply", json={"body": body})
        except Unavailable as error:
            if idempotency_key and error.request_may_have_succeeded:
                if (landed := await self._find_reply(ticket_id, idempotency_key)) is not None:
                    return landed
            raise
        return Conversation.model_validate(response.json()["conversation"])

    async def _find_reply(self, ticket_id: int, key: str) -> Conversation | None:
        tag = idempotency_tag(key)
        async for conversation in self.iter_conversations(ticket_id):
            if not conversation.private and (tag in (conversation.body_text or "") or tag in (conversation.body or "")):
                return conversation
        return None

    # -- problems -----------------------------------------------------------------------------------

    def iter_problems(self, *, updated_since: datetime | date | str | None = None) -> AsyncIterator[Problem]:
        """``GET /problems`` (newest first), optionally only those updated since a time."""
        params = {"updated_since": _query_value(updated_since)} if updated_since is not None else None
        return self._paginate("problems", ("problems",), Problem, params)

    async def create_problem(self, problem: ProblemCreate, *, idempotency_key: str | None = None,
                             attempted_since: datetime | None = None) -> Problem:
        """Create a Problem record. Never resent blindly: with ``idempotency_key`` the marker paragraph
        (:func:`note_marker`) is appended to the description and looked for among the problems updated
        since ``attempted_since`` (default: the last 30 days) before sending and after a lost answer."""
        body = problem.model_dump(mode="json", exclude_none=True)
        since = attempted_since or datetime.now(UTC) - timedelta(days=30)
        if idempotency_key:
            if (existing := await self.find_problem_by_idempotency_key(idempotency_key, since)) is not None:
                return existing
            body["description"] = body["description"] + note_marker(idempotency_key)
        try:
            response = await self._send("POST", "problems", json=body)
        except Unavailable as error:
            if idempotency_key and error.request_may_have_succeeded:
                if (landed := await self.find_problem_by_idempotency_key(idempotency_key, since)) is not None:
                    return landed
            raise
        return Problem.model_validate(response.json()["problem"])

    async def find_problem_by_idempotency_key(self, key: str, since: datetime) -> Problem | None:
        """The problem whose description carries the marker of ``key``, among those updated since ``since``."""
        tag = idempotency_tag(key)
        async for problem in self.iter_problems(updated_since=since - timedelta(minutes=5)):
            if tag in (problem.description or "") or tag in (problem.description_text or ""):
                return problem
        return None

    def iter_conversations(self, ticket_id: int) -> AsyncIterator[Conversation]:
        return self._paginate(f"tickets/{int(ticket_id)}/conversations", ("conversations",), Conversation)

    async def list_approvals(self, ticket_id: int) -> list[Approval]:
        body = (await self._send("GET", f"tickets/{int(ticket_id)}/approvals")).json()
        return [Approval.model_validate(a) for a in body.get("approvals") or []]

    async def list_requested_items(self, ticket_id: int) -> list[RequestedItem]:
        body = (await self._send("GET", f"tickets/{int(ticket_id)}/requested_items")).json()
        return [RequestedItem.model_validate(i) for i in body.get("requested_items") or []]

    # -- people and organisation ---------------------------------------------------------------------

    async def find_requester_by_email(self, email: str) -> Requester | None:
        body = (await self._send("GET", "requesters", params={"email": email})).json()
        found = body.get("requesters") or []
        return Requester.model_validate(found[0]) if found else None

    async def get_requester(self, requester_id: int) -> Requester:
        return await self._get(f"requesters/{int(requester_id)}", "requester", Requester)

    def iter_requesters(self, query: str | None = None) -> AsyncIterator[Requester]:
        if query:
            return self._pages("requesters", "requesters", Requester, {"query": f'"{query}"'})
        return self._paginate("requesters", ("requesters",), Requester)

    async def get_agent(self, agent_id: int) -> Agent:
        return await self._get(f"agents/{int(agent_id)}", "agent", Agent)

    def iter_agents(self) -> AsyncIterator[Agent]:
        return self._paginate("agents", ("agents",), Agent)

    async def find_agent_by_email(self, email: str) -> Agent | None:
        """The agent with this email (``GET /agents?email=``), or None: who may review triage proposals."""
        body = (await self._send("GET", "agents", params={"email": email.strip()})).json()
        wanted = email.strip().lower()
        for raw in body.get("agents") or []:
            agent = Agent.model_validate(raw)
            if (agent.email or "").lower() == wanted:
                return agent
        return None

    async def list_roles(self) -> list[Role]:
        """The account's agent roles (``GET /roles``): names and whether each is an admin role."""
        return [role async for role in self._paginate("roles", ("roles",), Role)]

    async def list_ticket_form_fields(self) -> list[TicketField]:
        """The ticket form (``GET /ticket_form_fields``): choices of priority, group, category and its
        nested sub-category and item, as the account defines them."""
        body = (await self._send("GET", "ticket_form_fields")).json()
        return [TicketField.model_validate(f) for f in body.get("ticket_fields") or []]

    async def get_group(self, group_id: int) -> Group:
        return await self._get(f"groups/{int(group_id)}", "group", Group)

    def iter_groups(self) -> AsyncIterator[Group]:
        return self._paginate("groups", ("groups",), Group)

    async def get_department(self, department_id: int) -> Department:
        return await self._get(f"departments/{int(department_id)}", "department", Department)

    def iter_departments(self) -> AsyncIterator[Department]:
        return self._paginate("departments", ("departments",), Department)

    def iter_locations(self) -> AsyncIterator[Location]:
        return self._paginate("locations", ("locations",), Location)

    def iter_business_hours(self) -> AsyncIterator[BusinessHours]:
        return self._paginate("business_hours", ("business_hours",), BusinessHours)

    async def get_business_hours(self, business_hours_id: int) -> BusinessHours:
        return await self._get(f"business_hours/{int(business_hours_id)}", "business_hours", BusinessHours)

    # -- knowledge base ------------------------------------------------------------------------------

    def iter_solution_categories(self) -> AsyncIterator[SolutionCategory]:
        return self._paginate("solutions/categories", ("categories",), SolutionCategory)

    def iter_solution_folders(self, category_id: int) -> AsyncIterator[SolutionFolder]:
        return self._paginate("solutions/folders", ("folders",), SolutionFolder, {"category_id": category_id})

    def iter_solution_articles(self, folder_id: int) -> AsyncIterator[SolutionArticle]:
        return self._paginate("solutions/articles", ("articles",), SolutionArticle, {"folder_id": folder_id})

    async def get_solution_article(self, article_id: int) -> SolutionArticle:
        return await self._get(f"solutions/articles/{int(article_id)}", "article", SolutionArticle)

    async def search_solution_articles(self, term: str, *, user_email: str | None = None) -> list[SolutionArticle]:
        params: dict[str, Any] = {"search_term": term, "per_page": 30}
        if user_email:
            params["user_email"] = user_email
        return [a async for a in self._pages("solutions/articles/search", "articles", SolutionArticle, params)]

    # -- service catalog -----------------------------------------------------------------------------

    def iter_service_categories(self) -> AsyncIterator[ServiceCategory]:
        return self._paginate("service_catalog/categories", ("service_categories",), ServiceCategory)

    def iter_service_items(self, category_id: int | None = None) -> AsyncIterator[ServiceItem]:
        params = {"category_id": category_id} if category_id is not None else None
        return self._paginate("service_catalog/items", ("service_items",), ServiceItem, params)

    async def get_service_item(self, display_id: int) -> ServiceItem:
        return await self._get(f"service_catalog/items/{int(display_id)}", "service_item", ServiceItem)

    async def search_service_items(self, term: str, *, user_email: str | None = None) -> list[ServiceItem]:
        params: dict[str, Any] = {"search_term": term, "per_page": 30}
        if user_email:
            params["user_email"] = user_email
        return [i async for i in self._pages("service_catalog/items/search", "service_items", ServiceItem, params)]

    async def place_request(self, display_id: int, request: PlaceRequest, *, idempotency_key: str | None = None,
                            claims: WriteClaims | None = None, attempted_since: datetime | None = None) -> Ticket:
        """Raise a service request, at most once per ``idempotency_key``; never resent blindly.

        ``place_request`` takes no tags and no description (reference §10.3), so the key cannot travel
        with the request. What can be known, and how:

        * After a normal answer the ticket id is known: it is *claimed* for the key in ``claims`` (the
          copilot's Redis ledger, :mod:`tools.freshservice.claims`; first writer wins) and then tagged
          ``copilot-<hash>`` with a PUT, so the key is findable in Freshservice as for incidents.
        * Before sending, the ledger is asked whether the key already placed a request (no API call).
          With ``attempted_since`` (a re-check of an earlier attempt whose outcome was unknown) the
          tag and the candidates since that time are searched too, and a lookup failure raises
          :class:`OutcomeUnknown` instead of sending.
        * After a lost answer (a 5xx or a dropped connection on the POST), the requester's service
          requests for this item created since just before the POST, with the same quantity and form
          answers, are the *candidates*. One carrying this key's tag or claim is ours. One carrying
          another key's tag or claim is not (this is what stops two conversations confirming the same
          item from reporting each other's request). An untagged, unclaimed candidate is accepted only
          when it is the only one and no other copilot write for the same requester and item is in
          flight (the ledger marks each from before its POST until its outcome is known); it is then
          claimed atomically and tagged. Anything else raises :class:`OutcomeUnknown`.

        The limit of what can be known: a request the employee placed *outside* the copilot (in the
        portal) for the same item with the same answers within those seconds is indistinguishable
        from ours. Without ``claims`` only a tag proves ownership, so a lost answer always ends in
        :class:`OutcomeUnknown` until a re-check finds no candidate at all (then it did not land).
        """
        path = f"service_catalog/items/{int(display_id)}/place_request"
        body = request.model_dump(exclude_none=True)
        if not idempotency_key or not request.email:
            response = await self._send("POST", path, json=body)
            return Ticket.model_validate(response.json()["service_request"])
        key, email = idempotency_key, request.email
        try:
            known = await self.find_placed_request(display_id, request, key, claims=claims, since=attempted_since)
        except FreshserviceError as error:
            if attempted_since is None or isinstance(error, OutcomeUnknown):
                raise
            raise OutcomeUnknown("Could not check whether the earlier request landed", attempted_at=attempted_since,
                                 method="GET", path="tickets/filter") from error
        if known is not None:
            return known
        scope = scope_of(email, display_id)
        started = attempted_since or datetime.now(UTC) - timedelta(seconds=5)
        if claims is not None:
            await claims.begin(scope, key)
        try:
            response = await self._send("POST", path, json=body)
        except Unavailable as error:
            if not error.request_may_have_succeeded:
                if claims is not None:
                    await claims.settle(scope, key)
                raise
            try:
                landed = await self.find_placed_request(display_id, request, key, claims=claims, since=started)
            except FreshserviceError:
                landed = None
            if landed is not None:
                return landed
            raise OutcomeUnknown("The request was sent but its outcome is unknown", attempted_at=started,
                                 method="POST", path=path, status=error.status) from error
        except FreshserviceError:
            if claims is not None:
                await claims.settle(scope, key)
            raise
        ticket = Ticket.model_validate(response.json()["service_request"])
        await self._own(ticket, key, scope, claims)
        return ticket

    async def find_placed_request(self, display_id: int, request: PlaceRequest, key: str, *,
                                  claims: WriteClaims | None = None, since: datetime | None = None) -> Ticket | None:
        """The service request ``key`` placed, or None when it provably did not land (see
        :meth:`place_request`); raises :class:`OutcomeUnknown` when that cannot be decided.
        Without ``since`` only the ledger is asked (no API call)."""
        if claims is not None and (ticket_id := await claims.placed(key)) is not None:
            return await self.get_ticket(ticket_id)
        if since is None or not request.email:
            return None
        scope = scope_of(request.email, display_id)
        if (tagged := await self.find_ticket_by_idempotency_key(key)) is not None:
            await self._own(tagged, key, scope, claims, tag=False)
            return tagged
        tag = idempotency_tag(key)
        unexplained: list[Ticket] = []
        query = f"email:'{request.email}' AND created_at:>'{(since - timedelta(days=1)).date().isoformat()}'"
        async for candidate in self.filter_tickets(query):
            if not candidate.is_service_request or candidate.created_at is None or candidate.created_at < since:
                continue
            items = await self.list_requested_items(candidate.id)
            if not any(_same_request(item, display_id, request) for item in items):
                continue
            owner = await claims.owner(candidate.id) if claims is not None else None
            if owner == key:
                return candidate
            if owner is not None:
                continue  # another key's request (another conversation, or an earlier draft)
            full = await self.get_ticket(candidate.id, include=["tags"])
            tags = full.tags or []
            if tag in tags:
                await self._own(full, key, scope, claims, tag=False)
                return full
            if any(t.startswith(TAG_PREFIX) for t in tags):
                continue
            unexplained.append(full)
        if not unexplained:
            return None
        others = (await claims.in_flight(scope)) - {key} if claims is not None else set()
        if claims is not None and len(unexplained) == 1 and not others:
            if await claims.claim(unexplained[0].id, key) == key:
                await self._own(unexplained[0], key, scope, claims)
                return unexplained[0]
        raise OutcomeUnknown("A matching request exists that cannot be attributed to this key", attempted_at=since,
                             method="GET", path="tickets/filter")

    async def _own(self, ticket: Ticket, key: str, scope: str, claims: WriteClaims | None, *, tag: bool = True) -> None:
        """Claim ``ticket`` for ``key`` in the ledger, end its in-flight mark, and tag it in Freshservice.

        The tag is best effort (the ledger already holds the claim): the tag list is read and written
        back whole, since a PUT replaces it."""
        if claims is not None:
            await claims.claim(ticket.id, key)
            await claims.settle(scope, key)
        if not tag:
            return
        try:
            current = await self.get_ticket(ticket.id, include=["tags"])
            tags = [*(current.tags or []), idempotency_tag(key)]
            await self.update_ticket(ticket.id, TicketUpdate(tags=list(dict.fromkeys(tags))))
        except FreshserviceError:
            pass

    # -- software, contracts, assets -----------------------------------------------------------------

    def iter_applications(self) -> AsyncIterator[Application]:
        # the docs print the list key as "application" (DOC-BUG); real accounts send "applications"
        return self._paginate("applications", ("applications", "application"), Application)

    async def get_application(self, application_id: int) -> Application:
        return await self._get(f"applications/{int(application_id)}", "application", Application)

    async def list_application_licenses(self, application_id: int) -> list[ApplicationLicense]:
        body = (await self._send("GET", f"applications/{int(application_id)}/licenses")).json()
        return [ApplicationLicense.model_validate(x) for x in body.get("licenses") or []]

    def iter_application_users(self, application_id: int) -> AsyncIterator[ApplicationUser]:
        return self._paginate(f"applications/{int(application_id)}/users", ("application_users",), ApplicationUser)

    def iter_application_installations(self, application_id: int) -> AsyncIterator[Installation]:
        return self._paginate(f"applications/{int(application_id)}/installations", ("installations",), Installation)

    def iter_contracts(self) -> AsyncIterator[Contract]:
        return self._paginate("contracts", ("contracts",), Contract)

    async def get_contract(self, contract_id: int) -> Contract:
        return await self._get(f"contracts/{int(contract_id)}", "contract", Contract)

    def iter_assets(self, *, filter: str | None = None, include_type_fields: bool = False) -> AsyncIterator[Asset]:
        params: dict[str, Any] = {}
        if filter:
            params["filter"] = f'"{filter}"'
        if include_type_fields:
            params["include"] = "type_fields"
        return self._paginate("assets", ("assets",), Asset, params)

    async def get_asset(self, display_id: int) -> Asset:
        return await self._get(f"assets/{int(display_id)}", "asset", Asset, {"include": "type_fields"})


def _same_request(item: RequestedItem, display_id: int, request: PlaceRequest) -> bool:
    """Is this requested item the one ``request`` asked for (item, quantity and every form answer)?"""
    if item.service_item_id != display_id or (item.quantity or 1) != request.quantity:
        return False
    return all(_loose(item.custom_fields.get(name)) == _loose(value) for name, value in request.custom_fields.items())


def _loose(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    return None if value is None else str(value)


def _first_present(body: dict[str, Any], keys: tuple[str, ...]) -> list[Any]:
    for key in keys:
        value = body.get(key)
        if isinstance(value, list):
            return value
    return []


def _query_value(value: Any) -> Any:
    """Dates and times in the form Freshservice documents for inputs (reference §5)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


__all__ = ["FreshserviceClient", "NotFound", "RateLimited", "idempotency_tag", "note_marker"]
