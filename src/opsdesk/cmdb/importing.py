"""Import CIs from an Excel sheet (the acceptance list, 竣工验收清单).

Three steps, the same for the UI and the API:

1. ``sheet_preview(file)``: the header row and a few sample rows, to map columns (no writes);
2. ``ci_import(actor=…, file=…, mapping=…, dry_run=True)``: every row validated, each bad row reported
   with its row number (as Excel numbers it) and reason; nothing written;
3. ``ci_import(…, dry_run=False)``: the same checks, then all rows written in one transaction — or none
   when any row is bad. A row whose key (a unique attribute chosen in the mapping, e.g. the serial number
   or asset tag) matches an existing CI updates it; others create CIs. Re-importing a file changes nothing.

A mapping (``ImportMapping``, or its JSON form) names, per column header, the target: ``name``,
``class`` (a class code or name), ``organisation`` (code or name), ``description``, an asset field
(``supplier``, ``contract_number``, ``purchase_date``, ``acceptance_date``, ``warranty_end``, ``location``,
``custodian`` (username), ``financial_category``, ``value``, ``is_maintained``) or ``attributes.<code>``;
unmapped columns are ignored. ``ci_class``/``organisation`` give defaults for sheets without such columns.

Speed: one pass over the sheet (openpyxl read-only), lookups loaded up front (classes, attribute specs,
organisations, users, the CIs holding the file's keys and unique values), bulk inserts and updates; the
history is one ``ci.created``/``ci.updated`` entry per changed CI.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from opsdesk.accounts.models import Organisation, User
from opsdesk.audit.services import audit_record_many
from opsdesk.core import clock
from opsdesk.core.errors import Conflict, PermissionDenied, ValidationFailed

from . import graph, rules, selectors, services
from .models import AttributeDefinition, AttributeValue, CIClass, ConfigurationItem
from .rules import AttributeSpec

FIELD_TARGETS = ("name", "class", "organisation", "description", *services.ASSET_FIELDS)
MAX_ROWS = 100_000
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class SheetPreview:
    headers: list[str]
    sample: list[list[Any]]
    row_count: int
    sheet: str


@dataclass
class ImportMapping:
    columns: dict[str, str]
    key: str
    ci_class: str = ""
    organisation: str = ""
    sheet: str = ""

    @classmethod
    def parse(cls, raw: ImportMapping | dict[str, Any] | str) -> ImportMapping:
        """A mapping from its JSON text or dict; a clear 422 when it is malformed."""
        if isinstance(raw, ImportMapping):
            return raw
        try:
            data = json.loads(raw) if isinstance(raw, (str, bytes)) else dict(raw)
            columns = {str(k).strip(): str(v).strip() for k, v in dict(data.get("columns") or {}).items() if v}
            return cls(columns=columns, key=str(data.get("key") or "").strip(),
                       ci_class=str(data.get("class") or data.get("ci_class") or "").strip(),
                       organisation=str(data.get("organisation") or "").strip(),
                       sheet=str(data.get("sheet") or "").strip())
        except (ValueError, TypeError, AttributeError):
            raise ValidationFailed(_("The mapping is not valid JSON of the expected shape."),
                                   field_errors={"mapping": [_("Send {\"columns\": {header: target}, \"key\": code}.")]})


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors


def _fail_file(message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={"file": [message]})


def _open(file: IO[bytes] | Any, sheet: str = ""):
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _fail_file(_("This file is not an Excel workbook (.xlsx)."))
    if sheet:
        if sheet not in workbook.sheetnames:
            raise _fail_file(_("The workbook has no sheet “%(sheet)s”.") % {"sheet": sheet})
        return workbook, workbook[sheet]
    return workbook, workbook.worksheets[0]


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _rows(worksheet) -> Iterable[tuple[int, list[Any]]]:
    for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
        values = [_cell(v) for v in row]
        if any(v is not None for v in values):
            yield number, values


def _read(file: IO[bytes] | Any, sheet: str = "") -> tuple[list[str], Iterable[tuple[int, list[Any]]], str, Any]:
    workbook, worksheet = _open(file, sheet)
    rows = iter(_rows(worksheet))
    first = next(rows, None)
    if first is None:
        workbook.close()
        raise _fail_file(_("The sheet “%(sheet)s” is empty.") % {"sheet": worksheet.title})
    headers = ["" if v is None else str(v).strip() for v in first[1]]
    return headers, rows, worksheet.title, workbook


def sheet_preview(file: IO[bytes] | Any, *, sheet: str = "") -> SheetPreview:
    """The header row, the first rows and the number of data rows, for mapping columns."""
    headers, rows, title, workbook = _read(file, sheet)
    sample, count = [], 0
    for _number, values in rows:
        count += 1
        if len(sample) < SAMPLE_ROWS:
            sample.append(values[: len(headers)])
    workbook.close()
    if count == 0:
        raise _fail_file(_("The sheet “%(sheet)s” has a header row but no data.") % {"sheet": title})
    return SheetPreview(headers=headers, sample=sample, row_count=count, sheet=title)


# Lookups loaded once -----------------------------------------------------------------------------


class _Lookups:
    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.tree = selectors.class_tree()
        self.classes: dict[str, CIClass] = {}
        for ci_class in CIClass.objects.filter(is_active=True):
            for key in (ci_class.code, ci_class.name, ci_class.name_en):
                if key:
                    self.classes.setdefault(key.casefold(), ci_class)
        self.specs: dict[int, dict[str, AttributeSpec]] = {}
        self.organisations: dict[str, Organisation] = {}
        for organisation in Organisation.objects.all():
            for key in (organisation.code, organisation.name, getattr(organisation, "name_en", "")):
                if key:
                    self.organisations.setdefault(str(key).casefold(), organisation)
        self.writable = rules.writable_organisation_ids(actor)
        self.users: dict[str, User] | None = None
        self.references: dict[str, tuple[int, int] | None] = {}

    def class_of(self, raw: Any) -> CIClass | None:
        return self.classes.get(str(raw).strip().casefold()) if raw is not None else None

    def organisation_of(self, raw: Any) -> Organisation | None:
        return self.organisations.get(str(raw).strip().casefold()) if raw is not None else None

    def specs_of(self, ci_class: CIClass) -> dict[str, AttributeSpec]:
        if ci_class.pk not in self.specs:
            self.specs[ci_class.pk] = selectors.attribute_specs(ci_class, tree=self.tree)
        return self.specs[ci_class.pk]

    def user_of(self, raw: Any) -> User | None:
        if self.users is None:
            self.users = {}
            for user in User.objects.filter(is_active=True):
                self.users[user.username.casefold()] = user
                if user.display_name:
                    self.users.setdefault(user.display_name.casefold(), user)
        return self.users.get(str(raw).strip().casefold())

    def reference(self, raw: Any) -> tuple[int, int] | None:
        key = str(raw).strip()
        if key not in self.references:
            self.references[key] = services._reference_lookup()(raw)
        return self.references[key]


@dataclass
class _Row:
    number: int
    ci_class: CIClass
    organisation: Organisation
    name: str
    description: str | None
    attributes: dict[str, Any]
    asset: dict[str, Any]
    key_value: str
    existing_id: int | None = None


def _check_mapping(mapping: ImportMapping, headers: list[str], lookups: _Lookups) -> AttributeDefinition:
    errors: dict[str, list[str]] = {}
    missing = [h for h in mapping.columns if h not in headers]
    if missing:
        errors["mapping"] = [_("The sheet has no column %(columns)s.") % {"columns": ", ".join(missing)}]
    for header, target in mapping.columns.items():
        if target not in FIELD_TARGETS and not target.startswith("attributes."):
            errors.setdefault("mapping", []).append(
                _("Column “%(column)s”: unknown target “%(target)s”.") % {"column": header, "target": target})
    targets = list(mapping.columns.values())
    doubled = sorted({t for t in targets if targets.count(t) > 1})
    if doubled:
        errors.setdefault("mapping", []).append(
            _("Several columns map to %(targets)s.") % {"targets": ", ".join(doubled)})
    if "name" not in targets:
        errors.setdefault("mapping", []).append(_("Map a column to the CI's name."))
    if "class" not in targets and lookups.class_of(mapping.ci_class) is None:
        errors["class"] = [_("Map a column to the class or choose one class for every row.")]
    if "organisation" not in targets and lookups.organisation_of(mapping.organisation) is None:
        errors["organisation"] = [_("Map a column to the organisation or choose one for every row.")]
    key = mapping.key.removeprefix("attributes.")
    key_definition = AttributeDefinition.objects.filter(code=key, unique=True).first() if key else None
    if key_definition is None:
        errors["key"] = [_("Choose a unique attribute (e.g. the serial number or asset tag) to match rows on.")]
    elif f"attributes.{key}" not in targets:
        errors["key"] = [_("Map a column to the key attribute “%(code)s”.") % {"code": key}]
    if errors:
        raise ValidationFailed(_("The column mapping needs your attention."), field_errors=errors)
    return key_definition  # type: ignore[return-value]


def _parse_rows(mapping: ImportMapping, headers: list[str], rows: Iterable[tuple[int, list[Any]]],
                lookups: _Lookups, key_definition: AttributeDefinition,
                result: ImportResult) -> list[_Row]:
    index = {h: i for i, h in enumerate(headers) if h}
    columns = [(header, index[header], target) for header, target in mapping.columns.items()]
    default_class = lookups.class_of(mapping.ci_class)
    default_org = lookups.organisation_of(mapping.organisation)
    key_column = next(h for h, _i, t in columns if t == f"attributes.{key_definition.code}")
    parsed: list[_Row] = []
    seen_keys: dict[str, int] = {}
    seen_unique: dict[tuple[int, str], int] = {}
    for number, values in rows:
        if len(parsed) + len(result.errors) >= MAX_ROWS:
            result.errors.append(RowError(number, "", _("At most %(max)d rows per import.") % {"max": MAX_ROWS}))
            break
        cells = {target: (header, values[i] if i < len(values) else None) for header, i, target in columns}
        errors: list[RowError] = []

        def refuse(column: str, message: str, _errors: list[RowError] = errors, _number: int = number) -> None:
            _errors.append(RowError(_number, column, message))

        ci_class = default_class
        if "class" in cells:
            header, raw = cells["class"]
            ci_class = lookups.class_of(raw) if raw is not None else default_class
            if ci_class is None:
                refuse(header, _("Unknown class “%(value)s”.") % {"value": raw or ""})
        organisation = default_org
        if "organisation" in cells:
            header, raw = cells["organisation"]
            organisation = lookups.organisation_of(raw) if raw is not None else default_org
            if organisation is None:
                refuse(header, _("Unknown organisation “%(value)s”.") % {"value": raw or ""})
        if organisation is not None and organisation.pk not in lookups.writable:
            refuse(cells.get("organisation", ("", None))[0],
                   _("You may not register CIs for %(organisation)s.") % {"organisation": organisation})
        header, raw = cells["name"]
        name = "" if raw is None else str(raw).strip()
        if not name:
            refuse(header, _("The name is missing."))
        elif len(name) > 200:
            refuse(header, _("The name is longer than 200 characters."))
        attributes: dict[str, Any] = {}
        key_value = ""
        if ci_class is not None:
            specs = lookups.specs_of(ci_class)
            given = {t.removeprefix("attributes."): raw for t, (_h, raw) in cells.items() if t.startswith("attributes.")}
            for code in list(given):
                if code not in specs and rules.is_blank(given[code]):
                    given.pop(code)  # a mixed sheet: a blank cell of another class's attribute
                elif code not in specs:
                    refuse(_header_for(cells, f"attributes.{code}"),
                           _("The class %(class)s has no attribute “%(code)s”.")
                           % {"class": ci_class.display_name, "code": code})
                    given.pop(code)
            attributes, attr_errors = rules.clean_attributes(
                {c: s for c, s in specs.items() if c in given or s.required}, given, lookup=lookups.reference)
            for key, messages in attr_errors.items():
                refuse(_header_for(cells, key), messages[0])
            if key_definition.code in specs and key_definition.code in attributes:
                key_value = rules.value_key(key_definition.type, attributes[key_definition.code])
            elif not any(e.column == key_column for e in errors):
                refuse(key_column, _("The key “%(attribute)s” is missing.") % {"attribute": key_definition.display_name})
            for code, value in attributes.items():
                spec = specs[code]
                if spec.unique:
                    marker = (spec.id, rules.value_key(spec.type, value))
                    if marker in seen_unique:
                        refuse(_header_for(cells, f"attributes.{code}"),
                               _("“%(value)s” repeats row %(row)d.") % {"value": value, "row": seen_unique[marker]})
                    else:
                        seen_unique[marker] = number
        asset_raw = {t: raw for t, (_h, raw) in cells.items() if t in services.ASSET_FIELDS}
        if "custodian" in asset_raw and asset_raw["custodian"] is not None:
            custodian = lookups.user_of(asset_raw["custodian"])
            if custodian is None:
                refuse(_header_for(cells, "custodian"), _("Unknown user “%(value)s”.") % {"value": asset_raw["custodian"]})
            asset_raw["custodian"] = custodian
        if "is_maintained" in asset_raw:
            asset_raw["is_maintained"] = _truth(asset_raw["is_maintained"])
        asset, asset_errors = services._asset_fields(asset_raw)
        for key, messages in asset_errors.items():
            refuse(_header_for(cells, key), messages[0])
        if key_value:
            seen_keys.setdefault(key_value, number)
        if errors:
            result.errors.extend(errors)
            continue
        description = None
        if "description" in cells:
            description = "" if cells["description"][1] is None else str(cells["description"][1])
        parsed.append(_Row(number, ci_class, organisation, name, description, attributes, asset, key_value))  # type: ignore[arg-type]
    return parsed


def _header_for(cells: dict[str, tuple[str, Any]], target: str) -> str:
    return cells.get(target, (target.removeprefix("attributes."), None))[0]


def _truth(value: Any) -> bool | None:
    if value is None:
        return None
    text = str(value).strip().casefold()
    if text in ("1", "true", "yes", "y", "是", "维护", "√", "x"):
        return True
    if text in ("0", "false", "no", "n", "否", "不维护", ""):
        return False
    return bool(value)


def _match_existing(rows: list[_Row], key_definition: AttributeDefinition, lookups: _Lookups,
                    result: ImportResult) -> dict[int, ConfigurationItem]:
    """Find the CIs the rows' keys name; refuse rows whose key or other unique values belong elsewhere."""
    keys = [r.key_value for r in rows]
    holders: dict[str, int] = {}
    for start in range(0, len(keys), 5000):
        holders.update(AttributeValue.objects.filter(attribute=key_definition, value_key__in=keys[start:start + 5000])
                       .values_list("value_key", "ci_id"))
    existing = {}
    ids = list(set(holders.values()))
    for start in range(0, len(ids), 5000):
        existing.update(ConfigurationItem.objects.select_for_update(of=("self",))
                        .select_related("ci_class", "organisation", "custodian", "application")
                        .in_bulk(ids[start:start + 5000]))
    readable = rules.readable_organisation_ids(lookups.actor)
    for row in rows:
        ci_id = holders.get(row.key_value)
        if ci_id is None:
            continue
        ci = existing[ci_id]
        if ci.organisation_id not in lookups.writable or ci.organisation_id not in readable:
            result.errors.append(RowError(row.number, "", _("The key belongs to a CI you may not change.")))
        elif ci.ci_class_id != row.ci_class.pk:
            result.errors.append(RowError(row.number, "", _("The key belongs to %(ci)s, a CI of another class.")
                                          % {"ci": ci.name}))
        else:
            row.existing_id = ci_id
    # Other unique values (e.g. the asset tag when matching on serial numbers) must not belong to other CIs.
    wanted: dict[int, dict[str, list[_Row]]] = {}
    for row in rows:
        for code, value in row.attributes.items():
            spec = lookups.specs_of(row.ci_class)[code]
            if spec.unique and spec.id != key_definition.pk:
                wanted.setdefault(spec.id, {}).setdefault(rules.value_key(spec.type, value), []).append(row)  # type: ignore[arg-type]
    for attribute_id, by_value in wanted.items():
        values = list(by_value)
        for start in range(0, len(values), 5000):
            for value, ci_id in AttributeValue.objects.filter(
                    attribute_id=attribute_id, value_key__in=values[start:start + 5000]).values_list("value_key", "ci_id"):
                for row in by_value[value]:
                    if row.existing_id != ci_id:
                        result.errors.append(RowError(row.number, "", _("“%(value)s” is already used by another CI.")
                                                      % {"value": value}))
    return existing


