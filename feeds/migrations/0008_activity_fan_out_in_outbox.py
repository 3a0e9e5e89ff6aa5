from django.db import migrations


def unfinished_fan_outs_to_outbox(apps, schema_editor):
    """The fan-outs the old mark said were unfinished become outbox rows, so none is lost."""
    Activity = apps.get_model("feeds", "Activity")
    OutboxItem = apps.get_model("novosphere", "OutboxItem")
    pending = Activity.objects.filter(fanned_out=False).values_list("id", flat=True).iterator()
    OutboxItem.objects.bulk_create(
        (OutboxItem(kind="feeds.fan_out", payload={"activity": activity_id}) for activity_id in pending),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    """The fan-out's own outbox mark gives way to the one outbox (novosphere.publisher)."""

    dependencies = [
        ('feeds', '0007_activity_hidden'),
        ('novosphere', '0003_outbox'),
    ]

    operations = [
        migrations.RunPython(unfinished_fan_outs_to_outbox, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='activity',
            name='activity_fan_out_pending',
        ),
        migrations.RemoveField(
            model_name='activity',
            name='fanned_out',
        ),
    ]
