"""Celery tasks of the legal health check: thin wrappers that call the services.

The sweep is registered with core (core/sweeps.py), so `manage.py sweep legal_checkup` runs the
same function as the beat, as of any day."""

from dataclasses import asdict

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core import legal_calendar, sweeps

from . import services


@sweeps.register("legal_checkup", "checkups")
def checkups(*, today):
    """Reminders before a rectification is due, overdue findings told, as of `today`; then the
    inbox re-routed. The inbox's routing reads the real date (flows.py), so a sweep as of another
    day leaves it alone (`rerouted` is then None)."""
    result = asdict(services.sweep(today=today))
    result["rerouted"] = reroute_inbox() if today == timezone.localdate() else None
    return result


@shared_task(name="legal_checkup.tasks.sweep_checkups")
def sweep_checkups():
    """Beat, daily: a reminder to the company before a finding's rectification is due, the union
    told once a finding is overdue (services/sweeps.py); then the inbox of every checkup under
    rectification is re-routed, since what is overdue (and which letter's reply date has passed)
    changes with the date, not only with a journaled step."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    return checkups(today=timezone.localdate())


def reroute_inbox() -> int:
    from .flows import CheckupFlow
    from .models import Checkup, CheckupState as S

    flow_instance = CheckupFlow.instance
    count = 0
    for checkup in Checkup.objects.filter(state__in=[S.ISSUED, S.RECTIFYING, S.FOLLOW_UP]).order_by("pk").iterator():
        with transaction.atomic():
            flow_instance.sync(checkup)
        count += 1
    return count
