"""The Excel import wizard: upload → map columns → preview (bad rows by number, nothing written) → import."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from opsdesk.cmdb.models import ConfigurationItem

HEADER = ("设备名称", "序列号", "IP地址", "操作系统", "保修截止")


def sheet(*rows) -> SimpleUploadedFile:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(HEADER)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("竣工验收清单.xlsx", buffer.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


GOOD = (("js-pms-app-20", "SN-JS-20", "10.10.20.20", "Linux", "2029-06-30"),
        ("js-pms-app-21", "SN-JS-21", "10.10.20.21", "Linux", "2029-06-30"))
MAPPING = {"col_0": "name", "col_1": "attributes.serial_number", "col_2": "attributes.ip_address",
           "col_3": "attributes.os", "col_4": "warranty_end", "key": "attributes.serial_number"}


def upload(client, cmdb, file) -> object:
    return client.post(reverse("ui:cmdb_import"), {"ci_class": cmdb.classes["server"].pk,
                                                   "organisation": cmdb.world.city_a.pk, "file": file})


def test_the_preview_lists_every_bad_row_with_its_number_and_writes_nothing(as_user, cmdb, settings):
    client = as_user("admin", "en")
    response = upload(client, cmdb, sheet(GOOD[0], ("bad-ip", "SN-X1", "10.1.1.300", "Linux", None),
                                          ("bad-os", "SN-X2", "10.1.1.3", "MS-DOS", None), GOOD[1]))
    assert response.status_code == 302 and response["Location"] == reverse("ui:cmdb_import_map")
    mapping_page = client.get(reverse("ui:cmdb_import_map")).content.decode()
    assert "设备名称" in mapping_page and "js-pms-app-20" in mapping_page  # headers and first values
    assert '<option value="attributes.serial_number" selected>' in mapping_page  # 序列号 guessed from the name
    response = client.post(reverse("ui:cmdb_import_map"), {**MAPPING, "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 422
    assert '<tr class="table-danger"><td>3</td>' in html and "10.1.1.300" in html
    assert '<tr class="table-danger"><td>4</td>' in html and "MS-DOS" in html
    assert 'id="import-confirm"' not in html  # no import while a row is refused
    assert not ConfigurationItem.objects.exists()
    # Importing anyway is refused the same way: all or nothing.
    response = client.post(reverse("ui:cmdb_import_map"), {**MAPPING, "action": "import"})
    assert response.status_code == 422 and not ConfigurationItem.objects.exists()


def test_a_good_sheet_previews_then_imports_and_a_reimport_updates(as_user, cmdb, settings):
    client = as_user("admin", "en")
    upload(client, cmdb, sheet(*GOOD))
    response = client.post(reverse("ui:cmdb_import_map"), {**MAPPING, "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200 and "2 to create, 0 to update" in html and 'id="import-confirm"' in html
    assert not ConfigurationItem.objects.exists()
    response = client.post(reverse("ui:cmdb_import_map"), {**MAPPING, "action": "import"})
    assert response.status_code == 200
    assert '<strong data-count="created">2</strong>' in response.content.decode()
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"js-pms-app-20", "js-pms-app-21"}
    temp = Path(settings.MEDIA_ROOT).parent / "tmp" / "cmdb-import"
    assert not list(temp.glob("*.xlsx"))  # the uploaded file is removed after the import

    upload(client, cmdb, sheet(GOOD[0], ("js-pms-app-21", "SN-JS-21", "10.10.20.99", "Linux", "2029-06-30")))
    response = client.post(reverse("ui:cmdb_import_map"), {**MAPPING, "action": "import"})
    assert '<strong data-count="updated">1</strong>' in response.content.decode()
    assert ConfigurationItem.objects.count() == 2
    assert ConfigurationItem.objects.get(name="js-pms-app-21").attributes["ip_address"] == "10.10.20.99"


def test_a_file_that_is_not_excel_is_refused_at_upload(as_user, cmdb):
    client = as_user("admin", "en")
    fake = SimpleUploadedFile("list.xlsx", b"this is not a workbook", content_type="application/octet-stream")
    response = upload(client, cmdb, fake)
    assert response.status_code == 422
    assert "This file is not an Excel workbook (.xlsx)." in response.content.decode()
    csv = SimpleUploadedFile("list.csv", b"a,b", content_type="text/csv")
    assert "Upload an Excel workbook (.xlsx)." in upload(client, cmdb, csv).content.decode()


def test_a_mapping_without_a_name_column_says_so(as_user, cmdb):
    client = as_user("admin", "en")
    upload(client, cmdb, sheet(*GOOD))
    response = client.post(reverse("ui:cmdb_import_map"), {**MAPPING, "col_0": "", "action": "preview"})
    assert response.status_code == 422
    assert "Map a column to the CI&#x27;s name." in response.content.decode()


def test_only_administrators_import(as_user, cmdb):
    assert as_user("l2").get(reverse("ui:cmdb_import")).status_code == 403
    assert as_user("l2").get(reverse("ui:cmdb_import_map")).status_code == 403


def test_the_mapping_step_without_an_upload_goes_back_to_upload(as_user, cmdb):
    response = as_user("admin", "en").get(reverse("ui:cmdb_import_map"))
    assert response.status_code == 302 and response["Location"] == reverse("ui:cmdb_import")
