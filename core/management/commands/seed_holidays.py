from django.core.management.base import BaseCommand

from core import legal_calendar, seed
from core.models import CalendarDay


class Command(BaseCommand):
    help = "Load statutory holidays and make-up workdays from chinese-calendar (keeps staff edits)."

    def handle(self, *args, **options):
        added = seed.seed_holidays(CalendarDay)
        legal_calendar.clear_cache()
        years = sorted(set(CalendarDay.objects.dates("date", "year").values_list("date__year", flat=True)))
        self.stdout.write(f"Added {added} days; calendar has data for {years[0]}–{years[-1]}." if years else "No data.")
