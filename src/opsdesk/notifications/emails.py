"""Rendering one notification as an email in its recipient's language and time zone.

Each kind has one template, ``notifications/email/<kind>.txt``, that says what happened (the block
``happened``) and may override the subject (the block ``subject``). It extends the base named by the
context variable ``base``, so the same template renders the subject, the plain text and the HTML part.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from .models import Notification, NotificationKind, OutgoingEmail

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_ZONE = "Asia/Shanghai"


def base_url() -> str:
    return str(getattr(settings, "OPSDESK_BASE_URL", DEFAULT_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")


def subject_path(notification: Notification) -> str:
    """Where the notification's record lives in the UI (the notification list for a record type without a page)."""
    try:
        if notification.subject_type == "incident":
            return reverse("ui:incident_detail", args=[notification.subject_label])
        return reverse("ui:notification_list")
    except NoReverseMatch:
        return reverse("ui:notification_list")


def _language(user: Any) -> str:
    language = (getattr(user, "language", "") or "").lower()
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _zone(user: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def _data(notification: Notification) -> dict[str, Any]:
    data = dict(notification.data or {})
    for key in ("due_at", "breached_at"):
        value = data.get(key)
        parsed = parse_datetime(value) if isinstance(value, str) else None
        data[key] = parsed if isinstance(parsed, dt.datetime) else None
    return data


def _context(notification: Notification, recipient: Any, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    link = base_url() + subject_path(notification)
    kind = notification.kind
    return {
        "notification": notification,
        "kind": kind,
        "kind_label": NotificationKind(kind).label if kind in NotificationKind.values else kind,
        "number": notification.subject_label,
        "title": notification.subject_title,
        "actor": notification.actor_name,
        "text": notification.text,
        "data": _data(notification),
        "happened_at": notification.created_at,
        "zone": str(zone),
        "recipient_name": str(recipient),
        "link": link,
        "settings_link": base_url() + reverse("ui:notification_preferences"),
        "site_name": getattr(settings, "OPSDESK_SITE_NAME", "opsdesk"),
    }


def render_parts(notification: Notification, recipient: Any) -> tuple[str, str, str]:
    """(subject, plain text, HTML) for ``recipient``, in their language and time zone."""
    zone = _zone(recipient)
    with translation.override(_language(recipient)), timezone.override(zone):
        template = select_template([f"notifications/email/{notification.kind}.txt", "notifications/email/other.txt"])
        context = _context(notification, recipient, zone)
        subject = template.render({**context, "base": "notifications/email/_base.txt", "part": "subject"})
        text = template.render({**context, "base": "notifications/email/_base.txt", "part": "body"})
        html = template.render({**context, "base": "notifications/email/_base.html", "part": "body"})
    return " ".join(subject.split())[:250], text.strip() + "\n", html


def build_message(email: OutgoingEmail, *, connection: Any = None) -> EmailMultiAlternatives:
    notification = email.notification
    subject, text, html = render_parts(notification, notification.recipient)
    # Mail clients thread every message about one record together by this made-up reference.
    thread = f"<{notification.subject_type}.{notification.subject_id}@{urlsplit(base_url()).hostname or 'opsdesk'}>"
    headers = {"Auto-Submitted": "auto-generated", "References": thread, "In-Reply-To": thread,
               "X-Opsdesk-Record": notification.subject_label, "X-Opsdesk-Kind": notification.kind}
    message = EmailMultiAlternatives(subject=subject, body=text, to=[email.to_address], connection=connection,
                                     headers=headers)
    message.attach_alternative(html, "text/html")
    return message
