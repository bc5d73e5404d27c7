"""The browser UI: every page lives in the ``ui`` namespace (``ui:home``, ``ui:incident_detail`` …)."""

from django.urls import include, path

from . import views

app_name = "ui"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("opsdesk.accounts.urls")),
    path("", include("opsdesk.incidents.urls")),
    path("", include("opsdesk.notifications.urls")),
    path("", include("opsdesk.catalog.urls")),
    path("", include("opsdesk.calendars.urls")),
    path("", include("opsdesk.sla.urls")),
    path("", include("opsdesk.cmdb.urls")),
    path("", include("opsdesk.reports.urls")),
]
