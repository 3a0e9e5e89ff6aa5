"""Documents name their object's primary key as text: events are keyed by their slug."""

import importlib

from django.db import migrations, models


def _restore_sqlite_triggers(apps, schema_editor):
    # SQLite alters a column by rebuilding the table, which drops the triggers that keep
    # the FTS5 index in step (migration 0002); 0003 knows how to bring them back.
    if schema_editor.connection.vendor == "sqlite":
        audience = importlib.import_module("search.migrations.0003_audience")
        for name in audience.FTS_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in audience._sqlite_fts_triggers():
            schema_editor.execute(statement)
        schema_editor.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0005_audience_names"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchdocument",
            name="object_pk",
            field=models.CharField(max_length=120),
        ),
        migrations.RunPython(_restore_sqlite_triggers, _restore_sqlite_triggers),
    ]
