from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "opsdesk.sla"
    label = "sla"
