from django.urls import path

from . import views

app_name = "childcare"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("dossier/<int:pk>/demande/", views.request_create, name="request_create"),
    path("demande/<int:request_pk>/", views.request_detail, name="request_detail"),
    path("demande/<int:request_pk>/eligibilite/", views.eligibility_decide, name="eligibility"),
    path("demande/<int:request_pk>/placer/", views.place, name="place"),
    path("demande/<int:request_pk>/refuser/", views.decline, name="decline"),
    path("accueil/<int:placement_pk>/bilan/", views.review, name="review"),
    path("structures/", views.provider_list, name="providers"),
    path("structures/<int:provider_pk>/", views.provider_edit, name="provider_edit"),
]
