from django.urls import path

from . import views

app_name = "accompaniment"

urlpatterns = [
    path("", views.beneficiary_list, name="list"),
    path("a-affecter/", views.unassigned_queue, name="unassigned"),
]
