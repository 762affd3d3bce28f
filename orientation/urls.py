app_name = "orientation"

urlpatterns: list = []
