"""Audience values say who may see: "everyone", "signed_in", "listed" (they read
"public", "members", "private"). An Elasticsearch index is rebuilt with
`manage.py reindex` after this migration."""

from django.db import migrations, models

RENAMES = {"public": "everyone", "members": "signed_in", "private": "listed"}


def rename(apps, mapping):
    SearchDocument = apps.get_model("search", "SearchDocument")
    for old, new in mapping.items():
        SearchDocument.objects.filter(audience=old).update(audience=new)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_pending_index_keys")]

    operations = [
        migrations.RunPython(
            lambda apps, schema: rename(apps, RENAMES),
            lambda apps, schema: rename(apps, {new: old for old, new in RENAMES.items()}),
        ),
        # The default lives in Django, not in the table: no table rebuild (on SQLite a rebuild
        # would drop the triggers that keep the full-text index in step).
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField("searchdocument", "audience", models.CharField(default="everyone", max_length=10)),
        ]),
    ]
