"""Every read of incidents, scoped by ``visible_to(user)``."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.accounts.roles import Permission as P
from opsdesk.accounts.selectors import organisation_ids_where
from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import NotFound, ValidationFailed
from opsdesk.core.pagination import paginate

from . import rules
from .models import Attachment, Comment, Incident, IncidentWatcher, WorkLog
from .search import keyword_search, words_of

__all__ = ["paginate", "visible_to", "incident_list", "incident_get", "incident_timeline"]


WATCHED_INLINE = 500  # watched records written into the query as ids; more are tested with EXISTS


def visible_to(user: User, queryset: QuerySet[Incident] | None = None) -> QuerySet[Incident]:
    """Incidents ``user`` may read: their organisation scope, their own, their groups', those they watch."""
    queryset = Incident.objects.all() if queryset is None else queryset
    org_ids = organisation_ids_where(user, P.INCIDENT_VIEW)
    condition = Q(requester_id=user.pk) | Q(assignee_id=user.pk)
    if org_ids:
        condition |= Q(organisation_id__in=sorted(org_ids))
    if user.support_group_ids:
        condition |= Q(assigned_group_id__in=sorted(user.support_group_ids))
    # The records the user watches, as a list of ids when there are not too many: PostgreSQL guesses that a
    # correlated EXISTS inside an OR holds for half the table, which sends searches and lists of narrowly
    # scoped users down the wrong plan on a large table.
    watched = list(
        IncidentWatcher.objects.filter(user_id=user.pk).values_list("incident_id", flat=True)[: WATCHED_INLINE + 1]
    )
    if len(watched) > WATCHED_INLINE:
        condition |= Q(Exists(IncidentWatcher.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)))
    elif watched:
        condition |= Q(id__in=sorted(watched))
    return queryset.filter(condition)


LIST_RELATED = ("service", "category", "assigned_group", "assignee", "requester", "organisation")


@dataclass
class IncidentFilter:
    state: list[str] | None = None
    priority: list[int] | None = None
    category: int | None = None
    service: int | None = None
    group: int | None = None
    assignee: int | None = None
    organisation: int | None = None
    requester: int | None = None
    q: str = ""
    is_major: bool | None = None
    queue: str = ""  # mine | my_groups | unassigned | reported

    def apply(self, queryset: QuerySet[Incident], user: User) -> QuerySet[Incident]:
        if self.state:
            queryset = queryset.filter(state__in=self.state)
        if self.priority:
            queryset = queryset.filter(priority__in=self.priority)
        for field in ("category", "service", "organisation", "requester", "assignee"):
            value = getattr(self, field)
            if value:
                queryset = queryset.filter(**{f"{field}_id": value})
        if self.group:
            queryset = queryset.filter(assigned_group_id=self.group)
        if self.is_major is not None:
            queryset = queryset.filter(is_major=self.is_major)
        if self.queue == "mine":
            queryset = queryset.filter(assignee_id=user.pk)
        elif self.queue == "my_groups":
            queryset = queryset.filter(assigned_group_id__in=sorted(user.support_group_ids))
        elif self.queue == "unassigned":
            queryset = queryset.filter(assigned_group_id__in=sorted(user.support_group_ids), assignee__isnull=True)
        elif self.queue == "reported":
            queryset = queryset.filter(requester_id=user.pk)
        elif self.queue == "undispatched":
            queryset = queryset.filter(assigned_group__isnull=True)
        if self.q:
            queryset = keyword_filter(queryset, self.q)
        return queryset


def keyword_filter(queryset: QuerySet[Incident], q: str) -> QuerySet[Incident]:
    """``q``: an incident number, or words that must all appear in the title or description."""
    q = q.strip()
    if q.upper().startswith("INC") and q[3:].isdigit():
        return queryset.filter(number=q.upper())
    return keyword_search(queryset, words_of(q))


def sla_clocks_prefetch() -> Prefetch:
    """The SLA clocks of each row, with their calendars (the time left is counted in them), in one query."""
    from opsdesk.sla.models import IncidentClock

    return Prefetch("sla_clocks", queryset=IncidentClock.objects.select_related("calendar"))


def incident_list(*, user: User, filters: IncidentFilter | None = None) -> QuerySet[Incident]:
    queryset = visible_to(user).select_related(*LIST_RELATED).prefetch_related(sla_clocks_prefetch())
    if filters is not None:
        queryset = filters.apply(queryset, user)
    return queryset.order_by("-id")


