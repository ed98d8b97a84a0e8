"""Client methods the reviewer queue uses, over real HTTP against the sandbox: who is an agent, and
the ticket form's choices (compared with the seed built independently for the same moment)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sandbox.seed import build_seed
from tests.client.support import ALICE, calls
from tests.conftest import SandboxHandle
from tools.freshservice import FreshserviceClient


async def test_find_agent_by_email(sandbox_factory: Callable[..., SandboxHandle]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    handle = sandbox_factory(now=now, knowledge="org")
    seed = build_seed(42, now, imported_articles=False)
    expected = next(a for a in seed.agents if a["email"] == "marco.bianchi@acme.example")
    handle.control("DELETE", "/_sandbox/requests")
    async with FreshserviceClient(handle.base_url, handle.api_key) as client:
        found = await client.find_agent_by_email(" Marco.Bianchi@ACME.example ")
        employee = await client.find_agent_by_email(ALICE)  # a requester, not an agent
        nobody = await client.find_agent_by_email("nobody@acme.example")
    assert found is not None and found.id == expected["id"] and found.member_of == expected["member_of"]
    assert employee is None and nobody is None
    sent = calls(handle, "GET", "/api/v2/agents")
    assert len(sent) == 3 and all(c["query"].startswith("email=") for c in sent)  # one filtered call each


async def test_ticket_form_fields_carry_the_nested_categories(sandbox_factory: Callable[..., SandboxHandle]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    handle = sandbox_factory(now=now, knowledge="org")
    seed = build_seed(42, now, imported_articles=False)
    async with FreshserviceClient(handle.base_url, handle.api_key) as client:
        fields = {f.name: f for f in await client.list_ticket_form_fields()}
    raw = {f["name"]: f for f in seed.ticket_form_fields}
    assert set(fields) == set(raw)
    category = fields["category"]
    assert [c.value for c in category.choices] == [c["value"] for c in raw["category"]["choices"]]
    hardware = category.choices[0]
    assert hardware.value == "Hardware" and "Laptop" in [s.value for s in hardware.nested_options]
    assert [c.value for c in fields["priority"].choices] == ["Low", "Medium", "High", "Urgent"]
    assert fields["subject"].choices == []
