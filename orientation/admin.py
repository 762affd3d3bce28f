from django.contrib import admin

from partners.admin import ConfigurationAdmin

from .models import BarrierSituation


@admin.register(BarrierSituation)
class BarrierSituationAdmin(ConfigurationAdmin):
    list_display = ["label", "category", "code", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["category", "active"]
    search_fields = ["label", "code"]
    ordering = ["category", "order", "label"]
