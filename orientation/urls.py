from django.urls import path

from . import views

app_name = "orientation"

urlpatterns = [
    path("dossiers/<int:pk>/decider/", views.decide, name="decide"),
    path("<int:orientation_pk>/notifier/", views.notify, name="notify"),
    path("<int:orientation_pk>/lettre.pdf", views.letter, name="letter"),
]
