"""The legal calendar: every deadline in every module is counted here.

Rule (domain-rules.md, "Deadlines"): a period of N days is counted in calendar days from the day
after the triggering event; when its last day is a rest day or a statutory holiday, the period ends
on the next working day. Make-up workdays (调休) are working days. Holidays come from the
`CalendarDay` table (seeded from `chinese-calendar`, extendable by staff); a year without any rows
is counted by weekends alone and the result is marked provisional.
"""

import datetime
import time
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from .legal_figures import ARBITRATION_LIMITATION_YEARS


@dataclass(frozen=True)
class Deadline:
    date: datetime.date
    # True when a year on the way had no holiday data: the date may move once the year is published.
    provisional: bool = False

    def days_left(self, today: datetime.date) -> int:
        return (self.date - today).days


# How long a process trusts its copy of a year's holidays. A CalendarDay edit clears the cache at
# once in the process that made it (signals.py); every other process (the other web workers, Celery
# workers, which get no signal) sees the edit within this many seconds instead of never.
CACHE_SECONDS = 60

_cache: dict[int, tuple[float, tuple[frozenset, frozenset, bool]]] = {}


def _year(year: int) -> tuple[frozenset, frozenset, bool]:
    """(holidays, make-up workdays, has data) for one year, cached for CACHE_SECONDS."""
    from .models import CalendarDay

    now = time.monotonic()
    hit = _cache.get(year)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    rows = list(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday"))
    holidays = frozenset(d for d, workday in rows if not workday)
    workdays = frozenset(d for d, workday in rows if workday)
    data = (holidays, workdays, bool(rows))
    _cache[year] = (now, data)
    return data


def clear_cache() -> None:
    _cache.clear()


def has_data(year: int) -> bool:
    return _year(year)[2]


# The most rest days in a row a period's last day is rolled forward over (the Spring Festival's or
# National Day's week with the weekend beside it is 8 or 9); the roll of a count of calendar days
# looks at no day earlier than this before the deadline it gives.
LONGEST_REST_DAYS = 10


def is_provisional(last: datetime.date | None, *, counted_from: datetime.date | None = None) -> bool:
    """Whether a deadline counted before, falling on `last`, was counted over a year whose holidays
    are not loaded (the `Deadline.provisional` of a date that was stored without it): it may move
    once the year is published. A count of calendar days (`deadline`, `deadline_in_years`) depends
    only on the days its last day was rolled over, so only the years of the LONGEST_REST_DAYS
    before `last` and of `last` count; a count of working days (`add_working_days`) depends on
    every day from its start, given as `counted_from` (a later start of the same count, a reopened
    case's, only narrows the span: this errs on the provisional side). None is not provisional."""
    if last is None:
        return False
    first = counted_from + datetime.timedelta(days=1) if counted_from else last - datetime.timedelta(days=LONGEST_REST_DAYS)
    return any(not has_data(year) for year in range(min(first, last).year, last.year + 1))


def is_working_day(day: datetime.date) -> bool:
    holidays, workdays, _ = _year(day.year)
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def _roll_forward(day: datetime.date, provisional: bool) -> Deadline:
    while not is_working_day(day):
        provisional = provisional or not has_data(day.year)
        day += datetime.timedelta(days=1)
    return Deadline(day, provisional or not has_data(day.year))


def deadline(start: datetime.date, days: int) -> Deadline:
    """The last day of a period of `days` calendar days triggered on `start`."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    return _roll_forward(start + datetime.timedelta(days=days), provisional=False)


def deadline_in_years(start: datetime.date, years: int) -> Deadline:
    """A period of whole years (the limitation period): same calendar day, then rolled forward.

    A period starting on 29 February ends on 28 February (relativedelta clamps to month end).
    """
    return _roll_forward(start + relativedelta(years=years), provisional=False)


def add_working_days(start: datetime.date, days: int) -> Deadline:
    """The day `days` working days after `start` (service-level targets, not statutory periods)."""
    day, provisional, left = start, False, days
    while left > 0:
        day += datetime.timedelta(days=1)
        provisional = provisional or not has_data(day.year)
        if is_working_day(day):
            left -= 1
    return Deadline(day, provisional)


def limitation_deadline(*, known_on, interrupted_on=None, employment_ended_on=None, unpaid_pay_only=False):
    """When the 1-year arbitration limitation period (LDMAL Art. 27) runs out, or None if it cannot.

    - It runs from the day the worker knew or should have known (`known_on`), and restarts from an
      interruption (a claim on the employer, a request to an authority, the employer agreeing to pay).
    - Unpaid pay during employment (Art. 27 para. 4): no limit while employed; when the relationship
      has ended, one year from its end. `employment_ended_on=None` with `unpaid_pay_only` means
      "still employed".
    """
    if unpaid_pay_only:
        if employment_ended_on is None:
            return None
        start = employment_ended_on
    else:
        if known_on is None:
            return None
        start = known_on
    if interrupted_on and interrupted_on > start:
        start = interrupted_on
    return deadline_in_years(start, ARBITRATION_LIMITATION_YEARS)
