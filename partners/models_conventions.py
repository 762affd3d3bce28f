"""Conventions between partner organisations and the COPIL meetings that steer them (SPEC §4).

A convention's status is derived from its dates and its renewal mode, never typed (`Convention.status_on`, and
the same rule as QuerySet filters: `Convention.objects.with_status(...)`); `Convention` says what each renewal
mode does. Who may see a convention or a meeting is decided by `for_user()` only: the staff of its parties (or
of the organisations at the meeting), its owners, COPIL members and functional administrators; anyone else gets
a 404.

Imported by partners/models.py (the models belong to the `partners` app).
"""

import calendar
import datetime
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, DateField, Exists, F, Min, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.functional import cached_property

from audit.services import AuditedModel

from .enums import (
    OPEN_COPIL_ACTION_STATUSES,
    PRIMARY_SECTOR_KIND,
    ConventionKind,
    ConventionStatus,
    CopilActionStatus,
    RenewalMode,
    Role,
)

ONE_DAY = datetime.timedelta(days=1)
# A tacitly renewed convention continues for periods this long (calendar months) unless another is set.
DEFAULT_RENEWAL_PERIOD_MONTHS = 12


def private_storage():
    """Convention documents are not public: they live in the private storage, downloaded through a
    permission-checked view only."""
    return storages["private"]


def sees_every_partnership(user):
    """COPIL members and functional administrators see every convention and every meeting."""
    return user.has_role(Role.COPIL, Role.ADMIN)


# Conventions -----------------------------------------------------------------------------------------------
class ConventionQuerySet(models.QuerySet):
    def for_user(self, user):
        """The conventions `user` may see: those of which their organisation is a party, those they follow,
        and all of them for COPIL members and administrators."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if sees_every_partnership(user):
            return self
        reach = Q(Exists(ConventionOwner.objects.filter(convention=OuterRef("pk"), user=user)))
        if user.organisation_id:
            parties = ConventionParty.objects.filter(convention=OuterRef("pk"), organisation_id=user.organisation_id)
            reach |= Q(Exists(parties))
        return self.filter(reach)

    # The status rule (the same as `Convention.status_on`, as filters) --------------------------------------
    def terminated(self, on):
        return self.filter(terminated_on__isnull=False, terminated_on__lte=on)

    def _not_terminated(self, on):
        return self.filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=on))

    def draft(self, on):
        return self._not_terminated(on).filter(signed_on__isnull=True)

    def signed_not_started(self, on):
        return self._not_terminated(on).filter(signed_on__isnull=False, valid_from__gt=on)

    def _continuing_tacitly(self, on):
        """Renewed tacitly past its first term, unless a signed convention renewing it is in force on `on`
        (termination is the callers' filter)."""
        replaced = Convention.objects.filter(renews=OuterRef("pk"), signed_on__isnull=False, valid_from__lte=on)
        return Q(renewal=RenewalMode.TACIT) & ~Exists(replaced)

    def active(self, on):
        return (
            self._not_terminated(on)
            .filter(signed_on__isnull=False, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on) | self._continuing_tacitly(on))
        )

    def expired(self, on):
        return (
            self._not_terminated(on)
            .filter(signed_on__isnull=False, valid_to__lt=on)
            .exclude(self._continuing_tacitly(on))
        )

    def with_status(self, status, on):
        return {
            ConventionStatus.DRAFT: self.draft,
            ConventionStatus.SIGNED: self.signed_not_started,
            ConventionStatus.ACTIVE: self.active,
            ConventionStatus.EXPIRED: self.expired,
            ConventionStatus.TERMINATED: self.terminated,
        }[status](on)

    def expiring_within(self, days, on):
        """In force on `on` and whose current term (its period, for a tacit renewal) ends within `days` days,
        not yet renewed by a signed convention. Annotated as `with_current_term(on)`."""
        renewed = Convention.objects.filter(renews=OuterRef("pk"), signed_on__isnull=False)
        return (
            self.active(on)
            .filter(valid_to__isnull=False)
            .filter(~Exists(renewed))
            .with_current_term(on)
            .filter(term_ends_on__lte=on + datetime.timedelta(days=days))
        )

    def with_successor(self):
        """Annotates `successor_starts_on` (see `Convention.successor_starts_on`), sparing a query per row."""
        successors = Convention.objects.filter(renews=OuterRef("pk"), signed_on__isnull=False).order_by("valid_from")
        return self.annotate(successor_starts_on=Subquery(successors.values("valid_from")[:1]))

    def with_current_term(self, on):
        """Annotates `term_starts_on` and `term_ends_on`, the term in force on `on` (`Convention.term_on`), and
        `successor_starts_on`. The periods of a tacit renewal are counted in calendar months, in Python (never in
        SQL): one query reads the conventions of this queryset that are past their first term, the few whose term
        differs from their validity dates."""
        queryset = self.with_successor()
        renewed = queryset.filter(renewal=RenewalMode.TACIT, signed_on__isnull=False, valid_to__lt=on).only(
            "valid_from", "valid_to", "renewal", "renewal_period_months", "terminated_on"
        )
        starts, ends = [], []
        for convention in renewed:
            start, end = convention.term_on(on)
            if start != convention.valid_from:
                starts.append(When(pk=convention.pk, then=Value(start)))
                ends.append(When(pk=convention.pk, then=Value(end)))
        return queryset.annotate(
            term_starts_on=Case(*starts, default=F("valid_from"), output_field=DateField()),
            term_ends_on=Case(*ends, default=F("valid_to"), output_field=DateField()),
        )


