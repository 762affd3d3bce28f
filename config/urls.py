from django.contrib import admin
from django.urls import include, path

from partners import views as partners_views

urlpatterns = [
    path("", partners_views.home, name="home"),
    path("healthz", partners_views.healthz, name="healthz"),
    path("theme.css", partners_views.theme_css, name="theme_css"),
    path("", include("partners.urls")),
    path("dossiers/", include("accompaniment.urls")),
    path("orientation/", include("orientation.urls")),
    path("garde/", include("childcare.urls")),
    path("journal/", include("audit.urls")),
    path("pilotage/", include("reporting.urls")),
    path("admin/", admin.site.urls),
]
