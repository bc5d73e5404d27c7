from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/menu/", views.notification_menu, name="notification_menu"),
    path("notifications/read/", views.notification_mark_read, name="notification_mark_read"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification_open"),
]
