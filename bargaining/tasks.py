"""Celery tasks of bargaining: thin wrappers that call the services."""

from dataclasses import asdict

from celery import shared_task

from core import legal_calendar

from . import services


@shared_task(name="bargaining.tasks.sweep_negotiations")
def sweep_negotiations():
    """Beat, daily: contracts take effect when the objection window passed, expire at the end of
    their term; a reply overdue and a renewal due are told to the officer (services/sweeps.py)."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    return asdict(services.sweep())
