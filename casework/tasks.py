"""Celery tasks of dispute intake: thin wrappers that call services."""

from celery import shared_task

from core import legal_calendar

from . import services


@shared_task
def sweep_case_deadlines():
    """Beat: warn handlers of overdue screening and limitation periods about to run out."""
    # Staff may have edited holidays in another process since this worker cached them.
    legal_calendar.clear_cache()
    return services.sweep_case_deadlines()
