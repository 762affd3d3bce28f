from django.conf import settings


def operator(request):
    """The operator's identity (a Département), for the theme of every page."""
    return {
        "operator": {
            "name": settings.PARCOURS_OPERATOR_NAME,
            "short_name": settings.PARCOURS_OPERATOR_SHORT_NAME,
            "primary_color": settings.PARCOURS_PRIMARY_COLOR,
            "accent_color": settings.PARCOURS_ACCENT_COLOR,
            "logo": settings.PARCOURS_LOGO,
            "contact_email": settings.PARCOURS_CONTACT_EMAIL,
            "dpo_email": settings.PARCOURS_DPO_EMAIL,
            # Legal notice: the publisher's address and the host (empty until the deployment sets them).
            "address": settings.PARCOURS_OPERATOR_ADDRESS,
            "host_name": settings.PARCOURS_HOST_NAME,
            "host_address": settings.PARCOURS_HOST_ADDRESS,
            "host_phone": settings.PARCOURS_HOST_PHONE,
        }
    }


def navigation(request):
    """What the navigation offers, by role (the views check again: this only hides links)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"perms_nav": {}}
    from .enums import Role

    caseworker = user.has_role(Role.REFERENT, Role.ORIENTATION_OFFICER, Role.MANAGER, Role.CAF_AGENT)
    departement_officer = bool(
        user.has_role(Role.ORIENTATION_OFFICER) and user.organisation and user.organisation.is_departement
    )
    return {
        "perms_nav": {
            "portfolio": user.has_role(Role.REFERENT),
            "team_portfolio": user.has_role(Role.MANAGER),
            "files": caseworker,
            "worklist": user.has_role(Role.ORIENTATION_OFFICER),
            "unassigned": departement_officer,
            "ft_review": user.has_role(Role.ORIENTATION_OFFICER),
            "imports": user.has_role(Role.ADMIN, Role.ORIENTATION_OFFICER),
            "my_deadlines": user.has_role(Role.REFERENT),
            "late_files": user.has_role(Role.MANAGER),
            "alerts": user.has_role(Role.REFERENT, Role.MANAGER, Role.ORIENTATION_OFFICER),
            "childcare": user.has_role(Role.CAF_AGENT, Role.CHILDCARE_COORDINATOR),
            "childcare_providers": user.has_role(Role.CHILDCARE_COORDINATOR),
            "dashboard": user.has_role(Role.MANAGER, Role.COPIL),
            "audit": user.has_role(Role.DPO, Role.ADMIN),
            "directory": bool(user.role_codes),
            "prescriptions": user.has_role(Role.OPERATOR),
            "admin": user.is_staff and user.has_role(Role.ADMIN),
            # Conventions and COPIL meetings (one item: the two pages link to each other).
            "partnerships": user.has_role(Role.MANAGER, Role.COPIL, Role.ADMIN),
        }
    }
