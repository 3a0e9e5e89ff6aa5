"""Audience values say who may see: "everyone", "signed_in", "some" (they read
"public", "members", "private", which said something else)."""

from django.db import migrations, models

RENAMES = {"public": "everyone", "members": "signed_in", "private": "some"}


def rename(apps, mapping):
    Activity = apps.get_model("feeds", "Activity")
    for old, new in mapping.items():
        Activity.objects.filter(audience=old).update(audience=new)


class Migration(migrations.Migration):
    dependencies = [("feeds", "0012_activity_texts")]

    operations = [
        migrations.RunPython(
            lambda apps, schema: rename(apps, RENAMES),
            lambda apps, schema: rename(apps, {new: old for old, new in RENAMES.items()}),
        ),
        # The default lives in Django, not in the table: no table rebuild (on SQLite a rebuild
        # would drop the triggers that keep the full-text index in step).
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField("activity", "audience", models.CharField(default="some", max_length=10)),
        ]),
    ]
