"""Forms of the beneficiary's file: create/edit, sector assignment, explicit shares, exports, referent
designation, interviews and exits, contracts and activities.

Widgets get Bootstrap classes, `is-invalid` and the `aria-describedby` links to their help text and error
(ids `<id>_helptext` and `<id>_error`, rendered by templates/components/_field.html).
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from partners.enums import PRIMARY_SECTOR_KIND, OrganisationType, Role
from partners.forms import BootstrapBoundField, BootstrapForm
from partners.models import Commune, Organisation, Sector, Team, User

from . import nir as nir_lib
from .enums import (
    DEFAULT_CONTRACT_MONTHS,
    DEFAULT_WEEKLY_HOURS,
    MAX_ACTIVITY_WEEKLY_HOURS,
    MAX_HOURS_DONE_PER_WEEK,
    MAX_WEEKLY_HOURS,
    ActivityKind,
    ActivityStatus,
    ComplementaryRight,
    ContractKind,
    DeadlineState,
    ExitReason,
    ExportFormat,
    HoursReductionReason,
    InterviewKind,
    InterviewMedium,
    InterviewStatus,
    exit_reasons_for,
)
from .models import Beneficiary, ReferentAssignment
from .permissions import may_read_nominative_data
from .services import contract_hours_errors, hours_steps_errors, suggested_contract_end

# The longest a share may last.
SHARE_MAX_DURATION = datetime.timedelta(days=365)

DATE_HELP = "Format jj/mm/aaaa, par exemple 15/06/1987."


class FrenchDateInput(forms.DateInput):
    """A text input for dd/mm/yyyy dates: predictable with a keyboard and a screen reader in every browser."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"inputmode": "numeric", "placeholder": "jj/mm/aaaa", "autocomplete": "off", **(attrs or {})},
            format="%d/%m/%Y",
        )


class WriteOnlyTextInput(forms.TextInput):
    """Never renders a value back: what was typed into a secret field does not reach the page."""

    def format_value(self, value):
        return None


# Paris, Lyon and Marseille: the unit is the municipal arrondissement, never the whole city (SPEC §1).
COMMUNES_WITH_ARRONDISSEMENTS = ("75056", "69123", "13055")


def departement_communes():
    communes = Commune.objects.of_departement(settings.PARCOURS_DEPARTEMENT)
    return communes.exclude(insee_code__in=COMMUNES_WITH_ARRONDISSEMENTS).order_by("name")


def primary_sectors():
    return Sector.objects.filter(kind=PRIMARY_SECTOR_KIND).order_by("name")


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.insee_code})"


