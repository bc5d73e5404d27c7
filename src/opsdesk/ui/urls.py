"""The browser UI: every page lives in the ``ui`` namespace (``ui:home``, ``ui:incident_detail`` …)."""

from django.urls import include, path

from . import views

app_name = "ui"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("opsdesk.accounts.urls")),
    path("", include("opsdesk.incidents.urls")),
    path("", include("opsdesk.notifications.urls")),
]
