"""Load model rows into PostgreSQL with COPY, filling every column the caller does not give with the field's default.

The column list comes from the model, so a field another app adds later (with a default) does not break the
seeder; a required field with no default that the caller forgot fails loudly before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED, AutoFieldMixin


def _default(field: models.Field) -> Any:
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if isinstance(field, (models.CharField, models.TextField)) and field.blank:
        return ""
    return NOT_PROVIDED


def copy_rows(model: type[models.Model], rows: Iterable[dict[str, Any]], *, given: list[str]) -> int:
    """COPY ``rows`` (dicts keyed by field attname, each holding every name in ``given``) into ``model``'s table."""
    pk = model._meta.pk
    # An automatic primary key the caller does not give comes from the table's sequence.
    fields = [f for f in model._meta.concrete_fields
              if f.attname in given or not (f is pk and isinstance(f, AutoFieldMixin))]
    defaults: dict[str, Any] = {}
    for f in fields:
        if f.attname in given:
            continue
        value = _default(f)
        if value is NOT_PROVIDED:
            raise ValueError(f"{model.__name__}.{f.attname} has no default: give it in every row")
        defaults[f.attname] = f.get_db_prep_save(value, connection)
    prepared = {f.attname: f for f in fields if f.attname in given}
    columns = [f.column for f in fields]
    table = model._meta.db_table
    count = 0

    def tuples() -> Iterator[tuple[Any, ...]]:
        nonlocal count
        for row in rows:
            count += 1
            yield tuple(prepared[f.attname].get_db_prep_save(row[f.attname], connection)
                        if f.attname in prepared else defaults[f.attname] for f in fields)

    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            for values in tuples():
                copy.write_row(values)
    return count


def reset_sequence(model: type[models.Model]) -> None:
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), "
                       f"GREATEST((SELECT max(\"{pk}\") FROM \"{table}\"), 1))")
