"""The demo data: the people the README names can sign in, every state is there, the history is sound."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from opsdesk.accounts.models import User
from opsdesk.accounts.services import user_sign_in
from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_verify_chain
from opsdesk.catalog.models import Category
from opsdesk.demo.loader import DemoNotLoadable, LoadReport, load_demo
from opsdesk.demo.seed import NAMED_USERS
from opsdesk.incidents.choices import IncidentState
from opsdesk.incidents.models import Comment, Incident, WorkLog
from opsdesk.incidents.selectors import visible_to

SMALL = 40  # incidents besides the two major-incident families: enough for every state, quick to load


FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[LoadReport]:
    """The demo loaded once for this module, rolled back after it (with a fast hasher: the tests check
    that "demo" is the password, not how slowly it is hashed)."""
    with FAST_HASHER, django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(incidents=SMALL)
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("demo")


def test_every_user_the_readme_names_signs_in_with_the_password_demo(db) -> None:
    for username in NAMED_USERS:
        assert user_sign_in(username=username, password="demo", ip="127.0.0.1").username == username
    assert User.objects.get(username="admin").is_superuser


def test_requester2_belongs_to_another_city_company_and_sees_none_of_requesters_records(db) -> None:
    requester, requester2 = User.objects.get(username="requester"), User.objects.get(username="requester2")
    assert requester.organisation.level == requester2.organisation.level == "city"
    assert requester.organisation_id != requester2.organisation_id
    own = Incident.objects.filter(requester=requester)
    assert own.exists() and Incident.objects.filter(requester=requester2).exists()
    assert not visible_to(requester2).filter(pk__in=own).exists()


def test_there_are_incidents_in_every_state(db, demo: LoadReport) -> None:
    states = Counter(Incident.objects.values_list("state", flat=True))
    assert set(states) == set(IncidentState.values), states
    assert sum(states.values()) == demo.incidents >= SMALL


def test_closed_incidents_carry_ratings_and_some_closed_by_themselves(db) -> None:
    closed = Incident.objects.filter(state=IncidentState.CLOSED)
    assert closed.filter(satisfaction__in=range(1, 6)).exists()
    assert closed.filter(auto_confirmed=True).exists()
    assert AuditEntry.objects.filter(action="incident.auto_confirmed", actor__isnull=True).exists()


def test_the_audit_chain_is_intact_and_tells_each_incidents_story(db) -> None:
    report = audit_verify_chain()
    assert report.intact, report
    created = set(AuditEntry.objects.filter(action="incident.created").values_list("subject_id", flat=True))
    assert created == set(Incident.objects.values_list("pk", flat=True))
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"incident.assigned", "incident.accepted", "incident.escalated", "incident.work_logged",
            "incident.resolved", "incident.confirmed", "incident.commented", "incident.cancelled"} <= actions


def test_entries_follow_each_other_in_time(db) -> None:
    moments = list(AuditEntry.objects.order_by("id").values_list("at", flat=True))
    assert moments == sorted(moments)


def test_a_major_incident_is_under_way_with_linked_children_and_updates(db) -> None:
    live = Incident.objects.get(is_major=True, state=IncidentState.IN_PROGRESS)
    assert live.major_owner.username == "incident_manager"
    assert live.children.count() == 4
    assert AuditEntry.objects.filter(action="incident.major_update", subject_id=live.pk).count() == 2
    assert Incident.objects.filter(is_major=True, state=IncidentState.CLOSED).exists()


def test_history_spans_weeks_and_numbers_carry_the_day_of_creation(db) -> None:
    first = Incident.objects.order_by("created_at").first()
    last = Incident.objects.order_by("created_at").last()
    assert last.created_at - first.created_at > dt.timedelta(days=14)
    for incident in Incident.objects.all():
        assert incident.number[3:11] == incident.created_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")


def test_handlers_left_work_logs_and_internal_notes(db) -> None:
    assert WorkLog.objects.filter(minutes__gt=0).count() >= SMALL
    assert Comment.objects.filter(is_internal=True).exists()
    assert Comment.objects.filter(is_internal=False).exists()


def test_the_seed_default_categories_exist_for_the_production_system_and_the_erp(db) -> None:
    production = set(Category.objects.filter(service__code="pms", parent=None).values_list("name", flat=True))
    assert production == {"操作事件", "业务事件", "用户处理", "系统管理", "数据问题", "新需求", "程序BUG"}
    erp = set(Category.objects.filter(service__code="erp", parent=None).values_list("name", flat=True))
    assert erp == {"业务问题", "报表问题", "数据问题", "账号权限问题"}


def test_loading_again_is_refused_and_demo_load_if_empty_does_nothing(db, capsys) -> None:
    count = Incident.objects.count()
    with pytest.raises(DemoNotLoadable):
        load_demo(incidents=SMALL)
    call_command("demo_load", "--if-empty")
    assert "already loaded" in capsys.readouterr().out
    assert Incident.objects.count() == count
