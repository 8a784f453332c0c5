"""Celery tasks of the legal health check: thin wrappers that call the services."""

from dataclasses import asdict

from celery import shared_task
from django.db import transaction

from core import legal_calendar

from . import services


@shared_task(name="legal_checkup.tasks.sweep_checkups")
def sweep_checkups():
    """Beat, daily: a reminder to the company before a finding's rectification is due, the union
    told once a finding is overdue (services/sweeps.py); then the inbox of every checkup under
    rectification is re-routed, since what is overdue (and which letter's reply date has passed)
    changes with the date, not only with a journaled step."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    result = asdict(services.sweep())
    result["rerouted"] = reroute_inbox()
    return result


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
