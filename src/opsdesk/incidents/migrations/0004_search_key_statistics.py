"""Finer statistics for ``search_key`` (PostgreSQL only).

Whether a keyword search should walk the newest records until a page is full
or fetch every match through the trigram index depends on how common the
words are. The planner estimates that from the column's histogram; with the
default 100 entries a word held by 2 % of the records can look like one held
by 0.01 %, and the planner then fetches tens of thousands of rows to show 50.
1,000 entries resolve frequencies down to 0.1 %.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE incidents_incident ALTER COLUMN search_key SET STATISTICS 1000")
    schema_editor.execute("ANALYZE incidents_incident (search_key)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE incidents_incident ALTER COLUMN search_key SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
