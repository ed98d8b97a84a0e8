"""Who will have to approve a request, shown to the employee before they submit it.

Freshservice runs approval workflows inside its Workflow Automator, which the REST API does not
expose, so the preview comes from configuration that mirrors the account's workflows
(``COPILOT_APPROVAL_RULES_FILE``, JSON). The shipped default mirrors the sandbox's catalog.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.employee import Employee

DEFAULT_RULES_FILE = Path(__file__).with_name("approval_rules.json")


class ApprovalLevel(BaseModel):
    approver: str  # "reporting_manager" | "department_head" | "agent:<id>" | "group:<name>"
    min_cost: Decimal | None = None
    label: str | None = None  # how to name a fixed approver (e.g. "the Security team")


class ApprovalRules(BaseModel):
    default: list[ApprovalLevel] = Field(default_factory=lambda: [ApprovalLevel(approver="reporting_manager")])
    items: dict[str, list[ApprovalLevel]] = Field(default_factory=dict)  # item name (case-insensitive) → levels

    @classmethod
    def load(cls, path: Path | None = None) -> ApprovalRules:
        source = path or DEFAULT_RULES_FILE
        return cls.model_validate(json.loads(source.read_text())) if source.exists() else cls()

    def levels_for(self, item_name: str) -> list[ApprovalLevel]:
        wanted = item_name.strip().lower()
        for name, levels in self.items.items():
            if name.strip().lower() == wanted:
                return levels
        return self.default


class ApproverPreview(BaseModel):
    level: int
    who: str
    kind: Literal["person", "team"]
    why: str


def preview_chain(
    rules: ApprovalRules, item_name: str, total_cost: Decimal | None, employee: Employee,
    department_head_name: str | None = None,
) -> list[ApproverPreview]:
    """The approvers this request will need, in order, named as the employee knows them."""
    chain: list[ApproverPreview] = []
    kind: Literal["person", "team"]
    cost = total_cost or Decimal(0)
    for level in rules.levels_for(item_name):
        if level.min_cost is not None and cost < level.min_cost:
            continue
        why = f"requests from ${level.min_cost:,.0f} need it" if level.min_cost else "always required"
        if level.approver == "reporting_manager":
            who, kind = employee.manager_name or "your manager", "person"
            why = "your reporting manager" + (f"; {why}" if level.min_cost else "")
        elif level.approver == "department_head":
            who, kind = department_head_name or "your department head", "person"
            why = f"head of {employee.department_name or 'your department'}; {why}"
        else:
            who, kind = level.label or level.approver, "team"
        if kind == "person" and (who == employee.name or any(c.who == who for c in chain)):
            continue  # nobody approves their own request, and one person approves once (as the workflow does)
        chain.append(ApproverPreview(level=len(chain) + 1, who=who, kind=kind, why=why))
    return chain
