from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalCheckupConfig(AppConfig):
    name = "legal_checkup"
    verbose_name = _("法治体检")

    def ready(self):
        # The reaction to bargaining's effective contracts is registered with core (services/clauses.py).
        from . import services  # noqa: F401
