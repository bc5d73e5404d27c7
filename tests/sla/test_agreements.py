"""Agreements and the service link through the services: who may, what is valid, what is audited."""

from __future__ import annotations

import pytest

from opsdesk.audit.models import AuditEntry
from opsdesk.core.errors import PermissionDenied, ValidationFailed
from opsdesk.sla import selectors, services
from opsdesk.sla.models import AgreementTarget, ServiceLevelAgreement

from .conftest import TARGETS, THRESHOLDS


def test_only_administrators_change_agreements(world, office):
    for user in (world.desk, world.manager, world.auditor, world.requester):
        with pytest.raises(PermissionDenied):
            services.agreement_save(actor=user, name="x", code="x", targets=TARGETS)
    made = services.agreement_save(actor=world.admin, name="x", code="x", targets=TARGETS)
    with pytest.raises(PermissionDenied):
        services.service_agreement_set(actor=world.desk, service=world.erp, agreement=made)
    with pytest.raises(PermissionDenied):
        services.operational_target_save(actor=world.l1, group=world.l1_group, priority=None, target_minutes=60)
    assert not ServiceLevelAgreement.objects.exclude(code="x").exists()


def test_bad_targets_and_thresholds_name_their_fields_and_write_nothing(world, office):
    with pytest.raises(ValidationFailed) as caught:
        services.agreement_save(actor=world.admin, name=" ", code="", targets={1: (0, "x"), 2: (90, 60)},
                                thresholds=[{"percent": 0}, {"percent": 50}, {"percent": 50}])
    assert set(caught.value.field_errors) == {"name", "code", "response_1", "resolution_1", "response_2",
                                              "thresholds"}
    with pytest.raises(ValidationFailed) as caught:
        services.agreement_save(actor=world.admin, name="x", code="x", targets={})
    assert set(caught.value.field_errors) == {"targets"}
    assert not ServiceLevelAgreement.objects.exists() and not AgreementTarget.objects.exists()


def test_editing_an_agreement_replaces_targets_and_thresholds_and_is_audited(world, agreement):
    services.agreement_save(actor=world.admin, agreement=agreement, name=agreement.name, code=agreement.code,
                            calendar=agreement.calendar, targets={1: (10, 120)}, thresholds=THRESHOLDS[1:],
                            pause_on_vendor=True)
    agreement = selectors.agreement_get(agreement_id=agreement.pk)
    assert [(t.priority, t.response_minutes) for t in agreement.targets.all()] == [(1, 10)]
    assert [t.percent for t in agreement.thresholds.all()] == [80, 100]
    assert agreement.pause_reasons == {"customer", "vendor"} and agreement.version == 2
    entry = AuditEntry.objects.filter(action="sla.agreement_updated").get()
    assert entry.data["changes"]["pause_on_vendor"] == [False, True]
    assert entry.data["changes"]["targets"][1] == {"1": [10, 120]}
    with pytest.raises(ValidationFailed) as caught:
        services.agreement_save(actor=world.admin, name="other", code=agreement.code, targets=TARGETS)
    assert set(caught.value.field_errors) == {"code"}


def test_the_service_link_contract(world, agreement):
    assert selectors.agreement_for_service(world.production) == agreement
    assert selectors.agreement_for_service(world.erp) is None
    services.service_agreement_set(actor=world.admin, service=world.production, agreement=None)
    assert selectors.agreement_for_service(world.production) is None
    services.service_agreement_set(actor=world.admin, service=world.production, agreement=None)  # no change
    entries = AuditEntry.objects.filter(action="sla.service_agreement_set", subject_id=world.production.pk)
    assert [e.data["changes"]["agreement"] for e in entries.order_by("id")] == [[None, agreement.pk],
                                                                                [agreement.pk, None]]
    retired = services.agreement_save(actor=world.admin, name="old", code="old", targets=TARGETS, is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        services.service_agreement_set(actor=world.admin, service=world.erp, agreement=retired)
    assert set(caught.value.field_errors) == {"agreement"}
    assert [a.code for a in selectors.agreement_list(q="prod")] == ["production"]
