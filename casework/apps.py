from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("维权受理")

    def ready(self):
        # Registered with core: the conflict source (selectors) and the outcome resolver (services).
        from . import selectors, services  # noqa: F401
