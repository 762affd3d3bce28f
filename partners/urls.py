from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import LoginForm

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("accessibilite/", views.legal_page("pages/accessibilite.html"), name="accessibility"),
    path("donnees-personnelles/", views.legal_page("pages/donnees_personnelles.html"), name="privacy"),
    path("mentions-legales/", views.legal_page("pages/mentions_legales.html"), name="legal_notice"),
    path("", include("partners.urls_partnerships")),
]
