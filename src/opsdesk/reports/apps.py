from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "opsdesk.reports"
    label = "reports"
