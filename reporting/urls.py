from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rapport/", views.report_download, name="report_download"),
    path("rapports/", views.report_list, name="report_list"),
    path("rapports/figer/", views.report_freeze, name="report_freeze"),
    path("rapports/<int:report_pk>/", views.frozen_download, name="frozen_download"),
]
