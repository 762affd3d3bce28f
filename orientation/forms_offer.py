"""Forms of the directory of social resources and of the insertion offer (filters, edits, prescription,
the operator's answer and follow-up). Filters are GET forms whose invalid values are ignored, never a 500."""

from django import forms

from accompaniment.forms import DATE_HELP, FrenchDateInput, primary_sectors
from partners.enums import OrganisationType
from partners.forms import BootstrapBoundField, BootstrapForm
from partners.models import Organisation

from .enums import ActionAxis, Attendance, BarrierCategoryCode, Pathway, PrescriptionOutcome, RefusalReason
from .models_offer import InsertionAction, Service

# Organisations that provide services or run actions: any but employers.
PROVIDER_TYPES = [t for t in OrganisationType.values if t != OrganisationType.EMPLOYER]


def _providers():
    return Organisation.objects.filter(type__in=PROVIDER_TYPES).order_by("name")


class ServiceFilterForm(BootstrapForm):
    q = forms.CharField(label="Recherche", required=False, help_text="Nom, structure, commune, mot de la description.")
    category = forms.ChoiceField(
        label="Frein traité", required=False, choices=[("", "Tous"), *BarrierCategoryCode.choices]
    )
    sector = forms.ModelChoiceField(
        label="Circonscription desservie", queryset=Organisation.objects.none(), required=False, empty_label="Toutes"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = primary_sectors()

    def filter(self, services):
        if not self.is_valid():
            return services
        data = self.cleaned_data
        if data["q"]:
            services = services.search(data["q"])
        if data["category"]:
            services = services.addressing(data["category"])
        if data["sector"]:
            services = services.serving(data["sector"])
        return services


class ServiceForm(forms.ModelForm):
    """A service of the directory. An operator's staff member keeps their own organisation's services: the
    provider is then fixed (`provider` given)."""

    bound_field_class = BootstrapBoundField

    categories = forms.MultipleChoiceField(
        label="Freins traités",
        choices=BarrierCategoryCode.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins un frein que le service aide à lever."},
    )
    website = forms.URLField(label="Site internet", required=False, assume_scheme="https")

    class Meta:
        model = Service
        fields = [
            "provider",
            "name",
            "description",
            "sectors",
            "address",
            "postal_code",
            "city",
            "phone",
            "email",
            "website",
            "access_conditions",
            "opening_hours",
            "active",
        ]
        widgets = {
            "sectors": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "access_conditions": forms.Textarea(attrs={"rows": 3}),
            "opening_hours": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {"sectors": {"required": "Cochez au moins une circonscription desservie."}}

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].queryset = primary_sectors()
        if provider is not None:
            del self.fields["provider"]
            self.instance.provider = provider
        else:
            self.fields["provider"].queryset = _providers()
        if self.instance.pk and not self.is_bound:
            self.initial["categories"] = self.instance.category_codes


class ActionFilterForm(BootstrapForm):
    q = forms.CharField(label="Recherche", required=False, help_text="Intitulé, opérateur, mot de la description.")
    axis = forms.ChoiceField(label="Axe", required=False, choices=[("", "Tous"), *ActionAxis.choices])
    pathway = forms.ChoiceField(label="Parcours", required=False, choices=[("", "Tous"), *Pathway.choices])
    sector = forms.ModelChoiceField(
        label="Circonscription", queryset=Organisation.objects.none(), required=False, empty_label="Toutes"
    )
    operator = forms.ModelChoiceField(
        label="Opérateur", queryset=Organisation.objects.none(), required=False, empty_label="Tous"
    )
    available = forms.BooleanField(label="Avec des places disponibles", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = primary_sectors()
        self.fields["operator"].queryset = Organisation.objects.filter(
            pk__in=InsertionAction.objects.values("operator_id")
        ).order_by("name")

    def filter(self, actions):
        if not self.is_valid():
            return actions
        data = self.cleaned_data
        if data["q"]:
            actions = actions.search(data["q"])
        if data["axis"]:
            actions = actions.filter(axis=data["axis"])
        if data.get("pathway") or data.get("sector"):  # the file's page drops both: the file's own apply
            actions = actions.eligible_for(pathway=data.get("pathway") or None, sector=data.get("sector"))
        if data["operator"]:
            actions = actions.filter(operator=data["operator"])
        if data["available"]:
            actions = actions.filter(places_left__gt=0)
        return actions


class ActionForm(forms.ModelForm):
    bound_field_class = BootstrapBoundField

    pathways = forms.MultipleChoiceField(
        label="Parcours éligibles",
        choices=Pathway.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Aucun parcours coché : ouverte à tous les parcours.",
    )

    class Meta:
        model = InsertionAction
        fields = [
            "operator",
            "title",
            "axis",
            "activity_kind",
            "description",
            "places",
            "starts_on",
            "ends_on",
            "sessions",
            "weekly_hours",
            "place",
            "funders",
            "funding_amount",
            "esf_cofunded",
            "esf_amount",
            "sectors",
            "active",
        ]
        widgets = {
            "starts_on": FrenchDateInput(),
            "ends_on": FrenchDateInput(),
            "sectors": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "sessions": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"starts_on": DATE_HELP, "ends_on": DATE_HELP}

    def __init__(self, *args, operator=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].queryset = primary_sectors()
        if operator is not None:
            del self.fields["operator"]
            self.instance.operator = operator
        else:
            self.fields["operator"].queryset = _providers()
        if self.instance.pk and not self.is_bound:
            self.initial["pathways"] = self.instance.pathway_codes

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "La fin de l'action doit suivre son début.")
        if data.get("esf_amount") is not None and not data.get("esf_cofunded"):
            self.add_error("esf_amount", "Un montant FSE+ suppose une action cofinancée par le FSE+.")
        if data.get("weekly_hours") is not None and not 0 <= data["weekly_hours"] <= 35:
            self.add_error("weekly_hours", "Les heures vont de 0 à 35 par semaine.")
        return data


class PrescribeForm(BootstrapForm):
    comment = forms.CharField(
        label="Message à l'opérateur",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ce qui aide à accueillir la personne (disponibilités, attentes). Pas de détail de santé.",
    )


class RefuseForm(BootstrapForm):
    refusal_reason = forms.ChoiceField(label="Motif du refus", choices=[("", "Choisir…"), *RefusalReason.choices])
    refusal_comment = forms.CharField(label="Précision", required=False, max_length=300)


class FollowUpForm(BootstrapForm):
    attendance = forms.ChoiceField(label="Assiduité", choices=[("", "Choisir…"), *Attendance.choices])
    outcome = forms.ChoiceField(
        label="Issue", required=False, choices=[("", "Pas encore connue"), *PrescriptionOutcome.choices]
    )
    outcome_comment = forms.CharField(label="Commentaire sur l'issue", required=False, max_length=300)
