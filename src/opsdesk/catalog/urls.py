"""Pages of the catalog app, mounted in the ``ui`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/nodes/new/", views.node_new, name="catalogue_node_new"),
    path("catalogue/nodes/<int:node_id>/", views.node_edit, name="catalogue_node"),
    path("catalogue/nodes/<int:node_id>/deactivate/", views.node_deactivate, name="catalogue_node_deactivate"),
    path("catalogue/nodes/<int:node_id>/reactivate/", views.node_reactivate, name="catalogue_node_reactivate"),
    path("catalogue/services/", views.service_list, name="catalogue_services"),
    path("catalogue/services/new/", views.service_new, name="catalogue_service_new"),
    path("catalogue/services/<int:service_id>/", views.service_edit, name="catalogue_service"),
    path("catalogue/services/<int:service_id>/categories/", views.category_new, name="catalogue_category_new"),
    path("catalogue/categories/<int:category_id>/", views.category_edit, name="catalogue_category"),
    path("catalogue/categories/<int:category_id>/deactivate/", views.category_deactivate,
         name="catalogue_category_deactivate"),
    path("catalogue/categories/<int:category_id>/reactivate/", views.category_reactivate,
         name="catalogue_category_reactivate"),
    path("catalogue/routing/", views.routing_rules, name="routing_rules"),
    path("catalogue/routing/<int:rule_id>/", views.routing_rule_edit, name="routing_rule"),
    path("catalogue/routing/<int:rule_id>/delete/", views.routing_rule_delete, name="routing_rule_delete"),
    path("catalogue/priority/", views.priority_matrix, name="priority_matrix"),
]