def ci_import(*, actor: User, file: IO[bytes] | Any, mapping: ImportMapping | dict[str, Any] | str,
              dry_run: bool = True) -> ImportResult:
    """Validate every row of the sheet; unless ``dry_run`` and when no row is bad, write them all at once.

    Returns the rows created, updated and unchanged, and every bad row with its number and reason. Raises
    ``ValidationFailed`` for a file that is not Excel, an empty sheet or a bad mapping; ``PermissionDenied``
    unless the actor administers the CMDB.
    """
    if not rules.can_configure(actor):
        raise PermissionDenied(_("Only configuration managers and administrators may import CIs."))
    mapping = ImportMapping.parse(mapping)
    headers, rows, title, workbook = _read(file, mapping.sheet)
    try:
        lookups = _Lookups(actor)
        key_definition = _check_mapping(mapping, headers, lookups)
        result = ImportResult(dry_run=dry_run)
        parsed = _parse_rows(mapping, headers, rows, lookups, key_definition, result)
    finally:
        workbook.close()
    if not parsed and not result.errors:
        raise _fail_file(_("The sheet “%(sheet)s” has a header row but no data.") % {"sheet": title})
    with transaction.atomic():
        existing = _match_existing(parsed, key_definition, lookups, result)
        if result.errors:
            result.errors.sort(key=lambda e: (e.row, e.column))
            result.created = result.updated = result.unchanged = 0
            return result
        _write(actor, parsed, existing, lookups, result, dry_run=dry_run)
        if dry_run:
            transaction.set_rollback(True)
    return result


