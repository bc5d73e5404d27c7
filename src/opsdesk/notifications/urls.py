from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/menu/", views.notification_menu, name="notification_menu"),
    path("notifications/read/", views.notification_mark_read, name="notification_mark_read"),
    path("notifications/settings/", views.notification_preferences, name="notification_preferences"),
    path("notifications/outbox/", views.outgoing_email_list, name="outgoing_email_list"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification_open"),
]
