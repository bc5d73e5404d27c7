"""Keyword search index for incidents (PostgreSQL only; SQLite keeps its plain scan).

``q`` matches records where every word appears, case-insensitively, in the
title or the description. On a large table that needs an index that works
for English and for Chinese, whose words are often only two characters
(网络, 邮件, 打印) and so have no trigram of their own.

``opsdesk_search_fold(text)`` upper-cases the text and writes every Chinese
character twice ("U盘无法识别" → "U盘盘无无法法识识别别"): a two-character
Chinese word then has trigrams ("网网络", "网络络"), and doubling maps
substrings to substrings exactly, so ``fold(text) LIKE '%' || fold(word) || '%'``
holds exactly when ``upper(text) LIKE upper('%word%')`` does.

The folded ``title || ' ' || description`` is kept in a generated column,
``search_key`` (PostgreSQL computes it on every insert and update; the
application never writes it and the Django model does not declare it), with a
pg_trgm GIN index on it. Storing it matters: a trigram match is always
re-checked against the row, and re-computing the fold for every candidate row
costs far more than reading it. The index answers any English word of three
or more letters and any Chinese word of two or more characters; it is built
concurrently, so a large existing table stays writable while it builds.
"""

from django.db import migrations

FOLD = r"""
CREATE OR REPLACE FUNCTION opsdesk_search_fold(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT upper(regexp_replace(body, '([\u3400-\u9fff\uf900-\ufaff])', '\1\1', 'g')) $$
"""
COLUMN = (
    "ALTER TABLE incidents_incident ADD COLUMN IF NOT EXISTS search_key text "
    "GENERATED ALWAYS AS (opsdesk_search_fold(title || ' ' || description)) STORED"
)
INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS inc_search_trgm_idx ON incidents_incident "
    "USING gin (search_key gin_trgm_ops)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(FOLD)
    schema_editor.execute(COLUMN)
    schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS inc_search_trgm_idx")
    schema_editor.execute("ALTER TABLE incidents_incident DROP COLUMN IF EXISTS search_key")
    schema_editor.execute("DROP FUNCTION IF EXISTS opsdesk_search_fold(text)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("incidents", "0002_default_priority_matrix")]
    operations = [migrations.RunPython(forwards, backwards)]
