"""Activities follow their subject, whatever path changes it.

A subject saved through a service, the admin or a script may have changed who
may see it (a visibility edited, a moderator's hiding, an owner's suspension):
its audience is derived before and after the save, and when it differs, the
activities about it and about what follows from it are brought in step in the
same transaction (`feeds.services.refresh_audiences`). Two small queries per
save when nothing changed. A bulk `update()` sends no signal: what changes
visibility goes through `save()`, and `manage.py refresh_audiences` repairs
anything else.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from novosphere import kinds


@receiver(pre_save, dispatch_uid="feeds.subject_before_save")
def subject_before_save(sender, instance, raw=False, **kwargs):
    kind = kinds.kind_for_model(sender)
    if kind is None or raw or instance._state.adding:
        return
    instance._audience_before = kinds.audience_of(kind, [instance.pk]).get(instance.pk)


@receiver(post_save, dispatch_uid="feeds.subject_saved")
def subject_saved(sender, instance, created, raw=False, **kwargs):
    kind = kinds.kind_for_model(sender)
    if kind is None or raw or created:
        return  # a new thing has no activity about it yet
    before = getattr(instance, "_audience_before", None)
    if kinds.audience_of(kind, [instance.pk]).get(instance.pk) != before:
        from feeds.services import refresh_audiences

        refresh_audiences(kind, [instance.pk])


@receiver(post_delete, dispatch_uid="feeds.subject_deleted")
def subject_deleted(sender, instance, **kwargs):
    kind = kinds.kind_for_model(sender)
    if kind is not None:
        from feeds.services import forget_subject

        forget_subject(kind, instance.pk)
