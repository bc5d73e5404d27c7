"""Incident pages: the self-service portal and the agent workspace (included by ``opsdesk.ui.urls``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/report/", views.portal_new, name="portal_new"),
    path("portal/records/<str:number>/", views.portal_detail, name="portal_detail"),
    path("incidents/", views.incident_queue, name="incident_queue"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/options/categories/", views.category_options, name="category_options"),
    path("incidents/options/assignees/", views.assignee_options, name="assignee_options"),
    path("incidents/options/requesters/", views.requester_options, name="requester_options"),
    path("incidents/options/priority/", views.priority_preview, name="priority_preview"),
    path("incidents/<str:number>/", views.incident_detail, name="incident_detail"),
    path("incidents/<str:number>/edit/", views.incident_edit, name="incident_edit"),
    path("incidents/<str:number>/do/<slug:name>/", views.incident_transition, name="incident_transition"),
    path("incidents/<str:number>/worklogs/", views.incident_log_work, name="incident_log_work"),
    path("incidents/<str:number>/comments/", views.incident_comment, name="incident_comment"),
    path("incidents/<str:number>/attachments/", views.incident_attach, name="incident_attach"),
    path("incidents/<str:number>/attachments/<int:attachment_id>/", views.attachment_download,
         name="attachment_download"),
    path("incidents/<str:number>/watch/", views.incident_watch, name="incident_watch"),
    path("incidents/<str:number>/major/flag/", views.incident_flag_major, name="incident_flag_major"),
    path("incidents/<str:number>/major/link/", views.incident_link_child, name="incident_link_child"),
    path("incidents/<str:number>/major/update/", views.incident_major_update, name="incident_major_update"),
    path("incidents/<str:number>/callback/", views.incident_callback, name="incident_callback"),
]
