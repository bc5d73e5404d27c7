"""Pages of the calendars app, mounted in the ``ui`` namespace."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
