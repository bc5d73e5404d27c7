"""Attribute definitions and the validation of each type, with inheritance and unique values."""

from __future__ import annotations

import pytest

from opsdesk.cmdb import selectors, services
from opsdesk.cmdb.choices import AttributeType
from opsdesk.core.errors import PermissionDenied, ValidationFailed


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.field_errors


@pytest.mark.parametrize(("code", "good", "stored"), [
    ("cpu_cores", "16", 16),
    ("memory_gb", "12.5", 12.5),
    ("os", "linux", "Linux"),
    ("ip_address", "10.0.0.1", "10.0.0.1"),
    ("ip_address", "2001:0db8::0001", "2001:db8::1"),
    ("serial_number", " SN-001 ", "SN-001"),
])
def test_each_type_accepts_a_good_value_and_stores_its_clean_form(cmdb, code, good, stored):
    ci = cmdb.ci("server", "srv-01", attributes={code: good})
    assert ci.attributes[code] == stored


@pytest.mark.parametrize(("code", "bad", "words"), [
    ("cpu_cores", "many", "must be a number"),
    ("cpu_cores", "0", "at least 1"),
    ("os", "BeOS", "is not a choice"),
    ("ip_address", "10.0.0.300", "must be an IP address"),
])
def test_each_type_refuses_a_bad_value_naming_the_attribute(cmdb, code, bad, words):
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("server", "srv-01", attributes={code: bad})
    message = errors_of(excinfo)[f"attributes.{code}"][0]
    assert words in message
    label = {"cpu_cores": "CPU", "os": "Operating system", "ip_address": "IP"}[code]
    assert label in message


def test_a_date_attribute_reads_iso_and_chinese_dates_and_refuses_others(cmdb):
    licence = cmdb.ci("software_licence", "Oracle EE", attributes={"expires_on": "2027年3月1日"})
    assert licence.attributes["expires_on"] == "2027-03-01"
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("software_licence", "Oracle SE", attributes={"expires_on": "2027-02-30"})
    assert "must be a date" in errors_of(excinfo)["attributes.expires_on"][0]


def test_an_ipv4_only_attribute_refuses_ipv6(cmdb, world):
    services.attribute_define(actor=world.admin, ci_class=cmdb.classes["storage"], code="ilo_ip", name="iLO",
                              type=AttributeType.IP_ADDRESS, ip_version=4)
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("storage", "st-01", attributes={"ilo_ip": "::1"})
    assert "IPv4" in errors_of(excinfo)["attributes.ilo_ip"][0]


def test_a_reference_must_point_to_an_existing_ci_of_the_named_class(cmdb):
    server = cmdb.ci("server", "srv-db")
    switch = cmdb.ci("network_device", "sw-01")
    db = cmdb.ci("database", "erp-db", attributes={"host": server.pk})
    assert db.attributes["host"] == server.pk
    by_name = cmdb.ci("database", "erp-db2", attributes={"host": "srv-db"})
    assert by_name.attributes["host"] == server.pk
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("database", "bad-db", attributes={"host": switch.pk})
    assert "another class" in errors_of(excinfo)["attributes.host"][0]
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("database", "bad-db", attributes={"host": 999999})
    assert "does not exist" in errors_of(excinfo)["attributes.host"][0]


def test_a_text_pattern_is_enforced(cmdb, world):
    services.attribute_define(actor=world.admin, ci_class=cmdb.classes["cable"], code="label_code", name="Label",
                              type=AttributeType.TEXT, regex=r"[A-Z]{2}-\d{3}")
    assert cmdb.ci("cable", "c1", attributes={"label_code": "AB-123"}).attributes["label_code"] == "AB-123"
    with pytest.raises(ValidationFailed):
        cmdb.ci("cable", "c2", attributes={"label_code": "ab123"})


def test_unknown_attribute_codes_are_refused(cmdb):
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("cabinet", "rack-1", attributes={"cpu_cores": 4})
    assert "attributes.cpu_cores" in errors_of(excinfo)


def test_subclasses_inherit_attributes_and_say_where_from(cmdb):
    attributes = {a.definition.code: a for a in selectors.class_attributes(cmdb.classes["server"])}
    assert attributes["serial_number"].inherited and attributes["serial_number"].defined_on.code == "hardware"
    assert not attributes["cpu_cores"].inherited
    assert "cpu_cores" not in {a.definition.code for a in selectors.class_attributes(cmdb.classes["cabinet"])}


def test_an_attribute_added_to_a_parent_applies_to_existing_children(cmdb, world):
    services.attribute_define(actor=world.admin, ci_class=cmdb.classes["hardware"], code="power_w", name="功率",
                              type=AttributeType.NUMBER)
    ci = cmdb.ci("network_device", "sw-01", attributes={"power_w": "350"})
    assert ci.attributes["power_w"] == 350


def test_an_attribute_code_must_be_free_in_the_class_line(cmdb, world):
    with pytest.raises(ValidationFailed) as excinfo:
        services.attribute_define(actor=world.admin, ci_class=cmdb.classes["server"], code="serial_number",
                                  name="SN", type=AttributeType.TEXT)
    assert "code" in errors_of(excinfo)


def test_a_required_attribute_must_be_given_and_cannot_be_cleared(cmdb, world):
    services.attribute_define(actor=world.admin, ci_class=cmdb.classes["tool"], code="kind", name="工具类型",
                              type=AttributeType.TEXT, required=True)
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("tool", "tester")
    assert "is required" in errors_of(excinfo)["attributes.kind"][0]
    tool = cmdb.ci("tool", "tester", attributes={"kind": "光功率计"})
    with pytest.raises(ValidationFailed):
        services.ci_update(actor=world.admin, ci=tool, attributes={"kind": ""})


def test_a_choice_attribute_needs_choices_and_refuses_other_types_options(cmdb, world):
    with pytest.raises(ValidationFailed) as excinfo:
        services.attribute_define(actor=world.admin, ci_class=cmdb.classes["tool"], code="grade", name="等级",
                                  type=AttributeType.CHOICE)
    assert "choices" in errors_of(excinfo)
    with pytest.raises(ValidationFailed) as excinfo:
        services.attribute_define(actor=world.admin, ci_class=cmdb.classes["tool"], code="grade", name="等级",
                                  type="colour")
    assert "type" in errors_of(excinfo)


def test_unique_attributes_are_unique_across_subclasses(cmdb):
    cmdb.ci("server", "srv-01", attributes={"serial_number": "SN-1"})
    with pytest.raises(ValidationFailed) as excinfo:
        cmdb.ci("network_device", "sw-01", attributes={"serial_number": "sn-1"})
    assert "srv-01" in errors_of(excinfo)["attributes.serial_number"][0]


def test_only_administrators_define_classes_and_attributes(cmdb, world):
    with pytest.raises(PermissionDenied):
        services.ci_class_create(actor=world.l1, code="printer", name="打印机")
    with pytest.raises(PermissionDenied):
        services.attribute_define(actor=world.l2, ci_class=cmdb.classes["server"], code="rack", name="机架",
                                  type=AttributeType.TEXT)


def test_non_maintained_classes_default_their_cis(cmdb):
    assert cmdb.ci("cabinet", "rack-1").is_maintained is False
    assert cmdb.ci("server", "srv-1").is_maintained is True
