"""Pages of the calendars app, mounted in the ``ui`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/new/", views.calendar_new, name="calendar_new"),
    path("calendars/<int:calendar_id>/", views.calendar_detail, name="calendar_detail"),
    path("calendars/<int:calendar_id>/edit/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<int:calendar_id>/days/", views.calendar_day_set, name="calendar_day_set"),
    path("calendars/<int:calendar_id>/days/<str:day>/remove/", views.calendar_day_remove, name="calendar_day_remove"),
    path("calendars/<int:calendar_id>/years/", views.calendar_year, name="calendar_year"),
]
