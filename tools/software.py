"""Read-only tools about software and the catalog: licence seats and catalog look-ups."""

from __future__ import annotations

from decimal import Decimal

from tools.context import AsyncTool, ToolContext, tool
from tools.freshservice import Application, ServiceItem, seats_available
from tools.requests import approval_chain, describe_chain
from tools.results import ToolResult
from tools.vocabulary import choice_labels

ITEM_IS_APP = 90  # find_items score: the item is named after the app, not merely related to it


def _money(value: object) -> str:
    try:
        amount = Decimal(str(value))
    except Exception:
        return str(value)
    return f"${amount:,.2f}" if amount else "free"


async def _assigned(ctx: ToolContext, app: Application) -> bool:
    """Whether the employee already holds the app: a SaaS user or a desktop installation."""
    me = ctx.employee.requester_id
    if (app.application_type or "").lower() == "saas":
        return any([user.user_id == me async for user in ctx.client.iter_application_users(app.id)])
    return any([user.user_id == me async for user in ctx.client.iter_application_installations(app.id)])


async def _catalog_item_named(ctx: ToolContext, name: str) -> ServiceItem | None:
    """The catalog item that is this application itself ("Adobe Acrobat Pro"), if there is one."""
    matches = await ctx.catalog.find_items(name, limit=1)
    if matches and matches[0][1] >= ITEM_IS_APP:
        return matches[0][0]
    return None


def software_tools(ctx: ToolContext) -> list[AsyncTool]:
    @tool(ctx, "Checked licence availability")
    async def check_license(software: str) -> ToolResult:
        """Check whether a software licence seat is free, and whether the employee already has one."""
        if len(family := await ctx.catalog.family(software)) >= 2:
            return await several(family)  # "what adobe products are there": which of Adobe's, not the first
        match = await ctx.catalog.find_application(software)
        if match is None:
            return ToolResult(ok=True, data={"known": False}, message=(
                f"I couldn't find “{software}” in the company's software list. It may not be approved yet; "
                "you can ask IT to evaluate it through a software request."))
        app, _score = match
        seats = await seats_available(ctx.client, app.id, today=ctx.clock().date())
        has_it = await _assigned(ctx, app)
        via_field = await ctx.catalog.item_for_software(app.name)
        request_item = via_field[0] if via_field else await _catalog_item_named(ctx, app.name)
        data = {"application": app.name, "application_id": app.id, "unlimited": seats.unlimited,
                "purchased": seats.purchased, "used": seats.used, "available": seats.available,
                "already_assigned": has_it,
                "request_item": request_item.name if request_item else None}
        if seats.unlimited:
            lines = [f"{app.name} is covered by a company-wide licence, so there's no seat limit."]
        elif not seats.contracts:
            lines = [f"There is no active licence for {app.name} at the moment."]
        elif (seats.available or 0) > 0:
            lines = [f"{seats.available} of {seats.purchased} {app.name} seats are free ({seats.used} in use)."]
        else:
            over = f", {-(seats.available or 0)} more than were bought" if (seats.available or 0) < 0 else ""
            lines = [f"All {seats.purchased} {app.name} seats are in use right now ({seats.used} assigned{over}). "
                     "You can still request one: IT will reclaim an unused seat or buy more."]
        ctx.state.show("licence", [(request_item.display_id, request_item.name)] if request_item else [],
                       subject=app.name)
        if has_it:
            lines.insert(0, f"You already have {app.name}, so there's nothing to request.")
        if not has_it and request_item is not None:
            lines.append(f"You can request it through “{request_item.name}” — press the button or say “request {app.name}”.")
            ctx.out.offer(f"start:{request_item.display_id}", f"Request {app.name}")
        return ToolResult(data=data, message=" ".join(lines))

    async def several(items: list[ServiceItem]) -> ToolResult:
        """A vendor's catalog items with their free seats, to pick from."""
        lines = []
        for item in items:
            found = await ctx.catalog.find_application(item.name)
            seats = await seats_available(ctx.client, found[0].id, today=ctx.clock().date()) if found else None
            free = "" if seats is None else " — company-wide licence" if seats.unlimited else (
                f" — {max(seats.available or 0, 0)} of {seats.purchased} seats free")
            lines.append(f"• **{item.name}** ({_money(item.cost or 0)}){free}")
            ctx.out.offer(f"start:{item.display_id}", item.name)
        ctx.state.show_items(items)
        return ToolResult(data={"items": [item.name for item in items]},
                          message="These are in the catalog:\n" + "\n".join(lines) + "\nWhich one do you mean?")

    async def one_item(item: ServiceItem) -> ToolResult:
        """One catalog item in detail: what it is, cost, delivery time and who approves it for this employee."""
        chain = await approval_chain(ctx, item.name, item.cost)
        hours = item.delivery_time
        delivery = f"about {hours} hours ({hours / 24:.0f} days) after approval" if hours and hours % 24 == 0 else (
            f"about {hours} hours after approval" if hours else "not stated in the catalog")
        ctx.state.show_item(item)
        lines = [f"**{item.name}** — {item.short_description or 'no description'}",
                 f"Cost: {_money(item.cost or 0)}. Delivery: {delivery}.", f"Approvals: {describe_chain(chain)}."]
        models = next((f for f in item.custom_fields or [] if "model" in (f.label or "").lower() and choice_labels(f)), None)
        if models is not None:  # "which phones do we offer?": the models to choose from
            lines.insert(1, f"{models.label}: {', '.join(choice_labels(models))}.")
        data = {"items": [{"display_id": item.display_id, "name": item.name, "cost": str(item.cost or "0"),
                           "delivery_time_hours": hours}], "approvers": [a.model_dump() for a in chain]}
        return ToolResult(data=data, message="\n".join(lines))

    @tool(ctx, "Looked up the service catalog")
    async def find_catalog_item(need: str) -> ToolResult:
        """Find the service-catalog items that match what the employee needs (the exact name of one item:
        that item in detail — cost, delivery time, approvers)."""
        matches = await ctx.catalog.find_items(need)
        if matches and matches[0][0].name.lower() == need.strip().lower():
            return await one_item(matches[0][0])
        if not matches:
            return ToolResult(ok=True, data={"items": []}, message=(
                "I couldn't find a catalog item for that. I can open a general request for the IT team instead."))
        items = [{"display_id": item.display_id, "name": item.name, "cost": str(item.cost or "0"),
                  "delivery_time_hours": item.delivery_time, "description": item.short_description or ""}
                 for item, _ in matches]
        lines = [f"• {i['name']} — {i['description'] or 'no description'} ({_money(i['cost'])}"
                 + (f", about {i['delivery_time_hours']} h" if i["delivery_time_hours"] else "") + ")" for i in items]
        for item in items[:3]:
            ctx.out.offer(f"start:{item['display_id']}", f"Request {item['name']}")
        ctx.state.show_items([found for found, _ in matches])
        return ToolResult(data={"items": items}, message="These catalog items match:\n" + "\n".join(lines))

    return [check_license, find_catalog_item]
