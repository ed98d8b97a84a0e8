"""Realistic proposals for the reviewer-queue tests, on tickets created in the sandbox as employees would.

The triage worker is another part's job; these tests build ``Proposal`` objects directly (what the
worker would have produced: fields with confidence, two assignees with reasons, similar resolved
tickets with their resolutions, KB links, a reply draft) and save them with ``ProposalStore``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from copilot.triage.proposal import (
    AssigneeGuess,
    FieldGuess,
    KbLink,
    Proposal,
    ProposalStore,
    RolloutMode,
    SimilarTicket,
)
from tools.freshservice import FreshserviceClient, TicketCreate

DESKTOP, NETWORK, ACCESS, SOFTWARE = 21000500002, 21000500003, 21000500004, 21000500005
KWAME, ELENA, NIKHIL, HANA, JULIA, AHMED, SOPHIE, CHEN = (21000400008, 21000400007, 21000400010, 21000400011,
                                                         21000400015, 21000400014, 21000400019, 21000400018)
AGENT = "marco.bianchi@acme.example"  # an agent of Desktop Support in the sandbox seed
EMPLOYEE = "alice.nguyen@acme.example"  # a requester, not an agent
HOSTILE = '<img src="https://evil.example/pixel.png" onerror="alert(1)"><script>alert(2)</script>'


@dataclass
class Spec:
    requester: str
    subject: str
    description: str
    fields: dict[str, tuple[str | int, str, float, bool]]  # name -> (value, label, confidence, auto)
    assignees: list[tuple[int, str, float, list[str]]]
    similar: list[tuple[int, str, float, str]]
    articles: list[tuple[str, int]] = field(default_factory=list)
    reply: str = ""
    mode: RolloutMode = RolloutMode.ASSIST


SPECS = [
    Spec("bob.martin@acme.example", "laptop screen flickers when docked",
         "Since this morning my laptop screen flickers every few seconds when it's in the dock at my desk. "
         "Undocked it's fine. Tried another cable, same thing.",
         {"type": ("Incident", "Incident", 0.99, True), "category": ("Hardware", "Hardware", 0.96, True),
          "sub_category": ("Laptop", "Laptop", 0.81, False), "priority": (2, "Medium", 0.74, False),
          "urgency": (2, "Medium", 0.70, False), "impact": (1, "Low", 0.88, False),
          "group_id": (DESKTOP, "Desktop Support", 0.93, False)},
         [(KWAME, "Kwame Mensah", 0.82, ["resolved 4 similar tickets (docks, displays)", "2 open tickets", "on shift"]),
          (ELENA, "Elena Popova", 0.61, ["resolved 2 similar tickets", "5 open tickets", "on shift"])],
         [(6, "Laptop very slow after update", 0.62, "Rolled back the display driver update and re-seated the dock; fixed."),
          (4, "Printer on 2nd floor jammed", 0.31, "Cleared the paper path; replaced the fuser.")],
         [("Docking station troubleshooting", 1), ("Update your laptop drivers", 2)],
         "Hi Bob, thanks for reporting this. Could you tell us the dock model (on the sticker underneath)? "
         "Meanwhile, updating the display driver from Software Center often fixes flicker on docks."),
    Spec("carol.diaz@acme.example", "VPN drops every 10 min",
         "vpn keeps disconecting every 10 minutes or so since yesterday, working from home. have to reconnect all the time",
         {"type": ("Incident", "Incident", 0.99, True), "category": ("Network", "Network", 0.97, True),
          "sub_category": ("VPN", "VPN", 0.95, True), "priority": (3, "High", 0.58, False),
          "group_id": (NETWORK, "Network", 0.96, True)},
         [(NIKHIL, "Nikhil Joshi", 0.77, ["resolved 6 similar VPN tickets", "3 open tickets", "on shift"]),
          (HANA, "Hana Sato", 0.55, ["resolved 1 similar ticket", "1 open ticket", "off shift until 14:00"])],
         [(1, "Cannot connect to VPN from home", 0.81, "Reinstalled the VPN client profile; the old one pointed at the retired gateway.")],
         [("Connect to the VPN from home", 3)],
         "Hi Carol, sorry about the drops. Please install the latest VPN profile from Software Center and reconnect; "
         "if it still drops, reply with the time it happened."),
    Spec("dan.okafor@acme.example", "Kann nicht auf S: Laufwerk zugreifen",
         "Hallo, seit heute bekomme ich 'Zugriff verweigert' auf S:\\Finance\\Q3. Gestern ging es noch. Danke!",
         {"type": ("Incident", "Incident", 0.97, True), "category": ("Access", "Access", 0.91, False),
          "sub_category": ("Shared drive", "Shared drive", 0.88, False), "priority": (2, "Medium", 0.66, False),
          "group_id": (ACCESS, "Identity & Access", 0.90, False)},
         [(JULIA, "Julia Nowak", 0.71, ["resolved 3 similar tickets", "4 open tickets", "on shift"]),
          (AHMED, "Ahmed Saleh", 0.52, ["resolved 2 similar tickets", "1 open ticket", "on shift"])],
         [(9, "Cannot access S: drive Finance folder", 0.86, "Re-added the user to FIN-Q3-RW; access comes back after sign-out.")],
         [], "Hallo Dan, wir prüfen Ihre Berechtigung für S:\\Finance\\Q3 und melden uns."),
    Spec("erin.walsh@acme.example", "Need Figma for the new campaign " + HOSTILE,
         "Could I get a Figma licence? Marketing campaign starts Monday. " + HOSTILE,
         {"type": ("Incident", "Incident", 0.64, False), "category": ("Software", "Software", 0.89, False),
          "sub_category": ("Licence", "Licence", 0.84, False), "priority": (1, "Low", 0.71, False),
          "group_id": (SOFTWARE, "Software & Licensing", 0.92, False)},
         [(SOPHIE, "Sophie Laurent", 0.74, ["handles licence requests", "2 open tickets", "on shift"]),
          (CHEN, "Chen Wei", 0.58, ["resolved 1 similar ticket", "6 open tickets", "on shift"])],
         [(7, "Request for Dan Okafor : JetBrains IntelliJ IDEA", 0.44, "Seat assigned from the pool " + HOSTILE)],
         [("Request software " + HOSTILE, 4)],
         "Hi Erin, Figma seats are requested through the catalog item 'Figma' " + HOSTILE),
]


async def create_ticket(client: FreshserviceClient, spec: Spec) -> int:
    """A new, untriaged ticket as the employee would raise it (no category, group or agent)."""
    ticket = await client.create_ticket(TicketCreate(subject=spec.subject, description=spec.description,
                                                     email=spec.requester, priority=1))
    return ticket.id


def build(spec: Spec, ticket_id: int, base_url: str, *, created: datetime | None = None,
          model_version: str = "2026-11-30.1") -> Proposal:
    created = created or datetime.now(UTC)
    return Proposal(
        id=f"{ticket_id}:ticket_created:{created.isoformat()}", ticket_id=ticket_id, subject=spec.subject,
        requester_email=spec.requester, created_at=created, model_version=model_version, mode=spec.mode,
        fields={name: FieldGuess(value=v, label=label, confidence=c, auto=auto)
                for name, (v, label, c, auto) in spec.fields.items()},
        assignees=[AssigneeGuess(agent_id=i, name=n, score=s, reasons=r) for i, n, s, r in spec.assignees],
        similar=[SimilarTicket(ticket_id=i, subject=s, url=f"{base_url}/a/tickets/{i}", similarity=sim, resolution=res)
                 for i, s, sim, res in spec.similar],
        articles=[KbLink(title=t, url=f"{base_url}/support/solutions/articles/{n}", score=0.7) for t, n in spec.articles],
        reply_draft=spec.reply)


async def seed(client: FreshserviceClient, store: ProposalStore, base_url: str,
               specs: list[Spec] | None = None, **overrides: Any) -> list[Proposal]:
    """Create a ticket for each spec in the sandbox and queue its proposal (oldest first)."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    proposals = []
    for index, spec in enumerate(specs or SPECS):
        ticket_id = await create_ticket(client, spec)
        proposal = build(spec, ticket_id, base_url, created=start + timedelta(minutes=index))
        for key, value in overrides.items():
            setattr(proposal, key, value)
        await store.save(proposal)
        proposals.append(proposal)
    return proposals


def seed_blocking(base_url: str, api_key: str, redis_url: str, specs: list[Spec] | None = None) -> list[Proposal]:
    """:func:`seed` from synchronous code (the Playwright tests), on its own loop in a worker thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import redis.asyncio as aioredis

    async def run() -> list[Proposal]:
        redis = aioredis.from_url(redis_url, decode_responses=True)
        try:
            async for key in redis.scan_iter(match="copilot:triage:*"):
                await redis.delete(key)
            async with FreshserviceClient(base_url, api_key) as client:
                return await seed(client, ProposalStore(redis), base_url, specs)
        finally:
            await redis.aclose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()
