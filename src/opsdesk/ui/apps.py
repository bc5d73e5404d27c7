from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "opsdesk.ui"
    label = "ui"
