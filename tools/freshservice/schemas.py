"""Pydantic models for the Freshservice objects the copilot reads and writes.

Parsing is lenient on purpose (reference §5, §18): unknown keys are kept (``extra="allow"``),
blanks are ``None``, ids are Python ints of any size, timestamps accept ``Z``, offsets and
milliseconds, ``category`` may arrive as a number, custom statuses above 5 are valid.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

STATUS_NAMES = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
PRIORITY_NAMES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
STAGE_NAMES = {1: "Requested", 2: "Delivered", 3: "Cancelled", 4: "Fulfilled", 5: "Partially Fulfilled"}
UNLIMITED_LICENSE_TYPES = {"enterprise", "open_source", "free", "trial"}


class FSModel(BaseModel):
    """Base: tolerate and keep fields we do not model yet."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def _text_or_none(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class Attachment(FSModel):
    id: int | None = None
    name: str | None = None
    content_type: str | None = None
    size: int | None = None
    attachment_url: str | None = None


class Ticket(FSModel):
    """A ticket, incident or service request (``type``)."""

    id: int
    subject: str | None = None
    description: str | None = None
    description_text: str | None = None
    type: str | None = None
    status: int = 2
    priority: int = 1
    urgency: int | None = None
    impact: int | None = None
    source: int | None = None
    requester_id: int | None = None
    requested_for_id: int | None = None
    responder_id: int | None = None
    group_id: int | None = None
    department_id: int | None = None
    category: str | None = None
    sub_category: str | None = None
    item_category: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] | None = None
    due_by: datetime | None = None
    fr_due_by: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted: bool = False
    spam: bool = False
    approval_status: int | None = None
    approval_status_name: str | None = None
    workspace_id: int | None = None
    attachments: list[Attachment] = Field(default_factory=list)

    _as_text = field_validator("category", "sub_category", "item_category", mode="before")(_text_or_none)

    @field_validator("custom_fields", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return value or {}

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, f"Status {self.status}")

    @property
    def is_service_request(self) -> bool:
        return (self.type or "").lower() == "service request"


class TicketCreate(BaseModel):
    """Body of ``POST /api/v2/tickets``; ``None`` fields are not sent."""

    model_config = ConfigDict(extra="forbid")

    subject: str
    description: str
    requester_id: int | None = None
    email: str | None = None
    status: int = 2
    priority: int = 1
    urgency: int | None = None
    impact: int | None = None
    source: int = 2
    type: str | None = None
    category: str | None = None
    sub_category: str | None = None
    group_id: int | None = None
    responder_id: int | None = None
    department_id: int | None = None
    tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None


class Problem(FSModel):
    """A Problem record (reference §14): the cause behind several incidents."""

    id: int
    subject: str | None = None
    description: str | None = None
    description_text: str | None = None
    status: int = 1
    priority: int = 1
    impact: int | None = None
    requester_id: int | None = None
    agent_id: int | None = None
    group_id: int | None = None
    due_by: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ProblemCreate(BaseModel):
    """Body of ``POST /api/v2/problems`` (status 1 Open; impact 1-3; priority 1-4); ``None`` is not sent."""

    model_config = ConfigDict(extra="forbid")

    subject: str
    description: str
    requester_id: int | None = None
    email: str | None = None
    status: int = 1
    impact: int = 2
    priority: int = 2
    due_by: datetime
    group_id: int | None = None
    category: str | None = None


class TicketUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int | None = None
    priority: int | None = None
    urgency: int | None = None
    impact: int | None = None
    type: str | None = None
    group_id: int | None = None
    responder_id: int | None = None
    category: str | None = None
    sub_category: str | None = None
    item_category: str | None = None
    tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None


