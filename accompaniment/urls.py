from django.urls import path

from . import views, views_contracts

app_name = "accompaniment"

urlpatterns = [
    path("", views.beneficiary_list, name="list"),
    path("a-affecter/", views.unassigned_queue, name="unassigned"),
    path("nouveau/", views.beneficiary_create, name="create"),
    path("<int:pk>/", views.beneficiary_detail, name="detail"),
    path("<int:pk>/modifier/", views.beneficiary_edit, name="edit"),
    path("<int:pk>/partages/", views.file_share, name="share"),
    path("<int:pk>/partages/<int:share_pk>/retirer/", views.file_share_revoke, name="revoke_share"),
    # Referents and portfolio (views_referents) -----------------------------------------------------------
    # Interviews and exits (views_interviews) -------------------------------------------------------------
    # Contracts, activities and hours (views_contracts) -------------------------------------------------
    path("<int:pk>/contrats/nouveau/", views_contracts.contract_sign, name="contract_sign"),
    path("contrats/<int:contract_pk>/", views_contracts.contract_detail, name="contract_detail"),
    path("contrats/<int:contract_pk>/heures/", views_contracts.contract_hours, name="contract_hours"),
    path("contrats/<int:contract_pk>/activites/nouvelle/", views_contracts.activity_create, name="activity_create"),
    path("activites/<int:activity_pk>/modifier/", views_contracts.activity_edit, name="activity_edit"),
    path("activites/<int:activity_pk>/statut/", views_contracts.activity_status, name="activity_status"),
]
