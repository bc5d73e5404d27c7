"""CIs: edits as history, optimistic locking, search and filters, scoping, lifecycle, custody."""

from __future__ import annotations

import datetime as dt

import pytest

from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.selectors import CIFilter
from opsdesk.core import clock
from opsdesk.core.errors import (
    NotFound,
    PermissionDenied,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)


def test_each_edit_is_history_with_who_and_old_and_new(cmdb, world):
    ci = cmdb.ci("server", "srv-01", attributes={"cpu_cores": 8}, location="A栋3楼")
    services.ci_update(actor=world.l1, ci=ci, version=1, name="srv-erp-01", attributes={"cpu_cores": "16"},
                       location="B栋1楼")
    entries = selectors.ci_timeline(user=world.l1, ci=ci)
    assert [e.action for e in entries] == ["ci.created", "ci.updated"]
    changes = entries[1].data["changes"]
    assert changes["name"] == ["srv-01", "srv-erp-01"]
    assert changes["attributes.cpu_cores"] == [8, 16]
    assert changes["location"] == ["A栋3楼", "B栋1楼"]
    assert entries[1].actor == world.l1


def test_a_stale_version_is_refused_and_nothing_changes(cmdb, world):
    ci = cmdb.ci("server", "srv-01")
    services.ci_update(actor=world.l1, ci=ci, version=1, name="srv-a")
    with pytest.raises(StaleVersion):
        services.ci_update(actor=world.l1b, ci=ci, version=1, name="srv-b")
    ci.refresh_from_db()
    assert ci.name == "srv-a" and ci.version == 2


def test_an_edit_that_changes_nothing_writes_no_history(cmdb, world):
    ci = cmdb.ci("server", "srv-01", attributes={"cpu_cores": 8})
    services.ci_update(actor=world.l1, ci=ci, attributes={"cpu_cores": "8"})
    assert len(selectors.ci_timeline(user=world.l1, ci=ci)) == 1


def test_clearing_an_optional_attribute_removes_its_value_and_frees_a_unique_one(cmdb, world):
    ci = cmdb.ci("server", "srv-01", attributes={"serial_number": "SN-9"})
    ci = services.ci_update(actor=world.admin, ci=ci, attributes={"serial_number": ""})
    assert "serial_number" not in ci.attributes
    assert cmdb.ci("server", "srv-02", attributes={"serial_number": "SN-9"}).attributes["serial_number"] == "SN-9"


def test_search_over_name_and_text_attributes_and_filter_by_any_attribute(cmdb, world):
    a = cmdb.ci("server", "erp-app-01", attributes={"cpu_cores": 8, "manufacturer": "华为", "os": "Linux"})
    b = cmdb.ci("server", "mail-01", attributes={"cpu_cores": 32, "manufacturer": "Dell", "os": "Windows"})
    c = cmdb.ci("network_device", "core-sw", attributes={"device_role": "core", "manufacturer": "华为"})

    def ids(**kwargs):
        return {ci.pk for ci in selectors.ci_list(user=world.admin, filters=CIFilter(**kwargs))}

    assert ids(q="erp") == {a.pk}
    assert ids(q="华为") == {a.pk, c.pk}
    assert ids(attrs={"os": "windows"}) == {b.pk}
    assert ids(attrs={"cpu_cores__gte": "10"}) == {b.pk}
    assert ids(attrs={"cpu_cores": "8"}) == {a.pk}
    assert ids(ci_class=cmdb.classes["hardware"].pk) == {a.pk, b.pk, c.pk}
    assert ids(ci_class=cmdb.classes["network_device"].pk) == {c.pk}
    assert ids(attrs={"manufacturer": "华为"}, ci_class=cmdb.classes["server"].pk) == {a.pk}
    with pytest.raises(ValidationFailed):
        ids(attrs={"no_such_attribute": "1"})
    with pytest.raises(ValidationFailed):
        ids(attrs={"cpu_cores__gte": "lots"})


def test_a_city_sees_its_own_cis_the_province_sees_both_requesters_none(cmdb, world):
    mine = cmdb.ci("server", "a-srv", org=world.city_a)
    theirs = cmdb.ci("server", "b-srv", org=world.city_b)
    assert set(selectors.ci_list(user=world.l1)) == {mine}
    assert set(selectors.ci_list(user=world.l2)) == {mine, theirs}
    assert set(selectors.ci_list(user=world.requester)) == set()
    with pytest.raises(NotFound):
        selectors.ci_get(user=world.l1, ci_id=theirs.pk)
    with pytest.raises(NotFound):
        selectors.ci_get(user=world.requester, ci_id=mine.pk)


