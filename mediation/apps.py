from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("诉调对接")

    def ready(self):
        # The document kinds (mediation/documents.py) are found by casework's autodiscovery.
        from . import permissions  # noqa: F401  (registers the rules permissions)
