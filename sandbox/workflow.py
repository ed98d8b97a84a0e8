"""What the account's Workflow Automator does after a service request is placed: approvals.

Each catalog item carries a sandbox-only ``_approval_rule`` (levels of reporting manager,
department head or a fixed agent, optionally above a cost). Level 1 approvals are requested at
once; the next level is requested when the previous one is approved; a rejection closes the
request and cancels its items, like a typical Freshservice approval workflow.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.state import AccountState, now_iso

APPROVAL_NAMES = {0: "requested", 1: "approved", 2: "rejected", 3: "cancelled"}
TICKET_APPROVAL_NAMES = {0: "Requested", 1: "Approved", 2: "Rejected", 3: "Cancelled", 4: "Not Requested"}


def approver_for(state: AccountState, rule: str, requester: dict[str, Any]) -> int | None:
    if rule == "reporting_manager":
        return requester.get("reporting_manager_id")
    if rule == "department_head":
        for department_id in requester.get("department_ids") or []:
            head = (state.departments.get(department_id) or {}).get("head_user_id")
            if head:
                return head
        return None
    if rule.startswith("agent:"):
        return int(rule.split(":", 1)[1])
    return None


def approval_levels(state: AccountState, item: dict[str, Any], quantity: int, requester: dict[str, Any]) -> list[int]:
    """Approver ids, one per applicable level, skipping the requester themself and repeats."""
    total = Decimal(str(item.get("cost") or "0")) * quantity
    chain: list[int] = []
    for level in item.get("_approval_rule") or []:
        minimum = level.get("min_cost")
        if minimum is not None and total < Decimal(str(minimum)):
            continue
        approver = approver_for(state, str(level.get("approver")), requester)
        if approver and approver != requester["id"] and approver not in chain and state.person(approver):
            chain.append(approver)
    return chain


def _request_level(state: AccountState, ticket: dict[str, Any], level: int) -> None:
    chain: list[int] = ticket.get("_approval_chain") or []
    if level > len(chain):
        return
    stamp = now_iso()
    requester_id = ticket["requester_id"]
    state.approvals.setdefault(ticket["id"], []).append({
        "id": state.next_object_id(), "created_at": stamp, "updated_at": stamp,
        "approver_id": chain[level - 1], "approver_name": state.person_name(chain[level - 1]),
        "approval_type": 1, "user_id": requester_id, "user_name": state.person_name(requester_id), "level": level,
        "approval_status": {"id": 0, "name": "requested"}, "delegatee": None, "approval_group": None,
        "latest_remark": None,
    })
    ticket["approval_status"], ticket["approval_status_name"] = 0, TICKET_APPROVAL_NAMES[0]
    ticket["updated_at"] = stamp


def start_approvals(state: AccountState, ticket: dict[str, Any], chain: list[int]) -> None:
    ticket["_approval_chain"] = chain
    if chain:
        _request_level(state, ticket, 1)


def act(state: AccountState, ticket: dict[str, Any], approval: dict[str, Any], approved: bool, remark: str | None) -> None:
    """The approver clicks approve or reject."""
    stamp = now_iso()
    status = 1 if approved else 2
    approval["approval_status"] = {"id": status, "name": APPROVAL_NAMES[status]}
    approval["latest_remark"] = remark
    approval["updated_at"] = stamp
    ticket["updated_at"] = stamp
    if not approved:
        ticket["approval_status"], ticket["approval_status_name"] = 2, TICKET_APPROVAL_NAMES[2]
        ticket["status"] = 5
        for item in state.requested_items.get(ticket["id"], []):
            item["stage"], item["updated_at"] = 3, stamp
        return
    level = int(approval.get("level") or 1)
    if level < len(ticket.get("_approval_chain") or []):
        _request_level(state, ticket, level + 1)
    else:
        ticket["approval_status"], ticket["approval_status_name"] = 1, TICKET_APPROVAL_NAMES[1]
