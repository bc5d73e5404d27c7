"""The bell: unread count in the navbar, a short menu, the full list, marking read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .models import Notification

MENU_SIZE = 8
LIST_SIZE = 100


def subject_url(notification: Notification) -> str:
    if notification.subject_type == "incident":
        return reverse("ui:incident_detail", args=[notification.subject_label])
    return reverse("ui:notification_list")


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
