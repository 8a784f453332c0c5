from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("维权受理")

    def ready(self):
        from . import signals  # noqa: F401  (holiday-cache invalidation)
        from . import checks, documents  # noqa: F401  (PDF system checks; the casework document kinds)

        # Every app's documents.py registers its document kinds (casework.documents.register).
        autodiscover_modules("documents")
        # Every app's flows.py declares the viewflow flows that route its human work (the inbox);
        # casework.workflow keeps their tasks in step with the journal (docs/ui.md).
        autodiscover_modules("flows")
