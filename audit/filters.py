import django_filters
from django import forms

from partners.forms import BootstrapForm
from partners.models import Organisation

from .models import Action, AuditLog, Channel

DATE_INPUT = forms.DateInput(attrs={"placeholder": "jj/mm/aaaa", "inputmode": "numeric"}, format="%d/%m/%Y")


class AuditLogFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="Du", widget=DATE_INPUT)
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="Au", widget=DATE_INPUT)
    user = django_filters.CharFilter(field_name="user__email", lookup_expr="icontains", label="Utilisateur (e-mail)")
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.order_by("name"), label="Organisation", empty_label="Toutes"
    )
    action = django_filters.ChoiceFilter(choices=Action.choices, label="Action", empty_label="Toutes")
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label="Canal", empty_label="Tous")
    object_type = django_filters.CharFilter(field_name="object_type", lookup_expr="exact", label="Type d'objet")
    object_id = django_filters.CharFilter(field_name="object_id", lookup_expr="exact", label="Identifiant de l'objet")

    class Meta:
        model = AuditLog
        fields = []
        form = BootstrapForm
