"""The stored status of a file follows the records it is derived from (SPEC §2: derived, never typed).

Saving or deleting an orientation, an accompaniment episode or an exit refreshes its file's status in the
same transaction (one UPDATE). Bulk writes bypass signals: they call `refresh_status()` on the files they
touched (imports, demo data), and the daily `refresh_statuses` task catches anything else.
"""

from django.db.models.signals import post_delete, post_save

from .models import Beneficiary, Episode, Exit


def refresh_file_status(sender, instance, **kwargs):
    if not instance.beneficiary_id:
        return
    cached = instance._state.fields_cache.get("beneficiary")
    if cached is not None:
        cached.refresh_status()  # the caller's file object says the new status too
    else:
        Beneficiary.objects.filter(pk=instance.beneficiary_id).refresh_status()


def connect():
    orientation_model = Beneficiary._meta.get_field("orientations").related_model
    for model in (orientation_model, Episode, Exit):
        post_save.connect(refresh_file_status, sender=model, dispatch_uid=f"status-after-save-{model._meta.label}")
        post_delete.connect(refresh_file_status, sender=model, dispatch_uid=f"status-after-delete-{model._meta.label}")