def _add_months(day, months):
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tacit_period(valid_to, months, day):
    """(start, end) of the renewal period containing `day` of a convention renewed tacitly for periods of
    `months` calendar months after its first term ended on `valid_to`. The n-th period starts n * `months`
    months after the day after `valid_to` (no drift: from 31 January, the periods start on 28 or 29 February,
    31 March…)."""
    first = valid_to + ONE_DAY
    elapsed = (day.year - first.year) * 12 + day.month - first.month
    index = max(elapsed // months, 0)
    while index > 0 and _add_months(first, index * months) > day:
        index -= 1
    while _add_months(first, (index + 1) * months) <= day:
        index += 1
    return _add_months(first, index * months), _add_months(first, (index + 1) * months) - ONE_DAY


def same_term(valid_from, valid_to, start):
    """The end of a term beginning on `start` as long as [valid_from, valid_to]: in calendar months when the
    term is whole months (two years stay two years across a 29 February), else in days."""
    after = valid_to + datetime.timedelta(days=1)
    months = (after.year - valid_from.year) * 12 + after.month - valid_from.month
    if months > 0 and _add_months(valid_from, months) == after:
        return _add_months(start, months) - datetime.timedelta(days=1)
    return start + (valid_to - valid_from)


def renewal_alerts_of(user):
    """`user`'s unread renewal alerts, as {convention id: alert kind} (the deadline engine writes them; read
    through the user's reverse relation, without importing the engine's app)."""
    rows = (
        user.notifications.filter(alert__deadline__subject_type="partners.convention", read_at__isnull=True)
        .order_by("alert__created_at")
        .values_list("alert__deadline__subject_id", "alert__kind")
    )
    return dict(rows)


def renewal_alerts_read(user, convention):
    """Marks `user`'s alerts about `convention` read (they opened its page)."""
    user.notifications.filter(
        alert__deadline__subject_type="partners.convention",
        alert__deadline__subject_id=convention.pk,
        read_at__isnull=True,
    ).update(read_at=timezone.now(), read_by=user)


class Convention(AuditedModel):
    """A convention between partner organisations. Its status comes from its dates and its renewal mode:

    - draft until signed, then signed (not yet in force) until `valid_from`, active, and terminated from
      `terminated_on` whatever the mode;
    - renouvellement exprès (explicit): it expires after `valid_to`; a signed convention renewing it
      (`renews`) takes over. The `convention_renewal` deadline is due at `valid_to`, with an alert 90 days
      before; it is met by that signature or by a termination, else it turns overdue;
    - tacite reconduction (tacit): at `valid_to` it continues, period after period of `renewal_period_months`
      calendar months, and stays active (`term_on()` gives the current period), until it is terminated
      (denounced) or a signed convention renewing it comes into force (it expires the day before). Each period
      has its own `convention_renewal` deadline, due at the period's end with an alert 90 days before so that
      its owners can denounce it in time; the next period restarts the clock (the ended period's deadline is
      cancelled as restarted, never overdue). A tacit renewal needs an end date: the end of its first term;
    - sans renouvellement (none): it expires after `valid_to`, as planned. Its owners are still alerted 90 days
      before the end, to plan what follows; the deadline is met once the convention has ended (or when it is
      terminated, or renewed after all), never overdue.

    `renewal_period_months` is used by tacit renewals only.
    """

    title = models.CharField("intitulé", max_length=250)
    kind = models.CharField("nature", max_length=20, choices=ConventionKind.choices, default=ConventionKind.BILATERAL)
    signed_on = models.DateField(
        "signée le", null=True, blank=True, help_text="Vide tant que la convention est en projet."
    )
    valid_from = models.DateField("en vigueur du")
    valid_to = models.DateField("au", null=True, blank=True, help_text="Vide pour une durée indéterminée.")
    renewal = models.CharField(
        "renouvellement", max_length=10, choices=RenewalMode.choices, default=RenewalMode.EXPLICIT
    )
    renewal_period_months = models.PositiveSmallIntegerField(
        "durée de chaque reconduction (mois)",
        default=DEFAULT_RENEWAL_PERIOD_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Pour une tacite reconduction : la convention se poursuit par périodes de cette durée.",
    )
    renews = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name="renouvelle la convention",
    )
    terminated_on = models.DateField("résiliée le", null=True, blank=True)
    termination_reason = models.CharField("motif de la résiliation", max_length=250, blank=True)
    objectives = models.TextField("objectifs", blank=True)
    indicators = models.TextField(
        "indicateurs promis",
        blank=True,
        help_text="Un indicateur par ligne, avec sa cible (par exemple « Orientation sous 6 semaines : 80 % »).",
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ConventionOwner",
        related_name="followed_conventions",
        verbose_name="responsables du suivi",
        blank=True,
    )
    organisations = models.ManyToManyField(
        "partners.Organisation", through="ConventionParty", related_name="conventions", verbose_name="parties"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = ConventionQuerySet.as_manager()

    class Meta:
        verbose_name = "convention"
        ordering = ["-valid_from", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="convention_ends_after_it_starts",
                violation_error_message="La fin de validité ne peut pas précéder son début.",
            ),
            models.CheckConstraint(
                condition=Q(renewal_period_months__gte=1),
                name="convention_renewal_period_not_empty",
                violation_error_message="Une période de reconduction dure au moins un mois.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("partners:convention_detail", kwargs={"convention_pk": self.pk})

    def clean(self):
        errors = {}
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = "La fin de validité ne peut pas précéder son début."
        if self.terminated_on and not self.signed_on:
            errors["terminated_on"] = "Seule une convention signée peut être résiliée."
        if self.renews_id and self.pk and self.renews_id == self.pk:
            errors["renews"] = "Une convention ne peut pas se renouveler elle-même."
        if self.renewal == RenewalMode.TACIT and self.valid_from and not self.valid_to:
            errors["valid_to"] = (
                "Une convention reconduite tacitement a une date de fin : celle de sa première période."
            )
        if errors:
            raise ValidationError(errors)

    def status_on(self, day):
        """Draft until signed; then signed (not yet in force), active, expired (unless renewed tacitly);
        terminated once its termination date has come."""
        if self.terminated_on and self.terminated_on <= day:
            return ConventionStatus.TERMINATED
        if not self.signed_on:
            return ConventionStatus.DRAFT
        if day < self.valid_from:
            return ConventionStatus.SIGNED
        if self.valid_to and day > self.valid_to and not self.continues_tacitly_on(day):
            return ConventionStatus.EXPIRED
        return ConventionStatus.ACTIVE

    @property
    def status(self):
        return self.status_on(timezone.localdate())

    def get_status_display(self):
        return ConventionStatus(self.status).label

    @cached_property
    def successor_starts_on(self):
        """The start of the earliest signed convention renewing this one, or None (annotated by
        `ConventionQuerySet.with_successor()` on lists)."""
        if self.pk is None:
            return None
        return self.renewals.filter(signed_on__isnull=False).aggregate(start=Min("valid_from"))["start"]

    def _tacit_continuation_ends_on(self):
        """The first day a tacit continuation no longer runs (its termination, or the start of the signed
        convention renewing it), or None while nothing stops it."""
        stops = [day for day in (self.terminated_on, self.successor_starts_on) if day]
        return min(stops) if stops else None

    def continues_tacitly_on(self, day):
        """Whether `day`, after the end of its first term, falls in a period of tacit renewal."""
        if self.renewal != RenewalMode.TACIT or not self.valid_to or day <= self.valid_to:
            return False
        stop = self._tacit_continuation_ends_on()
        return stop is None or day < stop

    def term_on(self, day):
        """(start, end) of the term in force on `day`: its validity dates, or, once a tacit renewal has
        carried it past them, the renewal period containing `day` — the last one if the continuation has
        stopped before `day` (terminated, or replaced by a signed renewal)."""
        if self.renewal != RenewalMode.TACIT or not self.valid_to or day <= self.valid_to:
            return self.valid_from, self.valid_to
        stop = self._tacit_continuation_ends_on()
        last_day = day if stop is None else min(day, stop - ONE_DAY)
        if last_day <= self.valid_to:
            return self.valid_from, self.valid_to
        return tacit_period(self.valid_to, self.renewal_period_months, last_day)

    @property
    def current_term_end(self):
        """The end of the term in force today: `valid_to`, or the end of the current tacit renewal period."""
        return self.term_on(timezone.localdate())[1]

    @property
    def renewed_tacitly(self):
        """Whether it is in force today by a tacit renewal (past the end of its first term)."""
        return self.continues_tacitly_on(timezone.localdate())

    @property
    def days_left(self):
        end = self.current_term_end
        if not end:
            return None
        return (end - timezone.localdate()).days

    def renewal_prefill(self):
        """What the next convention starts from: the same parties, owners, objectives, committed staff,
        funding lines and indicators; it starts the day after the current term ends (its validity, or its
        current period of tacit renewal) and lasts as long as its first term."""
        current_end = self.current_term_end
        start = (current_end or timezone.localdate()) + ONE_DAY
        end = None
        if self.valid_to:
            end = same_term(self.valid_from, self.valid_to, start)
        return {
            "title": self.title,
            "kind": self.kind,
            "valid_from": start,
            "valid_to": end,
            "renewal": self.renewal,
            "renewal_period_months": self.renewal_period_months,
            "renews": self.pk,
            "objectives": self.objectives,
            "indicators": self.indicators,
        }


class ConventionOwner(models.Model):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="owner_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "responsable du suivi"
        constraints = [models.UniqueConstraint(fields=["convention", "user"], name="one_owner_link_per_user")]

    def __str__(self):
        return f"{self.user} → {self.convention}"


class ConventionParty(AuditedModel):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="convention_parties",
        verbose_name="organisation",
    )
    signatory_name = models.CharField("signataire", max_length=150, blank=True)
    signatory_title = models.CharField("qualité du signataire", max_length=150, blank=True)

    class Meta:
        verbose_name = "partie"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "organisation"],
                name="one_party_per_organisation",
                violation_error_message="Cette organisation est déjà partie à la convention.",
            )
        ]

    def __str__(self):
        return str(self.organisation)


