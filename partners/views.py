from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .enums import Role
from .health import broker_state
from .models import Heartbeat


@login_required
def home(request):
    """Each role lands on what it can use (later issues give each role its own home page)."""
    user = request.user
    if user.has_role(Role.REFERENT, Role.ORIENTATION_OFFICER, Role.MANAGER, Role.CAF_AGENT):
        if user.has_role(Role.ORIENTATION_OFFICER) and user.organisation and user.organisation.is_departement:
            return redirect("accompaniment:unassigned")
        if user.has_role(Role.REFERENT):
            return redirect("accompaniment:portfolio")
        return redirect("accompaniment:list")
    if user.has_role(Role.CHILDCARE_COORDINATOR):
        return redirect("childcare:worklist")
    if user.has_role(Role.OPERATOR):
        return redirect("orientation:prescription_list")
    if user.has_role(Role.DPO):
        return redirect("audit:log")
    if user.has_role(Role.ADMIN):
        return redirect("admin:index")
    if user.has_role(Role.COPIL):
        from .views_copil import copil_home

        return copil_home(request)
    return render(request, "partners/home.html")


def legal_page(template):
    def view(request):
        return render(request, template)

    return view


@never_cache
@require_GET
def healthz(request):
    from django.conf import settings

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as error:  # the point is to report it
        checks["database"] = {"ok": False, "error": error.__class__.__name__}
    checks["broker"] = broker_state()
    last = None
    if checks["database"]["ok"]:
        try:
            last = Heartbeat.last()
        except Exception as error:
            checks["database"] = {"ok": False, "error": error.__class__.__name__}
    age = (timezone.now() - last).total_seconds() if last else None
    checks["beat"] = {
        "ok": age is not None and age <= settings.HEARTBEAT_STALE_AFTER,
        "last_run_at": last.isoformat() if last else None,
        "age_seconds": round(age) if age is not None else None,
    }
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@require_GET
def theme_css(request):
    """The operator's colours as CSS variables (a stylesheet, so that the CSP needs no inline style)."""
    from django.conf import settings

    css = (
        ":root {\n"
        f"  --parcours-primary: {settings.PARCOURS_PRIMARY_COLOR};\n"
        f"  --parcours-accent: {settings.PARCOURS_ACCENT_COLOR};\n"
        f"  --bs-primary: {settings.PARCOURS_PRIMARY_COLOR};\n"
        f"  --bs-link-color: {settings.PARCOURS_PRIMARY_COLOR};\n"
        "}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