class Conversation(FSModel):
    id: int
    body: str | None = None
    body_text: str | None = None
    incoming: bool = False
    private: bool = False
    user_id: int | None = None
    ticket_id: int | None = None
    source: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Requester(FSModel):
    id: int
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    primary_email: str | None = None
    department_ids: list[int] = Field(default_factory=list)
    reporting_manager_id: int | None = None
    location_id: int | None = None
    time_zone: str | None = None
    language: str | None = None
    active: bool = True
    is_agent: bool = False
    custom_fields: dict[str, Any] = Field(default_factory=dict)

    @field_validator("department_ids", mode="before")
    @classmethod
    def _no_departments(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("custom_fields", mode="before")
    @classmethod
    def _no_custom_fields(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.primary_email or "")


class AgentRole(FSModel):
    """One role of an agent (``roles`` on the agent): which role, over what scope."""

    role_id: int
    assignment_scope: str | None = None
    groups: list[int] = Field(default_factory=list)


class Role(FSModel):
    """An agent role of the account (``GET /roles``); ``role_type`` 2 is an admin role."""

    id: int
    name: str
    description: str | None = None
    default: bool = False
    role_type: int | None = None


class Agent(FSModel):
    id: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None  # agents use ``email``, requesters ``primary_email`` (QUIRK)
    job_title: str | None = None
    active: bool = True
    occasional: bool = False
    member_of: list[int] = Field(default_factory=list)
    department_ids: list[int] = Field(default_factory=list)
    time_zone: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    roles: list[AgentRole] = Field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.email or "")


class Group(FSModel):
    id: int
    name: str
    description: str | None = None
    members: list[int] = Field(default_factory=list)
    leaders: list[int] = Field(default_factory=list)
    business_hours_id: int | None = None


class Department(FSModel):
    id: int
    name: str
    description: str | None = None
    head_user_id: int | None = None
    prime_user_id: int | None = None


class Location(FSModel):
    id: int
    name: str
    city: str | None = None
    country: str | None = None


class WorkdayHours(FSModel):
    beginning_of_workday: str
    end_of_workday: str


class Holiday(FSModel):
    holiday_date: str
    holiday_name: str | None = None


class BusinessHours(FSModel):
    id: int
    name: str
    description: str | None = None
    is_default: bool = False
    time_zone: str | None = None
    service_desk_hours: dict[str, WorkdayHours | None] = Field(default_factory=dict)
    list_of_holidays: list[Holiday] = Field(default_factory=list)


class SolutionCategory(FSModel):
    id: int
    name: str
    description: str | None = None
    visible_in_portals: list[int] | None = None


class SolutionFolder(FSModel):
    id: int
    name: str
    category_id: int | None = None
    visibility: int = 1  # 1 all, 2 logged-in users, 3 agents only, 4-6 restricted

    @property
    def portal_visible(self) -> bool:
        return self.visibility in (1, 2)


class SolutionArticle(FSModel):
    id: int
    title: str
    description: str | None = None
    description_text: str | None = None
    status: int = 2  # 1 draft, 2 published
    folder_id: int | None = None
    category_id: int | None = None
    tags: list[str] | None = None
    keywords: list[str] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    folder_visibility: int | None = None  # search results only

    @property
    def published(self) -> bool:
        return self.status == 2


class ServiceCategory(FSModel):
    id: int
    name: str
    description: str | None = None


