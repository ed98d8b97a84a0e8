"""Who may open the insights: IT admins — agents holding an admin role in Freshservice — or the emails in
``COPILOT_INSIGHTS_ADMINS``. Other agents and employees get a 403 page."""

from __future__ import annotations

import time

from copilot import logs
from tools.freshservice import Agent, FreshserviceClient, PermissionDenied, Role

log = logs.get_logger(__name__)

ROLES_SECONDS = 300.0
ADMIN_ROLE_TYPE = 2  # Freshservice: role_type 1 = agent role, 2 = admin role
_roles: tuple[float, dict[int, Role]] | None = None


async def account_roles(client: FreshserviceClient) -> dict[int, Role]:
    """The account's roles by id (``GET /roles``), cached five minutes."""
    global _roles
    if _roles is not None and time.monotonic() - _roles[0] < ROLES_SECONDS:
        return _roles[1]
    roles = {role.id: role for role in await client.list_roles()}
    _roles = (time.monotonic(), roles)
    return roles


def forget_roles() -> None:
    global _roles
    _roles = None


def holds_admin_role(agent: Agent, roles: dict[int, Role], admin_names: set[str]) -> bool:
    """Whether one of the agent's roles is an admin role (by type, or by a configured role name)."""
    for assigned in agent.roles:
        role = roles.get(assigned.role_id)
        if role is not None and (role.role_type == ADMIN_ROLE_TYPE or role.name.strip().lower() in admin_names):
            return True
    return False


async def is_insights_admin(agent: Agent, client: FreshserviceClient, *, admin_emails: set[str],
                            admin_role_names: set[str]) -> bool:
    if (agent.email or "").lower() in admin_emails:
        return True
    if not agent.roles:
        return False
    try:
        roles = await account_roles(client)
    except PermissionDenied:  # the integration's API key may not read roles: only the configured list counts
        log.warning("insights_roles_not_readable")
        return False
    return holds_admin_role(agent, roles, admin_role_names)
