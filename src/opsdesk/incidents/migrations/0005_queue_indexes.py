"""Indexes for the agent queues and the filtered lists, which page newest first by id.

* ``(assignee, id)``: queue=mine, newest first, without reading the engineer's whole history;
* ``(assigned_group, id)``: group=… and queue=my_groups;
* ``(assigned_group, id) WHERE assignee IS NULL``: queue=unassigned, a small partial index.

The single-column indexes Django gives every foreign key are dropped where a
composite index already starts with that column (assignee, assigned group,
organisation, requester, service): they served no query the composite ones
do not, and every new incident paid for writing them.

On PostgreSQL the indexes are created and dropped concurrently (the table
stays writable), and dropping a foreign key's index leaves its constraint in
place; elsewhere Django's usual operations run.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class AddIndexConcurrently(migrations.AddIndex):
    """AddIndex, built with CREATE INDEX CONCURRENTLY on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class DropForeignKeyIndex(migrations.AlterField):
    """AlterField to ``db_index=False``; on PostgreSQL it only drops the column's own index, concurrently."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        for name in schema_editor._constraint_names(model, [column], index=True, unique=False, primary_key=False):
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field], concurrently=True))


class Migration(migrations.Migration):
    atomic = False  # concurrent index builds cannot run inside a transaction

    dependencies = [
        ("accounts", "0001_initial"),
        ("catalog", "0001_initial"),
        ("incidents", "0004_search_key_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # New indexes first, so the queries never lose theirs in between.
        AddIndexConcurrently(
            model_name="incident",
            index=models.Index(fields=["assignee", "id"], name="inc_assignee_idx"),
        ),
        AddIndexConcurrently(
            model_name="incident",
            index=models.Index(fields=["assigned_group", "id"], name="inc_group_idx"),
        ),
        AddIndexConcurrently(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("assignee__isnull", True)), fields=["assigned_group", "id"],
                name="inc_group_unassigned_idx",
            ),
        ),
        DropForeignKeyIndex(
            model_name="incident",
            name="assigned_group",
            field=models.ForeignKey(
                blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="accounts.supportgroup", verbose_name="group",
            ),
        ),
        DropForeignKeyIndex(
            model_name="incident",
            name="assignee",
            field=models.ForeignKey(
                blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to=settings.AUTH_USER_MODEL, verbose_name="assignee",
            ),
        ),
        DropForeignKeyIndex(
            model_name="incident",
            name="organisation",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="accounts.organisation", verbose_name="organisation",
            ),
        ),
        DropForeignKeyIndex(
            model_name="incident",
            name="requester",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to=settings.AUTH_USER_MODEL, verbose_name="requester",
            ),
        ),
        DropForeignKeyIndex(
            model_name="incident",
            name="service",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="incidents",
                to="catalog.service", verbose_name="service",
            ),
        ),
    ]
