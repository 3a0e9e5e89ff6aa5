"""Project slugs unique without regard to case and accents."""

from django.db import migrations

import novosphere.keys


def fill(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    novosphere.keys.fill_keys(Project.objects.all(), key="slug_key", source="slug", unique_among=True)


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0004_projectinvitation"),
    ]

    operations = [
        migrations.AddField(
            model_name="project", name="slug_key",
            field=novosphere.keys.FoldedKeyField(folding="handle", source="slug", null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