class ConventionResource(AuditedModel):
    """Staff an organisation commits (e.g. 9 France Travail counsellors, 11 insertion workers)."""

    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="resources")
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation",
    )
    role = models.CharField("fonction", max_length=150)
    count = models.PositiveIntegerField("nombre")

    class Meta:
        verbose_name = "moyen engagé"
        verbose_name_plural = "moyens engagés"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gt=0),
                name="resource_count_positive",
                violation_error_message="Au moins une personne.",
            )
        ]

    def __str__(self):
        return f"{self.count} {self.role}"


class FundingLine(AuditedModel):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="funding_lines")
    funder = models.CharField("financeur", max_length=200)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    esf_cofunded = models.BooleanField("cofinancement FSE+", default=False)
    label = models.CharField("objet", max_length=200, blank=True)

    class Meta:
        verbose_name = "ligne de financement"
        verbose_name_plural = "lignes de financement"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="funding_amount_not_negative",
                violation_error_message="Montant positif.",
            )
        ]

    def __str__(self):
        return f"{self.funder} : {self.amount} €"


def convention_document_path(instance, filename):
    base = os.path.basename(filename)[:80] or "document.pdf"
    return f"conventions/{instance.convention_id}/{timezone.now():%Y%m%d%H%M%S}-{base}"


