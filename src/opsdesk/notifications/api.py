"""API: the caller's in-app notifications."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from opsdesk.core.pagination import DEFAULT_LIMIT, clamp_limit, paginate

from .selectors import notification_list, notification_preferences
from .services import notification_preferences_set, notifications_mark_read

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="assigned, chased, major_update, resolved, reopened, escalated, commented, "
                                  "sla_threshold or sla_breached")
    subject_type: str
    subject_id: int
    subject_label: str = Field(description="The record's number, e.g. INC202611270001.")
    subject_title: str = Field(description="The record's title when the notification was made.")
    actor_name: str
    text: str
    data: dict = Field(description='Facts about the event, e.g. {"percent": 80, "clock": "resolution"} for sla_threshold.')
    detail: str = Field(description="What the data says, as a sentence in the caller's language (may be empty).")
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="The notifications to mark read; all unread ones when omitted.")


class MarkReadOut(Schema):
    marked: int


@router.get("/notifications", response=NotificationPage, summary="My notifications, newest first")
def notifications(
    request: HttpRequest, unread: bool = False, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> dict:
    queryset = notification_list(user=request.auth, unread_only=unread)  # type: ignore[attr-defined]
    rows, next_cursor = paginate(queryset, cursor=cursor, limit=clamp_limit(limit))
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/notifications/read", response=MarkReadOut, summary="Mark my notifications read")
def notifications_read(request: HttpRequest, payload: MarkReadIn | None = None) -> dict[str, int]:
    ids = payload.ids if payload is not None else None
    return {"marked": notifications_mark_read(actor=request.auth, ids=ids)}  # type: ignore[attr-defined]


class PreferenceOut(Schema):
    kind: str
    label: str = Field(description="The kind's name in the caller's language.")
    email: bool = Field(description="Whether this kind is also sent by email.")
    in_app: bool = Field(True, description="In-app notifications are always on.")


class PreferencesIn(Schema):
    email: list[str] = Field(description="The kinds to receive by email; every other kind is in-app only.")


@router.get("/notifications/preferences", response=list[PreferenceOut], summary="Which notifications I get by email")
def preferences(request: HttpRequest) -> list:
    return notification_preferences(user=request.auth)  # type: ignore[attr-defined]


@router.put("/notifications/preferences", response=list[PreferenceOut], summary="Choose which notifications I get by email")
def preferences_set(request: HttpRequest, payload: PreferencesIn) -> list:
    notification_preferences_set(actor=request.auth, email_kinds=payload.email)  # type: ignore[attr-defined]
    return notification_preferences(user=request.auth)  # type: ignore[attr-defined]
