"""Filters of the DPO's journal. The period filters on the indexed `at` column with local-day bounds."""

import datetime
import unicodedata
from pathlib import Path

import django_filters
from django import forms
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from partners.models import Organisation

from .forms import AuditLogFilterForm
from .models import Action, AuditLog, Channel

DATE_INPUT = forms.DateInput(
    attrs={"placeholder": "jj/mm/aaaa", "inputmode": "numeric", "autocomplete": "off"}, format="%d/%m/%Y"
)


def object_types():
    """(`app_label.model`, French label) of the project's own models: what the journal can name.

    guardian's per-object permission tables are technical (a share is journaled on the file): left out.
    """
    project_apps = [config for config in apps.get_app_configs() if Path(config.path).parent == Path(settings.BASE_DIR)]
    choices = [
        (model._meta.label_lower, f"{model._meta.verbose_name.capitalize()} ({config.verbose_name})")
        for config in project_apps
        for model in config.get_models()
        if not model._meta.model_name.endswith("objectpermission")
    ]
    return sorted(choices, key=lambda choice: _sort_key(choice[1]))


def _sort_key(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def object_type_label(label_lower):
    try:
        return apps.get_model(label_lower)._meta.verbose_name.capitalize()
    except (LookupError, ValueError):
        return label_lower


def _start_of_day(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditLogFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(label="Du", method="filter_since", widget=DATE_INPUT)
    until = django_filters.DateFilter(label="Au (inclus)", method="filter_until", widget=DATE_INPUT)
    user = django_filters.CharFilter(field_name="user__email", lookup_expr="icontains", label="Utilisateur (e-mail)")
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.order_by("name"), label="Organisation", empty_label="Toutes"
    )
    action = django_filters.ChoiceFilter(choices=Action.choices, label="Action", empty_label="Toutes")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label="Canal", empty_label="Tous")
    object_type = django_filters.ChoiceFilter(choices=object_types, label="Type d'objet", empty_label="Tous")
    object_id = django_filters.CharFilter(field_name="object_id", lookup_expr="exact", label="Identifiant de l'objet")

    class Meta:
        model = AuditLog
        fields = []
        form = AuditLogFilterForm

    def filter_since(self, queryset, name, value):
        return queryset.filter(at__gte=_start_of_day(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(at__lt=_start_of_day(value + datetime.timedelta(days=1)))

    @property
    def results(self):
        """The filtered entries; none while the filters are invalid (never the whole journal by mistake)."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.qs
