"""The dashboard's filters: period (a quarter or two dates), sector, organisation, pathway, as-of date."""

from django import forms
from django.utils import timezone

from accompaniment.forms import FrenchDateInput
from orientation.enums import Pathway
from partners.enums import PRIMARY_SECTOR_KIND
from partners.forms import BootstrapForm, FastSelect
from partners.models import Organisation, Sector

from .indicators import Perimeter
from .periods import Period, parse_quarter, quarter_of

MAX_PERIOD_DAYS = 731


def quarter_choices(today, count=8):
    period, choices = quarter_of(today), []
    for _ in range(count):
        choices.append((period.code, period.label))
        period = period.previous()
    return choices


class DashboardFilterForm(BootstrapForm):
    trimestre = forms.ChoiceField(label="Trimestre", required=False)
    du = forms.DateField(label="Ou du", required=False, widget=FrenchDateInput(), help_text="jj/mm/aaaa")
    au = forms.DateField(label="au", required=False, widget=FrenchDateInput(), help_text="jj/mm/aaaa")
    secteur = forms.ModelChoiceField(
        label="Circonscription",
        queryset=Sector.objects.filter(kind=PRIMARY_SECTOR_KIND).order_by("name"),
        required=False,
        empty_label="Tout le Département",
        to_field_name="code",
        widget=FastSelect,
    )
    organisation = forms.ModelChoiceField(
        label="Organisme référent",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="Tous",
        to_field_name="code",
        widget=FastSelect,
    )
    parcours = forms.ChoiceField(label="Parcours", choices=[("", "Tous"), *Pathway.choices], required=False)
    arrete = forms.DateField(label="Date d'arrêté", required=False, widget=FrenchDateInput(), help_text="jj/mm/aaaa")

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["trimestre"].choices = quarter_choices(self.today)
        self.fields["trimestre"].initial = quarter_of(self.today).previous().code

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        if bool(start) != bool(end):
            self.add_error(
                "au" if start else "du", "Indiquez les deux dates de la période, ou choisissez un trimestre."
            )
        elif start and end:
            if end < start:
                self.add_error("au", "La fin de la période précède son début.")
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("au", "Une période ne dépasse pas deux ans.")
        as_of = cleaned.get("arrete")
        if as_of and as_of > self.today:
            self.add_error("arrete", "La date d'arrêté ne peut pas être dans le futur.")
        return cleaned

    def period(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("du") and data.get("au"):
            return Period(start=data["du"], end=data["au"])
        code = data.get("trimestre")
        return parse_quarter(code) if code else quarter_of(self.today).previous()

    def perimeter(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return Perimeter(
            sector=data.get("secteur"), organisation=data.get("organisation"), pathway=data.get("parcours") or ""
        )

    def as_of(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("arrete") or self.today