def test_writes_need_an_engineer_or_admin_in_the_cis_organisation(cmdb, world):
    theirs = cmdb.ci("server", "b-srv", org=world.city_b)
    with pytest.raises(NotFound):
        services.ci_update(actor=world.l1, ci=theirs, name="mine now")
    with pytest.raises(PermissionDenied):
        cmdb.ci("server", "x", org=world.city_b, actor=world.l1)
    with pytest.raises(PermissionDenied):
        services.ci_update(actor=world.auditor, ci=theirs, name="audited")
    with pytest.raises(PermissionDenied):
        cmdb.ci("server", "x", actor=world.requester)


def test_the_asset_lifecycle_with_reasons(cmdb, world):
    ci = cmdb.ci("server", "srv-01")
    assert ci.state == "registered"
    services.ci_transition(actor=world.l1, ci=ci, transition="verify")
    services.ci_transition(actor=world.l1, ci=ci, transition="put_in_use")
    with pytest.raises(ValidationFailed):
        services.ci_transition(actor=world.l1, ci=ci, transition="repair")
    services.ci_transition(actor=world.l1, ci=ci, transition="repair", reason="电源故障")
    services.ci_transition(actor=world.l1, ci=ci, transition="upgrade", reason="更换电源并扩容内存")
    services.ci_transition(actor=world.l1, ci=ci, transition="put_in_use")
    services.ci_transition(actor=world.l1, ci=ci, transition="retire", reason="到期")
    services.ci_transition(actor=world.l1, ci=ci, transition="scrap", reason="报废处置")
    ci.refresh_from_db()
    assert ci.state == "scrapped"
    entries = [e for e in selectors.ci_timeline(user=world.l1, ci=ci) if e.action == "ci.state_changed"]
    assert entries[2].data == {"transition": "repair", "reason": "电源故障", "changes": {"state": ["in_use", "in_repair"]}}
    with pytest.raises(TransitionNotAllowed):
        services.ci_transition(actor=world.l1, ci=ci, transition="put_in_use")


def test_lifecycle_refused_to_readers_and_stale_versions(cmdb, world):
    ci = cmdb.ci("server", "srv-01")
    with pytest.raises(PermissionDenied):
        services.ci_transition(actor=world.auditor, ci=ci, transition="verify")
    with pytest.raises(StaleVersion):
        services.ci_transition(actor=world.l1, ci=ci, transition="verify", version=7)
    assert [t.name for t in selectors.ci_transitions(user=world.l1, ci=ci)] == ["verify", "retire"]
    assert selectors.ci_transitions(user=world.auditor, ci=ci) == []


def test_asset_data_validation_and_warranty_report(cmdb, world):
    with clock.frozen_at(dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)):
        soon = cmdb.ci("server", "srv-soon", warranty_end="2026-08-01", value="12800.5", supplier="浪潮",
                       purchase_date="2025/06/01", financial_category="fixed_asset", custodian=world.l1)
        cmdb.ci("server", "srv-later", warranty_end="2027-01-01")
        cmdb.ci("server", "srv-past", warranty_end="2026-05-01")
        cmdb.ci("server", "srv-b", org=world.city_b, warranty_end="2026-07-01")
        assert [c.name for c in selectors.warranty_expiring(user=world.l1)] == ["srv-soon"]
        assert [c.name for c in selectors.warranty_expiring(user=world.l2)] == ["srv-b", "srv-soon"]
    assert str(soon.value) == "12800.50" and soon.purchase_date == dt.date(2025, 6, 1)
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("server", "bad", value="lots", warranty_end="soon", financial_category="gift")
    assert set(excinfo.value.field_errors) == {"value", "warranty_end", "financial_category"}


def test_custody_agreement_sets_the_custodian_and_is_history(cmdb, world):
    ci = cmdb.ci("server", "srv-01")
    with clock.frozen_at(dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)):
        agreement = services.custody_agreement_record(actor=world.l1, ci=ci, number="BG-2026-001",
                                                      signed_on="2026-05-30", custodian=world.l1b)
        with pytest.raises(ValidationFailed) as excinfo:
            services.custody_agreement_record(actor=world.l1, ci=ci, number="", signed_on="2026-07-01",
                                              custodian=world.l1b)
    assert set(excinfo.value.field_errors) == {"number", "signed_on"}
    ci.refresh_from_db()
    assert ci.custodian == world.l1b and agreement.signed_on == dt.date(2026, 5, 30)
    last = selectors.ci_timeline(user=world.l1, ci=ci)[-1]
    assert last.action == "ci.custody_recorded" and last.data["agreement"]["number"] == "BG-2026-001"
