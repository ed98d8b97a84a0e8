"""Read-only tools: knowledge base answers, licence seats, catalog look-ups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from tools.deps import ToolDeps, tool
from tools.freshservice import seats_available
from tools.results import ToolResult

AsyncTool = Callable[..., Awaitable[ToolResult]]
MAX_PASSAGE_CHARS = 900  # enough for the steps; the link has the rest


def _money(value: object) -> str:
    try:
        amount = Decimal(str(value))
    except Exception:
        return str(value)
    return f"${amount:,.2f}" if amount else "free"


async def _assigned(deps: ToolDeps, app: Any) -> bool:
    """Whether the employee already holds the app: a SaaS user or a desktop installation."""
    if (app.application_type or "").lower() == "saas":
        users = deps.client.iter_application_users(app.id)
    else:
        users = deps.client.iter_application_installations(app.id)
    async for user in users:
        if user.user_id == deps.employee.requester_id:
            return True
    return False


def knowledge_tools(deps: ToolDeps) -> list[AsyncTool]:
    @tool(deps, "Searched the knowledge base")
    async def search_kb(question: str) -> ToolResult:
        """Search the IT knowledge base for articles that answer the employee's question."""
        if deps.knowledge is None or not getattr(deps.knowledge, "ready", True):
            deps.out.failed = True
            deps.out.offer("escalate", "Ask the IT team")
            return ToolResult(ok=False, message=(
                "The knowledge base is still being built (this happens once, on first start). I can already check "
                "licences, requests and your tickets, or pass your question to the IT team."))
        found = await deps.knowledge.search(question, k=3)
        articles = found.articles
        data = {"confidence": round(found.confidence, 3), "answer": found.answer,
                "articles": [{"id": a.id, "title": a.title, "url": a.url} for a in articles]}
        if not found.answer or not articles:
            data["escalation_offered"] = True
            deps.out.offer("escalate", "Talk to the IT team")
            return ToolResult(ok=True, data=data, message=(
                "I couldn't find an article I'm confident answers that. I'd rather not guess: "
                "I can pass your question to the IT team."))
        best = articles[0]
        for article in articles[:2]:
            deps.out.cite(article.title, article.url)
        passage = "\n\n".join(p.strip() for p in best.passages[:2])
        if len(passage) > MAX_PASSAGE_CHARS:
            passage = passage[:MAX_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        data["passages"] = best.passages[:2]
        return ToolResult(data=data, message=f"From “{best.title}”:\n\n{passage}\n\nFull article: {best.url}")

    return [search_kb]


def software_tools(deps: ToolDeps) -> list[AsyncTool]:
    @tool(deps, "Checked licence availability")
    async def check_license(software: str) -> ToolResult:
        """Check whether a software licence seat is free, and whether the employee already has one."""
        match = await deps.catalog.find_application(software)
        if match is None:
            return ToolResult(ok=True, data={"known": False}, message=(
                f"I couldn't find “{software}” in the company's software list. It may not be approved yet; "
                "you can ask IT to evaluate it through a software request."))
        app, _score = match
        seats = await seats_available(deps.client, app.id, today=deps.clock().date())
        has_it = await _assigned(deps, app)
        request_via = await deps.catalog.item_for_software(app.name)
        data = {"application": app.name, "application_id": app.id, "unlimited": seats.unlimited,
                "purchased": seats.purchased, "used": seats.used, "available": seats.available,
                "already_assigned": has_it,
                "request_item": request_via[0].name if request_via else None}
        if seats.unlimited:
            lines = [f"{app.name} is covered by a company-wide licence, so there's no seat limit."]
        elif not seats.contracts:
            lines = [f"There is no active licence for {app.name} at the moment."]
        elif (seats.available or 0) > 0:
            lines = [f"Yes — {seats.available} of {seats.purchased} {app.name} seats are free ({seats.used} in use)."]
        else:
            over = f", {-seats.available} more than were bought" if (seats.available or 0) < 0 else ""
            lines = [f"All {seats.purchased} {app.name} seats are in use right now ({seats.used} assigned{over}). "
                     "You can still request one: IT will reclaim an unused seat or buy more."]
        if has_it:
            lines.insert(0, f"You already have {app.name}, so there's nothing to request.")
        if not has_it and request_via:
            lines.append(f"You can request it through “{request_via[0].name}” — just say “request {app.name}”.")
        return ToolResult(data=data, message=" ".join(lines))

    @tool(deps, "Looked up the service catalog")
    async def find_catalog_item(need: str) -> ToolResult:
        """Find the service-catalog items that match what the employee needs."""
        matches = await deps.catalog.find_items(need)
        if not matches:
            return ToolResult(ok=True, data={"items": []}, message=(
                "I couldn't find a catalog item for that. I can open a general request for the IT team instead."))
        items = [{"display_id": item.display_id, "name": item.name, "cost": str(item.cost or "0"),
                  "delivery_time_hours": item.delivery_time, "description": item.short_description or ""}
                 for item, _ in matches]
        lines = [f"• {i['name']} — {i['description'] or 'no description'} ({_money(i['cost'])}"
                 + (f", about {i['delivery_time_hours']} h" if i["delivery_time_hours"] else "") + ")" for i in items]
        for item in items[:3]:
            deps.out.offer(f"start:{item['display_id']}", f"Request {item['name']}")
        return ToolResult(data={"items": items}, message="These catalog items match:\n" + "\n".join(lines))

    return [check_license, find_catalog_item]
