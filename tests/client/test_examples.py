"""Every documented example payload parses into our models (reference §16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from tools.freshservice import (
    Application,
    ApplicationLicense,
    ApplicationUser,
    Approval,
    Contract,
    Conversation,
    Installation,
    RequestedItem,
    ServiceItem,
    SolutionArticle,
    Ticket,
)
from tools.freshservice.errors import parse_error_body

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "examples"
LOCAL = Path(__file__).resolve().parent / "examples"
FOLDER = EXAMPLES if EXAMPLES.exists() else LOCAL

PARSERS: dict[str, tuple[str, type[BaseModel]]] = {
    "application_installations.json": ("installations", Installation),
    "application_licenses.json": ("licenses", ApplicationLicense),
    "application_users.json": ("application_users", ApplicationUser),
    "application_view.json": ("application", Application),
    "contracts_list.json": ("contracts", Contract),
    "service_catalog_item_view.json": ("service_item", ServiceItem),
    "service_catalog_item_with_custom_fields.json": ("service_item", ServiceItem),
    "service_request_place_request.json": ("service_request", Ticket),
    "solution_article_search.json": ("articles", SolutionArticle),
    "solution_article_view.json": ("article", SolutionArticle),
    "ticket_approvals_list.json": ("approvals", Approval),
    "ticket_conversations_list.json": ("conversations", Conversation),
    "ticket_filter.json": ("tickets", Ticket),
    "ticket_list.json": ("tickets", Ticket),
    "ticket_requested_items.json": ("requested_items", RequestedItem),
    "ticket_view.json": ("ticket", Ticket),
}


def test_every_example_file_is_covered() -> None:
    files = {p.name for p in FOLDER.glob("*.json")} - {"error_validation_examples.json"}
    assert files == set(PARSERS)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_example_parses(name: str) -> None:
    key, model = PARSERS[name]
    body = json.loads((FOLDER / name).read_text())[key]
    objects = body if isinstance(body, list) else [body]
    parsed = [model.model_validate(o) for o in objects]
    assert parsed and all(getattr(p, "id", None) is not None for p in parsed)


def test_quirks_are_absorbed() -> None:
    item = ServiceItem.model_validate(json.loads((FOLDER / "service_catalog_item_with_custom_fields.json").read_text())["service_item"])
    assert str(item.cost) == "12.0" and item.custom_fields and item.custom_fields[0].field_options["displayed_to_requester"] == "true"
    contract = next(c for c in (Contract.model_validate(x) for x in json.loads((FOLDER / "contracts_list.json").read_text())["contracts"]))
    assert contract.id > 0
    ticket = Ticket.model_validate({"id": 21000240239, "status": 12, "priority": 2, "category": 7,
                                    "created_at": "2024-05-01T10:00:00.983+05:30", "custom_fields": None})
    assert ticket.status_name == "Status 12" and ticket.category == "7" and ticket.custom_fields == {}
    assert ticket.created_at is not None and ticket.created_at.utcoffset() is not None


def test_validation_error_examples_parse() -> None:
    for body in json.loads((FOLDER / "error_validation_examples.json").read_text()):
        message, _, errors = parse_error_body(body)
        assert errors and all(e.message for e in errors) and message
