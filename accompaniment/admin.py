"""Admin pages of the deadline rules: configuration only (no file, no deadline of a person).

A rule version is never edited: the change form of a version is the form of a NEW version, prefilled with
it, which takes effect from the date chosen (optionally in one sector only). Versions are never deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners.admin import ConfigurationAdmin, _is_functional_admin

from . import deadline_engine
from .models import DeadlineCheck, DeadlineRule

FIELDS = (
    "code",
    "label",
    "start_event",
    "met_by",
    "cancelled_by",
    "delay",
    "delay_unit",
    "extended_delay",
    "warning",
    "warning_unit",
    "enabled",
    "effective_from",
    "sector",
    "comment",
)


def _choices(events):
    return [(event.code, event.label) for event in events]


class DeadlineRuleForm(forms.ModelForm):
    """The form of a new version; its choices come from the events the rule's app declares."""

    code = forms.ChoiceField(label="Règle")
    start_event = forms.ChoiceField(label="Point de départ")
    met_by = forms.ChoiceField(label="Respectée quand")
    cancelled_by = forms.MultipleChoiceField(label="Annulée quand", required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = DeadlineRule
        fields = FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        registry = deadline_engine.registry
        self.fields["code"].choices = [(code, f"{code} — {rule.label}") for code, rule in registry.rules.items()]
        self.fields["start_event"].choices = _choices(registry.starts.values())
        self.fields["met_by"].choices = _choices(registry.meetings.values())
        self.fields["cancelled_by"].choices = _choices(registry.cancellations.values())
        self.fields["effective_from"].help_text = (
            "Les délais dont le point de départ tombe à partir de cette date suivront cette version ; "
            "les délais déjà calculés ne changent pas."
        )
        self.fields["comment"].help_text = "Par exemple : décision du COPIL du 12/03/2026."
        self.fields["label"].widget.attrs["size"] = 80
        if self.instance.pk and not self.is_bound:
            # The form of the next version: effective from today unless the edited one starts later.
            self.initial["effective_from"] = max(self.instance.effective_from, timezone.localdate())
            self.initial["comment"] = ""

    def clean(self):
        data = super().clean()
        code = data.get("code")
        rule = deadline_engine.registry.rules.get(code)
        if rule is None:
            return data
        events = deadline_engine.registry.events_of(rule.subject.key)
        for name, label in (("start_event", "ce point de départ"), ("met_by", "cet événement")):
            if data.get(name) and data[name] not in {
                event.code for event in events[name if name != "start_event" else "start"]
            }:
                self.add_error(name, f"La règle {code} ne peut pas utiliser {label} (autre objet suivi).")
        allowed = {event.code for event in events["cancelled_by"]}
        if any(value not in allowed for value in data.get("cancelled_by") or []):
            self.add_error("cancelled_by", f"La règle {code} ne peut pas utiliser ces annulations (autre objet suivi).")
        effective_from, sector = data.get("effective_from"), data.get("sector")
        if effective_from:
            clash = DeadlineRule.objects.filter(code=code, effective_from=effective_from, sector=sector)
            if clash.exists():
                self.add_error(
                    "effective_from",
                    "Une version de cette règle existe déjà à cette date pour ce périmètre : choisissez une autre "
                    "date d'effet (les versions ne se modifient pas).",
                )
        return data

    def validate_unique(self):
        """The model's constraints; uniqueness against every version, the edited one included, is in clean()."""
        try:
            self.instance.validate_constraints(exclude=self._get_validation_exclusions())
        except ValidationError as error:
            self._update_errors(error)


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(ConfigurationAdmin):
    form = DeadlineRuleForm
    list_display = ["code", "label", "sector_label", "effective_from", "delay_label", "warning_label", "enabled"]
    list_filter = ["code", "enabled", "sector"]
    search_fields = ["code", "label"]
    ordering = ["code", "sector__name", "-effective_from"]
    readonly_fields = ["created_at", "created_by"]
    fieldsets = [
        (
            None,
            {
                "description": (
                    "Enregistrer crée toujours une nouvelle version, en vigueur à partir de la date choisie "
                    "(et seulement dans le secteur choisi, le cas échéant) ; la version affichée reste inchangée, "
                    "comme les délais déjà calculés."
                ),
                "fields": ["code", "label", "sector", "effective_from", "enabled", "comment"],
            },
        ),
        ("Calcul", {"fields": ["start_event", "delay", "delay_unit", "extended_delay", "met_by", "cancelled_by"]}),
        ("Alerte", {"fields": ["warning", "warning_unit"]}),
        ("Historique", {"fields": ["created_at", "created_by"]}),
    ]

    @admin.display(description="secteur", ordering="sector__name")
    def sector_label(self, rule):
        return rule.sector or "Département (tous secteurs)"

    @admin.display(description="délai")
    def delay_label(self, rule):
        return rule.delay_label + (f" ({rule.extended_delay_label} allongé)" if rule.extended_delay else "")

    @admin.display(description="alerte avant")
    def warning_label(self, rule):
        return rule.warning_label

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("effective_from", timezone.localdate())
        return initial

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # One button: every save creates a version and returns to the list of versions.
        context.update({"show_save_and_continue": False, "show_save_and_add_another": False})
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        if change:  # never an UPDATE: the form's data become a new version
            obj.pk = None
            obj._state.adding = True
        obj.subject = deadline_engine.registry.rules[obj.code].subject.key
        obj.created_by = request.user
        obj.save()

    def response_change(self, request, obj):
        messages.success(
            request,
            f"Nouvelle version de « {obj.label} » enregistrée, en vigueur à partir du {obj.effective_from:%d/%m/%Y}. "
            "La version précédente et les délais déjà calculés restent inchangés.",
        )
        return self.response_post_save_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeadlineCheck)
class DeadlineCheckAdmin(admin.ModelAdmin):
    """The last run of the check (counts only), read-only."""

    list_display = ["name", "last_as_of", "last_started_at", "last_finished_at"]
    readonly_fields = ["name", "last_as_of", "last_started_at", "last_finished_at", "last_report"]

    def has_module_permission(self, request):
        return _is_functional_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_functional_admin(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
