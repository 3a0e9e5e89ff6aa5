"""Activities know their subject: its kind and primary key, and its audience.

Existing rows get their subject from what they name (the first of object and
target that is not an actor, else the object) and the audience `private`,
which asks the subject's own rule for every reader: correct, if slower than
the stored audiences that `manage.py refresh_audiences` then writes.
"""

from django.db import migrations, models

ACTOR_TYPES = {"person", "organization", "city"}
KIND_OF_TYPE = {"project": "project", "update": "update", "collaboration": "request", "response": "response", "event": "event"}


def backfill_subjects(apps, schema_editor):
    Activity = apps.get_model("feeds", "Activity")
    Actor = apps.get_model("profiles", "Actor")
    Project = apps.get_model("projects", "Project")
    if not Activity.objects.exists():
        return
    actor_pks = dict(Actor.objects.values_list("handle", "pk"))
    project_pks = dict(Project.objects.values_list("slug", "pk"))

    def subject(kind_type: str, ident: str) -> tuple[str, str] | None:
        if kind_type in ACTOR_TYPES:
            pk = actor_pks.get(ident)
            return ("actor", str(pk)) if pk is not None else ("actor", "")
        kind = KIND_OF_TYPE.get(kind_type)
        if kind is None:
            return None
        if kind == "project":
            pk = project_pks.get(ident)
            return ("project", str(pk)) if pk is not None else ("project", "")
        return kind, ident

    batch = []
    for activity in Activity.objects.only("id", "object_type", "object_id", "target_type", "target_id").iterator(2000):
        named = [subject(activity.object_type, activity.object_id)]
        if activity.target_type:
            named.append(subject(activity.target_type, activity.target_id))
        named = [found for found in named if found is not None]
        chosen = next((found for found in named if found[0] != "actor"), named[0] if named else None)
        if chosen is None:
            continue
        activity.subject_kind, activity.subject_id = chosen
        batch.append(activity)
        if len(batch) >= 2000:
            Activity.objects.bulk_update(batch, ["subject_kind", "subject_id"])
            batch = []
    if batch:
        Activity.objects.bulk_update(batch, ["subject_kind", "subject_id"])


class Migration(migrations.Migration):

    dependencies = [
        ("feeds", "0008_activity_fan_out_in_outbox"),
        ("profiles", "0002_tag_actor_indexes"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="audience",
            field=models.CharField(default="private", max_length=10),
        ),
        migrations.AddField(
            model_name="activity",
            name="subject_id",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddField(
            model_name="activity",
            name="subject_kind",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.RunPython(backfill_subjects, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="activity",
            name="hidden",
        ),
        migrations.RemoveField(
            model_name="activity",
            name="project",
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["subject_kind", "subject_id"], name="activity_by_subject"),
        ),
    ]
