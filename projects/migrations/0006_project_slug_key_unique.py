"""The keys filled by the previous migration, now unique (its own transaction: PostgreSQL
will not alter a table whose rows the same transaction just updated)."""

from django.db import migrations

import novosphere.keys


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0005_project_slug_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="project", name="slug_key",
            field=novosphere.keys.FoldedKeyField(folding="handle", source="slug", unique=True),
        ),
    ]
