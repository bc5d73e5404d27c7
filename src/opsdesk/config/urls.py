from django.urls import include, path

urlpatterns = [
    path("", include("opsdesk.ui.urls")),
]
