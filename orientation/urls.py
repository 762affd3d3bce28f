from django.urls import path

from . import views, views_directory, views_offer

app_name = "orientation"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("dossiers/<int:pk>/diagnostic/nouveau/", views.diagnostic_create, name="diagnostic_create"),
    path("diagnostics/<int:diagnostic_pk>/", views.diagnostic_detail, name="diagnostic_detail"),
    path("dossiers/<int:pk>/orienter/", views.decide, name="decide"),
    path("dossiers/<int:pk>/reorienter/", views.reorient, name="reorient"),
    path("orientations/<int:orientation_pk>/notification/", views.notify, name="notify"),
    path("orientations/<int:orientation_pk>/courrier.pdf", views.letter, name="letter"),
    # The directory of social resources and the insertion offer
    path("ressources/", views_directory.service_list, name="service_list"),
    path("ressources/nouveau/", views_directory.service_create, name="service_create"),
    path("ressources/<int:service_pk>/", views_directory.service_detail, name="service_detail"),
    path("ressources/<int:service_pk>/modifier/", views_directory.service_edit, name="service_edit"),
    path("offre/", views_offer.action_list, name="action_list"),
    path("offre/nouvelle/", views_offer.action_create, name="action_create"),
    path("offre/<int:action_pk>/", views_offer.action_detail, name="action_detail"),
    path("offre/<int:action_pk>/modifier/", views_offer.action_edit, name="action_edit"),
    path("dossiers/<int:pk>/prescrire/", views_offer.file_actions, name="file_actions"),
    path("dossiers/<int:pk>/prescrire/<int:action_pk>/", views_offer.prescribe, name="prescribe"),
    path("prescriptions/", views_offer.prescription_list, name="prescription_list"),
    path("prescriptions/<int:prescription_pk>/", views_offer.prescription_detail, name="prescription_detail"),
    path("prescriptions/<int:prescription_pk>/accepter/", views_offer.prescription_accept, name="prescription_accept"),
    path("prescriptions/<int:prescription_pk>/refuser/", views_offer.prescription_refuse, name="prescription_refuse"),
    path(
        "prescriptions/<int:prescription_pk>/suivi/", views_offer.prescription_follow_up, name="prescription_follow_up"
    ),
]
