from django.urls import path

from . import views_conventions, views_copil

app_name = "partners"

urlpatterns = [
    path("conventions/", views_conventions.convention_list, name="convention_list"),
    path("conventions/nouvelle/", views_conventions.convention_create, name="convention_create"),
    path("conventions/<int:convention_pk>/", views_conventions.convention_detail, name="convention_detail"),
    path("conventions/<int:convention_pk>/modifier/", views_conventions.convention_edit, name="convention_edit"),
    path(
        "conventions/<int:convention_pk>/renouveler/", views_conventions.convention_renewal, name="convention_renewal"
    ),
    path(
        "conventions/<int:convention_pk>/documents/",
        views_conventions.document_upload,
        name="convention_document_upload",
    ),
    path(
        "conventions/<int:convention_pk>/documents/<int:document_pk>/",
        views_conventions.document_download,
        name="convention_document",
    ),
    path("copil/", views_copil.meeting_list, name="copil_list"),
    path("copil/nouvelle-reunion/", views_copil.meeting_create, name="copil_create"),
    path("copil/<int:meeting_pk>/", views_copil.meeting_detail, name="copil_detail"),
    path("copil/<int:meeting_pk>/modifier/", views_copil.meeting_edit, name="copil_edit"),
    path("copil/actions/<int:copil_action_pk>/etat/", views_copil.action_status, name="copil_action_status"),
]
