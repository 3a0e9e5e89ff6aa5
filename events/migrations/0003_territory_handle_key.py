"""Territory handles unique without regard to case and accents."""

from django.db import migrations

import novosphere.keys


def fill(apps, schema_editor):
    Territory = apps.get_model("events", "Territory")
    novosphere.keys.fill_keys(Territory.objects.all(), key="handle_key", source="handle", unique_among=True)


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0002_event_hidden"),
    ]

    operations = [
        migrations.AddField(
            model_name="territory", name="handle_key",
            field=novosphere.keys.FoldedKeyField(folding="handle", source="handle", null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
