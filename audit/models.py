"""The append-only audit log: who read or changed which nominative record, when, from which organisation.

Entries name objects by type and id and list changed field names; they never hold the values.
"""

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    READ = "read", "Consultation"
    LIST = "list", "Consultation d'une liste"
    CREATE = "create", "Création"
    UPDATE = "update", "Modification"
    DELETE = "delete", "Suppression"
    EXPORT = "export", "Export"
    DOWNLOAD = "download", "Téléchargement"
    SHARE = "share", "Partage"
    LOGIN = "login", "Connexion"
    LOGOUT = "logout", "Déconnexion"
    LOGIN_FAILED = "login_failed", "Échec de connexion"


class Channel(models.TextChoices):
    WEB = "web", "Navigateur"
    API = "api", "API"
    COMMAND = "command", "Commande"
    TASK = "task", "Tâche de fond"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Le journal d'accès ne peut pas être modifié.")

    def delete(self):
        raise PermissionError("Le journal d'accès ne peut pas être effacé.")


class AuditLogQuerySet(AppendOnlyQuerySet):
    def about(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditLog(models.Model):
    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="utilisateur",
        db_constraint=False,
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation",
        db_constraint=False,
    )
    action = models.CharField("action", max_length=20, choices=Action.choices, db_index=True)
    channel = models.CharField("canal", max_length=10, choices=Channel.choices, default=Channel.WEB)
    object_type = models.CharField("type d'objet", max_length=80, db_index=True, blank=True)
    object_id = models.CharField("identifiant", max_length=40, blank=True, db_index=True)
    # For lists and exports: the ids of the records shown (a page) or their count (an export).
    object_ids = models.JSONField("identifiants consultés", default=list, blank=True)
    count = models.PositiveIntegerField("nombre d'enregistrements", null=True, blank=True)
    fields = models.JSONField("champs modifiés", default=list, blank=True)
    path = models.CharField("adresse", max_length=300, blank=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal d'accès"
        verbose_name_plural = "journal d'accès"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_action_display()} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Le journal d'accès ne peut pas être modifié.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal d'accès ne peut pas être effacé.")
