"""Django admin, for functional administrators (role `admin`): configuration only, never nominative files."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .enums import Role
from .models import (
    Commune,
    Convention,
    ConventionDocument,
    ConventionOwner,
    ConventionParty,
    ConventionResource,
    CopilAction,
    CopilMeeting,
    FundingLine,
    Organisation,
    Sector,
    SectorCommune,
    Team,
    User,
    UserRole,
)

admin.site.site_header = "Parcours — administration"
admin.site.site_title = "Parcours"
admin.site.index_title = "Configuration"


def _is_functional_admin(request):
    user = request.user
    return user.is_active and user.is_authenticated and user.is_staff and user.has_role(Role.ADMIN)


# Only functional administrators enter the admin, whatever their Django flags.
admin.site.has_permission = _is_functional_admin


class ConfigurationAdmin(admin.ModelAdmin):
    """Every configuration model is fully editable by functional administrators and nobody else."""

    def has_module_permission(self, request):
        return _is_functional_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_functional_admin(request)

    def has_add_permission(self, request):
        return _is_functional_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_functional_admin(request)

    def has_delete_permission(self, request, obj=None):
        return _is_functional_admin(request)


class ConfigurationInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request, obj=None):
        return _is_functional_admin(request)

    def has_add_permission(self, request, obj=None):
        return _is_functional_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_functional_admin(request)

    def has_delete_permission(self, request, obj=None):
        return _is_functional_admin(request)


@admin.register(Commune)
class CommuneAdmin(ConfigurationAdmin):
    list_display = ["insee_code", "name", "kind", "postal_codes", "population"]
    list_filter = ["kind", "departement"]
    search_fields = ["insee_code", "name", "postal_codes"]


class SectorCommuneInline(ConfigurationInline):
    model = SectorCommune
    autocomplete_fields = ["commune"]


@admin.register(Sector)
class SectorAdmin(ConfigurationAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    inlines = [SectorCommuneInline]


@admin.register(Organisation)
class OrganisationAdmin(ConfigurationAdmin):
    list_display = ["code", "name", "type"]
    list_filter = ["type"]
    search_fields = ["code", "name"]
    filter_horizontal = ["sectors"]


@admin.register(Team)
class TeamAdmin(ConfigurationAdmin):
    list_display = ["name", "organisation", "manager"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    autocomplete_fields = ["manager", "members"]


class UserRoleInline(ConfigurationInline):
    model = UserRole
    verbose_name_plural = "rôles"


class ParcoursUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "organisation")


class ParcoursUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ConfigurationAdmin, BaseUserAdmin):
    form = ParcoursUserChangeForm
    add_form = ParcoursUserCreationForm
    inlines = [UserRoleInline]
    ordering = ["last_name", "first_name"]
    list_display = ["email", "last_name", "first_name", "organisation", "is_social_worker", "is_active"]
    list_filter = ["organisation", "role_assignments__role", "is_social_worker", "is_active"]
    search_fields = ["email", "last_name", "first_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name", "phone")}),
        ("Rattachement", {"fields": ("organisation", "is_social_worker")}),
        ("Accès", {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "organisation", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]


# Conventions and COPIL meetings (also kept in the application's own pages, by their owners) ---------------
class ConventionPartyInline(ConfigurationInline):
    model = ConventionParty
    autocomplete_fields = ["organisation"]


class ConventionOwnerInline(ConfigurationInline):
    model = ConventionOwner
    autocomplete_fields = ["user"]
    verbose_name_plural = "responsables du suivi"


class ConventionResourceInline(ConfigurationInline):
    model = ConventionResource


class FundingLineInline(ConfigurationInline):
    model = FundingLine


class ConventionDocumentInline(ConfigurationInline):
    model = ConventionDocument
    fields = ["title", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["title", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the convention page, which checks the file


@admin.register(Convention)
class ConventionAdmin(ConfigurationAdmin):
    list_display = ["title", "kind", "signed_on", "valid_from", "valid_to", "renewal", "status_label"]
    list_filter = ["kind", "renewal"]
    search_fields = ["title"]
    autocomplete_fields = ["renews"]
    inlines = [
        ConventionPartyInline,
        ConventionOwnerInline,
        ConventionResourceInline,
        FundingLineInline,
        ConventionDocumentInline,
    ]

    @admin.display(description="statut")
    def status_label(self, obj):
        return obj.get_status_display()


class CopilActionInline(ConfigurationInline):
    model = CopilAction
    fk_name = "meeting"
    autocomplete_fields = ["owner", "owner_organisation"]
    exclude = ["closed_at_meeting"]


@admin.register(CopilMeeting)
class CopilMeetingAdmin(ConfigurationAdmin):
    list_display = ["held_on", "title", "sector"]
    search_fields = ["title"]
    filter_horizontal = ["organisations", "conventions"]
    autocomplete_fields = ["attendees"]
    exclude = ["recorded_by"]
    inlines = [CopilActionInline]
