from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("维权受理")

    def ready(self):
        from . import signals  # noqa: F401  (holiday-cache invalidation)
