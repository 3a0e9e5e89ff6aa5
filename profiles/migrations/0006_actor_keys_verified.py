"""Handles unique without regard to case and accents; city names likewise; cities verified."""

from django.db import migrations, models

import novosphere.keys


def fill(apps, schema_editor):
    Actor = apps.get_model("profiles", "Actor")
    novosphere.keys.fill_keys(Actor.objects.all(), key="handle_key", source="handle", unique_among=True)
    local_cities = Actor.objects.filter(kind="city").exclude(handle__contains="@")
    novosphere.keys.fill_keys(Actor.objects.all(), key="name_key", source="name", folding="name",
                              unique_among=local_cities)


class Migration(migrations.Migration):

    dependencies = [
        ("profiles", "0005_groupinvitation"),
    ]

    operations = [
        migrations.AddField(
            model_name="actor", name="handle_key",
            field=novosphere.keys.FoldedKeyField(folding="handle", source="handle", null=True),
        ),
        migrations.AddField(
            model_name="actor", name="name_key",
            field=novosphere.keys.FoldedKeyField(folding="name", source="name", null=True),
        ),
        # Cities that were there before: unverified too, until a moderator looks (the admin verifies in bulk).
        migrations.AddField(model_name="actor", name="verified", field=models.BooleanField(default=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
