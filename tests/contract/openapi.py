"""Validate sandbox responses against the response schemas of Freshworks' OpenAPI description.

The spec is useful but known to be wrong in places (``../shared/reference/freshservice-api.md``
says the markdown wins). Every deviation we accept is listed in ``SPEC_BUGS`` with its reason,
so a reader can check each one; everything else must validate.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_PATHS = (
    Path(__file__).resolve().parents[2] / "tests" / "contract" / "freshservice-openapi.json",
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "freshservice-openapi.json",
)

# Where the spec's own envelope is wrong (reference §15.12 and the sections named), we validate the
# object inside our envelope against the object schema inside the spec's envelope.
SPEC_BUGS: dict[tuple[str, str], str] = {
    ("/api/v2/tickets/{ticket_id}", "envelope"): "spec shows a 'tickets' list for a single ticket; "
    "the API returns {'ticket': {...}} (reference §6.4)",
    ("/api/v2/applications", "envelope"): "spec prints the list key as 'application'; real clients "
    "read 'applications' (reference §12.2, DOC-BUG)",
    ("/api/v2/solutions/articles/{article_id}", "envelope"): "spec says 'solution_article'; the API "
    "returns {'article': {...}} (reference §9.3)",
    ("*", "nullable"): "blank fields are returned as null (reference §5) but the spec never marks a "
    "property nullable; every typed property is allowed to be null",
    ("*", "removed-fields"): "the spec still requires agent 'role_ids' (and lists 'group_ids', "
    "'ticket_scope'), which Freshservice removed in 2023 and now rejects (reference §8.2); they are "
    "dropped from 'required'",
    ("*", "category"): "ticket category/sub_category/item_category are strings holding the dropdown "
    "values though the spec types them as numbers (reference §6.1, DOC-BUG)",
}

STRING_CATEGORY_FIELDS = {"category", "sub_category", "item_category"}
REMOVED_FIELDS = {"role_ids", "group_ids", "ticket_scope", "problem_scope", "change_scope", "release_scope", "scopes"}


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    for path in SPEC_PATHS:
        if path.exists():
            return json.loads(path.read_text())  # type: ignore[no-any-return]
    raise FileNotFoundError("freshservice-openapi.json not found in tests/contract or ../shared/reference")


def response_schema(path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
    operation = load_spec()["paths"][path][method]
    return operation["responses"][status]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def relax(schema: Any) -> Any:
    """Apply the documented spec-bug fixes: nullable properties, string categories."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, str) and kind != "null":
                node["type"] = [kind, "null"]
            if isinstance(node.get("required"), list):
                node["required"] = [r for r in node["required"] if r not in REMOVED_FIELDS]
            props = node.get("properties")
            if isinstance(props, dict):
                for name in STRING_CATEGORY_FIELDS & props.keys():
                    props[name] = {"type": ["string", "null"]}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return schema


def unwrap(schema: dict[str, Any]) -> dict[str, Any]:
    """The object (or list item) schema inside a one-key envelope schema."""
    (inner,) = schema["properties"].values()
    kind = inner.get("type")
    is_array = kind == "array" or (isinstance(kind, list) and "array" in kind)
    return inner["items"] if is_array else inner  # type: ignore[no-any-return]
