"""What the incident API reads and writes. References are ids; times are ISO 8601 with an offset."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from opsdesk.accounts.models import User
from opsdesk.sla.selectors import sla_summary

from .choices import Channel, Impact, IncidentState, Priority, Urgency
from .models import Attachment, Incident
from .workflow import INCIDENT_WORKFLOW


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A time without an offset is read in the caller's time zone (Asia/Shanghai by default)."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_current_timezone())
    return value


def _split_commas(value: Any) -> Any:
    """``state=new,assigned`` and ``state=new&state=assigned`` mean the same."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


LocalDateTime = Annotated[dt.datetime, AfterValidator(_aware)]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# Incidents ------------------------------------------------------------------------------------


def _one_of(values: list[Any], description: str = "") -> Any:
    return Field(description=description or None, json_schema_extra={"enum": values})


class SlaOut(Schema):
    """The record's SLA clocks now (null on the incident when its service has no agreement)."""

    response_due: dt.datetime | None = Field(description="When the response target is reached; null while paused.")
    resolution_due: dt.datetime | None = Field(description="When the resolution target is reached; null while paused.")
    response_met: bool | None = Field(description="null while the response clock runs.")
    resolution_met: bool | None = Field(description="null while the resolution clock runs.")
    paused: bool = Field(description="The resolution clock is paused (pending on the customer, …).")
    remaining_seconds: int | None = Field(
        description="Business seconds left on the running clock (response first, then resolution); "
                    "negative when overdue; null when both clocks have stopped.")


class IncidentOut(Schema):
    """An incident as the API shows it. Built by ``incident_out`` (no per-field reflection: lists stay fast)."""

    number: str
    title: str
    description: str
    state: str = _one_of(IncidentState.values)
    version: int = Field(description="Send it back with PATCH and transitions; a stale one is a 409.")
    service: int
    category: int | None
    impact: int = _one_of(Impact.values, "1 high, 2 medium, 3 low")
    urgency: int = _one_of(Urgency.values, "1 high, 2 medium, 3 low")
    priority: int = _one_of(Priority.values, "1 critical … 4 low; computed from impact × urgency unless overridden")
    priority_overridden: bool
    priority_reason: str
    channel: str = _one_of(Channel.values)
    group: int | None = Field(description="The support group it is assigned to.")
    assignee: int | None
    requester: int
    organisation: int
    created_by: int
    contact_name: str
    contact_phone: str
    contact_email: str
    occurred_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    pending_reason: str = Field(description="customer or vendor while pending, else empty.")
    vendor: str
    resolution: str
    cause_code: str
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    satisfaction: int | None
    satisfaction_comment: str
    auto_confirmed: bool
    callback_rating: int | None
    callback_comment: str
    chase_count: int
    reopen_count: int
    is_major: bool
    major_owner: int | None
    parent: str | None = Field(description="The number of the major incident this one is linked under.")
    allowed_transitions: list[str] = Field(description="The transitions the caller may take now.")
    sla: SlaOut | None = Field(None, description="Response and resolution clocks; null when no SLA applies.")


_SAME_NAME = (
    "number", "title", "description", "version", "priority_overridden", "priority_reason", "contact_name",
    "contact_phone", "contact_email", "occurred_at", "created_at", "updated_at", "pending_reason", "vendor",
    "resolution", "cause_code", "resolved_at", "closed_at", "satisfaction", "satisfaction_comment",
    "auto_confirmed", "callback_rating", "callback_comment", "chase_count", "reopen_count", "is_major",
)
_IDS = {
    "service": "service_id", "category": "category_id", "group": "assigned_group_id", "assignee": "assignee_id",
    "requester": "requester_id", "organisation": "organisation_id", "created_by": "created_by_id",
    "major_owner": "major_owner_id",
}


def incident_out(incident: Incident, user: User) -> IncidentOut:
    """Render one incident for ``user``: ids for references, and the transitions ``user`` may take now."""
    values: dict[str, Any] = {name: getattr(incident, name) for name in _SAME_NAME}
    values.update({name: getattr(incident, attribute) for name, attribute in _IDS.items()})
    values.update(
        state=str(incident.state),
        channel=str(incident.channel),
        impact=int(incident.impact),
        urgency=int(incident.urgency),
        priority=int(incident.priority),
        parent=_parent_number(incident),
        allowed_transitions=[t.name for t in INCIDENT_WORKFLOW.allowed(user, incident)],
        sla=_sla(incident),
    )
    return IncidentOut.model_construct(**values)


def _sla(incident: Incident) -> SlaOut | None:
    summary = sla_summary(incident)
    return SlaOut.model_construct(**summary) if summary is not None else None


