"""The map's per-city counts of visible actors, counted once here from the actors there are."""

import django.db.models.deletion
from django.db import migrations, models


def count_every_city(apps, schema_editor):
    # The service, not a copy of its rule: it reads only the columns it counts by
    # (kind, city, suspended, erased), which this migration's schema has.
    from profiles.services import recount_cities

    recount_cities()


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0007_actor_keys_unique'),
    ]

    operations = [
        migrations.CreateModel(
            name='CityActorCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('person', 'person'), ('organization', 'organization'), ('city', 'city')], max_length=12)),
                ('count', models.PositiveIntegerField()),
                ('city', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='profiles.actor')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('city', 'kind'), name='one_count_per_city_and_kind')],
            },
        ),
        migrations.RunPython(count_every_city, migrations.RunPython.noop),
    ]
