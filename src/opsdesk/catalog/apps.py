from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "opsdesk.catalog"
    label = "catalog"
