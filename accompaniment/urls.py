from django.urls import path

from . import views, views_exchange

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
    # Data exchange (views_exchange) ----------------------------------------------------------------------
    path("france-travail/a-rapprocher/", views_exchange.ft_review, name="ft_review"),
]
