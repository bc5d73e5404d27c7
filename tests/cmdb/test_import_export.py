"""Excel import (the acceptance list) and export: bad rows, all-or-nothing, re-import updates, scope."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook, load_workbook

from opsdesk.audit.services import audit_verify_chain
from opsdesk.cmdb import selectors
from opsdesk.cmdb.exporting import export_cis
from opsdesk.cmdb.importing import ci_import, sheet_preview
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.cmdb.selectors import CIFilter
from opsdesk.core.errors import PermissionDenied, ValidationFailed

HEADERS = ["设备名称", "类别", "单位", "序列号", "CPU核数", "操作系统", "IP地址", "供应商", "保修截止", "价值"]
MAPPING = {
    "columns": {"设备名称": "name", "类别": "class", "单位": "organisation", "序列号": "attributes.serial_number",
                "CPU核数": "attributes.cpu_cores", "操作系统": "attributes.os", "IP地址": "attributes.ip_address",
                "供应商": "supplier", "保修截止": "warranty_end", "价值": "value"},
    "key": "serial_number",
}


def sheet(*rows, headers=HEADERS) -> io.BytesIO:
    workbook = Workbook()
    worksheet = workbook.active
    if headers:
        worksheet.append(headers)
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


GOOD = [
    ("srv-01", "server", "city-a", "SN-001", 16, "Linux", "10.1.0.1", "浪潮", "2028-01-31", 56000),
    ("srv-02", "服务器", "甲市公司", "SN-002", "32", "windows", "10.1.0.2", "华为", "2028/06/30", "88000.50"),
    ("sw-01", "network_device", "city-a", "SN-003", None, None, None, "华为", None, None),
]


def test_preview_gives_headers_and_a_sample(cmdb):
    preview = sheet_preview(sheet(*GOOD))
    assert preview.headers == HEADERS and preview.row_count == 3 and preview.sample[0][0] == "srv-01"


def test_a_good_sheet_imports_every_row_with_history(cmdb, world):
    result = ci_import(actor=world.admin, file=sheet(*GOOD), mapping=json.dumps(MAPPING), dry_run=False)
    assert (result.created, result.updated, result.errors) == (3, 0, [])
    srv = ConfigurationItem.objects.get(name="srv-02")
    assert srv.attributes == {"serial_number": "SN-002", "cpu_cores": 32, "os": "Windows", "ip_address": "10.1.0.2"}
    assert str(srv.value) == "88000.50" and srv.warranty_end.isoformat() == "2028-06-30"
    assert selectors.ci_timeline(user=world.admin, ci=srv)[0].action == "ci.created"
    ids = {ci.pk for ci in selectors.ci_list(user=world.admin, filters=CIFilter(attrs={"serial_number": "sn-003"}))}
    assert ids == {ConfigurationItem.objects.get(name="sw-01").pk}


def test_a_dry_run_writes_nothing(cmdb, world):
    result = ci_import(actor=world.admin, file=sheet(*GOOD), mapping=MAPPING, dry_run=True)
    assert result.created == 3 and not ConfigurationItem.objects.exists()


def test_every_bad_row_is_reported_and_nothing_is_imported(cmdb, world):
    rows = [
        GOOD[0],
        ("srv-03", "server", "city-a", "SN-004", "many", "Linux", None, None, None, None),  # row 3: not a number
        ("srv-04", "server", "city-a", "SN-005", 8, "BeOS", None, None, None, None),  # row 4: unknown choice
        ("srv-05", "server", "city-a", "SN-001", 8, None, None, None, None, None),  # row 5: duplicate key
        ("srv-06", "printer", "city-a", "SN-006", None, None, None, None, None, None),  # row 6: unknown class
        (None, "server", "city-a", "SN-007", None, None, None, None, None, None),  # row 7: no name
        ("srv-08", "server", "city-a", None, None, None, None, None, None, None),  # row 8: no key
        ("srv-09", "server", "city-a", "SN-009", None, None, "10.0.0.999", None, "someday", "free"),  # row 9
    ]
    result = ci_import(actor=world.admin, file=sheet(*rows), mapping=MAPPING, dry_run=False)
    by_row: dict[int, list[str]] = {}
    for error in result.errors:
        by_row.setdefault(error.row, []).append(error.message)
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9]
    assert "must be a number" in by_row[3][0]
    assert "is not a choice" in by_row[4][0]
    assert "repeats row 2" in by_row[5][0]
    assert "Unknown class" in by_row[6][0]
    assert "name is missing" in by_row[7][0]
    assert "missing" in by_row[8][0]
    assert len(by_row[9]) == 3
    assert result.created == 0 and not ConfigurationItem.objects.exists()


def test_re_importing_updates_instead_of_duplicating(cmdb, world):
    ci_import(actor=world.admin, file=sheet(*GOOD), mapping=MAPPING, dry_run=False)
    again = ci_import(actor=world.admin, file=sheet(*GOOD), mapping=MAPPING, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = [("srv-01-new", *GOOD[0][1:4], 24, *GOOD[0][5:]), *GOOD[1:]]
    result = ci_import(actor=world.admin, file=sheet(*changed), mapping=MAPPING, dry_run=False)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert ConfigurationItem.objects.count() == 3
    ci = ConfigurationItem.objects.get(attribute_values__value_key="sn-001")
    assert ci.name == "srv-01-new" and ci.attributes["cpu_cores"] == 24 and ci.version == 2
    assert selectors.ci_timeline(user=world.admin, ci=ci)[-1].data["changes"]["attributes.cpu_cores"] == [16, 24]
    assert audit_verify_chain().intact  # the batch-appended history keeps the chain whole


def test_a_key_already_held_by_a_ci_of_another_class_is_refused(cmdb, world):
    cmdb.ci("storage", "st-1", attributes={"serial_number": "SN-001"})
    result = ci_import(actor=world.admin, file=sheet(GOOD[0]), mapping=MAPPING, dry_run=False)
    assert result.errors and "another class" in result.errors[0].message


def test_an_empty_sheet_and_a_file_that_is_not_excel_are_clear_errors(cmdb, world):
    with pytest.raises(ValidationFailed) as excinfo:
        ci_import(actor=world.admin, file=sheet(headers=None), mapping=MAPPING, dry_run=False)
    assert "empty" in excinfo.value.field_errors["file"][0]
    with pytest.raises(ValidationFailed) as excinfo:
        ci_import(actor=world.admin, file=sheet(), mapping=MAPPING, dry_run=False)
    assert "no data" in excinfo.value.field_errors["file"][0]
    with pytest.raises(ValidationFailed) as excinfo:
        ci_import(actor=world.admin, file=io.BytesIO(b"name,serial\nsrv,1\n"), mapping=MAPPING)
    assert "not an Excel" in excinfo.value.field_errors["file"][0]
    with pytest.raises(ValidationFailed):
        sheet_preview(io.BytesIO(b"%PDF-1.4"))


def test_a_bad_mapping_is_refused_before_any_row(cmdb, world):
    with pytest.raises(ValidationFailed) as excinfo:
        ci_import(actor=world.admin, file=sheet(*GOOD), mapping={"columns": {"设备名称": "name", "无此列": "supplier"},
                                                                   "key": "cpu_cores"})
    assert {"mapping", "key", "class", "organisation"} <= set(excinfo.value.field_errors)
    with pytest.raises(ValidationFailed):
        ci_import(actor=world.admin, file=sheet(*GOOD), mapping="{not json")


def test_only_administrators_import(cmdb, world):
    with pytest.raises(PermissionDenied):
        ci_import(actor=world.l1, file=sheet(*GOOD), mapping=MAPPING)


def test_export_holds_the_filtered_visible_list_with_attributes(cmdb, world):
    cmdb.ci("server", "a-srv", attributes={"serial_number": "A1", "cpu_cores": 8})
    cmdb.ci("network_device", "a-sw", attributes={"device_role": "core"})
    cmdb.ci("server", "b-srv", org=world.city_b, attributes={"serial_number": "B1"})
    data = export_cis(user=world.l1, filters=CIFilter(ci_class=cmdb.classes["server"].pk))
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "a-srv"
    header = list(rows[0])
    assert rows[1][header.index("CPU cores")] == 8
    everything = export_cis(user=world.l2)
    names = [r[1] for r in load_workbook(io.BytesIO(everything), read_only=True).worksheets[0].iter_rows(values_only=True)]
    assert set(names[1:]) == {"a-srv", "a-sw", "b-srv"}


def test_a_missing_required_attribute_is_a_bad_row(cmdb, world):
    from opsdesk.cmdb import services

    services.attribute_define(actor=world.admin, ci_class=cmdb.classes["server"], code="rack_position",
                              name="机位", name_en="Rack position", type="text", required=True)
    result = ci_import(actor=world.admin, file=sheet(GOOD[0]), mapping=MAPPING, dry_run=False)
    assert [(e.row, e.message) for e in result.errors] == [(2, "“Rack position” is required.")]
    assert not ConfigurationItem.objects.exists()
