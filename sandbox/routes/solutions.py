"""Knowledge base: categories, folders, articles, search (reference §9) and the portal article page."""

from __future__ import annotations

import html
import re
from typing import Any

import nh3
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sandbox.errors import field_error, invalid, not_found
from sandbox.pagination import meta, page_params, paginate, positive_int
from sandbox.requests import json_body
from sandbox.routes.common import account, created, no_content, ok
from sandbox.routes.tickets import html_to_text
from sandbox.state import AccountState, now_iso, public

router = APIRouter()
portal = APIRouter()
LIST_DROP = ("tags", "attachments", "approvals", "cloud_files")
ARTICLE_FIELDS = {"title", "description", "folder_id", "status", "article_type", "tags", "keywords", "review_date"}


def _article(state: AccountState, article_id: int) -> dict[str, Any]:
    found = state.solution_articles.get(article_id)
    if found is None:
        raise not_found("article", article_id)
    return found


def portal_visible(state: AccountState, article: dict[str, Any]) -> bool:
    """Published and in a folder every logged-in employee may see (visibility 1 or 2)."""
    folder = state.solution_folders.get(article.get("folder_id") or 0) or {}
    return article.get("status") == 2 and folder.get("visibility") in (1, 2)


@router.get("/solutions/categories")
async def categories(request: Request) -> Any:
    page, headers = paginate(request, list(account(request).solution_categories.values()))
    return ok({"categories": [public(c) for c in page]}, headers=headers)


@router.get("/solutions/categories/{category_id}")
async def category(category_id: int, request: Request) -> Any:
    found = account(request).solution_categories.get(category_id)
    if found is None:
        raise not_found("category", category_id)
    return ok({"category": public(found)})


@router.get("/solutions/folders")
async def folders(request: Request) -> Any:
    state = account(request)
    if request.query_params.get("category_id") is None:
        raise invalid(field_error("category_id", "It should not be blank", "missing_field"))
    category_id = positive_int(request, "category_id", 0)
    items = [f for f in state.solution_folders.values() if f.get("category_id") == category_id]
    page, headers = paginate(request, items)
    return ok({"folders": [public(f) for f in page]}, headers=headers)


@router.get("/solutions/folders/{folder_id}")
async def folder(folder_id: int, request: Request) -> Any:
    found = account(request).solution_folders.get(folder_id)
    if found is None:
        raise not_found("folder", folder_id)
    return ok({"folder": public(found)})


@router.get("/solutions/articles")
async def articles(request: Request) -> Any:
    state = account(request)
    if request.query_params.get("folder_id") is None:
        raise invalid(field_error("folder_id", "It should not be blank", "missing_field"))
    folder_id = positive_int(request, "folder_id", 0)
    items = sorted((a for a in state.solution_articles.values() if a.get("folder_id") == folder_id),
                   key=lambda a: (a.get("position") or 0, a["id"]))
    page, headers = paginate(request, items)
    return ok({"articles": [public(a, drop=LIST_DROP) for a in page]}, headers=headers)


@router.get("/solutions/articles/search")
async def search(request: Request) -> Any:
    """Keyword search over published articles the user may see, like Freshservice's own."""
    state = account(request)
    term = (request.query_params.get("search_term") or "").strip()
    if not term:
        raise invalid(field_error("search_term", "It should not be blank", "missing_field"))
    words = re.findall(r"\w+", term.lower())
    for_agent = request.query_params.get("user_email") is None
    scored = []
    for article in state.solution_articles.values():
        if article.get("status") != 2 or not (for_agent or portal_visible(state, article)):
            continue
        title = (article.get("title") or "").lower()
        text = (article.get("description_text") or "").lower()
        hits = sum(3 * title.count(w) + text.count(w) for w in words)
        if hits and all(w in title or w in text for w in words):
            scored.append((hits, article))
    scored.sort(key=lambda pair: (-pair[0], pair[1]["id"]))
    page, per_page = page_params(request)
    chunk = [a for _, a in scored[(page - 1) * per_page: page * per_page]]
    results = []
    for article in chunk:
        item = public(article, drop=("tags", "approvals", "cloud_files", "agent_id"))
        folder_obj = state.solution_folders.get(article.get("folder_id") or 0) or {}
        item.update({"user_id": article.get("agent_id"), "folder_visibility": folder_obj.get("visibility"),
                     "folder_department_ids": [], "group_folder_group_ids": [],
                     "group_folder_requester_group_ids": [], "group_folder_department_ids": []})
        results.append(item)
    return ok({"articles": results, "meta": meta(len(scored), page, per_page)})


