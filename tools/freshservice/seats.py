"""How many seats of an application are free (reference §12.4).

No Freshservice endpoint answers this: purchased seats live in the ``count`` of the licence line of
the application's active software contracts, usage in the application's installation count
(desktop, per device) or its users (SaaS).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from tools.freshservice.client import FreshserviceClient
from tools.freshservice.errors import NotFound
from tools.freshservice.schemas import UNLIMITED_LICENSE_TYPES, Application, Contract


class Seats(BaseModel):
    application_id: int
    application: str
    unlimited: bool
    purchased: int | None
    used: int
    available: int | None  # purchased - used; negative when more seats are used than bought
    contracts: list[str]  # contract numbers (or names) that were counted

    @property
    def has_free_seat(self) -> bool:
        return self.unlimited or (self.available or 0) > 0


def active_on(contract: Contract, today: date) -> bool:
    if (contract.status or "").lower() != "active":
        return False
    if contract.start_date and contract.start_date > today:
        return False
    return contract.end_date is None or contract.end_date >= today


def licensed_count(contract: Contract) -> int:
    """The ``allocate_license`` line's count, else the first per-unit line's."""
    lines = contract.item_cost_details
    chosen = next((line for line in lines if line.allocate_license), None)
    chosen = chosen or next((line for line in lines if (line.pricing_model or "per_unit") == "per_unit"), None)
    return int(chosen.count or 0) if chosen else 0


def compute_seats(app: Application, contracts: list[Contract], used_by_users: int, today: date) -> Seats:
    """Pure part of the computation, separated for tests."""
    kept = [c for c in contracts if active_on(c, today)]
    unlimited = any((c.license_type or "volume").lower() in UNLIMITED_LICENSE_TYPES for c in kept)
    used = used_by_users if (app.application_type or "desktop").lower() == "saas" else app.installation_count
    purchased = None if unlimited else sum(licensed_count(c) for c in kept)
    return Seats(
        application_id=app.id, application=app.name, unlimited=unlimited, purchased=purchased, used=used,
        available=None if purchased is None else purchased - used,  # negative = over-allocated
        contracts=[c.contract_number or c.name or str(c.id) for c in kept],
    )


async def seats_available(client: FreshserviceClient, application_id: int, *, today: date | None = None) -> Seats:
    """Purchased / used / available seats of one application, from its licence contracts."""
    app = await client.get_application(application_id)
    contracts: list[Contract] = []
    for licence in await client.list_application_licenses(application_id):
        try:
            contracts.append(await client.get_contract(licence.id))
        except NotFound:
            continue  # a licence pointing at a deleted contract counts for nothing
    users = 0
    if (app.application_type or "").lower() == "saas":
        counted = {c.id for c in contracts}
        async for user in client.iter_application_users(application_id):
            if user.license_id is None or user.license_id in counted:
                users += 1
    return compute_seats(app, contracts, users, today or date.today())
