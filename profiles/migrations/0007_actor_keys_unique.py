"""The keys filled by the previous migration, now unique (its own transaction: PostgreSQL
will not alter a table whose rows the same transaction just updated)."""

from django.db import migrations, models
from django.db.models import Q

import novosphere.keys


class Migration(migrations.Migration):

    dependencies = [
        ("profiles", "0006_actor_keys_verified"),
    ]

    operations = [
        migrations.AlterField(
            model_name="actor", name="handle_key",
            field=novosphere.keys.FoldedKeyField(folding="handle", source="handle", unique=True),
        ),
        migrations.AlterField(
            model_name="actor", name="name_key",
            field=novosphere.keys.FoldedKeyField(folding="name", source="name"),
        ),
        migrations.AddConstraint(
            model_name="actor",
            constraint=models.UniqueConstraint(
                condition=Q(kind="city") & ~Q(handle__contains="@"), fields=("name_key",), name="one_city_per_name",
            ),
        ),
    ]
