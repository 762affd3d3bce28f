from django import forms
from django.utils import timezone

from accompaniment.forms import DATE_HELP, FrenchDateInput
from partners.enums import OrganisationType
from partners.forms import BootstrapForm
from partners.models import Organisation

from .enums import Pathway

LEAD_ORGANISATION_TYPES = (
    OrganisationType.DEPARTEMENT,
    OrganisationType.FRANCE_TRAVAIL,
    OrganisationType.CCAS,
    OrganisationType.MISSION_LOCALE,
    OrganisationType.CAP_EMPLOI,
    OrganisationType.INSERTION_OPERATOR,
)


class OrientationForm(BootstrapForm):
    pathway = forms.ChoiceField(label="Parcours", choices=Pathway.choices, widget=forms.RadioSelect)
    organisation = forms.ModelChoiceField(
        label="Organisme référent",
        queryset=Organisation.objects.filter(type__in=LEAD_ORGANISATION_TYPES).order_by("type", "name"),
        empty_label="Choisir un organisme",
    )
    decided_on = forms.DateField(label="Date de la décision", widget=FrenchDateInput(), help_text=DATE_HELP)
    reasoning = forms.CharField(
        label="Motivation", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, reorientation=False, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("decided_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        if reorientation:
            self.fields["reason"] = forms.CharField(
                label="Motif de la réorientation",
                max_length=300,
                help_text="Il reste dans l'historique avec l'orientation close.",
            )


class NotifyForm(BootstrapForm):
    notified_on = forms.DateField(
        label="Courrier envoyé le", widget=FrenchDateInput(), help_text=DATE_HELP, initial=timezone.localdate
    )
