"""Bad input is refused with an error naming the field, and nothing at all is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.accounts import services as accounts
from opsdesk.audit.models import AuditEntry
from opsdesk.catalog.models import Service
from opsdesk.core import clock
from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import NumberSequence
from opsdesk.incidents import services
from opsdesk.incidents.models import Attachment, Incident
from opsdesk.notifications.models import Notification


def _written(media_root: Path) -> dict[str, Any]:
    return {
        "incidents": Incident.objects.count(),
        "attachments": Attachment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "numbers": list(NumberSequence.objects.values_list("key", "last_value")),
        "notifications": Notification.objects.count(),
        "files": sorted(str(p) for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else [],
    }


def _create(world, **changes: Any) -> Incident:
    fields: dict[str, Any] = {
        "actor": world.requester, "title": "VPN drops", "description": "Every ten minutes.",
        "service": world.production, "category": world.categories["operation"],
        "attachments": [SimpleUploadedFile("ok.txt", b"fine")],
    }
    fields.update(changes)
    return services.incident_create(**fields)


def _inactive_service(world) -> Service:
    return Service.objects.create(name="旧系统", code="legacy", is_active=False)


BAD_CREATE: list[tuple[str, Any, str]] = [
    ("empty title", {"title": ""}, "title"),
    ("blank title", {"title": "   "}, "title"),
    ("long title", {"title": "x" * 201}, "title"),
    ("empty description", {"description": ""}, "description"),
    ("blank description", {"description": "\n\t "}, "description"),
    ("future occurrence", {"occurred_at": lambda w: clock.now() + dt.timedelta(days=1)}, "occurred_at"),
    ("no service", {"service": None}, "service"),
    ("inactive service", {"service": _inactive_service, "category": None}, "service"),
    ("category of another service", {"category": lambda w: w.categories["erp_report"]}, "category"),
    ("bad email", {"contact_email": "not-an-email"}, "contact_email"),
    ("impact zero", {"impact": 0}, "impact"),
    ("impact word", {"impact": "high"}, "impact"),
    ("impact too big", {"impact": 4}, "impact"),
    ("urgency missing value", {"urgency": None}, "urgency"),
    ("urgency too big", {"urgency": 9}, "urgency"),
    ("unknown channel", {"channel": "pigeon"}, "channel"),
    ("refused file type", {"attachments": [SimpleUploadedFile("ok.txt", b"fine"),
                                           SimpleUploadedFile("setup.exe", b"MZ")]}, "attachments"),
    ("file without extension", {"attachments": [SimpleUploadedFile("README", b"x")]}, "attachments"),
]


@pytest.mark.parametrize(("changes", "field"), [pytest.param(c, f, id=i) for i, c, f in BAD_CREATE])
def test_a_bad_report_is_refused_by_field_and_writes_nothing(world, media_root, changes, field) -> None:
    before = _written(media_root)
    resolved = {k: v(world) if callable(v) else v for k, v in changes.items()}
    with pytest.raises(ValidationFailed) as caught:
        _create(world, **resolved)
    assert field in caught.value.field_errors, caught.value.field_errors
    assert caught.value.field_errors[field][0]  # a message the form can show next to the field
    assert caught.value.status == 422
    assert _written(media_root) == before


def test_a_file_over_the_size_limit_is_refused_and_not_stored(world, media_root, settings) -> None:
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 1024
    before = _written(media_root)
    with pytest.raises(ValidationFailed) as caught:
        _create(world, attachments=[SimpleUploadedFile("small.txt", b"x"), SimpleUploadedFile("big.log", b"x" * 1025)])
    assert "big.log" in caught.value.field_errors["attachments"][0]
    assert _written(media_root) == before
    assert _create(world, attachments=[SimpleUploadedFile("exact.log", b"x" * 1024)]).attachments.count() == 1


def test_the_accepted_file_types_are_a_setting(world, media_root, settings) -> None:
    settings.OPSDESK_ATTACHMENT_EXTENSIONS = ["pdf"]
    with pytest.raises(ValidationFailed) as caught:
        _create(world, attachments=[SimpleUploadedFile("notes.txt", b"x")])
    assert "pdf" in caught.value.field_errors["attachments"][0]
    assert _create(world, attachments=[SimpleUploadedFile("SCAN.PDF", b"%PDF")]).attachments.count() == 1


def test_empty_title_and_description_are_both_named_at_once(world) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _create(world, title="", description="")
    assert {"title", "description"} <= set(caught.value.field_errors)


def test_a_requester_without_an_organisation_cannot_be_recorded_for(world, media_root) -> None:
    orphan = accounts.user_create(username="orphan", password=None, organisation=world.city_a)
    orphan.organisation = None
    orphan.save()
    with pytest.raises(ValidationFailed) as caught:
        _create(world, actor=world.desk, requester=orphan)
    assert "requester" in caught.value.field_errors
    assert not Incident.objects.exists()


def test_an_occurrence_time_in_the_past_is_kept(world) -> None:
    moment = clock.now() - dt.timedelta(hours=3)
    assert _create(world, occurred_at=moment).occurred_at == moment


# Updates ------------------------------------------------------------------------------------------

BAD_UPDATE: list[tuple[str, Any, str]] = [
    ("empty title", {"title": ""}, "title"),
    ("empty description", {"description": " "}, "description"),
    ("category of another service", {"category": lambda w: w.categories["erp_report"]}, "category"),
    ("inactive service", {"service": _inactive_service, "category": None}, "service"),
    ("bad email", {"contact_email": "a@b@c"}, "contact_email"),
    ("future occurrence", {"occurred_at": lambda w: clock.now() + dt.timedelta(hours=2)}, "occurred_at"),
    ("bad impact", {"impact": 7}, "impact"),
    ("bad urgency", {"urgency": "soon"}, "urgency"),
    ("the state is not a field", {"state": "closed"}, "state"),
    ("the requester is not a field", {"requester": None}, "requester"),
]


@pytest.mark.parametrize(("changes", "field"), [pytest.param(c, f, id=i) for i, c, f in BAD_UPDATE])
def test_a_bad_update_is_refused_by_field_and_changes_nothing(world, make, media_root, changes, field) -> None:
    incident = make.report()
    row = Incident.objects.filter(pk=incident.pk).values().get()
    before = _written(media_root)
    resolved = {k: v(world) if callable(v) else v for k, v in changes.items()}
    with pytest.raises(ValidationFailed) as caught:
        services.incident_update(actor=world.desk, incident=incident.number, version=incident.version, **resolved)
    assert field in caught.value.field_errors
    assert Incident.objects.filter(pk=incident.pk).values().get() == row
    assert _written(media_root) == before


def test_moving_to_another_service_with_its_own_category_is_fine(world, make) -> None:
    incident = make.report()
    updated = services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                       service=world.erp, category=world.categories["erp_report"])
    assert (updated.service, updated.category) == (world.erp, world.categories["erp_report"])


# Attaching to an existing record --------------------------------------------------------------------


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("payload.sh", b"#!/bin/sh"),
    SimpleUploadedFile("archive.tar.exe", b"MZ"),
], ids=["shell script", "double extension"])
def test_a_refused_attachment_leaves_no_file_no_row_no_audit(world, make, media_root, upload) -> None:
    incident = make.in_progress()
    before = _written(media_root)
    with pytest.raises(ValidationFailed) as caught:
        services.incident_attach(actor=world.l1, incident=incident.number, upload=upload)
    assert "attachments" in caught.value.field_errors
    assert _written(media_root) == before


def test_an_oversized_attachment_leaves_nothing(world, make, media_root, settings) -> None:
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 10
    incident = make.in_progress()
    before = _written(media_root)
    with pytest.raises(ValidationFailed):
        services.incident_attach(actor=world.l1, incident=incident.number,
                                 upload=SimpleUploadedFile("dump.log", b"0123456789A"))
    assert _written(media_root) == before


# Values of the wrong shape from a caller that did not parse them (a task, an email, a script) ---------------


def test_a_local_occurrence_time_without_a_zone_is_read_as_shanghai_time(world) -> None:
    local = dt.datetime(2026, 11, 27, 8, 30)  # noqa: DTZ001 - no zone, as an email header or a script may give
    with clock.frozen_at(dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)):
        incident = _create(world, occurred_at=local)
    assert incident.occurred_at == dt.datetime(2026, 11, 27, 0, 30, tzinfo=dt.UTC)


def test_a_local_occurrence_time_in_the_future_is_refused(world, media_root) -> None:
    before = _written(media_root)
    with clock.frozen_at(dt.datetime(2026, 11, 27, 0, 0, tzinfo=dt.UTC)):  # 08:00 in Shanghai
        with pytest.raises(ValidationFailed) as caught:
            _create(world, occurred_at=dt.datetime(2026, 11, 27, 10, 0))  # noqa: DTZ001
    assert "occurred_at" in caught.value.field_errors
    assert _written(media_root) == before


def test_an_occurrence_time_that_is_not_a_time_is_refused(world, make) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _create(world, occurred_at="yesterday")
    with pytest.raises(ValidationFailed):
        _create(world, occurred_at="2026-13-01T08:00")
    assert "occurred_at" in caught.value.field_errors
    incident = make.report()
    with pytest.raises(ValidationFailed) as caught:
        services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                 occurred_at="yesterday")
    assert "occurred_at" in caught.value.field_errors


@pytest.mark.parametrize("field", ["contact_name", "contact_phone", "contact_email"])
def test_clearing_a_contact_detail_with_none_stores_it_empty(world, make, field) -> None:
    incident = make.report()
    updated = services.incident_update(actor=world.desk, incident=incident.number, version=incident.version,
                                       **{field: None})
    assert getattr(Incident.objects.get(pk=updated.pk), field) == ""


def test_a_retired_category_is_refused(world, media_root) -> None:
    retired = world.categories["bug"]
    retired.is_active = False
    retired.save()
    before = _written(media_root)
    with pytest.raises(ValidationFailed) as caught:
        _create(world, category=retired)
    assert "category" in caught.value.field_errors
    assert _written(media_root) == before


def test_naming_an_engineer_without_a_group_is_refused_not_ignored(world, media_root) -> None:
    before = _written(media_root)
    with pytest.raises(ValidationFailed) as caught:
        _create(world, actor=world.desk, requester=world.requester, assignee=world.l1)
    assert "group" in caught.value.field_errors
    assert _written(media_root) == before
