"""Filters and sorting of the file list (django-filter). Unknown or invalid values are ignored, never a 500."""

from dataclasses import dataclass

import django_filters
from django.db.models import F

from .enums import RightsState
from .forms import BootstrapForm, departement_communes, primary_sectors
from .models import Beneficiary


def _asc(name):
    return F(name).asc(nulls_last=True)


def _desc(name):
    return F(name).desc(nulls_last=True)


# `?tri=` values: the column, its label, the ordering (ascending; "-value" reverses the first column).
SORTS = {
    "nom": ("Nom", ("last_name", "first_name")),
    "naissance": ("Date de naissance", ("birth_date",)),
    "ouverture": ("Ouverture des droits", ("rights_opened_on",)),
    "flux": ("Date du flux", ("flux_date",)),
    "commune": ("Commune", ("commune__name", "last_name", "first_name")),
}
DEFAULT_SORT = "nom"


def ordering_for(value):
    key = value.lstrip("-")
    columns = SORTS.get(key, SORTS[DEFAULT_SORT])[1]
    descending = value.startswith("-") and key in SORTS
    first, *rest = columns
    return [_desc(first) if descending else _asc(first), *(_asc(c) for c in rest), "id"]


def sort_choices():
    choices = []
    for key, (label, _columns) in SORTS.items():
        choices.append((key, f"{label} (croissant)"))
        choices.append((f"-{key}", f"{label} (décroissant)"))
    return choices


@dataclass(frozen=True)
class SortColumn:
    """A sortable column header: its link toggles the direction, `aria_sort` says the current one."""

    key: str
    label: str
    current: str

    @property
    def active(self):
        return self.current.lstrip("-") == self.key

    @property
    def descending(self):
        return self.active and self.current.startswith("-")

    @property
    def aria_sort(self):
        if not self.active:
            return "none"
        return "descending" if self.descending else "ascending"

    @property
    def next_value(self):
        return f"-{self.key}" if self.active and not self.descending else self.key


def sort_columns(current):
    current = current if current.lstrip("-") in SORTS else DEFAULT_SORT
    return {key: SortColumn(key, label, current) for key, (label, _columns) in SORTS.items()}


class BeneficiaryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche",
        method="filter_text",
        help_text="Nom, prénom ou numéro allocataire.",
    )
    sector = django_filters.ModelChoiceFilter(
        label="Circonscription", queryset=lambda request: primary_sectors(), empty_label="Toutes"
    )
    commune = django_filters.ModelChoiceFilter(
        label="Commune", queryset=lambda request: departement_communes(), empty_label="Toutes"
    )
    rights_state = django_filters.ChoiceFilter(label="État du droit", choices=RightsState.choices, empty_label="Tous")
    unassigned = django_filters.ChoiceFilter(
        label="Affectation",
        choices=[("oui", "Non affectés"), ("non", "Affectés à une circonscription")],
        empty_label="Tous",
        method="filter_unassigned",
    )
    tri = django_filters.ChoiceFilter(label="Trier par", choices=sort_choices(), empty_label=None, method="sort")

    class Meta:
        model = Beneficiary
        fields = ["q", "sector", "commune", "rights_state", "unassigned"]
        form = BootstrapForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["tri"].field.initial = DEFAULT_SORT

    def filter_text(self, queryset, name, value):
        return queryset.search(value)

    def filter_unassigned(self, queryset, name, value):
        if value == "oui":
            return queryset.unassigned()
        if value == "non":
            return queryset.exclude(sector__isnull=True)
        return queryset

    def sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, so that a missing `tri` sorts by name too

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        value = self.form.cleaned_data.get("tri") or DEFAULT_SORT
        return queryset.order_by(*ordering_for(value))

    @property
    def current_sort(self):
        if self.is_bound and self.is_valid():
            return self.form.cleaned_data.get("tri") or DEFAULT_SORT
        value = (self.data or {}).get("tri", DEFAULT_SORT)
        return value if value.lstrip("-") in SORTS else DEFAULT_SORT
