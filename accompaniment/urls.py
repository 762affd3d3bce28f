from django.urls import path

from . import (
    views,
    views_contracts,
    views_deadlines,
    views_exchange,
    views_exports,
    views_interviews,
    views_referents,
)

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
    path("mes-dossiers/", views_referents.portfolio, name="portfolio"),
    path("mon-equipe/", views_referents.team_portfolio, name="team_portfolio"),
    path("<int:pk>/referent/", views_referents.referent_designate, name="referent_designate"),
    # Interviews and exits (views_interviews) -------------------------------------------------------------
    path("<int:pk>/entretiens/", views_interviews.interview_list, name="interviews"),
    path("<int:pk>/entretiens/nouveau/", views_interviews.interview_create, name="interview_create"),
    path("entretiens/<int:interview_pk>/modifier/", views_interviews.interview_edit, name="interview_edit"),
    path("entretiens/<int:interview_pk>/statut/", views_interviews.interview_status, name="interview_status"),
    path("<int:pk>/sortie/", views_interviews.exit_create, name="exit_create"),
    # Contracts, activities and hours (views_contracts) -------------------------------------------------
    path("<int:pk>/contrats/nouveau/", views_contracts.contract_sign, name="contract_sign"),
    path("contrats/<int:contract_pk>/", views_contracts.contract_detail, name="contract_detail"),
    path("contrats/<int:contract_pk>/heures/", views_contracts.contract_hours, name="contract_hours"),
    path("contrats/<int:contract_pk>/activites/nouvelle/", views_contracts.activity_create, name="activity_create"),
    path("activites/<int:activity_pk>/modifier/", views_contracts.activity_edit, name="activity_edit"),
    path("activites/<int:activity_pk>/statut/", views_contracts.activity_status, name="activity_status"),
    # Data exchange (views_exchange) ----------------------------------------------------------------------
    path("imports/", views_exchange.import_list, name="imports"),
    path("imports/<int:import_pk>/", views_exchange.import_detail, name="import_detail"),
    path("imports/<int:import_pk>/rejets.csv", views_exchange.import_rejections_csv, name="import_rejections_csv"),
    path("france-travail/a-rapprocher/", views_exchange.ft_review, name="ft_review"),
]
