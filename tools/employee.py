"""The signed-in employee as every tool sees them: bound by the server, never taken from the model."""

from __future__ import annotations

from pydantic import BaseModel


class Employee(BaseModel):
    """A Freshservice requester, resolved from the email the sign-in proved (see ``copilot.identity``)."""

    requester_id: int
    email: str
    first_name: str
    last_name: str | None = None
    department_id: int | None = None
    department_name: str | None = None
    manager_id: int | None = None
    manager_name: str | None = None
    location_id: int | None = None
    time_zone: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)
