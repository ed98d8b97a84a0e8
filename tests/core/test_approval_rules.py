"""The copilot's approval preview mirrors the sandbox's approval workflows item by item."""

from __future__ import annotations

from decimal import Decimal

from sandbox.seed.acme import CATALOG
from tools.approvals import ApprovalRules, preview_chain
from tools.employee import Employee


def test_shipped_rules_match_the_sandbox_catalog() -> None:
    rules = ApprovalRules.load()
    for _category, name, _cost, _hours, _short, _fields, levels in CATALOG:
        shipped = rules.levels_for(name)
        assert len(shipped) == len(levels), name
        for mine, theirs in zip(shipped, levels, strict=True):
            assert (mine.min_cost is None) == (theirs["min_cost"] is None), name
            if theirs["min_cost"] is not None:
                assert mine.min_cost == Decimal(str(theirs["min_cost"])), name
            kind = theirs["approver"]
            assert mine.approver == (kind if not kind.startswith("agent:") else "group:Security"), name


def test_preview_names_people_and_applies_cost_thresholds() -> None:
    alice = Employee(requester_id=1, email="alice@acme.example", first_name="Alice", last_name="Nguyen",
                     department_name="Sales", manager_name="Bob Martin")
    rules = ApprovalRules.load()
    cheap = preview_chain(rules, "Adobe Acrobat Pro", Decimal("240"), alice, department_head_name="Carol Diaz")
    dear = preview_chain(rules, "Adobe Acrobat Pro", Decimal("720"), alice, department_head_name="Carol Diaz")
    assert [p.who for p in cheap] == ["Bob Martin"]
    assert [p.who for p in dear] == ["Bob Martin", "Carol Diaz"]
    admin = preview_chain(rules, "Temporary admin rights", None, alice)
    assert [p.kind for p in admin] == ["person", "team"] and admin[1].who == "the Security team"
    assert preview_chain(rules, "Headset", Decimal("180"), alice) == []