class FormField(FSModel):
    """One field of a service item's request form (its ``custom_fields`` schema)."""

    id: str | int | None = None
    name: str
    label: str | None = None
    description: str | None = None
    field_type: str = "custom_text"
    required: bool = False
    position: int = 0
    visible_in_portal: bool = True
    deleted: bool = False
    choices: list[Any] = Field(default_factory=list)  # [[label, value], ...]
    field_options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("choices", mode="before")
    @classmethod
    def _no_choices(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("field_options", mode="before")
    @classmethod
    def _no_options(cls, value: Any) -> Any:
        return {} if value is None else value

    def choice_labels(self) -> list[str]:
        labels: list[str] = []
        for choice in self.choices:
            if isinstance(choice, list | tuple) and choice:
                labels.append(str(choice[0]))
            elif isinstance(choice, dict):
                labels.append(str(choice.get("value") or choice.get("label") or ""))
            else:
                labels.append(str(choice))
        return labels


class TicketFieldChoice(FSModel):
    """One choice of a ticket form dropdown; category choices nest sub-categories, which nest items."""

    id: int | str | None = None
    value: str
    nested_options: list[TicketFieldChoice] = Field(default_factory=list)

    @field_validator("value", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return _text_or_none(value)

    @field_validator("nested_options", mode="before")
    @classmethod
    def _no_nested(cls, value: Any) -> Any:
        return [] if value is None else value


class TicketField(FSModel):
    """One field of the ticket form (``GET /ticket_form_fields``)."""

    id: int | str | None = None
    name: str
    label: str | None = None
    field_type: str | None = None
    default_field: bool = True
    choices: list[TicketFieldChoice] = Field(default_factory=list)

    @field_validator("choices", mode="before")
    @classmethod
    def _usable_choices(cls, value: Any) -> Any:
        """Keep dict choices with a value; Freshservice sends ``[]``, ``null`` or ``{}`` for none."""
        if not isinstance(value, list):
            return []
        return [c for c in value if isinstance(c, dict) and c.get("value") not in (None, "")]


class ServiceItem(FSModel):
    id: int
    display_id: int
    name: str
    category_id: int | None = None
    short_description: str | None = None
    description: str | None = None
    cost: Decimal | None = None  # sent as a string like "1200.00" (QUIRK)
    delivery_time: int | None = None
    visibility: int = 2  # 1 draft, 2 published
    deleted: bool = False
    allow_quantity: bool = False
    configs: dict[str, Any] | None = None
    custom_fields: list[FormField] = Field(default_factory=list)

    @field_validator("cost", mode="before")
    @classmethod
    def _cost(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None

    @field_validator("custom_fields", mode="before")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        return value or []


class PlaceRequest(BaseModel):
    """Body of ``place_request``; ``email`` is the requester (else the key's agent)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = None
    requested_for: str | None = None
    quantity: int = 1
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    parent_ticket_id: int | None = None


class RequestedItem(FSModel):
    id: int
    quantity: int = 1
    stage: int | dict[str, Any] | None = None  # int in lists, {id, name} on update (QUIRK)
    service_item_id: int | None = None
    cost_per_request: Decimal | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)

    @property
    def stage_id(self) -> int | None:
        return self.stage.get("id") if isinstance(self.stage, dict) else self.stage


class ApprovalStatus(FSModel):
    id: int
    name: str | None = None


class Approval(FSModel):
    id: int
    approver_id: int | None = None
    approver_name: str | None = None
    approval_type: int | None = None
    level: int | None = None
    approval_status: ApprovalStatus | None = None
    latest_remark: str | None = None
    user_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Application(FSModel):
    id: int
    name: str
    description: str | None = None
    application_type: str | None = "desktop"
    status: str | None = None
    category: str | None = None
    user_count: int = 0
    installation_count: int = 0

    @field_validator("user_count", "installation_count", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        return value or 0


class ApplicationLicense(FSModel):
    id: int  # the software contract's id
    contract_id: str | None = None  # contract number, e.g. "CNTR-22"


class ApplicationUser(FSModel):
    id: int
    user_id: int | None = None
    license_id: int | None = None
    allocated_date: datetime | None = None
    last_used: datetime | None = None


class Installation(FSModel):
    id: int
    installation_machine_id: int | None = None
    user_id: int | None = None
    version: str | None = None


class CostLine(FSModel):
    id: int | None = None
    item_name: str | None = None
    pricing_model: str | None = "per_unit"
    cost: Decimal | None = None
    count: int | None = None
    allocate_license: bool | None = None


class Contract(FSModel):
    id: int
    name: str | None = None
    contract_number: str | None = None
    contract_type_id: int | None = None
    status: str | None = None
    software_id: int | None = None
    license_type: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    item_cost_details: list[CostLine] = Field(default_factory=list)

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return str(value)[:10] if value else None

    @field_validator("item_cost_details", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> Any:
        return value or []


class Asset(FSModel):
    id: int
    display_id: int
    name: str
    asset_type_id: int | None = None
    asset_tag: str | None = None
    user_id: int | None = None
    department_id: int | None = None
    type_fields: dict[str, Any] | None = None

    def type_field(self, name: str) -> Any:
        """Read a type field without knowing its asset-type suffix (``serial_number_25``)."""
        fields = self.type_fields or {}
        if name in fields:
            return fields[name]
        suffixed = f"{name}_{self.asset_type_id}"
        return fields.get(suffixed)


class Me(FSModel):
    """``GET /agents/me``: the owner of the API key."""

    id: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
