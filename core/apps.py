from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

# What core finds in every installed app, as django.contrib.admin finds `admin.py`:
# transitions.py declares a machine's transitions; documents.py registers document kinds;
# flows.py declares the viewflow flows that route human work (the inbox); notices.py connects
# what a module tells people, including its reactions to other modules' transitions; workload.py
# the figures of work in hand the assignment screens show (core/workload.py). (The demo's
# parts, demo.py, are found by `manage.py demo` only: core/demo.py.)
DISCOVERED = ("transitions", "documents", "flows", "notices", "workload")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("基础数据")

    def ready(self):
        from . import checks, roles, signals  # noqa: F401  (system checks, permissions, holiday cache)

        for module in DISCOVERED:
            autodiscover_modules(module)
