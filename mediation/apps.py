from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("诉调对接")

    def ready(self):
        # Registered with core: the reaction to dispute intake's referrals (services/intake.py) and
        # the workers a mediator holds (selectors).
        from . import selectors, services  # noqa: F401
