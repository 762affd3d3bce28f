"""Writing to the audit log. Views call `log_read`/`log_list`; audited models log their own changes."""

from django.db import models

from .context import current_actor
from .models import Action, AuditLog


def _label(model_or_obj):
    return model_or_obj._meta.label_lower


def record(action, *, obj=None, model=None, object_ids=None, count=None, fields=None, user=None):
    actor = current_actor()
    entry = AuditLog(
        user_id=getattr(user, "pk", None) or actor.user_id,
        organisation_id=getattr(user, "organisation_id", None) or actor.organisation_id,
        action=action,
        channel=actor.channel,
        object_type=_label(obj or model) if (obj is not None or model is not None) else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_ids=[int(i) if isinstance(i, int) else str(i) for i in (object_ids or [])],
        count=count,
        fields=sorted(fields or []),
        path=actor.path,
        ip_address=actor.ip_address,
    )
    entry.save()
    return entry


def log_read(obj, *, fields=None):
    """A nominative record was shown (a page, a partial, a PDF)."""
    return record(Action.READ, obj=obj, fields=fields)


def log_list(model, objects):
    """A list of nominative records was shown: the ids on the page are kept."""
    ids = [o.pk for o in objects]
    return record(Action.LIST, model=model, object_ids=ids, count=len(ids))


def log_export(model, *, count, object_ids=None):
    return record(Action.EXPORT, model=model, count=count, object_ids=object_ids)


class AuditedModel(models.Model):
    """Logs creations, changes (field names only) and deletions of nominative records."""

    audit_exclude_fields = ("updated_at", "created_at")

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_snapshot = dict(zip(field_names, values, strict=True))
        return instance

    def _audit_changed_fields(self):
        snapshot = getattr(self, "_audit_snapshot", None)
        if snapshot is None:
            return None
        changed = []
        for field in self._meta.concrete_fields:
            if field.attname in snapshot and field.name not in self.audit_exclude_fields:
                if getattr(self, field.attname) != snapshot[field.attname]:
                    changed.append(field.name)
        return changed

    def save(self, *args, **kwargs):
        creating = self._state.adding
        changed = None if creating else self._audit_changed_fields()
        super().save(*args, **kwargs)
        if creating:
            record(Action.CREATE, obj=self)
        elif changed is None or changed:
            record(Action.UPDATE, obj=self, fields=changed or [])
        self._audit_snapshot = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}

    def delete(self, *args, **kwargs):
        record(Action.DELETE, obj=self)
        return super().delete(*args, **kwargs)