def with_sla_due(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate ``sla_due``: the earliest due time of the record's running clocks (null: none, or paused)."""
    from opsdesk.sla.models import IncidentClock

    due = IncidentClock.objects.filter(incident_id=OuterRef("pk"), stopped_at__isnull=True, due_at__isnull=False) \
        .order_by("due_at").values("due_at")[:1]
    return queryset.annotate(sla_due=Subquery(due))


def paginate_by_due(queryset: QuerySet[Incident], *, cursor: str | None, limit: int) -> tuple[list[Incident], str | None]:
    """One page sorted by SLA due time, soonest (or most overdue) first, records without one last; keyset
    on (due, id) so pages stay stable as records change."""
    queryset = with_sla_due(queryset)
    if cursor:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            position = json.loads(base64.urlsafe_b64decode(padded.encode()))
            last_id = int(position["id"])
            last_due = dt.datetime.fromisoformat(position["due"]) if position.get("due") else None
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ValidationFailed(_("The cursor is not valid."),
                                   field_errors={"cursor": [_("Not a cursor from this list.")]})
        if last_due is None:
            queryset = queryset.filter(sla_due__isnull=True, id__gt=last_id)
        else:
            queryset = queryset.filter(Q(sla_due__gt=last_due) | Q(sla_due=last_due, id__gt=last_id)
                                       | Q(sla_due__isnull=True))
    rows = list(queryset.order_by(F("sla_due").asc(nulls_last=True), "id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        position = {"id": last.pk, "due": last.sla_due.isoformat() if last.sla_due else None}
        next_cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")
    return rows[:limit], next_cursor


def incident_get(*, user: User, number: str) -> Incident:
    incident = Incident.objects.select_related(*LIST_RELATED, "major_owner", "parent", "resolved_by", "created_by") \
        .prefetch_related(sla_clocks_prefetch()).filter(number=number).first()
    if incident is None or not rules.can_view(user, incident):
        raise NotFound(_("Incident %(number)s does not exist.") % {"number": number})
    return incident


def incident_timeline(*, user: User, incident: Incident) -> list[AuditEntry]:
    """Everything that happened to the record, oldest first; internal entries only for staff."""
    if not rules.can_view(user, incident):
        raise NotFound(_("Incident %(number)s does not exist.") % {"number": incident.number})
    entries = AuditEntry.objects.filter(subject_type="incident", subject_id=incident.pk)
    if incident.parent_id:
        entries = entries | AuditEntry.objects.filter(subject_type="incident", subject_id=incident.parent_id,
                                                      action="incident.major_update")
    rows = list(entries.select_related("actor").order_by("id"))
    if not rules.can_see_internal(user, incident):
        rows = [row for row in rows if not row.data.get("internal")]
    return rows


def queue_counts(*, user: User) -> dict[str, int]:
    base = visible_to(user).filter(state__in=["new", "assigned", "in_progress", "pending"])
    groups = sorted(user.support_group_ids)
    # One query for the three badges.
    return base.aggregate(
        mine=Count("id", filter=Q(assignee_id=user.pk)),
        my_groups=Count("id", filter=Q(assigned_group_id__in=groups)),
        unassigned=Count("id", filter=Q(assigned_group_id__in=groups, assignee__isnull=True)),
    )


# What hangs off one record (the detail page and the API read these) -----------------------------


def incident_comments(*, user: User, incident: Incident) -> list[Comment]:
    """The record's comments, oldest first; internal ones only for staff."""
    comments = incident.comments.select_related("author").order_by("id")
    if not rules.can_see_internal(user, incident):
        comments = comments.filter(is_internal=False)
    return list(comments)


def incident_worklogs(*, user: User, incident: Incident) -> list[WorkLog]:
    """Work logs are internal: staff read them, requesters do not."""
    if not rules.can_see_internal(user, incident):
        return []
    return list(incident.worklogs.select_related("author").order_by("id"))


def incident_attachments(*, user: User, incident: Incident) -> list[Attachment]:
    return list(incident.attachments.select_related("uploaded_by").order_by("id"))


def incident_attachment_get(*, user: User, number: str, attachment_id: int) -> Attachment:
    incident = incident_get(user=user, number=number)
    attachment = incident.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such attachment."))
    return attachment


def incident_watchers(*, user: User, incident: Incident) -> list[User]:
    return [link.user for link in incident.watcher_links.select_related("user").order_by("id")]


def incident_children(*, user: User, incident: Incident) -> QuerySet[Incident]:
    """The records linked under a major incident that ``user`` may read."""
    return visible_to(user).filter(parent_id=incident.pk).select_related(*LIST_RELATED).order_by("-id")
