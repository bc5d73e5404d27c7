"""Pages of the reports app, mounted in the ``ui`` namespace."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