class BeneficiaryForm(forms.ModelForm):
    """Create or edit a file. The NIR is write-only; duplicates are looked for among all files."""

    bound_field_class = BootstrapBoundField

    nir = forms.CharField(
        label="NIR (numéro de sécurité sociale)",
        required=False,
        max_length=25,
        widget=WriteOnlyTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Facultatif. 13 caractères, ou 15 avec la clé. Il n'est jamais affiché.",
    )
    confirm_other_person = forms.BooleanField(
        label="Je confirme qu'il s'agit d'une autre personne",
        required=False,
    )

    class Meta:
        model = Beneficiary
        fields = [
            "last_name",
            "birth_name",
            "first_name",
            "sex",
            "birth_date",
            "caf_number",
            "france_travail_id",
            "address",
            "address_complement",
            "postal_code",
            "city",
            "commune",
            "qpv",
            "phone",
            "email",
            "rights_state",
            "rights_opened_on",
            "rights_and_duties",
            "single_parent",
        ]
        field_classes = {"commune": CommuneChoiceField}
        labels = {"city": "Ville", "caf_number": "Numéro allocataire (CAF/MSA)"}
        help_texts = {
            "birth_name": "Si différent du nom d'usage.",
            "birth_date": DATE_HELP,
            "caf_number": "Le numéro du foyer : il est partagé par les membres d'un même foyer.",
            "commune": "La circonscription du dossier en découle.",
            "rights_opened_on": "Date de la demande de RSA. " + DATE_HELP,
            "rights_and_duties": "La personne doit être orientée et accompagnée.",
            "postal_code": "5 chiffres.",
        }
        widgets = {
            "birth_date": FrenchDateInput(attrs={"autocomplete": "bday"}),
            "rights_opened_on": FrenchDateInput(),
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.visible_duplicate = None
        self.fields["commune"].queryset = departement_communes()
        self.fields["commune"].empty_label = "Choisir une commune"
        self.fields["sex"].choices = [("", "Non renseigné"), *self.fields["sex"].choices[1:]]
        self.fields["rights_state"].choices = [("", "Non renseigné"), *self.fields["rights_state"].choices[1:]]
        if self.instance.pk:
            self.fields["nir"].help_text = (
                "Laisser vide pour conserver le NIR enregistré."
                if self.instance.has_nir
                else "Facultatif. 13 caractères, ou 15 avec la clé. Il n'est jamais affiché."
            )

    @property
    def is_edit(self):
        return self.instance.pk is not None

    @property
    def asks_duplicate_confirmation(self):
        return bool(self.errors.get("confirm_other_person")) or bool(self["confirm_other_person"].value())

    def clean_last_name(self):
        return self.cleaned_data["last_name"].strip()

    def clean_first_name(self):
        return self.cleaned_data["first_name"].strip()

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip()
        if value and (len(value) != 5 or not value.isdigit()):
            raise forms.ValidationError("Le code postal comporte 5 chiffres.")
        return value

    def clean_nir(self):
        value = self.cleaned_data.get("nir", "")
        if not value.strip():
            return ""
        value = nir_lib.validate(value)
        others = Beneficiary.objects.filter(nir_hash__in=nir_lib.candidate_hashes(value))
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            # Said without revealing which file, which the user may not be allowed to see.
            raise forms.ValidationError("Un dossier existe déjà pour ce NIR.", code="nir_duplicate")
        return value

    def clean(self):
        cleaned = super().clean()
        last_name, first_name, birth_date = (cleaned.get(f) for f in ("last_name", "first_name", "birth_date"))
        identity_changed = not self.is_edit or {"last_name", "first_name", "birth_date"} & set(self.changed_data)
        if last_name and first_name and birth_date and identity_changed:
            namesakes = Beneficiary.objects.filter(
                last_name__iexact=last_name, first_name__iexact=first_name, birth_date=birth_date
            )
            if self.is_edit:
                namesakes = namesakes.exclude(pk=self.instance.pk)
            if not cleaned.get("confirm_other_person") and namesakes.exists():
                self.visible_duplicate = (
                    Beneficiary.objects.for_user(self.user).filter(pk__in=namesakes.values("pk")).first()
                )
                self.add_error(
                    "confirm_other_person",
                    "Un dossier existe déjà pour une personne de mêmes nom, prénom et date de naissance. "
                    "Vérifiez qu'il ne s'agit pas de la même personne, puis cochez la case pour confirmer.",
                )
        return cleaned

    def file_fields(self):
        """The model fields to hand to the services."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


class ExportForm(BootstrapForm):
    """An export of the list: its format, and the list's query string (filters and sort) it was asked from."""

    format = forms.ChoiceField(label="Format", choices=ExportFormat.choices)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class AssignForm(BootstrapForm):
    """The unassigned queue: an orientation officer sets the file's commune or its primary sector."""

    commune = CommuneChoiceField(
        queryset=Commune.objects.none(),
        to_field_name="insee_code",
        required=False,
        label="Code INSEE de la commune",
        widget=forms.TextInput(attrs={"list": "communes-departement", "inputmode": "numeric", "size": 8}),
        error_messages={"invalid_choice": "Ce code INSEE n'est pas une commune du Département."},
    )
    sector = forms.TypedChoiceField(label="ou circonscription", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, sector_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = departement_communes()
        self.fields["sector"].choices = [("", "—"), *sector_choices]

    def clean_sector(self):
        sector_id = self.cleaned_data.get("sector")
        if sector_id is None:
            return None
        sector = primary_sectors().filter(pk=sector_id).first()
        if sector is None:
            raise forms.ValidationError("Choisissez une circonscription de la liste.")
        return sector

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("commune") and not cleaned.get("sector"):
            raise forms.ValidationError("Indiquez une commune ou une circonscription.")
        return cleaned


class FileShareForm(BootstrapForm):
    user_email = forms.EmailField(
        label="Adresse e-mail de l'utilisateur",
        required=False,
        help_text="Un utilisateur de Parcours ayant accès aux dossiers nominatifs.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"),
        required=False,
        label="ou une organisation",
        empty_label="Aucune",
    )
    reason = forms.CharField(label="Motif du partage", max_length=300)
    ends_on = forms.DateField(
        label="Fin du partage",
        widget=FrenchDateInput(),
        help_text="Au plus un an à partir d'aujourd'hui. " + DATE_HELP,
    )

    def clean_user_email(self):
        email = self.cleaned_data.get("user_email", "").strip()
        if not email:
            return None
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError("Aucun utilisateur actif n'a cette adresse e-mail.")
        if not may_read_nominative_data(user):
            raise forms.ValidationError("Cet utilisateur n'a pas accès aux dossiers nominatifs.")
        return user

    def clean_ends_on(self):
        ends_on = self.cleaned_data["ends_on"]
        today = timezone.localdate()
        if ends_on <= today:
            raise forms.ValidationError("La fin du partage doit être dans le futur.")
        if ends_on > today + SHARE_MAX_DURATION:
            raise forms.ValidationError("Un partage dure au plus un an.")
        return ends_on

    def clean(self):
        cleaned = super().clean()
        user, organisation = cleaned.get("user_email"), cleaned.get("organisation")
        if "user_email" in self.errors:
            return cleaned
        if bool(user) == bool(organisation):
            raise forms.ValidationError("Partagez avec un utilisateur ou avec une organisation (l'un des deux).")
        return cleaned


# Referents ---------------------------------------------------------------------------------------------
NO_TEAM_LABEL = "Sans équipe"


def referent_candidates(organisation_id, *, exclude=None):
    """The active users with the referent role in `organisation_id`, in one query: each annotated with
    `team_name` (their first team, by name) and `followed_count` (the files they are the current referent
    of), ordered by team then name."""
    followed = (
        ReferentAssignment.objects.current()
        .filter(agent=OuterRef("pk"))
        .order_by()
        .values("agent")
        .annotate(count=Count("id"))
        .values("count")
    )
    first_team = Team.objects.filter(members=OuterRef("pk")).order_by("name").values("name")[:1]
    candidates = (
        User.objects.filter(is_active=True, organisation_id=organisation_id)
        .with_role(Role.REFERENT)
        .annotate(
            team_name=Subquery(first_team),
            followed_count=Coalesce(Subquery(followed, output_field=IntegerField()), 0),
        )
        .order_by(F("team_name").asc(nulls_last=True), "last_name", "first_name", "id")
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    return candidates


def followed_label(count):
    if count == 0:
        return "aucun dossier suivi"
    return "1 dossier suivi" if count == 1 else f"{count} dossiers suivis"


def grouped_referent_choices(candidates):
    """`<optgroup>`s by team (the candidates come ordered by team), each option saying how many files the
    person already follows."""
    groups = {}
    for user in candidates:
        label = f"{user.get_full_name() or user.email} ({followed_label(user.followed_count)})"
        groups.setdefault(user.team_name or NO_TEAM_LABEL, []).append((user.pk, label))
    return list(groups.items())


class ReferentForm(BootstrapForm):
    """Designate the file's referent, or change it (then with the reason, kept in the history).

    The agent is any user id: the service says why a person cannot be the referent (another organisation,
    no referent role, already the referent), next to the field; the select offers the candidates."""

    agent = forms.IntegerField(
        label="Référent",
        widget=forms.Select,
        error_messages={"required": "Choisissez le référent.", "invalid": "Choisissez un référent de la liste."},
    )
    designated_on = forms.DateField(label="Date de désignation", widget=FrenchDateInput(), help_text=DATE_HELP)

    def __init__(self, *args, candidates, organisation, reassignment=False, **kwargs):
        super().__init__(*args, **kwargs)
        groups = grouped_referent_choices(candidates)
        self.has_candidates = bool(groups)
        self.fields["agent"].widget.choices = [("", "Choisir un référent"), *groups]
        self.fields["agent"].help_text = (
            f"Les référents actifs de l'organisme référent ({organisation}), par équipe, avec le nombre de "
            "dossiers que chacun suit déjà."
        )
        if reassignment:
            self.fields["reason"] = forms.CharField(
                label="Motif du changement",
                max_length=200,
                help_text="Il reste dans l'historique avec la désignation close.",
                error_messages={"required": "Indiquez le motif du changement de référent."},
            )
        if not self.is_bound:
            self.initial.setdefault("designated_on", timezone.localdate())

    def clean_agent(self):
        agent = User.objects.select_related("organisation").filter(pk=self.cleaned_data["agent"]).first()
        if agent is None:
            raise forms.ValidationError("Choisissez un référent de la liste.")
        return agent


# Interviews and exits ------------------------------------------------------------------------------------------
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%Hh"]


class InterviewForm(BootstrapForm):
    """Record or edit an interview, planned or already held. `kinds` are the kinds the user may record (a
    CAF agent: the CAF rights interview only). The service checks the rest (a held date only when held,
    complementary rights only on a CAF rights interview) and its errors go next to these fields."""

    kind = forms.ChoiceField(label="Type d'entretien")
    scheduled_date = forms.DateField(label="Date prévue", widget=FrenchDateInput(), help_text=DATE_HELP)
    scheduled_time = forms.TimeField(
        label="Heure prévue",
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Heure de Paris, par exemple 09:30.",
    )
    medium = forms.ChoiceField(
        label="Modalité", choices=InterviewMedium.choices, initial=InterviewMedium.IN_PERSON, widget=forms.RadioSelect
    )
    status = forms.ChoiceField(label="Statut", choices=InterviewStatus.choices, initial=InterviewStatus.PLANNED)
    held_on = forms.DateField(
        label="Tenu le",
        required=False,
        widget=FrenchDateInput(),
        help_text="Pour un entretien tenu ; vide, c'est la date prévue. " + DATE_HELP,
    )
    outcome = forms.CharField(
        label="Conclusion",
        max_length=300,
        required=False,
        help_text="Ce qui a été convenu, en une phrase. Elle figure dans l'historique du dossier.",
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Elles restent dans la fiche de l'entretien et ne figurent pas dans l'historique du dossier.",
    )
    complementary_rights = forms.MultipleChoiceField(
        label="Droits complémentaires ouverts",
        choices=ComplementaryRight.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Seulement pour un entretien d'accès aux droits CAF.",
    )

    def __init__(self, *args, kinds, interview=None, **kwargs):
        # The orientation app owns the participants field; imported here, not at the top, because
        # orientation.forms itself imports this module.
        from orientation.forms import ParticipantsField, participant_candidates

        if interview is not None:
            kwargs.setdefault("initial", {}).update(self.initial_from(interview))
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, InterviewKind(kind).label) for kind in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
        self.fields["participants"] = ParticipantsField(
            label="Professionnels présents",
            queryset=participant_candidates(),
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 8}),
            help_text="Regroupés par organisation. Ctrl (ou Cmd) + clic, ou Ctrl + Espace au clavier, "
            "pour en choisir plusieurs.",
        )
        # Keep the fields in reading order: participants after the status.
        order = ["kind", "scheduled_date", "scheduled_time", "medium", "status", "held_on", "participants"]
        self.order_fields(order)

    @staticmethod
    def initial_from(interview):
        scheduled = timezone.localtime(interview.scheduled_for)
        return {
            "kind": interview.kind,
            "scheduled_date": scheduled.date(),
            "scheduled_time": scheduled.time().replace(second=0, microsecond=0),
            "medium": interview.medium,
            "status": interview.status,
            "held_on": interview.held_on,
            "participants": list(interview.participants.all()),
            "outcome": interview.outcome,
            "notes": interview.notes,
            "complementary_rights": list(interview.complementary_rights or []),
        }

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("scheduled_date"), cleaned.get("scheduled_time")
        if day and time:
            cleaned["scheduled_for"] = timezone.make_aware(datetime.datetime.combine(day, time))
            # A held interview with no date given was held on the day it was planned, unless that is still to come.
            if cleaned.get("status") == InterviewStatus.HELD and not cleaned.get("held_on"):
                if day <= timezone.localdate():
                    cleaned["held_on"] = day
        return cleaned

    def interview_fields(self):
        """What `services.interview_record` / `interview_update` take (participants apart)."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "scheduled_for": data["scheduled_for"],
            "medium": data["medium"],
            "status": data["status"],
            "held_on": data["held_on"],
            "outcome": data["outcome"].strip(),
            "notes": data["notes"].strip(),
            "complementary_rights": list(data["complementary_rights"]),
        }


# The quick status change of a planned interview, from the file page.
QUICK_STATUSES = {
    InterviewStatus.HELD: "Tenu aujourd'hui",
    InterviewStatus.EXCUSED: "Excusé",
    InterviewStatus.NO_SHOW: "Absent",
    InterviewStatus.CANCELLED: "Annulé",
}


class InterviewStatusForm(BootstrapForm):
    status = forms.ChoiceField(label="Nouveau statut", choices=list(QUICK_STATUSES.items()))


@dataclass(frozen=True)
class ReasonGroup:
    title: str
    choices: list


class ExitForm(BootstrapForm):
    """The exit: the reasons the file may take come first; the others are listed too, and the service's
    refusal of one of them shows on the field."""

    exited_on = forms.DateField(label="Date de sortie", widget=FrenchDateInput(), help_text=DATE_HELP)
    reason = forms.ChoiceField(label="Motif de sortie", widget=forms.RadioSelect)
    comment = forms.CharField(
        label="Précision",
        max_length=300,
        required=False,
        help_text="Facultatif, par exemple « CDI d'agent de propreté ». Elle figure dans l'historique du dossier.",
    )

    def __init__(self, *args, in_accompaniment, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = exit_reasons_for(in_accompaniment=in_accompaniment)
        others = [reason for reason in ExitReason if reason not in self.allowed]
        self.fields["reason"].choices = [(reason.value, reason.label) for reason in (*self.allowed, *others)]
        if not self.is_bound:
            self.initial.setdefault("exited_on", timezone.localdate())

    def reason_groups(self):
        """The radios in two groups: the reasons this file may take, then those that need an episode."""
        allowed = {reason.value for reason in self.allowed}
        radios = list(self["reason"])
        groups = [ReasonGroup("Motifs possibles pour ce dossier", [r for r in radios if r.data["value"] in allowed])]
        others = [r for r in radios if r.data["value"] not in allowed]
        if others:
            groups.append(ReasonGroup("Motifs qui supposent un accompagnement en cours", others))
        return groups

    def clean_exited_on(self):
        exited_on = self.cleaned_data["exited_on"]
        if exited_on > timezone.localdate():
            raise forms.ValidationError("La date de sortie ne peut pas être dans le futur.")
        return exited_on


# Contracts and activities ---------------------------------------------------------------------------------
HOURS_STEP_COUNT = 3  # rows of the progressive plan in the signing form (MAX_HOURS_STEPS)


class HoursField(forms.DecimalField):
    """Hours with a decimal comma or point ("17,5" or "17.5"), to the tenth of an hour."""

    def __init__(self, *, max_value, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 5}))
        super().__init__(
            min_value=0,
            max_value=max_value,
            max_digits=4,
            decimal_places=1,
            localize=True,
            error_messages={
                "invalid": "Indiquez un nombre d'heures, par exemple 15 ou 17,5.",
                "max_decimal_places": "Au dixième d'heure près, par exemple 17,5.",
                "max_value": f"Au plus {max_value} heures.",
                "min_value": "Le nombre d'heures ne peut pas être négatif.",
            },
            **kwargs,
        )


@dataclass(frozen=True)
class StepFields:
    number: int
    starts_on: forms.BoundField
    weekly_hours: forms.BoundField


class ContractForm(BootstrapForm):
    """Sign a commitment contract: kind, dates, weekly hours with an optional progressive plan, reduction."""

    kind = forms.ChoiceField(
        label="Type de contrat",
        choices=ContractKind.choices,
        initial=ContractKind.CE,
        widget=forms.RadioSelect,
        help_text="Le contrat d'engagement depuis 2025 ; CER et PPAE pour saisir un contrat de l'ancien régime.",
    )
    signed_on = forms.DateField(label="Signé le", widget=FrenchDateInput(), help_text=DATE_HELP)
    starts_on = forms.DateField(
        label="Début du contrat", widget=FrenchDateInput(), help_text="Le jour de la signature ou après. " + DATE_HELP
    )
    ends_on = forms.DateField(
        label="Fin du contrat",
        required=False,
        widget=FrenchDateInput(attrs={"data-contract-end": ""}),
        help_text=f"Proposée {DEFAULT_CONTRACT_MONTHS} mois après le début ; laissée vide, elle est fixée ainsi.",
    )
    weekly_hours = HoursField(
        label="Heures d'activité par semaine",
        max_value=MAX_WEEKLY_HOURS,
        initial=DEFAULT_WEEKLY_HOURS,
        help_text=f"{DEFAULT_WEEKLY_HOURS} h par défaut, {MAX_WEEKLY_HOURS} h au plus. "
        f"En dessous de {DEFAULT_WEEKLY_HOURS} h, un motif de réduction est obligatoire.",
    )
    hours_reduction_reason = forms.ChoiceField(
        label="Motif de réduction des heures",
        choices=[("", "Aucune réduction"), *HoursReductionReason.choices],
        required=False,
        help_text=f"Obligatoire en dessous de {DEFAULT_WEEKLY_HOURS} heures par semaine.",
    )
    hours_reduction_comment = forms.CharField(
        label="Précision sur la réduction",
        max_length=300,
        required=False,
        help_text="Obligatoire pour « Autre motif ». N'y inscrivez aucun détail médical.",
    )
    objectives = forms.CharField(
        label="Objectifs du contrat",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Les engagements de la personne et de l'organisme référent.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("signed_on", today)
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", suggested_contract_end(today))
        for number in range(1, HOURS_STEP_COUNT + 1):
            self.fields[f"step_{number}_on"] = forms.DateField(
                label=f"Palier {number} : à partir du", required=False, widget=FrenchDateInput()
            )
            self.fields[f"step_{number}_hours"] = HoursField(
                label=f"Palier {number} : heures par semaine", max_value=MAX_WEEKLY_HOURS, required=False
            )

    def step_rows(self):
        return [
            StepFields(number=n, starts_on=self[f"step_{n}_on"], weekly_hours=self[f"step_{n}_hours"])
            for n in range(1, HOURS_STEP_COUNT + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        entered = []  # (row number, date, hours) of the complete rows
        for number in range(1, HOURS_STEP_COUNT + 1):
            on_name, hours_name = f"step_{number}_on", f"step_{number}_hours"
            day, hours = cleaned.get(on_name), cleaned.get(hours_name)
            if on_name in self.errors or hours_name in self.errors:
                continue
            if day and hours is None:
                self.add_error(hours_name, "Indiquez les heures de ce palier.")
            elif hours is not None and not day:
                self.add_error(on_name, "Indiquez la date de ce palier.")
            elif day:
                entered.append((number, day, hours))
        starts_on, weekly_hours = cleaned.get("starts_on"), cleaned.get("weekly_hours")
        if weekly_hours is not None:
            reason, comment = cleaned.get("hours_reduction_reason", ""), cleaned.get("hours_reduction_comment", "")
            for name, message in contract_hours_errors(weekly_hours, reason, comment).items():
                self.add_error(name, message)
        if starts_on and weekly_hours is not None and entered:
            ends_on = cleaned.get("ends_on") or suggested_contract_end(starts_on)
            errors = hours_steps_errors(
                starts_on=starts_on,
                ends_on=ends_on,
                weekly_hours=weekly_hours,
                steps=[(day, hours) for _number, day, hours in entered],
            )
            for index, part, message in errors:
                number = entered[min(index, len(entered) - 1)][0]
                self.add_error(f"step_{number}_on" if part == "starts_on" else f"step_{number}_hours", message)
        return cleaned

    def hours_steps(self):
        data = self.cleaned_data
        return [
            (data[f"step_{n}_on"], data[f"step_{n}_hours"])
            for n in range(1, HOURS_STEP_COUNT + 1)
            if data.get(f"step_{n}_on") and data.get(f"step_{n}_hours") is not None
        ]

    def contract_fields(self):
        """What `services.contract_sign` takes, besides the steps."""
        data = self.cleaned_data
        names = ("kind", "signed_on", "starts_on", "ends_on", "weekly_hours", "hours_reduction_reason")
        return {
            **{name: data[name] for name in names},
            "hours_reduction_comment": data["hours_reduction_comment"].strip(),
            "objectives": data["objectives"].strip(),
        }


def grouped_partner_choices():
    """Every organisation, grouped by type (one query), as `<optgroup>`s."""
    labels = dict(OrganisationType.choices)
    groups = {}
    for organisation in Organisation.objects.order_by("type", "name", "id"):
        groups.setdefault(labels.get(organisation.type, organisation.type), []).append(
            (organisation.pk, organisation.name)
        )
    return list(groups.items())


class ActivityForm(BootstrapForm):
    """An activity of the action plan: kind, title, provider (a partner or free text), dates, hours."""

    kind = forms.ChoiceField(label="Type d'activité", choices=[("", "Choisir un type"), *ActivityKind.choices])
    title = forms.CharField(
        label="Intitulé", max_length=200, help_text="Par exemple : Formation agent de propreté, atelier CV du mardi."
    )
    provider_organisation = forms.TypedChoiceField(
        label="Partenaire",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Un organisme enregistré dans Parcours ; sinon, saisissez son nom dans le champ suivant.",
    )
    provider = forms.CharField(
        label="Autre organisme",
        max_length=200,
        required=False,
        help_text="Si l'organisme n'est pas dans la liste. Laissez vide pour une démarche personnelle.",
    )
    starts_on = forms.DateField(label="Début", widget=FrenchDateInput(), help_text=DATE_HELP)
    ends_on = forms.DateField(label="Fin", widget=FrenchDateInput(), help_text=DATE_HELP)
    weekly_planned_hours = HoursField(
        label="Heures prévues par semaine",
        max_value=MAX_ACTIVITY_WEEKLY_HOURS,
        help_text="Chaque semaine où l'activité se déroule, même partiellement.",
    )

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.fields["provider_organisation"].choices = [
            ("", "Aucun partenaire de la liste"),
            *grouped_partner_choices(),
        ]
        if not self.is_bound and "starts_on" not in self.initial:
            self.initial["starts_on"] = max(timezone.localdate(), contract.starts_on)

    def clean_provider_organisation(self):
        pk = self.cleaned_data.get("provider_organisation")
        if pk is None:
            return None
        organisation = Organisation.objects.filter(pk=pk).first()
        if organisation is None:
            raise forms.ValidationError("Choisissez un organisme de la liste.")
        return organisation

    def activity_fields(self):
        data = self.cleaned_data
        names = ("kind", "title", "starts_on", "ends_on", "weekly_planned_hours", "provider", "provider_organisation")
        return {name: data[name] for name in names}

    @classmethod
    def initial_from(cls, activity):
        return {
            "kind": activity.kind,
            "title": activity.title,
            "provider_organisation": activity.provider_organisation_id,
            "provider": activity.provider,
            "starts_on": activity.starts_on,
            "ends_on": activity.ends_on,
            "weekly_planned_hours": activity.weekly_planned_hours,
        }


class ActivityStatusForm(BootstrapForm):
    """One row of the action plan: the statuses the activity may move to, and since when."""

    status = forms.ChoiceField(label="Nouveau statut")
    changed_on = forms.DateField(label="Depuis le", widget=FrenchDateInput(attrs={"size": 10}), help_text="jj/mm/aaaa")

    def __init__(self, *args, activity, **kwargs):
        kwargs.setdefault("prefix", f"activite-{activity.pk}")
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.fields["status"].choices = [(s.value, s.label) for s in map(ActivityStatus, activity.next_statuses)]
        if not self.is_bound:
            self.initial.setdefault("changed_on", timezone.localdate())


class HoursDoneForm(BootstrapForm):
    """Hours done on one activity of the contract during one week."""

    activity = forms.TypedChoiceField(label="Activité", coerce=int)
    week_of = forms.DateField(
        label="Semaine du",
        widget=FrenchDateInput(),
        help_text="Un jour quelconque de la semaine (lundi à dimanche). Saisir à nouveau une semaine remplace ses heures.",
    )
    hours = HoursField(label="Heures réalisées", max_value=MAX_HOURS_DONE_PER_WEEK)

    def __init__(self, *args, activities, **kwargs):
        kwargs.setdefault("prefix", "heures")
        super().__init__(*args, **kwargs)
        self.activities = {activity.pk: activity for activity in activities}
        self.fields["activity"].choices = [
            ("", "Choisir une activité"),
            *(
                (a.pk, f"{a.title} ({a.get_kind_display()}, du {a.starts_on:%d/%m/%Y} au {a.ends_on:%d/%m/%Y})")
                for a in activities
            ),
        ]
        if not self.is_bound:
            self.initial.setdefault("week_of", timezone.localdate())

    def clean_activity(self):
        activity = self.activities.get(self.cleaned_data["activity"])
        if activity is None:
            raise forms.ValidationError("Choisissez une activité de ce contrat.")
        return activity


# Deadlines and alerts -------------------------------------------------------------------------------------
class MyDeadlinesFilterForm(BootstrapForm):
    """« Mes échéances »: by state and rule (GET)."""

    etat = forms.ChoiceField(
        label="État",
        required=False,
        choices=[
            ("", "Toutes les échéances en cours"),
            (DeadlineState.OVERDUE, "En retard"),
            (DeadlineState.DUE_SOON, "Échéance proche"),
            (DeadlineState.PENDING, "En cours, sans alerte"),
        ],
    )
    regle = forms.ChoiceField(label="Règle", required=False)

    def __init__(self, *args, rule_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regle"].choices = [("", "Toutes les règles"), *rule_choices.items()]

    def filter(self, deadlines):
        if not self.is_valid():
            return deadlines
        if state := self.cleaned_data["etat"]:
            deadlines = deadlines.filter(state=state)
        if code := self.cleaned_data["regle"]:
            deadlines = deadlines.filter(rule_code=code)
        return deadlines


class LateFilesFilterForm(BootstrapForm):
    """« Dossiers en retard »: late (or soon due) deadlines, by rule and sector (GET)."""

    etat = forms.ChoiceField(
        label="Échéances",
        required=False,
        choices=[(DeadlineState.OVERDUE, "En retard"), (DeadlineState.DUE_SOON, "À échéance proche")],
    )
    regle = forms.ChoiceField(label="Règle", required=False)
    secteur = forms.ChoiceField(label="Circonscription", required=False)

    def __init__(self, *args, rule_choices, sector_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regle"].choices = [("", "Toutes les règles"), *rule_choices.items()]
        self.fields["secteur"].choices = [
            ("", "Toutes les circonscriptions"),
            *((str(sector.pk), sector.name) for sector in sector_choices),
            ("aucun", "Non affectés (hors circonscription)"),
        ]

    def state(self):
        if self.is_valid() and self.cleaned_data["etat"]:
            return self.cleaned_data["etat"]
        return DeadlineState.OVERDUE

    def narrows(self):
        return self.is_valid() and bool(self.cleaned_data["regle"] or self.cleaned_data["secteur"])

    def filter(self, deadlines, *, unassigned_key):
        if not self.is_valid():
            return deadlines
        if code := self.cleaned_data["regle"]:
            deadlines = deadlines.filter(rule_code=code)
        sector = self.cleaned_data["secteur"]
        if sector == unassigned_key:
            deadlines = deadlines.filter(beneficiary__sector__isnull=True)
        elif sector:
            deadlines = deadlines.filter(beneficiary__sector_id=int(sector))
        return deadlines


class AlertFilterForm(BootstrapForm):
    """The alert lists (GET): which list, unread only."""

    liste = forms.ChoiceField(label="Liste", required=False)
    etat = forms.ChoiceField(
        label="Alertes", required=False, choices=[("non_lues", "Non lues"), ("toutes", "Toutes, lues comprises")]
    )

    def __init__(self, *args, list_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["liste"].choices = list_choices

    def current_list(self, default):
        if self.is_valid() and self.cleaned_data["liste"]:
            return self.cleaned_data["liste"]
        return default

    def unread_only(self):
        return not (self.is_valid() and self.cleaned_data["etat"] == "toutes")
