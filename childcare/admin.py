"""Providers are configuration (functional admins keep them, as coordinators do on their screen); requests
and placements are nominative: they are not in the admin (SPEC §1: admins see configuration only)."""

from django.contrib import admin

from partners.admin import ConfigurationAdmin

from .models import Provider


@admin.register(Provider)
class ProviderAdmin(ConfigurationAdmin):
    list_display = ["name", "kind", "organisation", "total_places", "avip_places", "label_ends_on", "active"]
    list_filter = ["kind", "active", "sectors"]
    search_fields = ["name", "city", "organisation__name"]
    filter_horizontal = ["sectors"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "organisation", "sectors", "active"]}),
        ("Adresse et contact", {"fields": ["address", "postal_code", "city", "contact_name", "phone", "email"]}),
        (
            "Capacité et accueil",
            {"fields": ["total_places", "avip_places", "min_age_months", "max_age_months", "opening_hours"]},
        ),
        ("Label AVIP", {"fields": ["label_starts_on", "label_ends_on"]}),
    ]
