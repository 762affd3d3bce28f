"""Stored reports: the figures of a period and a perimeter as computed at a time.

- A *snapshot* is a materialised aggregate: the dashboards read the latest one younger than
  PARCOURS_REPORT_SNAPSHOT_MINUTES instead of recomputing (a computation takes seconds on 200,000 files), and
  the periodic task `reporting.refresh_snapshots` keeps those of the current and previous quarters fresh.
- A *frozen* report is one a COPIL member attached to a meeting or downloaded for the record: its data and its
  PDF are stored and never recomputed.
"""

from django.conf import settings
from django.db import models

from accompaniment.models import private_storage


class ReportKind(models.TextChoices):
    SNAPSHOT = "snapshot", "Calcul intermédiaire"
    FROZEN = "frozen", "Rapport figé"


class StoredReport(models.Model):
    kind = models.CharField("nature", max_length=10, choices=ReportKind.choices, default=ReportKind.SNAPSHOT)
    quarter = models.CharField("trimestre", max_length=7, blank=True)
    period_start = models.DateField("début de la période")
    period_end = models.DateField("fin de la période")
    sector = models.ForeignKey(
        "partners.Sector", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="secteur"
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation",
    )
    pathway = models.CharField("parcours", max_length=20, blank=True)
    as_of = models.DateField("date d'arrêté")
    mask_threshold = models.PositiveSmallIntegerField("seuil de masquage")
    data = models.JSONField("indicateurs")
    pdf = models.FileField("PDF", storage=private_storage, upload_to="reports/", blank=True)
    generated_at = models.DateTimeField("produit le", auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="produit par",
    )
    duration_ms = models.PositiveIntegerField("durée du calcul (ms)", default=0)
    meeting = models.ForeignKey(
        "partners.CopilMeeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name="réunion du COPIL",
    )

    class Meta:
        verbose_name = "rapport"
        ordering = ["-generated_at", "-id"]
        indexes = [
            models.Index(
                fields=["kind", "period_start", "period_end", "as_of", "sector", "organisation", "pathway"],
                name="report_lookup_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meeting__isnull=True) | models.Q(kind="frozen"),
                name="report_attached_to_a_meeting_is_frozen",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.data.get('period', {}).get('label', self.quarter)}"
