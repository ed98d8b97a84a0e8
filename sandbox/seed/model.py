"""The shape of the sandbox's seed: plain JSON-ready dicts, exactly as Freshservice returns them.

`sandbox.seed.build_seed()` produces a `SeedData`; the sandbox server loads it into its store and
serves the objects as-is (after dropping sandbox-only keys, which start with ``_``). Keeping the
seed in the wire shape means the server needs no per-resource mapping code and the OpenAPI
validation test checks the seed too.

Conventions (see ../shared/reference/freshservice-api.md):
- every object carries all of its documented fields; blank ones are ``None``, never omitted;
- ids of people, groups, departments, articles, applications, contracts are large ints
  (> 2**31); tickets use small sequential ids; service items have a long ``id`` and a small
  ``display_id`` used in URLs;
- timestamps are ``YYYY-MM-DDTHH:MM:SSZ`` strings, relative to the ``now`` given to ``build_seed``.

Sandbox-only keys (stripped before a response is sent):
- service item ``_approval_rule``: list of levels, each
  ``{"approver": "reporting_manager" | "department_head" | "agent:<agent id>",
  "min_cost": float | None}``; a level applies when ``cost * quantity >= min_cost`` (or always
  when ``min_cost`` is None). ``place_request`` creates one approval per applicable level.
- ticket ``_tags`` is not used: tickets keep ``tags`` and the server hides it on GET unless
  ``include=tags`` (reference §6.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]


@dataclass
class SeedData:
    """All collections the sandbox serves. Keyed sub-collections are keyed by the parent id."""

    workspace_id: int
    api_agent_id: int  # the agent who owns the sandbox API key (GET /api/v2/agents/me)
    departments: list[Obj] = field(default_factory=list)
    locations: list[Obj] = field(default_factory=list)
    requesters: list[Obj] = field(default_factory=list)
    agents: list[Obj] = field(default_factory=list)  # custom_fields.skills: "vpn, wifi, ..."
    roles: list[Obj] = field(default_factory=list)  # agent roles (GET /roles); agents' ``roles`` name them
    groups: list[Obj] = field(default_factory=list)
    business_hours: list[Obj] = field(default_factory=list)
    ticket_form_fields: list[Obj] = field(default_factory=list)
    solution_categories: list[Obj] = field(default_factory=list)
    solution_folders: list[Obj] = field(default_factory=list)
    solution_articles: list[Obj] = field(default_factory=list)  # full view shape incl. tags
    service_categories: list[Obj] = field(default_factory=list)
    service_items: list[Obj] = field(default_factory=list)  # full view shape incl. custom_fields
    vendors: list[Obj] = field(default_factory=list)
    contract_types: list[Obj] = field(default_factory=list)
    contracts: list[Obj] = field(default_factory=list)
    applications: list[Obj] = field(default_factory=list)
    application_users: dict[int, list[Obj]] = field(default_factory=dict)  # by application id
    application_installations: dict[int, list[Obj]] = field(default_factory=dict)
    asset_types: list[Obj] = field(default_factory=list)
    assets: list[Obj] = field(default_factory=list)  # incl. type_fields with suffixed keys
    tickets: list[Obj] = field(default_factory=list)  # full view shape incl. tags
    conversations: dict[int, list[Obj]] = field(default_factory=dict)  # by ticket id
    requested_items: dict[int, list[Obj]] = field(default_factory=dict)  # by ticket id
    approvals: dict[int, list[Obj]] = field(default_factory=dict)  # by ticket id
