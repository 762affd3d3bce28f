"""Forms of the orientation app: diagnostic, orientation decision and reorientation, notification, worklist.

Widgets get Bootstrap classes and `aria-describedby` through `partners.forms.BootstrapBoundField`; radio and
checkbox groups are rendered in a fieldset (templates/orientation/_choice_group.html) that carries them.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.db.models import Exists, OuterRef
from django.forms.models import ModelChoiceIterator
from django.utils import timezone

from accompaniment.forms import DATE_HELP, FrenchDateInput, departement_communes, primary_sectors
from accompaniment.permissions import NOMINATIVE_ROLES
from partners.enums import OrganisationType
from partners.forms import BootstrapForm, FastSelect
from partners.models import Organisation, User, UserRole

from .enums import (
    SENSITIVE_CATEGORIES,
    BarrierCategoryCode,
    BarrierLevel,
    EmploymentSituation,
    Pathway,
    QualificationLevel,
)
from .models import BarrierSituation
from .services import LEAD_ORGANISATION_TYPES, tripartite_error

SENSITIVE_COMMENT_HELP = "Confidentiel : ce commentaire n'est lisible que par les travailleurs sociaux."

# Choices of the level radios, strongest first; "not addressed" is the default.
LEVEL_CHOICES = [(level.value, level.label) for level in BarrierLevel]


def lead_organisations():
    return Organisation.objects.filter(type__in=LEAD_ORGANISATION_TYPES).order_by("type", "name")


def grouped_organisation_choices(organisations=None):
    """Organisation choices grouped by type (one query), as `<optgroup>`s: [(type label, [(id, name)])]."""
    groups = {}
    labels = dict(OrganisationType.choices)
    for organisation in organisations if organisations is not None else lead_organisations():
        groups.setdefault(labels.get(organisation.type, organisation.type), []).append(
            (organisation.pk, organisation.name)
        )
    return list(groups.items())


def participant_candidates():
    """Active agents with a role that reads nominative files, by organisation."""
    nominative = UserRole.objects.filter(user=OuterRef("pk"), role__in=NOMINATIVE_ROLES)
    return (
        User.objects.filter(is_active=True)
        .filter(Exists(nominative))
        .select_related("organisation")
        .order_by("organisation__name", "last_name", "first_name", "id")
    )


class ByOrganisationIterator(ModelChoiceIterator):
    """Yields the users as `<optgroup>`s, one per organisation (the queryset is ordered by organisation)."""

    def __iter__(self):
        groups = {}
        for user in self.queryset:
            label = user.organisation.name if user.organisation_id else "Sans organisation"
            groups.setdefault(label, []).append(self.choice(user))
        yield from groups.items()


class ParticipantsField(forms.ModelMultipleChoiceField):
    iterator = ByOrganisationIterator

    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


@dataclass(frozen=True)
class BarrierFields:
    """The three fields of one barrier category, for the template."""

    code: str
    label: str
    sensitive: bool
    level: forms.BoundField
    situations: forms.BoundField
    comment: forms.BoundField


class DiagnosticForm(BootstrapForm):
    held_on = forms.DateField(label="Date du diagnostic", widget=FrenchDateInput(), help_text=DATE_HELP)
    place = forms.CharField(label="Lieu", max_length=200, required=False, help_text="Par exemple : agence, CMS, visio.")
    beneficiary_present = forms.BooleanField(label="La personne était présente", required=False, initial=True)
    tripartite = forms.BooleanField(
        label="Diagnostic tripartite",
        required=False,
        help_text="La personne, un conseiller France Travail et un agent d'insertion du Département.",
    )
    participants = ParticipantsField(
        label="Professionnels présents",
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Regroupés par organisation. Ctrl (ou Cmd) + clic, ou Ctrl + Espace au clavier, "
        "pour en choisir plusieurs.",
    )
    employment_situation = forms.ChoiceField(
        label="Situation vis-à-vis de l'emploi",
        choices=[("", "Non renseignée"), *EmploymentSituation.choices],
        required=False,
    )
    qualification_level = forms.ChoiceField(
        label="Niveau de qualification", choices=[("", "Non renseigné"), *QualificationLevel.choices], required=False
    )
    targeted_occupations = forms.CharField(label="Métiers recherchés", max_length=300, required=False)
    aspirations = forms.CharField(
        label="Souhaits de la personne", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    suggested_pathway = forms.ChoiceField(
        label="Parcours proposé",
        choices=[("", "Aucun pour l'instant"), *Pathway.choices],
        required=False,
        widget=forms.RadioSelect,
        help_text="Le chargé d'orientation décide ; ce parcours sera proposé par défaut.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("held_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = participant_candidates()
        # One query for the situations of every category.
        self.situations = {}
        for situation in BarrierSituation.objects.filter(active=True).order_by("category", "order", "label"):
            self.situations.setdefault(situation.category, []).append(situation)
        for code, label in BarrierCategoryCode.choices:
            sensitive = code in SENSITIVE_CATEGORIES
            self.fields[f"{code}_level"] = forms.ChoiceField(
                label=f"Niveau du frein : {label}",
                choices=LEVEL_CHOICES,
                initial=BarrierLevel.NOT_ADDRESSED,
                widget=forms.RadioSelect,
            )
            self.fields[f"{code}_situations"] = forms.TypedMultipleChoiceField(
                label=f"Situations : {label}",
                choices=[(s.pk, s.label) for s in self.situations.get(code, [])],
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"{code}_comment"] = forms.CharField(
                label=f"Commentaire : {label}",
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=SENSITIVE_COMMENT_HELP if sensitive else "",
            )

    def barrier_groups(self):
        return [
            BarrierFields(
                code=code,
                label=label,
                sensitive=code in SENSITIVE_CATEGORIES,
                level=self[f"{code}_level"],
                situations=self[f"{code}_situations"],
                comment=self[f"{code}_comment"],
            )
            for code, label in BarrierCategoryCode.choices
        ]

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError("La date du diagnostic ne peut pas être dans le futur.")
        return held_on

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tripartite"):
            if not cleaned.get("beneficiary_present"):
                self.add_error("beneficiary_present", "Un diagnostic tripartite se tient en présence de la personne.")
            if "participants" in cleaned and (error := tripartite_error(cleaned["participants"])):
                self.add_error("participants", error)
        by_id = {s.pk: s for situations in self.situations.values() for s in situations}
        for code in BarrierCategoryCode.values:
            chosen = cleaned.get(f"{code}_situations") or []
            cleaned[f"{code}_situations"] = [by_id[pk] for pk in chosen if pk in by_id]
            level = cleaned.get(f"{code}_level")
            if chosen and level in (BarrierLevel.NONE, BarrierLevel.NOT_ADDRESSED):
                self.add_error(f"{code}_level", "Des situations sont cochées : indiquez un frein fort ou moyen.")
        return cleaned

    def diagnostic_fields(self):
        """What `services.diagnostic_record` takes."""
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "place": data["place"],
            "beneficiary_present": data["beneficiary_present"],
            "tripartite": data["tripartite"],
            "participants": list(data["participants"]),
            "employment_situation": data["employment_situation"],
            "qualification_level": data["qualification_level"],
            "targeted_occupations": data["targeted_occupations"],
            "aspirations": data["aspirations"],
            "suggested_pathway": data["suggested_pathway"],
            "barriers": {
                code: {
                    "level": data[f"{code}_level"],
                    "situations": data[f"{code}_situations"],
                    "comment": data[f"{code}_comment"].strip(),
                }
                for code in BarrierCategoryCode.values
            },
        }


class OrganisationChoiceField(forms.TypedChoiceField):
    """A lead organisation picked among choices loaded once (shared by the rows of a list)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, coerce=int, empty_value=None, **kwargs)


