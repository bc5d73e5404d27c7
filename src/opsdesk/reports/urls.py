"""Pages of the reports app, mounted in the ``ui`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.report_index, name="reports"),
    path("reports/man-hours/", views.man_hours, name="report_man_hours"),
    path("reports/man-hours/worklogs/", views.man_hours_worklogs, name="report_man_hours_worklogs"),
    path("reports/man-hours/export.xlsx", views.man_hours_export, name="report_man_hours_export"),
    path("reports/sla/", views.sla, name="report_sla"),
    path("reports/sla/incidents/", views.sla_incidents, name="report_sla_incidents"),
    path("reports/sla/export.xlsx", views.sla_export, name="report_sla_export"),
]
