from django.urls import path

from . import views, views_deadlines, views_exports

app_name = "accompaniment"

urlpatterns = [
    path("", views.beneficiary_list, name="list"),
    path("a-affecter/", views.unassigned_queue, name="unassigned"),
    path("exports/", views_exports.export_list, name="exports"),
    path("exports/nouveau/", views_exports.export_create, name="export_create"),
    path("exports/<int:export_pk>/telecharger/", views_exports.export_download, name="export_download"),
    path("echeances/", views_deadlines.my_deadlines, name="my_deadlines"),
    path("en-retard/", views_deadlines.late_files, name="late_files"),
    path("alertes/", views_deadlines.alert_list, name="alerts"),
    path("alertes/tout-lire/", views_deadlines.alerts_read_all, name="alerts_read_all"),
    path("alertes/<int:notification_pk>/lue/", views_deadlines.alert_read, name="alert_read"),
    path("nouveau/", views.beneficiary_create, name="create"),
    path("<int:pk>/", views.beneficiary_detail, name="detail"),
    path("<int:pk>/modifier/", views.beneficiary_edit, name="edit"),
    path("<int:pk>/partages/", views.file_share, name="share"),
    path("<int:pk>/partages/<int:share_pk>/retirer/", views.file_share_revoke, name="revoke_share"),
    # Referents and portfolio (views_referents) -----------------------------------------------------------
    # Interviews and exits (views_interviews) -------------------------------------------------------------
    # Contracts, activities and hours (views_contracts) -------------------------------------------------
]
