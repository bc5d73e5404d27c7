"""The bell (unread count in the navbar, a short menu, the full list, marking read), the user's email
preferences and the administrators' outbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.accounts.roles import Permission as P
from opsdesk.core.errors import DomainError
from opsdesk.ui.form_errors import add_domain_error

from . import selectors, services
from .emails import subject_path
from .forms import PreferencesForm
from .models import EmailStatus, Notification

MENU_SIZE = 8
LIST_SIZE = 100


OUTBOX_SIZE = 200


def subject_url(notification: Notification) -> str:
    return subject_path(notification)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    rows = list(selectors.notification_list(user=request.user, unread_only=unread_only)[:LIST_SIZE])
    return render(request, "notifications/list.html", {"rows": rows, "unread_only": unread_only})


@login_required
@require_GET
def notification_menu(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.notification_list(user=request.user)[:MENU_SIZE])
    return render(request, "notifications/_menu.html", {"rows": rows})


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.notification_list(user=request.user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404(_("No such notification."))
    services.notifications_mark_read(actor=request.user, ids=[notification.pk])
    return redirect(subject_url(notification))


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()] or None
    count = services.notifications_mark_read(actor=request.user, ids=ids)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("ui:notification_list")
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    rows = selectors.notification_preferences(user=request.user)
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                services.notification_preferences_set(actor=request.user, email_kinds=form.cleaned_data["email"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect("ui:notification_preferences")
        status = 422
    else:
        form = PreferencesForm(initial={"email": [row.kind for row in rows if row.email]})
    chosen = set(form["email"].value() or [])
    return render(request, "notifications/preferences.html",
                  {"form": form, "rows": rows, "chosen": chosen, "has_email": bool(request.user.email),
                   "sees_outbox": request.user.holds(P.ADMINISTER)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def outgoing_email_list(request: HttpRequest) -> HttpResponse:
    if not request.user.holds(P.ADMINISTER):
        return render(request, "ui/error.html", {"status": 403, "message": _("Only an administrator may see the outbox.")},
                      status=403)
    if request.method == "POST":
        ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()] or None
        try:
            count = services.outgoing_email_retry(actor=request.user, ids=ids)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("%(count)d messages queued to be sent again.") % {"count": count})
        return redirect("ui:outgoing_email_list")
    status = request.GET.get("status", "")
    rows = list(selectors.outgoing_email_list(user=request.user, status=status)[:OUTBOX_SIZE])
    counts = selectors.outgoing_email_counts(user=request.user)
    return render(request, "notifications/outbox.html", {
        "rows": rows, "status": status if status in EmailStatus.values else "",
        "statuses": [(value, label, counts.get(value, 0)) for value, label in EmailStatus.choices]})