def _parent_number(incident: Incident) -> str | None:
    if "parent_number" in incident.__dict__:  # lists annotate it instead of joining per row
        return incident.parent_number  # type: ignore[attr-defined]
    return incident.parent.number if incident.parent_id else None


class IncidentPage(Schema):
    items: list[IncidentOut]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null on the last one.")


class IncidentQuery(Schema):
    state: Annotated[list[IncidentState] | None, BeforeValidator(_split_commas)] = Field(None, description="One or more states (repeat or comma-separate).")
    priority: Annotated[list[Priority] | None, BeforeValidator(_split_commas)] = Field(None, description="One or more priorities 1–4.")
    category: int | None = None
    service: int | None = None
    group: int | None = None
    assignee: int | None = None
    organisation: int | None = None
    requester: int | None = None
    q: str = Field("", description="An incident number, or words that must all appear in the title or description.")
    queue: Literal["mine", "my_groups", "unassigned", "reported", "undispatched"] | None = Field(
        None, description="mine: assigned to me; my_groups: my groups' records; unassigned: in my groups, nobody "
                          "has taken them; reported: I am the requester; undispatched: no group yet.")
    is_major: bool | None = None
    cursor: str | None = None
    limit: int = Field(50, description="Page size, 1–200 (larger values are read as 200).")



class IncidentCreateIn(InputSchema):
    title: str
    description: str
    service: int
    category: int | None = None
    impact: Impact = Impact.LOW
    urgency: Urgency = Urgency.MEDIUM
    requester: int | None = Field(None, description="The caller, when the desk records on someone's behalf.")
    channel: Channel | None = Field(None, description="How it was reported (default: api).")
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    occurred_at: LocalDateTime | None = None
    priority: Priority | None = Field(None, description="Override the computed priority (needs priority_reason).")
    priority_reason: str = ""
    group: int | None = Field(None, description="Dispatch to this group at once (desk only).")
    assignee: int | None = None


class IncidentUpdateIn(InputSchema):
    version: int = Field(description="The version you read; a stale one is refused with 409.")
    title: str | None = None
    description: str | None = None
    service: int | None = None
    category: int | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    priority: Priority | None = None
    priority_reason: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    occurred_at: LocalDateTime | None = None


class TransitionIn(InputSchema):
    version: int | None = Field(None, description="The version you read; a stale one is refused with 409.")
    reason: str | None = None
    resolution: str | None = None
    cause_code: str | None = None
    rating: int | None = Field(None, description="1–5, for confirm.")
    comment: str | None = None
    group: int | None = None
    assignee: int | None = None
    pending_reason: str | None = Field(None, description="customer (default) or vendor, for pend.")
    vendor: str | None = None


# What hangs off an incident --------------------------------------------------------------------


class WorkLogIn(InputSchema):
    minutes: int = Field(description="Time spent, 1–1440 minutes.")
    note: str


class WorkLogOut(Schema):
    id: int
    author: int = Field(validation_alias="author_id")
    minutes: int
    note: str
    created_at: dt.datetime


class WorkLogPage(Schema):
    items: list[WorkLogOut]
    next_cursor: str | None = None


class CommentIn(InputSchema):
    body: str
    internal: bool = Field(False, description="Internal comments are for staff only; requesters never see them.")


class CommentOut(Schema):
    id: int
    author: int = Field(validation_alias="author_id")
    body: str
    internal: bool = Field(validation_alias="is_internal")
    created_at: dt.datetime


class CommentPage(Schema):
    items: list[CommentOut]
    next_cursor: str | None = None


class TimelineEntryOut(Schema):
    id: int
    at: dt.datetime
    actor: int | None = Field(validation_alias="actor_id")
    actor_name: str
    action: str = Field(description="e.g. incident.created, incident.escalated, incident.commented")
    data: dict[str, Any]
    source: str = Field(description="Where the change came from: ui, api, email, task, cli.")


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    uploaded_by: int = Field(validation_alias="uploaded_by_id")
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj: Attachment) -> str:
        return f"/api/v1/incidents/{obj.incident.number}/attachments/{obj.pk}"


class AttachmentPage(Schema):
    items: list[AttachmentOut]
    next_cursor: str | None = None


class WatcherIn(InputSchema):
    user: int | None = Field(None, description="Who is to watch; yourself when omitted.")


class WatchersOut(Schema):
    watchers: list[int]


class CallbackIn(InputSchema):
    rating: int = Field(description="1–5")
    comment: str = ""


class MajorIn(InputSchema):
    version: int | None = None
    owner: int | None = Field(None, description="The incident manager who owns it; yourself when omitted.")
    reason: str = ""


class ChildIn(InputSchema):
    child: str = Field(description="The number of the incident to link under this major incident.")


class MajorUpdateIn(InputSchema):
    body: str
