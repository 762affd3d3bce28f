"""Forms of the childcare app: a request from the file, the CAF's eligibility decision, the coordinator's
placement, refusal and review, and a provider's details."""

from django import forms

from accompaniment.forms import DATE_HELP, FrenchDateInput
from partners.enums import PRIMARY_SECTOR_KIND
from partners.forms import BootstrapBoundField, BootstrapForm
from partners.models import Sector

from .enums import Outcome, ProviderKind, Purpose, RequestKind, ReviewDecision
from .models import Provider

OTHER_CHILD = "autre"


class RequestForm(BootstrapForm):
    child = forms.ChoiceField(
        label="Enfant",
        widget=forms.RadioSelect,
        help_text="Un enfant du foyer, ou un autre enfant à indiquer ci-dessous.",
    )
    child_first_name = forms.CharField(label="Prénom de l'enfant (autre enfant)", max_length=100, required=False)
    child_birth_date = forms.DateField(
        label="Date de naissance de l'enfant (autre enfant)",
        required=False,
        widget=FrenchDateInput(),
        help_text=DATE_HELP,
    )
    kind = forms.ChoiceField(
        label="Type de demande",
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        help_text="Une urgence est une garde à domicile par un service d'aide à domicile, avec une réponse sous 24 heures.",
    )
    provider_kind = forms.ChoiceField(
        label="Mode de garde",
        choices=ProviderKind.choices,
        widget=forms.RadioSelect,
        help_text="Crèche : enfants de moins de 3 ans. Assistant(e) maternel(le) et garde à domicile : moins de 10 ans.",
    )
    purpose = forms.ChoiceField(label="Motif", choices=Purpose.choices, widget=forms.RadioSelect)
    starts_on = forms.DateField(label="Garde à partir du", widget=FrenchDateInput(), help_text=DATE_HELP)
    ends_on = forms.DateField(
        label="Garde jusqu'au",
        required=False,
        widget=FrenchDateInput(),
        help_text="Laissée vide : le jour même pour une urgence, 6 mois (un contrat parent) sinon.",
    )
    hours = forms.CharField(
        label="Jours et horaires", max_length=200, help_text="Par exemple : mardi 24 novembre de 9 h à 12 h."
    )
    constraints = forms.CharField(
        label="Contraintes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Trajets, horaires décalés, fratrie… N'y inscrivez aucun détail médical.",
    )

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.children = {str(child.pk): child for child in children}
        choices = [
            (pk, f"{child.first_name}, né(e) le {child.birth_date:%d/%m/%Y}") for pk, child in self.children.items()
        ]
        self.fields["child"].choices = [*choices, (OTHER_CHILD, "Un autre enfant")]
        if not choices:
            self.fields["child"].initial = OTHER_CHILD

    def clean(self):
        data = super().clean()
        child = data.get("child")
        if child == OTHER_CHILD:
            if not data.get("child_first_name"):
                self.add_error("child_first_name", "Indiquez le prénom de l'enfant.")
            if not data.get("child_birth_date") and "child_birth_date" not in self.errors:
                self.add_error("child_birth_date", "Indiquez la date de naissance de l'enfant.")
        return data

    def request_fields(self):
        data = self.cleaned_data
        fields = {
            name: data[name] for name in ("kind", "provider_kind", "purpose", "starts_on", "hours", "constraints")
        }
        fields["ends_on"] = data.get("ends_on")
        if data["child"] == OTHER_CHILD:
            fields.update(child_first_name=data["child_first_name"], child_birth_date=data["child_birth_date"])
        else:
            fields["child_member"] = self.children[data["child"]]
        return fields


class EligibilityForm(BootstrapForm):
    CONFIRM, REFUSE = "eligible", "non_eligible"

    decision = forms.ChoiceField(
        label="Décision de la CAF",
        choices=[(CONFIRM, "Éligible à la garde AVIP"), (REFUSE, "Non éligible")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Motif de non-éligibilité",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoire en cas de refus ; il est communiqué au référent.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REFUSE and not (data.get("reason") or "").strip():
            self.add_error("reason", "Indiquez le motif de non-éligibilité.")
        return data


class PlacementForm(BootstrapForm):
    provider = forms.ModelChoiceField(
        label="Structure", queryset=Provider.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    starts_on = forms.DateField(label="Début de l'accueil", widget=FrenchDateInput(), help_text=DATE_HELP)
    ends_on = forms.DateField(
        label="Fin de l'accueil",
        required=False,
        widget=FrenchDateInput(),
        help_text="Laissée vide : la fin de la demande pour une urgence, un contrat parent de 6 mois sinon.",
    )

    def __init__(self, *args, providers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers if providers is not None else Provider.objects.none()
        self.fields["provider"].label_from_instance = lambda provider: str(provider)


class DeclineForm(BootstrapForm):
    reason = forms.CharField(
        label="Motif du refus",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Par exemple : aucune structure du secteur ne peut accueillir l'enfant à ces dates.",
    )


class ReviewForm(BootstrapForm):
    decision = forms.ChoiceField(label="Décision du bilan", choices=ReviewDecision.choices, widget=forms.RadioSelect)
    reviewed_on = forms.DateField(label="Bilan tenu le", widget=FrenchDateInput(), help_text=DATE_HELP)
    outcome = forms.ChoiceField(
        label="Situation du parent à la fin de l'accueil",
        choices=[("", "—"), *Outcome.choices],
        required=False,
        help_text="Obligatoire quand l'accueil prend fin.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == ReviewDecision.END and not data.get("outcome"):
            self.add_error("outcome", "Indiquez la situation du parent à la fin de l'accueil.")
        return data


class ProviderForm(forms.ModelForm):
    bound_field_class = BootstrapBoundField

    class Meta:
        model = Provider
        fields = [
            "name",
            "sectors",
            "address",
            "postal_code",
            "city",
            "opening_hours",
            "min_age_months",
            "max_age_months",
            "total_places",
            "avip_places",
            "label_starts_on",
            "label_ends_on",
            "contact_name",
            "phone",
            "email",
            "active",
        ]
        widgets = {
            "label_starts_on": FrenchDateInput(),
            "label_ends_on": FrenchDateInput(),
            "sectors": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].queryset = Sector.objects.filter(kind=PRIMARY_SECTOR_KIND).order_by("name")
        self.fields["sectors"].help_text = "Les circonscriptions où la structure accueille des enfants."
