"""Index the actor–tag tables by tag first: suggestions and tag filters start from a
few tags and need the actors holding them (the default indexes start from the actor)."""

from django.db import migrations

TABLES = ["profiles_actor_skills", "profiles_actor_sectors", "profiles_actor_interests"]


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {table}_by_tag ON {table} (tag_id, actor_id)",
            reverse_sql=f"DROP INDEX IF EXISTS {table}_by_tag",
        )
        for table in TABLES
    ]
