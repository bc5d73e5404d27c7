"""Who created which organisation, person and group, and who granted which role, is in the audit trail."""

from __future__ import annotations

from opsdesk.accounts import services as accounts
from opsdesk.accounts.roles import Role
from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_verify_chain


def test_creating_an_organisation_a_person_and_a_group_is_audited(world) -> None:
    city = accounts.organisation_create(name="丙市公司", name_en="City C", code="city-c", level="city",
                                        parent=world.province, actor=world.admin)
    person = accounts.user_create(username="l1c", password=None, organisation=city, roles=[Role.ENGINEER_L1],
                                  actor=world.admin)
    group = accounts.group_create(name="丙市一线", code="l1-c", organisation=city, line="l1", members=[person],
                                  lead=person, actor=world.admin)
    entries = list(AuditEntry.objects.filter(actor=world.admin).order_by("id"))
    assert [(e.action, e.subject_type, e.subject_id, e.organisation_id) for e in entries] == [
        ("organisation.created", "organisation", city.pk, city.pk),
        ("user.created", "user", person.pk, city.pk),
        ("group.created", "group", group.pk, city.pk),
    ]
    assert entries[1].data == {"username": "l1c", "roles": ["engineer_l1"], "groups": [], "is_superuser": False}
    assert entries[2].data["members"] == ["l1c"] and entries[2].data["lead"] == "l1c"


def test_granting_a_role_is_audited_once(world) -> None:
    for _ in range(2):
        accounts.role_assign(user=world.requester, role=Role.ORGANISATION_VIEWER, organisation=world.city_a,
                             actor=world.admin)
    entry = AuditEntry.objects.get(action="role.assigned")
    assert (entry.actor, entry.subject_id, entry.organisation_id) == (world.admin, world.requester.pk, world.city_a.pk)
    assert entry.data == {"role": "organisation_viewer", "organisation": "city-a", "include_descendants": True}


def test_the_world_itself_was_written_into_the_chain(world) -> None:
    assert AuditEntry.objects.filter(action="user.created").count() == 12
    assert AuditEntry.objects.filter(action="user.created", actor__isnull=True, actor_name="system").exists()
    assert audit_verify_chain().intact
