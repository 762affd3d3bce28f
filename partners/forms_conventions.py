"""Forms of conventions (with their parties, committed staff and funding lines as inline formsets), of their
PDF documents, and of COPIL meetings and actions."""

from django import forms
from django.forms import inlineformset_factory

from .enums import (
    CONVENTION_DOCUMENT_MAX_BYTES,
    MAX_CONVENTION_OWNERS,
    PRIMARY_SECTOR_KIND,
    ConventionStatus,
    CopilActionStatus,
)
from .forms import BootstrapBoundField, BootstrapForm
from .models import (
    Convention,
    ConventionDocument,
    ConventionParty,
    ConventionResource,
    CopilAction,
    CopilMeeting,
    FundingLine,
    Organisation,
    Sector,
    User,
)

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class FrenchDateInput(forms.DateInput):
    """A text input for dd/mm/yyyy dates (the same as the files' forms)."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"inputmode": "numeric", "placeholder": "jj/mm/aaaa", "autocomplete": "off", **(attrs or {})},
            format="%d/%m/%Y",
        )


def french_date_field(**kwargs):
    return forms.DateField(input_formats=DATE_INPUT_FORMATS, widget=FrenchDateInput(), help_text="jj/mm/aaaa", **kwargs)


class BootstrapModelForm(forms.ModelForm):
    bound_field_class = BootstrapBoundField


def _people():
    return User.objects.filter(is_active=True).select_related("organisation").order_by("last_name", "first_name")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name()} ({user.organisation})" if user.organisation_id else user.get_full_name()


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name()} ({user.organisation})" if user.organisation_id else user.get_full_name()


# Conventions --------------------------------------------------------------------------------------------
class ConventionForm(BootstrapModelForm):
    signed_on = french_date_field(label="Signée le", required=False)
    valid_from = french_date_field(label="En vigueur du")
    valid_to = french_date_field(label="Au", required=False)
    terminated_on = french_date_field(label="Résiliée le", required=False)
    owners = PersonChoiceField(
        label="Responsables du suivi",
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=(
            "Ils reçoivent l'alerte de renouvellement 90 jours avant la fin (de chaque période, pour une tacite "
            f"reconduction) ; {MAX_CONVENTION_OWNERS} au plus."
        ),
    )

    class Meta:
        model = Convention
        fields = [
            "title",
            "kind",
            "signed_on",
            "valid_from",
            "valid_to",
            "renewal",
            "renewal_period_months",
            "renews",
            "terminated_on",
            "termination_reason",
            "objectives",
            "indicators",
            "owners",
        ]
        widgets = {
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "indicators": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = _people()
        renewable = Convention.objects.for_user(user)
        if self.instance.pk:
            renewable = renewable.exclude(pk=self.instance.pk)
        self.fields["renews"].queryset = renewable.order_by("-valid_from")
        self.fields["renews"].help_text = "La convention précédente, si celle-ci la renouvelle."
        self.fields["signed_on"].help_text = "jj/mm/aaaa — vide tant que la convention est en projet."
        self.fields["valid_to"].help_text = (
            "jj/mm/aaaa — vide pour une durée indéterminée ; pour une tacite reconduction, la fin de la première "
            "période."
        )
        # Used by tacit renewals only: left empty, it keeps its value (12 months for a new convention).
        self.fields["renewal_period_months"].required = False
        self.fields["renewal_period_months"].help_text = (
            "Pour une tacite reconduction : à sa date de fin, la convention se poursuit par périodes de cette durée, "
            "sauf dénonciation."
        )

    def clean_renewal_period_months(self):
        return self.cleaned_data.get("renewal_period_months") or self.instance.renewal_period_months

    def clean_valid_to(self):
        """A signed convention's end date is the due date of its renewal clock, fixed when the clock started:
        it is not moved here. An extension is a renewal (an amendment), an earlier end a termination."""
        valid_to = self.cleaned_data.get("valid_to")
        stored = self.instance
        if stored.pk and stored.signed_on and stored.valid_to and valid_to != stored.valid_to:
            raise forms.ValidationError(
                "La date de fin d'une convention signée ne se modifie pas : pour la prolonger, renouvelez-la "
                "(avenant ou nouvelle convention) ; pour y mettre fin plus tôt, saisissez sa résiliation."
            )
        return valid_to

    def clean_owners(self):
        owners = self.cleaned_data["owners"]
        if len(owners) > MAX_CONVENTION_OWNERS:
            raise forms.ValidationError(f"Au plus {MAX_CONVENTION_OWNERS} responsables du suivi.")
        return owners


class _RowForm(BootstrapModelForm):
    pass


PartyFormSet = inlineformset_factory(
    Convention,
    ConventionParty,
    form=_RowForm,
    fields=["organisation", "signatory_name", "signatory_title"],
    extra=2,
    can_delete=True,
)
ResourceFormSet = inlineformset_factory(
    Convention,
    ConventionResource,
    form=_RowForm,
    fields=["organisation", "role", "count"],
    extra=2,
    can_delete=True,
)
FundingFormSet = inlineformset_factory(
    Convention,
    FundingLine,
    form=_RowForm,
    fields=["funder", "amount", "esf_cofunded", "label"],
    extra=2,
    can_delete=True,
)


class _PartiesRequired(PartyFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form for form in self.forms if form.cleaned_data.get("organisation") and not form.cleaned_data.get("DELETE")
        ]
        if len(kept) < 2:
            raise forms.ValidationError("Une convention engage au moins deux parties.")


def convention_formsets(data=None, *, instance):
    """The parties, committed staff and funding lines of a convention."""
    return {
        "parties": _PartiesRequired(data, instance=instance, prefix="parties"),
        "resources": ResourceFormSet(data, instance=instance, prefix="resources"),
        "funding": FundingFormSet(data, instance=instance, prefix="funding"),
    }


class ConventionDocumentForm(BootstrapModelForm):
    class Meta:
        model = ConventionDocument
        fields = ["title", "file"]
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"})}
        help_texts = {"file": f"PDF uniquement, {CONVENTION_DOCUMENT_MAX_BYTES // (1024 * 1024)} Mo au plus."}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CONVENTION_DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(
                f"Le fichier dépasse {CONVENTION_DOCUMENT_MAX_BYTES // (1024 * 1024)} Mo : réduisez-le ou découpez-le."
            )
        if not upload.name.lower().endswith(".pdf"):
            raise forms.ValidationError("Seuls les fichiers PDF sont acceptés.")
        head = upload.read(5)
        upload.seek(0)
        if head != b"%PDF-":
            raise forms.ValidationError("Ce fichier n'est pas un PDF valide.")
        return upload


class ConventionFilterForm(BootstrapForm):
    party = forms.ModelChoiceField(
        label="Partie", queryset=Organisation.objects.none(), required=False, empty_label="Toutes"
    )
    status = forms.ChoiceField(label="Statut", choices=[("", "Tous"), *ConventionStatus.choices], required=False)
    expiring_within = forms.IntegerField(
        label="Arrivant à échéance sous (jours)",
        min_value=1,
        max_value=3650,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": 5}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Organisation.objects.filter(convention_parties__isnull=False).distinct()


# COPIL meetings -----------------------------------------------------------------------------------------
class CopilMeetingForm(BootstrapModelForm):
    held_on = french_date_field(label="Date de la réunion")
    attendees = PersonChoiceField(
        label="Participants (personnes)",
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = CopilMeeting
        fields = [
            "held_on",
            "title",
            "sector",
            "organisations",
            "attendees",
            "other_attendees",
            "agenda",
            "minutes",
            "decisions",
            "conventions",
        ]
        widgets = {
            "organisations": forms.SelectMultiple(attrs={"size": 6}),
            "conventions": forms.SelectMultiple(attrs={"size": 4}),
            "other_attendees": forms.Textarea(attrs={"rows": 2}),
            "agenda": forms.Textarea(attrs={"rows": 3}),
            "minutes": forms.Textarea(attrs={"rows": 5}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _people()
        self.fields["sector"].queryset = Sector.objects.filter(kind=PRIMARY_SECTOR_KIND)
        self.fields["sector"].empty_label = "Tout le Département"
        self.fields["conventions"].queryset = Convention.objects.for_user(user)
        self.fields["conventions"].required = False


class CopilActionForm(BootstrapModelForm):
    due_on = french_date_field(label="Échéance", required=False)
    owner = PersonField(label="Porteur", queryset=User.objects.none(), required=False)

    class Meta:
        model = CopilAction
        fields = ["title", "owner", "owner_organisation", "due_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()


ActionFormSet = inlineformset_factory(
    CopilMeeting, CopilAction, form=CopilActionForm, fk_name="meeting", extra=3, can_delete=True
)


class ActionStatusForm(BootstrapForm):
    status = forms.ChoiceField(label="Nouvel état", choices=CopilActionStatus.choices)
    comment = forms.CharField(label="Commentaire", max_length=300, required=False)
