"""The incident pages: the requester's portal and the agent workspace.

Each view parses a form, calls one service (``services``) or selector
(``selectors``), and redirects or renders. A DomainError from a service comes
back to the same page with the user's input kept: field errors next to their
fields, anything else as a message, with the error's HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from opsdesk.accounts import selectors as account_selectors
from opsdesk.accounts.roles import Permission as P
from opsdesk.catalog import selectors as catalog_selectors
from opsdesk.cmdb import selectors as cmdb_selectors
from opsdesk.cmdb import services as cmdb_services
from opsdesk.core.errors import DomainError, NotFound, StaleVersion, ValidationFailed
from opsdesk.ui.form_errors import add_domain_error
from opsdesk.ui.timeline import build_timeline

from . import rules, selectors, services
from .choices import Channel, Impact, IncidentState, Urgency
from .forms import (
    DATETIME_LOCAL,
    QUEUES,
    TRANSITION_FORMS,
    AttachForm,
    CallbackForm,
    CommentForm,
    EditForm,
    FlagMajorForm,
    LinkChildForm,
    MajorUpdateForm,
    QueueFilterForm,
    RecordForm,
    ReportForm,
    WorkLogForm,
    transition_form,
)
from .models import Incident
from .workflow import INCIDENT_WORKFLOW

PAGE_SIZE = 25
PORTAL_STEPS = (
    (IncidentState.NEW, gettext_lazy("Reported")),
    (IncidentState.ASSIGNED, gettext_lazy("Dispatched")),
    (IncidentState.IN_PROGRESS, gettext_lazy("In progress")),
    (IncidentState.RESOLVED, gettext_lazy("Resolved")),
    (IncidentState.CLOSED, gettext_lazy("Closed")),
)
STEP_INDEX = {"new": 0, "assigned": 1, "in_progress": 2, "pending": 2, "resolved": 3, "closed": 4, "cancelled": 4}


def _incident_or_404(request: HttpRequest, number: str) -> Incident:
    try:
        return selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404(_("Incident %(number)s does not exist.") % {"number": number})


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "ui/error.html", {"status": 403, "message": message}, status=403)


def _wants_portal(request: HttpRequest) -> bool:
    return request.POST.get("view") == "portal" or request.GET.get("view") == "portal"


def _detail_url(request: HttpRequest, number: str) -> str:
    name = "ui:portal_detail" if _wants_portal(request) else "ui:incident_detail"
    return reverse(name, args=[number])


# The record page ----------------------------------------------------------------------------------


def _portal_steps(incident: Incident) -> list[dict[str, Any]]:
    reached = STEP_INDEX.get(incident.state, 0)
    return [{"label": label, "done": i < reached or incident.state == "closed", "current": i == reached}
            for i, (_state, label) in enumerate(PORTAL_STEPS)]


def render_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, forms.Form] | None = None,
    open_panel: str = "",
    page_error: str = "",
    status: int = 200,
    portal: bool | None = None,
) -> HttpResponse:
    """The record page, with any bound form (typed values and errors) in place of its blank one."""
    user = request.user
    bound = bound or {}
    staff = rules.can_view_as_staff(user, incident)
    portal = (not staff) if portal is None else portal
    allowed = INCIDENT_WORKFLOW.allowed(user, incident)
    read_only = rules.actor_is_read_only(user)
    can = {
        "edit": rules.can_edit(user, incident),
        "log_work": rules.can_log_work(user, incident),
        "comment": rules.can_comment(user, incident),
        "internal": staff and rules.can_see_internal(user, incident),
        "watch": not read_only,
        "major": rules.can_manage_major(user, incident) and not read_only,
        "post_update": incident.is_major and (rules.can_manage_major(user, incident) or incident.major_owner_id == user.pk),
        "callback": rules.can_close(user, incident) and incident.state in ("resolved", "closed") and not read_only,
    }
    shown = {"edit": can["edit"], "worklog": can["log_work"], "comment": can["comment"], "attach": can["comment"],
             "flag": can["major"] and not incident.is_major, "link": can["major"] and incident.is_major,
             "update": can["post_update"], "callback": can["callback"], **{t.name: True for t in allowed}}
    if shown.get(open_panel):
        page_error = ""  # the form itself says what went wrong, next to what the user typed
    worklogs = selectors.incident_worklogs(user=user, incident=incident)
    watchers = selectors.incident_watchers(user=user, incident=incident)
    context = {
        "incident": incident,
        "portal": portal,
        "staff": staff,
        "can": can,
        "read_only": read_only,
        "transitions": [(t, bound.get(t.name) or transition_form(t.name, incident)) for t in allowed],
        "timeline": build_timeline(selectors.incident_timeline(user=user, incident=incident)),
        "comments": selectors.incident_comments(user=user, incident=incident),
        "worklogs": worklogs,
        "worked_minutes": sum(w.minutes for w in worklogs),
        "attachments": selectors.incident_attachments(user=user, incident=incident),
        "watchers": watchers,
        "watching": any(w.pk == user.pk for w in watchers),
        "children": list(selectors.incident_children(user=user, incident=incident)) if incident.is_major else [],
        "edit_form": bound.get("edit") or (EditForm.for_incident(incident) if can["edit"] else None),
        "worklog_form": bound.get("worklog") or WorkLogForm(prefix="worklog"),
        "comment_form": bound.get("comment") or CommentForm(prefix="comment"),
        "attach_form": bound.get("attach") or AttachForm(prefix="attach"),
        "flag_form": bound.get("flag") or FlagMajorForm(prefix="flag", initial={"version": incident.version}),
        "link_form": bound.get("link") or LinkChildForm(prefix="link"),
        "update_form": bound.get("update") or MajorUpdateForm(prefix="update"),
        "callback_form": bound.get("callback") or CallbackForm(prefix="callback"),
        "open_panel": open_panel,
        "page_error": page_error,
        "edit_conflicts": _edit_conflicts(bound["edit"], incident) if "edit" in bound else [],
        "steps": _portal_steps(incident),
    }
    template = "incidents/portal_detail.html" if portal else "incidents/detail.html"
    return render(request, template, context, status=status)


def _edit_conflicts(form: forms.Form, incident: Incident) -> list[str]:
    """Labels of the fields where what the user typed differs from what is stored now."""
    stored_form = EditForm.for_incident(incident)
    labels = []
    for name, field in form.fields.items():
        if name == "version":
            continue
        typed = str(form.data.get(form.add_prefix(name), "") or "").replace("\r\n", "\n").strip()
        stored = stored_form[name].value()
        if hasattr(stored, "pk"):
            stored = stored.pk
        elif hasattr(stored, "astimezone"):
            stored = timezone.localtime(stored).strftime(DATETIME_LOCAL)
        if typed != str("" if stored is None else stored).strip():
            labels.append(str(field.label))
    return labels


@login_required
@require_GET
def incident_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render_detail(request, _incident_or_404(request, number))


@login_required
@require_GET
def portal_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render_detail(request, _incident_or_404(request, number), portal=True)


def _act(
    request: HttpRequest,
    number: str,
    *,
    key: str,
    make_form: Callable[[Incident], forms.Form],
    call: Callable[[Incident, Any], Any],
    done: str,
) -> HttpResponse:
    """Parse one form of the record page, call one service, and redirect; or show the page again with why."""
    incident = _incident_or_404(request, number)
    form = make_form(incident)
    if not form.is_valid():
        return render_detail(request, incident, bound={key: form}, open_panel=key, status=422,
                             portal=_wants_portal(request) or None)
    try:
        call(incident, form)
    except DomainError as error:
        add_domain_error(form, error)
        if isinstance(error, StaleVersion) and "version" in form.fields:
            # Keep what was typed, but against the version now stored, so saving again is a conscious choice.
            data = form.data.copy()
            data[form.add_prefix("version")] = str(incident.version)
            form.data = data
        message = "" if isinstance(error, ValidationFailed) and error.field_errors else str(error.message)
        return render_detail(request, incident, bound={key: form}, open_panel=key, page_error=message,
                             status=error.status, portal=_wants_portal(request) or None)
    messages.success(request, done)
    return redirect(_detail_url(request, incident.number))


@login_required
@require_POST
def incident_edit(request: HttpRequest, number: str) -> HttpResponse:
    def call(incident: Incident, form: EditForm) -> Any:
        return services.incident_update(actor=request.user, incident=incident.number,
                                        version=form.cleaned_data["version"], **form.service_arguments())

    return _act(request, number, key="edit", done=_("Your changes are saved."),
                make_form=lambda incident: EditForm(request.POST, prefix="edit"), call=call)


@login_required
@require_POST
def incident_transition(request: HttpRequest, number: str, name: str) -> HttpResponse:
    if name not in TRANSITION_FORMS:
        raise Http404(_("There is no such action."))

    def call(incident: Incident, form: Any) -> Any:
        version = form.cleaned_data.get("version") if form.uses_version else None
        return services.incident_transition(actor=request.user, incident=incident.number, transition=name,
                                            version=version, **form.inputs())

    label = INCIDENT_WORKFLOW.get(name).label
    return _act(request, number, key=name, done=_("Done: %(action)s.") % {"action": label},
                make_form=lambda incident: transition_form(name, incident, request.POST), call=call)


@login_required
@require_POST
def incident_log_work(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="worklog", done=_("Work logged."),
                make_form=lambda incident: WorkLogForm(request.POST, prefix="worklog"),
                call=lambda incident, form: services.incident_log_work(
                    actor=request.user, incident=incident.number, **form.cleaned_data))


@login_required
@require_POST
def incident_comment(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="comment", done=_("Comment added."),
                make_form=lambda incident: CommentForm(request.POST, prefix="comment"),
                call=lambda incident, form: services.incident_comment(
                    actor=request.user, incident=incident.number, **form.cleaned_data))


@login_required
@require_POST
def incident_attach(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="attach", done=_("File attached."),
                make_form=lambda incident: AttachForm(request.POST, request.FILES, prefix="attach"),
                call=lambda incident, form: services.incident_attach(
                    actor=request.user, incident=incident.number, upload=form.cleaned_data["attachments"]))


@login_required
@require_POST
def incident_watch(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="watch", done=_("You are now watching this record."),
                make_form=lambda incident: forms.Form(request.POST),
                call=lambda incident, form: services.incident_watch(actor=request.user, incident=incident.number))


@login_required
@require_POST
def incident_flag_major(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="flag", done=_("Flagged as a major incident."),
                make_form=lambda incident: FlagMajorForm(request.POST, prefix="flag"),
                call=lambda incident, form: services.incident_flag_major(
                    actor=request.user, incident=incident.number, **form.cleaned_data))


@login_required
@require_POST
def incident_link_child(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="link", done=_("Linked to this major incident."),
                make_form=lambda incident: LinkChildForm(request.POST, prefix="link"),
                call=lambda incident, form: services.incident_link_child(
                    actor=request.user, major=incident.number, **form.cleaned_data))


@login_required
@require_POST
def incident_major_update(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="update", done=_("Update posted to everyone watching."),
                make_form=lambda incident: MajorUpdateForm(request.POST, prefix="update"),
                call=lambda incident, form: services.incident_post_major_update(
                    actor=request.user, major=incident.number, **form.cleaned_data))


@login_required
@require_POST
def incident_callback(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, key="callback", done=_("Call-back recorded."),
                make_form=lambda incident: CallbackForm(request.POST, prefix="callback"),
                call=lambda incident, form: services.incident_record_callback(
                    actor=request.user, incident=incident.number, **form.cleaned_data))


@login_required
@require_GET
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    try:
        attachment = selectors.incident_attachment_get(user=request.user, number=number, attachment_id=attachment_id)
    except NotFound:
        raise Http404(_("No such attachment."))
    inline = attachment.content_type.startswith("image/") or attachment.content_type == "application/pdf"
    return FileResponse(attachment.file.open("rb"), as_attachment=not inline, filename=attachment.name,
                        content_type=attachment.content_type or "application/octet-stream")


# Lists --------------------------------------------------------------------------------------------


def _page(request: HttpRequest, queryset: Any, sort: str = "") -> tuple[list[Incident], str | None]:
    paginate = selectors.paginate_by_due if sort == "due" else selectors.paginate
    try:
        return paginate(queryset, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE)
    except ValidationFailed:
        return paginate(queryset, cursor=None, limit=PAGE_SIZE)


def _query_toggling_sort(request: HttpRequest, sort: str) -> str:
    """The queue's query with the other order (by SLA due time ↔ newest first), from the first page."""
    query = request.GET.copy()
    query.pop("cursor", None)
    query["sort"] = "" if sort == "due" else "due"
    return query.urlencode()


