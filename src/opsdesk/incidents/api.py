"""API: incidents and what hangs off them. Each endpoint parses, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import FileResponse, HttpRequest
from ninja import File, Query, Router
from ninja.files import UploadedFile

from opsdesk.accounts.models import User
from opsdesk.api.references import resolve
from opsdesk.catalog.models import Category, Service
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.pagination import clamp_limit

from . import selectors, services
from .choices import Channel
from .models import Attachment, Comment, Incident, IncidentWatcher, WorkLog
from .schemas import (
    AttachmentOut,
    AttachmentPage,
    CallbackIn,
    ChildIn,
    CommentIn,
    CommentOut,
    CommentPage,
    IncidentCreateIn,
    IncidentOut,
    IncidentPage,
    IncidentQuery,
    IncidentUpdateIn,
    MajorIn,
    MajorUpdateIn,
    TimelinePage,
    TransitionIn,
    WatcherIn,
    WatchersOut,
    WorkLogIn,
    WorkLogOut,
    WorkLogPage,
    incident_out,
)

router = Router(tags=["incidents"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def _for_list(queryset: QuerySet[Incident], user: User) -> QuerySet[Incident]:
    """What rendering a page needs, in the one list query: ids only (no joins), the parent's
    number, and whether the caller watches each row (``rules.is_watcher`` reads it)."""
    watching = IncidentWatcher.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    return queryset.select_related(None).annotate(_actor_is_watcher=Exists(watching), parent_number=F("parent__number"))


# Incidents ------------------------------------------------------------------------------------


@router.post("/incidents", response={201: IncidentOut}, summary="Report or record an incident")
def incident_create(request: HttpRequest, payload: IncidentCreateIn) -> IncidentOut:
    actor = _actor(request)
    # Written together with the other creates this process is serving at the moment (group commit).
    incident = services.incident_intake.submit(services.IncidentDraft(
        actor=actor,
        title=payload.title,
        description=payload.description,
        service=payload.service,
        category=payload.category,
        impact=payload.impact,
        urgency=payload.urgency,
        requester=payload.requester,
        channel=payload.channel or Channel.API,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        contact_email=payload.contact_email,
        occurred_at=payload.occurred_at,
        priority=payload.priority,
        priority_reason=payload.priority_reason,
        group=payload.group,
        assignee=payload.assignee,
    ))
    incident._actor_is_watcher = False  # made a moment ago: nobody watches it yet (rules.is_watcher reads this)
    return incident_out(incident, actor)


@router.get("/incidents", response=IncidentPage, summary="List incidents (filters, queues, cursor pages)")
def incident_list(request: HttpRequest, filters: Query[IncidentQuery]) -> IncidentPage:
    user = _actor(request)
    chosen = selectors.IncidentFilter(
        state=[str(s) for s in filters.state] if filters.state else None,
        priority=[int(p) for p in filters.priority] if filters.priority else None,
        category=filters.category,
        service=filters.service,
        group=filters.group,
        assignee=filters.assignee,
        organisation=filters.organisation,
        requester=filters.requester,
        q=filters.q,
        is_major=filters.is_major,
        queue=filters.queue or "",
    )
    queryset = _for_list(selectors.incident_list(user=user, filters=chosen), user)
    rows, next_cursor = selectors.paginate(queryset, cursor=filters.cursor, limit=clamp_limit(filters.limit))
    return IncidentPage.model_construct(items=[incident_out(row, user) for row in rows], next_cursor=next_cursor)


@router.get("/incidents/{number}", response=IncidentOut, summary="One incident")
def incident_detail(request: HttpRequest, number: str) -> IncidentOut:
    user = _actor(request)
    return incident_out(selectors.incident_get(user=user, number=number), user)


@router.patch("/incidents/{number}", response=IncidentOut, summary="Change fields (send the version you read)")
def incident_update(request: HttpRequest, number: str, payload: IncidentUpdateIn) -> IncidentOut:
    user = _actor(request)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    if "service" in fields:
        fields["service"] = resolve(Service, fields["service"], "service")
    if "category" in fields:
        fields["category"] = resolve(Category, fields["category"], "category")
    return incident_out(services.incident_update(actor=user, incident=number, version=version, **fields), user)


@router.post("/incidents/{number}/transitions/{transition}", response=IncidentOut,
             summary="Take a transition: assign, accept, pend, resume, escalate, return, resolve, confirm, "
                     "reject, close, reopen, chase, cancel")
def incident_transition(
    request: HttpRequest, number: str, transition: str, payload: TransitionIn | None = None
) -> IncidentOut:
    user = _actor(request)
    inputs = payload.model_dump(exclude_none=True) if payload is not None else {}
    version = inputs.pop("version", None)
    incident = services.incident_transition(actor=user, incident=number, transition=transition, version=version,
                                            **inputs)
    return incident_out(incident, user)


# Work logs, comments, timeline -----------------------------------------------------------------


@router.get("/incidents/{number}/worklogs", response=WorkLogPage, summary="Work logs (staff only)")
def worklog_list(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _actor(request)
    incident = selectors.incident_get(user=user, number=number)
    return {"items": selectors.incident_worklogs(user=user, incident=incident), "next_cursor": None}


@router.post("/incidents/{number}/worklogs", response={201: WorkLogOut}, summary="Log work with time spent")
def worklog_create(request: HttpRequest, number: str, payload: WorkLogIn) -> WorkLog:
    return services.incident_log_work(actor=_actor(request), incident=number, minutes=payload.minutes,
                                           note=payload.note)


@router.get("/incidents/{number}/comments", response=CommentPage, summary="Comments (internal ones for staff)")
def comment_list(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _actor(request)
    incident = selectors.incident_get(user=user, number=number)
    return {"items": selectors.incident_comments(user=user, incident=incident), "next_cursor": None}


@router.post("/incidents/{number}/comments", response={201: CommentOut}, summary="Comment (public or internal)")
def comment_create(request: HttpRequest, number: str, payload: CommentIn) -> Comment:
    return services.incident_comment(actor=_actor(request), incident=number, body=payload.body,
                                          internal=payload.internal)


@router.get("/incidents/{number}/timeline", response=TimelinePage, summary="Everything that happened, oldest first")
def timeline(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _actor(request)
    incident = selectors.incident_get(user=user, number=number)
    return {"items": selectors.incident_timeline(user=user, incident=incident), "next_cursor": None}


# Attachments ----------------------------------------------------------------------------------


@router.get("/incidents/{number}/attachments", response=AttachmentPage, summary="Attachments")
def attachment_list(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _actor(request)
    incident = selectors.incident_get(user=user, number=number)
    rows = selectors.incident_attachments(user=user, incident=incident)
    for row in rows:
        row.incident = incident  # the download link needs the number; spare a query per row
    return {"items": rows, "next_cursor": None}


@router.post("/incidents/{number}/attachments", response={201: AttachmentOut},
             summary="Upload a file (multipart field “file”; size and type are checked)")
def attachment_create(request: HttpRequest, number: str, file: File[UploadedFile]) -> Attachment:
    try:
        attachment = services.incident_attach(actor=_actor(request), incident=number, upload=file)
    except ValidationFailed as refused:
        # The service names its form field ("attachments"); here the upload is the multipart field "file".
        raise ValidationFailed(refused.message, code=refused.code,
                               field_errors={"file": sum(refused.field_errors.values(), [])})
    return attachment


@router.get("/incidents/{number}/attachments/{attachment_id}", summary="Download an attachment",
            openapi_extra={"responses": {200: {"description": "The file",
                                                "content": {"application/octet-stream": {}}}}})
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    attachment = selectors.incident_attachment_get(user=_actor(request), number=number, attachment_id=attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                        content_type=attachment.content_type or "application/octet-stream")


# Watchers, satisfaction call-back --------------------------------------------------------------


@router.get("/incidents/{number}/watchers", response=WatchersOut, summary="Who watches the incident")
def watcher_list(request: HttpRequest, number: str) -> dict[str, list[int]]:
    user = _actor(request)
    incident = selectors.incident_get(user=user, number=number)
    return {"watchers": [w.pk for w in selectors.incident_watchers(user=user, incident=incident)]}


@router.post("/incidents/{number}/watchers", response=WatchersOut, summary="Watch (yourself, or another user)")
def watcher_add(request: HttpRequest, number: str, payload: WatcherIn | None = None) -> dict[str, list[int]]:
    user = _actor(request)
    watcher = resolve(_active_users(), payload.user if payload is not None else None, "user")
    incident = services.incident_watch(actor=user, incident=number, user=watcher)
    return {"watchers": [w.pk for w in selectors.incident_watchers(user=user, incident=incident)]}


@router.post("/incidents/{number}/callback", response=IncidentOut, summary="Record a satisfaction call-back")
def callback(request: HttpRequest, number: str, payload: CallbackIn) -> IncidentOut:
    user = _actor(request)
    incident = services.incident_record_callback(actor=user, incident=number, rating=payload.rating,
                                                 comment=payload.comment)
    return incident_out(incident, user)


# Major incidents ------------------------------------------------------------------------------


@router.post("/incidents/{number}/major", response=IncidentOut, summary="Flag as a major incident")
def major_flag(request: HttpRequest, number: str, payload: MajorIn | None = None) -> IncidentOut:
    user = _actor(request)
    payload = payload or MajorIn()
    incident = services.incident_flag_major(
        actor=user, incident=number, version=payload.version,
        owner=resolve(_active_users(), payload.owner, "owner"), reason=payload.reason,
    )
    return incident_out(incident, user)


@router.get("/incidents/{number}/children", response=IncidentPage, summary="Incidents linked under a major one")
def children(request: HttpRequest, number: str) -> IncidentPage:
    user = _actor(request)
    incident = selectors.incident_get(user=user, number=number)
    rows = _for_list(selectors.incident_children(user=user, incident=incident), user)
    return IncidentPage.model_construct(items=[incident_out(row, user) for row in rows], next_cursor=None)


@router.post("/incidents/{number}/children", response=IncidentOut, summary="Link an incident under this major one")
def child_link(request: HttpRequest, number: str, payload: ChildIn) -> IncidentOut:
    user = _actor(request)
    return incident_out(services.incident_link_child(actor=user, major=number, child=payload.child), user)


@router.post("/incidents/{number}/major-updates", response={201: CommentOut},
             summary="Post an update to the watchers of the major incident and its children")
def major_update(request: HttpRequest, number: str, payload: MajorUpdateIn) -> Comment:
    return services.incident_post_major_update(actor=_actor(request), major=number, body=payload.body)
