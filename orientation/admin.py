from django.contrib import admin

from partners.admin import ConfigurationAdmin, ConfigurationInline

from .models import ActionPathway, BarrierSituation, InsertionAction, Service, ServiceCategory


@admin.register(BarrierSituation)
class BarrierSituationAdmin(ConfigurationAdmin):
    list_display = ["label", "category", "code", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["category", "active"]
    search_fields = ["label", "code"]
    ordering = ["category", "order", "label"]


# The directory and the insertion offer (configuration data, no person: prescriptions stay out of the admin).
class ServiceCategoryInline(ConfigurationInline):
    model = ServiceCategory


@admin.register(Service)
class ServiceAdmin(ConfigurationAdmin):
    list_display = ["name", "provider", "city", "active", "updated_at"]
    list_filter = ["active", "categories__category", "sectors"]
    search_fields = ["name", "provider__name", "city"]
    filter_horizontal = ["sectors"]
    inlines = [ServiceCategoryInline]


class ActionPathwayInline(ConfigurationInline):
    model = ActionPathway


@admin.register(InsertionAction)
class InsertionActionAdmin(ConfigurationAdmin):
    list_display = ["title", "axis", "operator", "places", "starts_on", "ends_on", "esf_cofunded", "active"]
    list_filter = ["axis", "esf_cofunded", "active"]
    search_fields = ["title", "operator__name"]
    filter_horizontal = ["sectors"]
    inlines = [ActionPathwayInline]
