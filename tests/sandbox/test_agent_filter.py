"""``GET /api/v2/agents?email=`` in the sandbox: the filter the reviewer queue relies on (reference §8.2)."""

from __future__ import annotations

import httpx

from tests.conftest import SandboxHandle


def test_agents_filtered_by_email(sandbox: SandboxHandle) -> None:
    with httpx.Client(base_url=f"{sandbox.base_url}/api/v2", auth=(sandbox.api_key, "X")) as api:
        everyone = api.get("/agents", params={"per_page": 100}).json()["agents"]
        one = api.get("/agents", params={"email": "MARCO.BIANCHI@acme.example"})
        requester = api.get("/agents", params={"email": "alice.nguyen@acme.example"})
        unknown = api.get("/agents", params={"email": "nobody@acme.example"})
    assert len(everyone) > 20
    assert one.status_code == 200
    [marco] = one.json()["agents"]
    assert marco["email"] == "marco.bianchi@acme.example" and marco["first_name"] == "Marco"
    assert requester.json()["agents"] == [] and unknown.json()["agents"] == []  # requesters are not agents
