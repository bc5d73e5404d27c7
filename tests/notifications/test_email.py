"""Email out, end to end: incident writes queue email that a task sends to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from opsdesk.audit import context
from opsdesk.core import clock
from opsdesk.notifications.models import EmailStatus, Notification, NotificationKind, OutgoingEmail
from opsdesk.notifications.services import backoff, notification_preferences_set, notify
from opsdesk.notifications.tasks import send_queued_email
from tests.incidents.records import Maker, step

from .conftest import Mailbox, SmtpServer


@pytest.fixture
def make(world) -> Maker:
    return Maker(world)


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def chased_incident(world, make, capture, **inputs):
    """An incident l1 handles (l1b leads the L1 group), chased by the requester; on-commit work runs."""
    incident = make.in_progress()
    OutgoingEmail.objects.all().delete()
    with capture(execute=True):
        incident = step(incident, world.requester, "chase", **inputs)
    return incident


def test_a_chase_is_emailed_to_each_recipient_in_their_own_language_and_time_zone(
        world, make, smtp: SmtpServer, django_capture_on_commit_callbacks) -> None:
    world.l1b.language, world.l1b.time_zone = "en", "Europe/London"
    world.l1b.save()
    moment = dt.datetime(2026, 11, 27, 2, 30, tzinfo=dt.UTC)  # 10:30 in Shanghai, 02:30 in London
    with clock.frozen_at(moment):
        incident = chased_incident(world, make, django_capture_on_commit_callbacks, comment="产线停了，请尽快处理")
    assert {m["To"] for m in smtp.mailbox.messages} == {"l1@example.test", "l1b@example.test"}
    chinese, english = smtp.mailbox.to("l1@example.test")[0], smtp.mailbox.to("l1b@example.test")[0]

    with translation.override("zh-hans"):
        chased_zh = str(NotificationKind.CHASED.label)
    with translation.override("en"):
        chased_en = str(NotificationKind.CHASED.label)
    assert chased_zh != chased_en
    assert chased_zh in chinese["Subject"] and incident.number in chinese["Subject"]
    assert chased_en in english["Subject"] and incident.number in english["Subject"]
    assert incident.title in english["Subject"]

    link = f"https://desk.example.test/incidents/{incident.number}/"
    for message in (chinese, english):
        assert link in body(message) and f'href="{link}"' in html(message)
        assert "产线停了，请尽快处理" in body(message)  # what the chaser wrote
        assert str(world.requester) in body(message)  # who did it
    assert "2026-11-27 10:30" in body(chinese) and "Asia/Shanghai" in body(chinese)
    assert "2026-11-27 02:30" in body(english) and "Europe/London" in body(english)
    assert f"{world.requester} chased incident {incident.number}" in body(english)
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 2
    assert chinese["References"] == english["References"] == f"<incident.{incident.pk}@desk.example.test>"


def test_a_user_who_turned_chase_email_off_gets_none_but_still_sees_it_in_the_app(
        world, make, smtp: SmtpServer, django_capture_on_commit_callbacks) -> None:
    notification_preferences_set(actor=world.l1, email_kinds=[k for k in NotificationKind.values if k != "chased"])
    chased_incident(world, make, django_capture_on_commit_callbacks)
    assert [m["To"] for m in smtp.mailbox.messages] == ["l1b@example.test"]
    assert Notification.objects.filter(kind="chased", recipient=world.l1).exists()


def test_people_without_an_address_or_inactive_get_no_email(world, make, smtp: SmtpServer,
                                                            django_capture_on_commit_callbacks) -> None:
    world.l1.email = ""
    world.l1.save()
    world.l1b.is_active = False
    world.l1b.save()
    chased_incident(world, make, django_capture_on_commit_callbacks)
    assert smtp.mailbox.messages == []
    assert not OutgoingEmail.objects.exists()
    assert Notification.objects.filter(kind="chased").count() == 2


def test_a_mail_server_that_is_down_delays_the_message_and_the_retry_delivers_it_exactly_once(
        world, make, smtp_port: int, django_capture_on_commit_callbacks) -> None:
    moment = dt.datetime(2026, 11, 27, 2, 30, tzinfo=dt.UTC)
    with clock.frozen_at(moment):
        incident = chased_incident(world, make, django_capture_on_commit_callbacks)  # nothing listens on the port
    assert incident.chase_count == 1  # the user's write went through
    waiting = list(OutgoingEmail.objects.order_by("to_address"))
    assert [e.to_address for e in waiting] == ["l1@example.test", "l1b@example.test"]
    for row in waiting:
        assert row.status == EmailStatus.QUEUED and row.attempts == 1 and row.sent_at is None
        assert row.last_error  # e.g. ConnectionRefusedError: [Errno 111] Connection refused
        assert row.next_attempt_at == moment + backoff(1) > moment

    with clock.frozen_at(moment + dt.timedelta(seconds=30)):  # not due yet: nothing is tried
        assert send_queued_email.call() == {"sent": 0, "deferred": 0, "failed": 0}

    server = SmtpServer(port=smtp_port, mailbox=Mailbox())
    server.start()
    try:
        with clock.frozen_at(moment + dt.timedelta(minutes=2)):
            assert send_queued_email.call() == {"sent": 2, "deferred": 0, "failed": 0}
            assert send_queued_email.call() == {"sent": 0, "deferred": 0, "failed": 0}
        with clock.frozen_at(moment + dt.timedelta(hours=3)):
            send_queued_email.call()
    finally:
        server.stop()
    assert sorted(m["To"] for m in server.mailbox.messages) == ["l1@example.test", "l1b@example.test"]
    sent = list(OutgoingEmail.objects.all())
    assert {(e.status, e.attempts, e.last_error) for e in sent} == {(EmailStatus.SENT, 2, "")}


def test_failures_back_off_longer_each_time_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 7, 8, 30)] == [1, 2, 4, 8, 60, 60, 60]


def test_a_refused_or_unusable_address_fails_alone_and_the_others_are_delivered(
        world, smtp: SmtpServer, django_capture_on_commit_callbacks) -> None:
    incident = Maker(world).report()
    OutgoingEmail.objects.all().delete()
    world.l1.email = "bad@@example.test"  # cannot even be written into a header
    world.l1.save()
    smtp.mailbox.refuse_rcpt.add("l2@example.test")  # 550 at RCPT
    smtp.mailbox.refuse_data.add("l3@example.test")  # 554 at DATA
    people = [world.l1, world.l1b, world.l2, world.l3, world.manager]
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=people, kind="assigned", subject=incident, actor=world.desk)
    assert sorted(m["To"] for m in smtp.mailbox.messages) == ["incident_manager@example.test", "l1b@example.test"]
    outcome = {e.to_address: (e.status, e.last_error) for e in OutgoingEmail.objects.all()}
    assert outcome["l1b@example.test"] == (EmailStatus.SENT, "")
    assert outcome["bad@@example.test"][0] == EmailStatus.FAILED and "Invalid address" in outcome["bad@@example.test"][1]
    assert outcome["l2@example.test"][0] == EmailStatus.FAILED and "550" in outcome["l2@example.test"][1]
    assert outcome["l3@example.test"][0] == EmailStatus.FAILED and "554" in outcome["l3@example.test"][1]
    send_queued_email.call()  # a permanent refusal is not retried
    assert len(smtp.mailbox.messages) == 2


def test_a_message_another_worker_is_sending_is_left_alone_unless_that_worker_died(
        world, smtp: SmtpServer) -> None:
    incident = Maker(world).report()
    OutgoingEmail.objects.all().delete()
    now = clock.now()
    notify(recipients=[world.l1], kind="assigned", subject=incident, actor=world.desk)  # no commit: nothing sent
    OutgoingEmail.objects.update(status=EmailStatus.SENDING, claimed_at=now)
    assert send_queued_email.call()["sent"] == 0
    with clock.frozen_at(now + dt.timedelta(minutes=20)):
        assert send_queued_email.call()["sent"] == 1
    assert len(smtp.mailbox.messages) == 1


def test_threshold_and_breach_email_say_how_far_the_clock_is_in_the_readers_language(
        world, smtp: SmtpServer, django_capture_on_commit_callbacks) -> None:
    incident = Maker(world).report()
    world.l1b.language = "en"
    world.l1b.save()
    due = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.l1b], kind=NotificationKind.SLA_THRESHOLD, subject=incident, actor=None,
               data={"percent": 80, "clock": "resolution", "due_at": due.isoformat()})
        notify(recipients=[world.l1b], kind=NotificationKind.SLA_BREACHED, subject=incident, actor=None,
               data={"clock": "response", "due_at": due.isoformat()})
    threshold, breach = smtp.mailbox.messages
    assert "80% of the resolution time" in threshold["Subject"]
    assert f"80% of the resolution time of incident {incident.number} has passed." in body(threshold)
    assert "It is due at 2026-11-27 17:00." in body(threshold)  # Shanghai
    assert "Response target breached" in breach["Subject"]
    assert f"Incident {incident.number} has breached its response target." in body(breach)
    note = Notification.objects.get(kind="sla_threshold")
    assert note.data == {"percent": 80, "clock": "resolution", "due_at": due.isoformat()}
    with translation.override("en"):
        assert note.detail == "80% of the resolution time has passed."


def test_every_kind_renders_in_both_languages(world) -> None:
    from opsdesk.notifications.emails import render_parts

    incident = Maker(world).report()
    notify(recipients=[world.l1], kind="assigned", subject=incident, actor=world.desk)
    note = Notification.objects.get()
    for kind in NotificationKind.values:
        note.kind = kind
        note.data = {"percent": 50, "clock": "response"}
        for language in ("zh-hans", "en"):
            world.l1.language = language
            subject, text, page = render_parts(note, world.l1)
            assert incident.number in subject and incident.title in subject, (kind, language)
            assert f"/incidents/{incident.number}/" in text and "{" not in text, (kind, language)
            assert "<html" in page and f"/incidents/{incident.number}/" in page


def test_the_demos_made_up_history_is_not_emailed(world) -> None:
    incident = Maker(world).report()
    OutgoingEmail.objects.all().delete()
    with context.bound(source="demo"):
        notify(recipients=[world.l1], kind="assigned", subject=incident, actor=world.desk)
    assert Notification.objects.filter(recipient=world.l1).exists()
    assert not OutgoingEmail.objects.exists()


def test_notify_costs_the_same_few_queries_for_one_recipient_or_many(world, django_assert_num_queries) -> None:
    incident = Maker(world).report()
    people = [world.l1, world.l1b, world.l2, world.l3, world.manager, world.desk, world.admin]
    with django_assert_num_queries(3):  # notifications, who wants email, the outbox rows
        assert notify(recipients=people[:1], kind="assigned", subject=incident, actor=world.requester) == 1
    with django_assert_num_queries(3):
        assert notify(recipients=people, kind="assigned", subject=incident, actor=world.requester) == 7
    assert OutgoingEmail.objects.filter(notification__subject_id=incident.pk, notification__kind="assigned",
                                        notification__actor_name=str(world.requester)).count() == 8


@pytest.mark.django_db(transaction=True)
def test_a_chase_from_the_portal_commits_at_once_while_the_mail_server_is_down(smtp_port: int) -> None:
    """A real commit (no test transaction around it): the on-commit task finds the server down; the page works."""
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import build_world

    world = build_world()
    incident = Maker(world).in_progress()
    client = Client()
    client.force_login(world.requester)
    response = client.post(reverse("ui:incident_transition", args=[incident.number, "chase"]),
                           {"view": "portal", "chase-comment": "Urgent please"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.chase_count == 1
    chased = OutgoingEmail.objects.filter(notification__kind="chased")
    assert sorted(chased.values_list("to_address", flat=True)) == ["l1@example.test", "l1b@example.test"]
    assert {(e.status, e.attempts) for e in chased} == {(EmailStatus.QUEUED, 1)}
    assert all("refused" in e.last_error.lower() for e in chased)


@pytest.mark.django_db(transaction=True)
def test_with_the_database_queue_one_task_is_enqueued_per_notifying_write_not_per_recipient(settings) -> None:
    from django_tasks_db.models import DBTaskResult

    from tests.conftest import build_world

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    world = build_world()
    incident = Maker(world).report()
    before = DBTaskResult.objects.count()
    notify(recipients=[world.l1, world.l1b, world.l2, world.l3], kind="assigned", subject=incident, actor=world.desk)
    tasks = DBTaskResult.objects.order_by("-enqueued_at")[: DBTaskResult.objects.count() - before]
    assert [t.task_path for t in tasks] == ["opsdesk.notifications.tasks.send_queued_email"]
    assert OutgoingEmail.objects.filter(status=EmailStatus.QUEUED).count() >= 4


def test_what_people_typed_is_escaped_in_the_html_part_and_left_as_typed_in_the_text(world) -> None:
    from opsdesk.notifications.emails import render_parts

    incident = Maker(world).report(title="<b>报表</b> & <script>x</script>")
    notify(recipients=[world.l1], kind="commented", subject=incident, actor=world.desk, text="<img src=x onerror=y>")
    subject, text, page = render_parts(Notification.objects.get(kind="commented"), world.l1)
    assert "<b>报表</b> & <script>x</script>" in subject and "<img src=x onerror=y>" in text
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;img src=x onerror=y&gt;" in page


def test_assignment_resolution_and_reopen_each_email_the_people_concerned(
        world, make, smtp: SmtpServer, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = make.report()
    with django_capture_on_commit_callbacks(execute=True):
        incident = step(incident, world.desk, "assign", group=world.l1_group, assignee=world.l1)
    with django_capture_on_commit_callbacks(execute=True):
        incident = step(step(incident, world.l1, "accept"), world.l1, "resolve", resolution="Cleared the cache")
    with django_capture_on_commit_callbacks(execute=True):
        incident = step(incident, world.requester, "reject", reason="Still fails")
    got = [(str(m["To"]), m["X-Opsdesk-Kind"]) for m in smtp.mailbox.messages]
    assert got == [("l1@example.test", "assigned"), ("requester@example.test", "resolved"),
                   ("l1@example.test", "reopened"), ("l1b@example.test", "reopened")]
    resolved = smtp.mailbox.to("requester@example.test")[0]
    assert incident.number in resolved["Subject"] and "Cleared the cache" in body(resolved)  # what was done
