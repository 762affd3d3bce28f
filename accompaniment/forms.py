"""Forms of the beneficiary's file: create/edit, sector assignment, explicit shares.

Widgets get Bootstrap classes, `is-invalid` and the `aria-describedby` links to their help text and error
(ids `<id>_helptext` and `<id>_error`, rendered by templates/components/_field.html).
"""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from partners.enums import PRIMARY_SECTOR_KIND
from partners.forms import BootstrapBoundField, BootstrapForm
from partners.models import Commune, Organisation, Sector, User

from . import nir as nir_lib
from .enums import DeadlineState
from .models import Beneficiary, ExportFormat
from .permissions import may_read_nominative_data

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
