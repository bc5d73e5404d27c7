"""Pages of the cmdb app, mounted in the ``ui`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("cmdb/", views.ci_list, name="cmdb_ci_list"),
    path("cmdb/export.xlsx", views.ci_export, name="cmdb_ci_export"),
    path("cmdb/options/cis/", views.ci_options, name="cmdb_ci_options"),
    path("cmdb/cis/new/", views.ci_new, name="cmdb_ci_new"),
    path("cmdb/cis/<int:ci_id>/", views.ci_detail, name="cmdb_ci_detail"),
    path("cmdb/cis/<int:ci_id>/edit/", views.ci_edit, name="cmdb_ci_edit"),
    path("cmdb/cis/<int:ci_id>/do/<slug:name>/", views.ci_transition, name="cmdb_ci_transition"),
    path("cmdb/cis/<int:ci_id>/relations/", views.relation_add, name="cmdb_relation_add"),
    path("cmdb/cis/<int:ci_id>/relations/<int:relation_id>/remove/", views.relation_remove,
         name="cmdb_relation_remove"),
    path("cmdb/cis/<int:ci_id>/custody/", views.custody_add, name="cmdb_custody_add"),
    path("cmdb/cis/<int:ci_id>/custody/<int:agreement_id>/file/", views.custody_file, name="cmdb_custody_file"),
    path("cmdb/classes/", views.class_list, name="cmdb_class_list"),
    path("cmdb/classes/<int:class_id>/", views.class_detail, name="cmdb_class_detail"),
    path("cmdb/classes/<int:class_id>/edit/", views.class_edit, name="cmdb_class_edit"),
    path("cmdb/classes/<int:class_id>/attributes/<int:attribute_id>/", views.attribute_edit,
         name="cmdb_attribute_edit"),
    path("cmdb/warranties/", views.warranty_report, name="cmdb_warranty_report"),
    path("cmdb/maps/operation/", views.map_operation, name="cmdb_map_operation"),
    path("cmdb/maps/operation/data/", views.map_operation_data, name="cmdb_map_operation_data"),
    path("cmdb/maps/application/", views.map_application, name="cmdb_map_application"),
    path("cmdb/maps/application/data/", views.map_application_data, name="cmdb_map_application_data"),
    path("cmdb/import/", views.import_upload, name="cmdb_import"),
    path("cmdb/import/map/", views.import_map, name="cmdb_import_map"),
    path("cmdb/import/cancel/", views.import_cancel, name="cmdb_import_cancel"),
    path("incidents/<str:number>/cis/", views.incident_cis, name="cmdb_incident_cis"),
]
