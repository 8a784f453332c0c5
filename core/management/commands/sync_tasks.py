"""`manage.py sync_tasks`: bring every object's inbox task in step with its state.

Tasks follow the journal by themselves (core/workflow.py); this is for a database that had
objects before the task layer existed, or after restoring one. Idempotent.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from core.workflow import FLOWS


class Command(BaseCommand):
    help = "Create or settle viewflow tasks so each object has exactly the task its state calls for."

    def handle(self, *args, **options):
        for model, flow_class in FLOWS.items():
            n = 0
            for obj in model._default_manager.order_by("pk").iterator(chunk_size=500):
                with transaction.atomic():
                    flow_class.instance.sync(obj)
                n += 1
            self.stdout.write(f"{model._meta.label}: {n} checked")
