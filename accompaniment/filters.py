"""Filters and sorting of the file list (django-filter). Unknown or invalid values are ignored, never a 500."""

from dataclasses import dataclass

import django_filters
from django.db.models import F

from partners.enums import Role
from partners.forms import FastSelect
from partners.models import User

from .enums import RightsState, Status
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


def ordering_for(value, sorts=SORTS, default=DEFAULT_SORT):
    key = value.lstrip("-")
    columns = sorts.get(key, sorts[default])[1]
    descending = value.startswith("-") and key in sorts
    first, *rest = columns
    return [_desc(first) if descending else _asc(first), *(_asc(c) for c in rest), "id"]


def sort_choices(sorts=SORTS):
    choices = []
    for key, (label, _columns) in sorts.items():
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


def sort_columns(current, sorts=SORTS, default=DEFAULT_SORT):
    current = current if current.lstrip("-") in sorts else default
    return {key: SortColumn(key, label, current) for key, (label, _columns) in sorts.items()}


# `?referent=` value of the files that have no current referent.
WITHOUT_REFERENT = "aucun"


def referent_choices(user):
    """The active referents of the user's organisation (one query), after "Sans référent"."""
    choices = [(WITHOUT_REFERENT, "Sans référent")]
    if user is not None and getattr(user, "organisation_id", None):
        referents = (
            User.objects.filter(is_active=True, organisation_id=user.organisation_id)
            .with_role(Role.REFERENT)
            .order_by("last_name", "first_name", "id")
        )
        choices += [(str(agent.pk), f"{agent.last_name.upper()} {agent.first_name}") for agent in referents]
    return choices


class BeneficiaryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Recherche",
        method="filter_text",
        help_text="Nom, prénom ou numéro allocataire.",
    )
    sector = django_filters.ModelChoiceFilter(
        label="Circonscription", queryset=lambda request: primary_sectors(), empty_label="Toutes", widget=FastSelect
    )
    commune = django_filters.ModelChoiceFilter(
        label="Commune", queryset=lambda request: departement_communes(), empty_label="Toutes", widget=FastSelect
    )
    rights_state = django_filters.ChoiceFilter(label="État du droit", choices=RightsState.choices, empty_label="Tous")
    status = django_filters.ChoiceFilter(
        label="Statut", choices=Status.choices, empty_label="Tous", method="filter_status"
    )
    referent = django_filters.ChoiceFilter(
        label="Référent", choices=(), empty_label="Tous", method="filter_referent", widget=FastSelect
    )
    unassigned = django_filters.ChoiceFilter(
        label="Affectation",
        choices=[("oui", "Non affectés"), ("non", "Affectés à une circonscription")],
        empty_label="Tous",
        method="filter_unassigned",
    )
    tri = django_filters.ChoiceFilter(label="Trier par", choices=sort_choices(), empty_label=None, method="sort")

    class Meta:
        model = Beneficiary
        fields = ["q", "sector", "commune", "rights_state", "status", "referent", "unassigned"]
        form = BootstrapForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["tri"].field.initial = DEFAULT_SORT
        self.filters["referent"].extra["choices"] = referent_choices(getattr(self.request, "user", None))

    def filter_status(self, queryset, name, value):
        return queryset.with_status_code(value)

    def filter_referent(self, queryset, name, value):
        if value == WITHOUT_REFERENT:
            return queryset.without_referent()
        return queryset.followed_by(int(value))

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