def _query_without_cursor(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


@login_required
@require_GET
def incident_queue(request: HttpRequest) -> HttpResponse:
    if not request.user.holds(P.INCIDENT_INTERNAL):
        return redirect("ui:portal_home")
    form = QueueFilterForm(request.GET)
    sort = form.cleaned_data.get("sort", "") if form.is_valid() else ""
    rows, next_cursor = _page(request, selectors.incident_list(user=request.user, filters=form.to_filter()), sort)
    queue = form.cleaned_data.get("queue", "") if form.is_valid() else ""
    typed = request.GET.get("q", "").strip().upper()
    if not request.htmx and len(rows) == 1 and rows[0].number == typed:
        return redirect("ui:incident_detail", number=rows[0].number)  # a number typed in the search box
    context = {
        "form": form, "rows": rows, "next_cursor": next_cursor, "queue": queue, "queue_label": QUEUES.get(queue, ""),
        "base_query": _query_without_cursor(request), "paged": bool(request.GET.get("cursor")),
        "sort": sort, "sort_query": _query_toggling_sort(request, sort),
    }
    template = "incidents/_queue_table.html" if request.htmx and request.htmx.target == "queue-results" else "incidents/queue.html"
    return render(request, template, context)


@login_required
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = request.GET.get("scope", "mine")
    show = request.GET.get("show", "open")
    may_see_org = user.holds(P.INCIDENT_VIEW)
    states = {"open": ["new", "assigned", "in_progress", "pending"], "resolved": ["resolved"]}.get(show)
    filters = selectors.IncidentFilter(queue="" if scope == "organisation" and may_see_org else "reported", state=states,
                                       q=request.GET.get("q", ""))
    rows, next_cursor = _page(request, selectors.incident_list(user=user, filters=filters))
    awaiting = selectors.incident_list(user=user, filters=selectors.IncidentFilter(queue="reported", state=["resolved"]))
    return render(request, "incidents/portal_home.html", {
        "rows": rows, "next_cursor": next_cursor, "scope": scope, "show": show, "may_see_org": may_see_org,
        "awaiting_count": awaiting.count(), "base_query": _query_without_cursor(request), "q": request.GET.get("q", ""),
    })


# Reporting and recording --------------------------------------------------------------------------


@login_required
def portal_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.holds(P.INCIDENT_REPORT):
        return _forbidden(request, _("You may not report incidents."))
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                incident = services.incident_create(actor=user, channel=Channel.PORTAL, **form.service_arguments())
            except DomainError as error:
                add_domain_error(form, error)
                return render(request, "incidents/portal_new.html", {"form": form}, status=error.status)
            messages.success(request, _("Thank you. Your report is recorded as %(number)s.") % {"number": incident.number})
            return redirect("ui:portal_detail", number=incident.number)
        return render(request, "incidents/portal_new.html", {"form": form}, status=422)
    form = ReportForm(initial={"contact_name": user.display_name or user.username, "contact_phone": user.phone,
                               "contact_email": user.email})
    return render(request, "incidents/portal_new.html", {"form": form})


def _record_context(form: RecordForm, user: Any) -> dict[str, Any]:
    chosen = form["requester"].value()
    options = list(account_selectors.user_list(user=None)[:50])
    if chosen and str(chosen).isdigit() and all(str(u.pk) != str(chosen) for u in options):
        options = list(account_selectors.user_list(user=None).filter(pk=int(chosen))) + options
    chosen_cis = [str(v) for v in (form["cis"].value() or []) if str(v).isdigit()]
    ci_options = list(cmdb_selectors.ci_list(user=user).filter(pk__in=chosen_cis)) if chosen_cis else []
    return {"form": form, "requester_options": options, "chosen_requester": str(chosen or ""),
            "computed_priority": _computed_priority(form["impact"].value(), form["urgency"].value()),
            "ci_options": ci_options}


@login_required
def incident_new(request: HttpRequest) -> HttpResponse:
    if not request.user.holds(P.INCIDENT_RECORD):
        return _forbidden(request, _("Only the service desk records incidents for callers."))
    if request.method == "POST":
        form = RecordForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                # One write path: the incident and its affected CIs are recorded together, or nothing is.
                incident = cmdb_services.incident_create_with_cis(actor=request.user, cis=form.cleaned_data["cis"],
                                                                  **form.service_arguments())
            except DomainError as error:
                add_domain_error(form, error)
                return render(request, "incidents/new.html", _record_context(form, request.user), status=error.status)
            messages.success(request, _("Recorded as %(number)s.") % {"number": incident.number})
            return redirect("ui:incident_detail", number=incident.number)
        return render(request, "incidents/new.html", _record_context(form, request.user), status=422)
    return render(request, "incidents/new.html", _record_context(RecordForm(), request.user))


# Small pieces the forms load as the user types (htmx) ---------------------------------------------


def _param(request: HttpRequest, suffix: str) -> str:
    for key, value in request.GET.items():
        if key == suffix or key.endswith("-" + suffix):
            return value
    return ""


@login_required
@require_GET
def category_options(request: HttpRequest) -> HttpResponse:
    service_id = _param(request, "service")
    categories = catalog_selectors.category_list(service_id=int(service_id)) if service_id.isdigit() else []
    return render(request, "incidents/_category_options.html", {"categories": categories})


@login_required
@require_GET
def assignee_options(request: HttpRequest) -> HttpResponse:
    group_id = _param(request, "group")
    users = (account_selectors.user_list(user=None).filter(group_memberships__group_id=int(group_id))
             if group_id.isdigit() else [])
    return render(request, "incidents/_assignee_options.html", {"users": users})


@login_required
@require_GET
def requester_options(request: HttpRequest) -> HttpResponse:
    users = account_selectors.user_list(user=None, q=request.GET.get("requester_q", "").strip())[:50]
    return render(request, "incidents/_requester_options.html", {"users": users, "chosen": request.GET.get("requester", "")})


def _computed_priority(impact: Any, urgency: Any) -> int | None:
    try:
        impact, urgency = int(impact), int(urgency)
    except (TypeError, ValueError):
        return None
    if impact not in Impact.values or urgency not in Urgency.values:
        return None
    return services.priority_for(impact=impact, urgency=urgency)


@login_required
@require_GET
def priority_preview(request: HttpRequest) -> HttpResponse:
    priority = _computed_priority(_param(request, "impact"), _param(request, "urgency"))
    return render(request, "incidents/_priority_preview.html", {"computed_priority": priority})
