"""Who the employee is, resolved on the server from the email their sign-in proved.

Identity is bound here, once per conversation, and injected into every tool; no tool accepts an
employee, a requester id or an email from the model. An unknown or inactive email gets no chat.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from tools.employee import Employee
from tools.freshservice import FreshserviceClient, NotFound

CACHE_PREFIX = "copilot:employee:"
CACHE_SECONDS = 600


class UnknownEmployee(LookupError):
    """No active Freshservice requester has this email."""


async def resolve_employee(
    client: FreshserviceClient, email: str, *, redis: aioredis.Redis | None = None
) -> Employee:
    """The requester behind ``email`` with their manager and department names (cached briefly)."""
    key = CACHE_PREFIX + email.strip().lower()
    if redis is not None and (cached := await redis.get(key)):
        return Employee.model_validate(json.loads(cached))
    requester = await client.find_requester_by_email(email.strip())
    if requester is None or requester.active is False:
        raise UnknownEmployee(email)
    employee = Employee(
        requester_id=requester.id,
        email=requester.primary_email or email,
        first_name=requester.first_name or email.split("@")[0],
        last_name=requester.last_name,
        location_id=requester.location_id,
        time_zone=requester.time_zone,
    )
    if requester.department_ids:
        employee.department_id = requester.department_ids[0]
        try:
            employee.department_name = (await client.get_department(employee.department_id)).name
        except NotFound:
            pass
    if requester.reporting_manager_id:
        employee.manager_id = requester.reporting_manager_id
        try:
            manager = await client.get_requester(requester.reporting_manager_id)
            employee.manager_name = " ".join(p for p in (manager.first_name, manager.last_name) if p)
        except NotFound:
            pass
    if redis is not None:
        await redis.set(key, employee.model_dump_json(), ex=CACHE_SECONDS)
    return employee
