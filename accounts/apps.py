from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """What a person does with their account: e-mail, keys, tokens, export, erasure."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
