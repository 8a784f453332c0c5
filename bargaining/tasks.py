"""Celery tasks of bargaining: thin wrappers that call the services.

The sweep is registered with core (core/sweeps.py), so `manage.py sweep bargaining` runs the same
function as the beat, as of any day."""

from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from core import legal_calendar, sweeps

from . import services


@sweeps.register("bargaining", "negotiations")
def negotiations(*, today):
    """Effect by lapse, expiry, reply overdue, renewal due, as of `today` (services/sweeps.py)."""
    return asdict(services.sweep(today=today))


@shared_task(name="bargaining.tasks.sweep_negotiations")
def sweep_negotiations():
    """Beat, daily: contracts take effect when the objection window passed, expire at the end of
    their term; a reply overdue and a renewal due are told to the officer (services/sweeps.py)."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    return negotiations(today=timezone.localdate())