def _organisation_from(pk, organisations):
    organisation = organisations.get(pk)
    if organisation is None:
        raise forms.ValidationError("Choisissez un organisme de la liste.")
    return organisation


class OrientationForm(BootstrapForm):
    pathway = forms.ChoiceField(label="Parcours", choices=Pathway.choices, widget=forms.RadioSelect)
    organisation = OrganisationChoiceField(label="Organisme référent")
    decided_on = forms.DateField(label="Date de la décision", widget=FrenchDateInput(), help_text=DATE_HELP)
    reasoning = forms.CharField(
        label="Motivation",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Facultatif. Elle reste dans le dossier ; elle ne figure pas sur le courrier.",
    )
    diagnostic = forms.TypedChoiceField(label="Diagnostic sur lequel s'appuie la décision", coerce=int, required=False)

    def __init__(self, *args, diagnostics=(), reorientation=False, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = list(lead_organisations())
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [
            ("", "Choisir un organisme"),
            *grouped_organisation_choices(organisations),
        ]
        self.diagnostics = {d.pk: d for d in diagnostics}
        self.fields["diagnostic"].choices = [("", "Aucun"), *((d.pk, _diagnostic_label(d)) for d in diagnostics)]
        self.fields["diagnostic"].empty_value = None
        if not self.is_bound:
            self.initial.setdefault("decided_on", timezone.localdate())
            latest = diagnostics[0] if diagnostics else None
            if latest is not None:
                self.initial.setdefault("diagnostic", latest.pk)
                if latest.suggested_pathway:
                    self.initial.setdefault("pathway", latest.suggested_pathway)
        if reorientation:
            self.fields["reason"] = forms.CharField(
                label="Motif de la réorientation",
                max_length=300,
                help_text="Il reste dans l'historique avec l'orientation close.",
                error_messages={"required": "Indiquez le motif de la réorientation."},
            )

    def clean_organisation(self):
        return _organisation_from(self.cleaned_data["organisation"], self.organisations)

    def clean_decided_on(self):
        decided_on = self.cleaned_data["decided_on"]
        if decided_on > timezone.localdate():
            raise forms.ValidationError("La date de décision ne peut pas être dans le futur.")
        return decided_on

    def clean_diagnostic(self):
        pk = self.cleaned_data.get("diagnostic")
        return self.diagnostics.get(pk) if pk else None


def _diagnostic_label(diagnostic):
    label = f"Diagnostic du {diagnostic.held_on:%d/%m/%Y}"
    if diagnostic.tripartite:
        label += " (tripartite)"
    if diagnostic.suggested_pathway:
        label += f" — parcours proposé : {diagnostic.get_suggested_pathway_display()}"
    return label


class QuickDecisionForm(BootstrapForm):
    """One row of the worklist: pathway, lead organisation and date (today by default)."""

    pathway = forms.ChoiceField(
        label="Parcours",
        choices=[("", "Parcours…"), *Pathway.choices],
        widget=FastSelect(attrs={"class": "form-select-sm"}),
    )
    organisation = OrganisationChoiceField(
        label="Organisme référent", widget=FastSelect(attrs={"class": "form-select-sm"})
    )
    decided_on = forms.DateField(
        label="Date de la décision", widget=FrenchDateInput(attrs={"size": 10, "class": "form-control-sm"})
    )

    def __init__(self, *args, organisation_choices, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        self.fields["organisation"].choices = [("", "Organisme référent…"), *organisation_choices]
        if not self.is_bound:
            self.initial.setdefault("decided_on", timezone.localdate())

    def clean_organisation(self):
        return _organisation_from(self.cleaned_data["organisation"], self.organisations)

    def clean_decided_on(self):
        decided_on = self.cleaned_data["decided_on"]
        if decided_on > timezone.localdate():
            raise forms.ValidationError("La date de décision ne peut pas être dans le futur.")
        return decided_on


class NotifyForm(BootstrapForm):
    notified_on = forms.DateField(label="Courrier envoyé le", widget=FrenchDateInput(), help_text=DATE_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("notified_on", timezone.localdate())


class WorklistFilterForm(BootstrapForm):
    """Filters of the orientation worklist (GET). Invalid values are ignored, never a 500."""

    q = forms.CharField(label="Recherche", required=False, help_text="Nom, prénom ou numéro allocataire.")
    sector = forms.ModelChoiceField(
        label="Circonscription", queryset=Organisation.objects.none(), required=False, empty_label="Toutes"
    )
    commune = forms.ModelChoiceField(
        label="Commune", queryset=Organisation.objects.none(), required=False, empty_label="Toutes"
    )
    waited = forms.IntegerField(
        label="Attente de plus de (jours)",
        required=False,
        min_value=0,
        max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    unassigned = forms.BooleanField(label="Non affectés uniquement", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = primary_sectors()
        self.fields["commune"].queryset = departement_communes()
        self.fields["commune"].label_from_instance = lambda commune: commune.name

    def filter(self, files, today):
        if not self.is_valid():
            return files
        data = self.cleaned_data
        if data["q"]:
            files = files.search(data["q"])
        if data["sector"]:
            files = files.filter(sector=data["sector"])
        if data["commune"]:
            files = files.filter(commune=data["commune"])
        if data["waited"] is not None:
            files = files.filter(flux_date__lt=today - datetime.timedelta(days=data["waited"]))
        if data["unassigned"]:
            files = files.unassigned()
        return files
