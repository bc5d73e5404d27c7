from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "opsdesk.accounts"
    label = "accounts"
