"""Pages of the sla app, mounted in the ``ui`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("slas/", views.agreement_list, name="sla_agreement_list"),
    path("slas/new/", views.agreement_edit, name="sla_agreement_new"),
    path("slas/<int:agreement_id>/", views.agreement_edit, name="sla_agreement_edit"),
    path("slas/ola/", views.operational_target_add, name="sla_ola_add"),
    path("slas/ola/<int:target_id>/delete/", views.operational_target_delete, name="sla_ola_delete"),
    path("incidents/<str:number>/sla/explain/", views.incident_explain, name="sla_incident_explain"),
    path("incidents/<str:number>/sla/recompute/", views.incident_recompute, name="sla_incident_recompute"),
]