class ConventionDocument(AuditedModel):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField("intitulé", max_length=200)
    file = models.FileField("fichier PDF", storage=private_storage, upload_to=convention_document_path, max_length=300)
    size = models.PositiveIntegerField("taille (octets)", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="déposé par",
    )
    uploaded_at = models.DateTimeField("déposé le", auto_now_add=True)

    class Meta:
        verbose_name = "document de convention"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def filename(self):
        return os.path.basename(self.file.name).split("-", 1)[-1]


# COPIL meetings --------------------------------------------------------------------------------------------
class CopilMeetingQuerySet(models.QuerySet):
    def for_user(self, user):
        """COPIL members and administrators see every meeting; the others the meetings their organisation
        attended, they attended or recorded, or where they own an action."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if sees_every_partnership(user):
            return self
        reach = Q(recorded_by=user)
        reach |= Q(Exists(CopilMeeting.attendees.through.objects.filter(copilmeeting_id=OuterRef("pk"), user=user)))
        reach |= Q(Exists(CopilAction.objects.filter(meeting=OuterRef("pk"), owner=user)))
        if user.organisation_id:
            organisations = CopilMeeting.organisations.through.objects.filter(
                copilmeeting_id=OuterRef("pk"), organisation_id=user.organisation_id
            )
            reach |= Q(Exists(organisations))
        return self.filter(reach)


class CopilMeeting(AuditedModel):
    held_on = models.DateField("date de la réunion")
    title = models.CharField("intitulé", max_length=200)
    sector = models.ForeignKey(
        "partners.Sector",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="périmètre",
        limit_choices_to={"kind": PRIMARY_SECTOR_KIND},
        help_text="Vide : tout le Département.",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="copil_meetings", verbose_name="participants (personnes)", blank=True
    )
    organisations = models.ManyToManyField(
        "partners.Organisation", related_name="copil_meetings", verbose_name="organisations représentées", blank=True
    )
    other_attendees = models.TextField(
        "autres participants", blank=True, help_text="Personnes sans compte Parcours, une par ligne."
    )
    agenda = models.TextField("ordre du jour", blank=True)
    minutes = models.TextField("compte rendu", blank=True)
    decisions = models.TextField("décisions", blank=True, help_text="Une décision par ligne.")
    conventions = models.ManyToManyField(
        Convention, related_name="copil_meetings", verbose_name="conventions examinées", blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="saisie par",
    )
    created_at = models.DateTimeField("saisie le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = CopilMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = "réunion du COPIL"
        verbose_name_plural = "réunions du COPIL"
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.title} ({self.held_on:%d/%m/%Y})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("partners:copil_detail", kwargs={"meeting_pk": self.pk})

    @property
    def perimeter_label(self):
        return self.sector.name if self.sector_id else "Tout le Département"

    @property
    def decision_list(self):
        return [line.strip(" -•\t") for line in self.decisions.splitlines() if line.strip(" -•\t")]


class CopilActionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_COPIL_ACTION_STATUSES)

    def overdue(self, on):
        return self.open().filter(due_on__isnull=False, due_on__lt=on)

    def of_meetings(self, meetings):
        return self.filter(meeting__in=meetings)

    def before(self, meeting):
        """Actions decided at meetings held before `meeting` that it follows: those of the same perimeter, and,
        for a sector's meeting, those of the Département's meetings too (they concern every sector). A
        Département-wide meeting follows the Département's meetings only: each sector's COPIL follows its own."""
        earlier = Q(meeting__held_on__lt=meeting.held_on) | Q(
            meeting__held_on=meeting.held_on, meeting_id__lt=meeting.pk
        )
        perimeter = Q(meeting__sector__isnull=True)
        if meeting.sector_id:
            perimeter |= Q(meeting__sector_id=meeting.sector_id)
        return self.filter(earlier & perimeter)


class CopilAction(AuditedModel):
    meeting = models.ForeignKey(CopilMeeting, on_delete=models.CASCADE, related_name="actions", verbose_name="réunion")
    title = models.CharField("action", max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copil_actions",
        verbose_name="porteur",
    )
    owner_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="organisation porteuse",
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    status = models.CharField("état", max_length=12, choices=CopilActionStatus.choices, default=CopilActionStatus.OPEN)
    closed_on = models.DateField("close le", null=True, blank=True)
    closed_at_meeting = models.ForeignKey(
        CopilMeeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="closed_actions",
        verbose_name="close lors de la réunion",
    )
    comment = models.CharField("commentaire", max_length=300, blank=True)

    objects = CopilActionQuerySet.as_manager()

    class Meta:
        verbose_name = "action du COPIL"
        verbose_name_plural = "actions du COPIL"
        ordering = ["due_on", "id"]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status in OPEN_COPIL_ACTION_STATUSES

    def is_overdue(self, on=None):
        return self.is_open and self.due_on is not None and self.due_on < (on or timezone.localdate())

    @property
    def overdue(self):
        return self.is_overdue()

    def close(self, *, status=CopilActionStatus.DONE, on=None, at_meeting=None, comment=""):
        """Marks the action done (or dropped), dated; saved (and audited) by the model."""
        self.status = status
        self.closed_on = on or timezone.localdate()
        self.closed_at_meeting = at_meeting
        if comment:
            self.comment = comment
        self.save()


def convention_renew(*, convention, by):
    """The next convention, as a draft pre-filled from `convention`: same title, kind, renewal mode,
    objectives, indicators, parties (with their signatories), owners, committed staff and funding lines; it
    starts the day after `convention` ends and lasts as long. It meets the renewal deadline once signed."""
    from django.db import transaction

    with transaction.atomic():
        values = convention.renewal_prefill()
        values["renews"] = convention
        renewal = Convention.objects.create(**values)
        for party in convention.parties.all():
            ConventionParty.objects.create(
                convention=renewal,
                organisation_id=party.organisation_id,
                signatory_name=party.signatory_name,
                signatory_title=party.signatory_title,
            )
        for resource in convention.resources.all():
            ConventionResource.objects.create(
                convention=renewal, organisation_id=resource.organisation_id, role=resource.role, count=resource.count
            )
        for line in convention.funding_lines.all():
            FundingLine.objects.create(
                convention=renewal,
                funder=line.funder,
                amount=line.amount,
                esf_cofunded=line.esf_cofunded,
                label=line.label,
            )
        owners = set(convention.owners.values_list("pk", flat=True))
        if by is not None and not owners:
            owners = {by.pk}
        renewal.owners.set(owners)
    return renewal