@router.get("/solutions/articles/{article_id}")
async def article(article_id: int, request: Request) -> Any:
    return ok({"article": public(_article(account(request), article_id))})


@router.post("/solutions/articles")
async def create_article(request: Request) -> Any:
    state = account(request)
    body = await json_body(request, allowed=ARTICLE_FIELDS, required=("title", "description", "folder_id"))
    folder_obj = state.solution_folders.get(body["folder_id"]) if isinstance(body["folder_id"], int) else None
    if folder_obj is None:
        raise invalid(field_error("folder_id", "There is no folder matching the given folder_id", "invalid_value"))
    stamp = now_iso()
    new = {"id": state.next_object_id(), "title": body["title"], "description": body["description"],
           "description_text": html_to_text(body["description"]), "status": body.get("status", 1),
           "article_type": body.get("article_type", 1), "approval_status": None, "folder_id": folder_obj["id"],
           "category_id": folder_obj.get("category_id"), "position": len(state.solution_articles) + 1,
           "thumbs_up": 0, "thumbs_down": 0, "views": 0, "inserted_into_tickets": 0, "agent_id": state.api_agent_id,
           "modified_by": state.api_agent_id, "modified_at": stamp, "url": None, "review_date": body.get("review_date"),
           "tags": body.get("tags") or [], "keywords": body.get("keywords") or [], "attachments": [], "approvals": [],
           "cloud_files": [], "workspace_id": state.workspace_id, "created_at": stamp, "updated_at": stamp}
    state.solution_articles[new["id"]] = new
    return created(request, {"article": public(new)}, f"solutions/articles/{new['id']}")


@router.put("/solutions/articles/{article_id}")
async def update_article(article_id: int, request: Request) -> Any:
    state = account(request)
    found = _article(state, article_id)
    body = await json_body(request, allowed=ARTICLE_FIELDS)
    if "status" in body and body["status"] not in (1, 2):
        raise invalid(field_error("status", "It should be one of these values: '1,2'", "invalid_value"))
    if "folder_id" in body and body["folder_id"] not in state.solution_folders:
        raise invalid(field_error("folder_id", "There is no folder matching the given folder_id", "invalid_value"))
    found.update(body)
    if "description" in body:
        found["description_text"] = html_to_text(body["description"])
    if "folder_id" in body:
        found["category_id"] = state.solution_folders[body["folder_id"]].get("category_id")
    found["updated_at"] = found["modified_at"] = now_iso()
    return ok({"article": public(found)})


@router.delete("/solutions/articles/{article_id}")
async def delete_article(article_id: int, request: Request) -> Any:
    state = account(request)
    _article(state, article_id)
    del state.solution_articles[article_id]
    return no_content()


@portal.get("/support/solutions/articles/{article_id}", response_class=HTMLResponse)
async def portal_article(article_id: int, request: Request) -> HTMLResponse:
    """The employee portal's article page, the target of the copilot's citation links."""
    state = account(request)
    found = state.solution_articles.get(article_id)
    if found is None or not portal_visible(state, found):
        return HTMLResponse("<!doctype html><title>Not found</title><h1>Article not found</h1>", status_code=404)
    body = nh3.clean(found.get("description") or "")
    title = html.escape(found.get("title") or "")
    page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title} - Acme IT Help Center</title>"
            f"</head><body><header><a href=\"/support/home\">Acme IT Help Center</a></header>"
            f"<main><article><h1>{title}</h1>{body}</article></main></body></html>")
    return HTMLResponse(page)