def _bulk_update(cis: list[ConfigurationItem], names: list[str]) -> None:
    """Write ``names`` of every CI: one ``UPDATE … FROM (VALUES …)`` per 1,000 on PostgreSQL (Django's
    ``bulk_update`` builds a CASE per column and row, which costs seconds for 10,000 rows), else bulk_update."""
    if connection.vendor != "postgresql":
        ConfigurationItem.objects.bulk_update(cis, names, batch_size=500)
        return
    fields = [ConfigurationItem._meta.get_field(name) for name in names]
    table = ConfigurationItem._meta.db_table
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"' for f in fields)
    for start in range(0, len(cis), 1000):
        chunk = cis[start:start + 1000]
        row = "(%s::bigint, " + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
        params: list[Any] = []
        for ci in chunk:
            params.append(ci.pk)
            params.extend(f.get_db_prep_save(getattr(ci, f.attname), connection) for f in fields)
        columns = ", ".join(f'"{f.column}"' for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f'UPDATE "{table}" AS c SET {assignments} FROM (VALUES {", ".join([row] * len(chunk))}) '
                           f'AS v(id, {columns}) WHERE c.id = v.id', params)


def _write(actor: User, rows: list[_Row], existing: dict[int, ConfigurationItem], lookups: _Lookups,
           result: ImportResult, *, dry_run: bool) -> None:
    now = clock.now()
    new: list[tuple[_Row, ConfigurationItem]] = []
    changed: list[tuple[ConfigurationItem, dict[str, list[Any]]]] = []
    for row in rows:
        if row.existing_id is None:
            asset = dict(row.asset)
            asset.setdefault("is_maintained", row.ci_class.is_maintained)
            if asset.get("is_maintained") is None:
                asset["is_maintained"] = row.ci_class.is_maintained
            new.append((row, ConfigurationItem(
                name=row.name, ci_class=row.ci_class, organisation=row.organisation, attributes=row.attributes,
                description=row.description or "", created_at=now, updated_at=now, created_by=actor, **asset)))
            continue
        ci = existing[row.existing_id]
        before = services.snapshot(ci)
        ci.name = row.name
        ci.organisation = row.organisation
        if row.description is not None:
            ci.description = row.description
        merged = dict(ci.attributes or {})
        merged.update(row.attributes)
        ci.attributes = merged
        for key, value in row.asset.items():
            if key == "is_maintained" and value is None:
                continue
            setattr(ci, key, value)
        changes = services.diff(before, services.snapshot(ci))
        if changes:
            ci.version += 1
            ci.updated_at = now
            changed.append((ci, changes))
        else:
            result.unchanged += 1
    result.created, result.updated = len(new), len(changed)
    if dry_run:
        return
    created = ConfigurationItem.objects.bulk_create([ci for _row, ci in new], batch_size=1000)
    if changed:
        # Only the columns some row changed: bulk_update builds a CASE per column and row.
        columns = {"version", "updated_at"}
        for _ci, changes in changed:
            columns.update("attributes" if key.startswith("attributes.") else key for key in changes)
        _bulk_update([ci for ci, _c in changed], sorted(columns))
        changed_ids = [ci.pk for ci, _c in changed]
        for start in range(0, len(changed_ids), 5000):
            AttributeValue.objects.filter(ci_id__in=changed_ids[start:start + 5000]).delete()
    values = []
    for ci in [*created, *(ci for ci, _c in changed)]:
        specs = lookups.specs_of(ci.ci_class)
        for code, value in (ci.attributes or {}).items():
            spec = specs.get(code)
            if spec is not None:
                values.append(AttributeValue(ci_id=ci.pk, attribute_id=spec.id, value_key=rules.value_key(spec.type, value),
                                             value_number=rules.value_number(spec.type, value), is_unique=spec.unique))
    try:
        with transaction.atomic():
            AttributeValue.objects.bulk_create(values, batch_size=2000)
    except Exception as error:  # IntegrityError: a concurrent write took a unique value
        raise Conflict(_("A unique value was just taken by another CI; check the sheet again.")) from error
    graph.touch(ci_ids=[ci.pk for ci in created] + [ci.pk for ci, _c in changed])  # a large one: readers reload
    history = []
    for ci in created:
        fields = {k: v for k, v in services.snapshot(ci).items() if v not in (None, "", False)}
        fields["class"] = {"id": ci.ci_class_id, "label": ci.ci_class.code}
        history.append({"action": "ci.created", "subject": ci, "subject_type": "ci",
                        "data": {"fields": fields, "imported": True}})
    for ci, changes in changed:
        history.append({"action": "ci.updated", "subject": ci, "subject_type": "ci",
                        "data": {"changes": changes, "imported": True}})
    audit_record_many(actor=actor, entries=history)
