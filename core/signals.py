"""Keeps the legal calendar's in-process cache true when staff edit holidays."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import legal_calendar
from .models import CalendarDay


@receiver([post_save, post_delete], sender=CalendarDay)
def clear_calendar_cache(**kwargs):
    legal_calendar.clear_cache()
