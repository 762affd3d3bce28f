from django.urls import path

from . import views

app_name = "orientation"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("dossiers/<int:pk>/diagnostic/nouveau/", views.diagnostic_create, name="diagnostic_create"),
    path("diagnostics/<int:diagnostic_pk>/", views.diagnostic_detail, name="diagnostic_detail"),
    path("dossiers/<int:pk>/orienter/", views.decide, name="decide"),
    path("dossiers/<int:pk>/reorienter/", views.reorient, name="reorient"),
    path("orientations/<int:orientation_pk>/notification/", views.notify, name="notify"),
    path("orientations/<int:orientation_pk>/courrier.pdf", views.letter, name="letter"),
]
