"""Export a (filtered, scoped) list of CIs to an Excel workbook.

The columns are the CI's own fields, then every attribute of the classes in the list (labelled in the
reader's language). The header row uses the same labels ``importing`` understands when mapped back, and a
second sheet lists each column's target, so an exported sheet can be edited and re-imported.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook

from . import selectors
from .choices import AttributeType, CIState, FinancialCategory
from .models import AttributeDefinition, ConfigurationItem

MAX_EXPORT_ROWS = 100_000


def _field_columns() -> list[tuple[str, str]]:
    label = lambda name: str(ConfigurationItem._meta.get_field(name).verbose_name)  # noqa: E731
    return [
        ("id", "ID"), ("name", label("name")), ("class", label("ci_class")), ("organisation", label("organisation")),
        ("state", label("state")), ("description", label("description")),
        *[(name, label(name)) for name in ("supplier", "contract_number", "purchase_date", "acceptance_date",
                                           "warranty_end", "location", "custodian", "financial_category", "value",
                                           "is_maintained")],
        ("updated_at", label("updated_at")),
    ]


def _field_value(ci: ConfigurationItem, name: str) -> Any:
    if name == "class":
        return ci.ci_class.code
    if name == "organisation":
        return ci.organisation.code
    if name == "state":
        return str(CIState(ci.state).label)
    if name == "custodian":
        return ci.custodian.username if ci.custodian_id else None
    if name == "financial_category":
        return str(FinancialCategory(ci.financial_category).label) if ci.financial_category else None
    if name == "is_maintained":
        return _("yes") if ci.is_maintained else _("no")
    if name == "updated_at":
        return ci.updated_at.replace(tzinfo=None) if ci.updated_at else None
    return getattr(ci, name if name != "id" else "pk")


def _iterate(queryset: QuerySet[ConfigurationItem], limit: int) -> Iterable[ConfigurationItem]:
    return queryset.select_related("ci_class", "organisation", "custodian").order_by("-id")[:limit].iterator(
        chunk_size=2000)


def export_cis(*, user: Any, filters: selectors.CIFilter | None = None, limit: int = MAX_EXPORT_ROWS) -> bytes:
    """The CIs ``user`` may read, filtered as in the list, as an .xlsx file's bytes."""
    queryset = selectors.ci_list(user=user, filters=filters)
    class_ids = set(queryset.order_by().values_list("ci_class_id", flat=True).distinct())
    tree = selectors.class_tree()
    lineage_ids = {cid for class_id in class_ids for cid in tree.lineage(class_id)}
    definitions = list(AttributeDefinition.objects.filter(ci_class_id__in=lineage_ids).order_by("ci_class_id", "order", "id"))
    references = {d.code for d in definitions if d.type == AttributeType.REFERENCE}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("CIs"))
    fields = _field_columns()
    sheet.append([label for _name, label in fields] + [d.display_name for d in definitions])
    rows = list(_iterate(queryset, limit))
    referenced = {ci.attributes.get(code) for ci in rows for code in references if ci.attributes.get(code)}
    names = dict(ConfigurationItem.objects.filter(pk__in=referenced).values_list("id", "name")) if referenced else {}
    for ci in rows:
        attributes = ci.attributes or {}
        sheet.append([_field_value(ci, name) for name, _label in fields] + [
            names.get(attributes.get(d.code), attributes.get(d.code)) if d.code in references else attributes.get(d.code)
            for d in definitions
        ])
    legend = workbook.create_sheet(_("Columns"))
    legend.append([_("Column"), _("Target for import")])
    for name, label in fields:
        legend.append([label, name])
    for definition in definitions:
        legend.append([definition.display_name, f"attributes.{definition.code}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
