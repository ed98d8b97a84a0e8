"""Typed async client for the Freshservice REST API v2 (see ../shared/reference/freshservice-api.md)."""

from tools.freshservice.claims import RedisWriteClaims, WriteClaims
from tools.freshservice.client import FreshserviceClient, idempotency_tag, note_marker
from tools.freshservice.errors import (
    AuthenticationFailed,
    Conflict,
    FieldError,
    FreshserviceError,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from tools.freshservice.schemas import (
    Agent,
    Application,
    ApplicationLicense,
    ApplicationUser,
    Approval,
    ApprovalStatus,
    Asset,
    BusinessHours,
    Contract,
    Conversation,
    Department,
    FormField,
    Group,
    Installation,
    Location,
    Me,
    PlaceRequest,
    Problem,
    ProblemCreate,
    RequestedItem,
    Requester,
    Role,
    ServiceCategory,
    ServiceItem,
    SolutionArticle,
    SolutionCategory,
    SolutionFolder,
    Ticket,
    TicketCreate,
    TicketField,
    TicketFieldChoice,
    TicketUpdate,
)
from tools.freshservice.seats import Seats, compute_seats, seats_available
from tools.freshservice.shared_rate import SharedRateState
from tools.freshservice.transport import RateLimitStatus

__all__ = [
    "OutcomeUnknown", "RedisWriteClaims", "SharedRateState", "WriteClaims",
    "Agent", "Application", "ApplicationLicense", "ApplicationUser", "Approval", "ApprovalStatus", "Asset",
    "AuthenticationFailed", "BusinessHours", "Conflict", "Contract", "Conversation", "Department", "FieldError",
    "FormField", "FreshserviceClient", "FreshserviceError", "Group", "Installation", "Location", "Me", "NotFound",
    "PermissionDenied", "PlaceRequest", "Problem", "ProblemCreate", "RateLimitStatus", "RateLimited", "RequestedItem",
    "Requester", "Role", "Seats",
    "ServiceCategory", "ServiceItem", "SolutionArticle", "SolutionCategory", "SolutionFolder", "Ticket",
    "TicketCreate", "TicketField", "TicketFieldChoice", "TicketUpdate", "Unavailable", "ValidationFailed", "compute_seats", "idempotency_tag", "note_marker",
    "seats_available",
]
