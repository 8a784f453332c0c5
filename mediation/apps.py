from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("诉调对接")

    def ready(self):
        # The reaction to dispute intake's referrals is registered with core (services/intake.py).
        from . import services  # noqa: F401
