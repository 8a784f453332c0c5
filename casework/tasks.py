"""Celery tasks of dispute intake: thin wrappers that call services.

The sweep is registered with core (core/sweeps.py), so `manage.py sweep casework` runs the same
function as the beat, as of any day."""

from celery import shared_task
from django.utils import timezone

from core import legal_calendar, sweeps

from . import services


@sweeps.register("casework", "deadlines")
def case_deadlines(*, today):
    """Warn handlers of overdue screening and limitation periods about to run out, as of `today`."""
    return services.sweep_case_deadlines(today=today)


@shared_task
def sweep_case_deadlines():
    """Beat: warn handlers of overdue screening and limitation periods about to run out."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    return case_deadlines(today=timezone.localdate())
