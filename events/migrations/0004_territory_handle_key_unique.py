"""The keys filled by the previous migration, now unique (its own transaction: PostgreSQL
will not alter a table whose rows the same transaction just updated)."""

from django.db import migrations

import novosphere.keys


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0003_territory_handle_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="territory", name="handle_key",
            field=novosphere.keys.FoldedKeyField(folding="handle", source="handle", unique=True),
        ),
    ]
