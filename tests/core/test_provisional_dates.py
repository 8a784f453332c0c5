"""core.legal_calendar.is_provisional: whether a date counted before may still move."""

import datetime

import pytest

from core import legal_calendar
from tests.core.calendar_years import far_year, load, unload

D = datetime.date


@pytest.mark.django_db
def test_a_count_of_calendar_days_depends_on_its_last_days_only():
    year = far_year()
    load(year - 2, year)
    unload(year - 2)
    assert not legal_calendar.is_provisional(D(year, 6, 15))  # its own year is loaded
    unload(year)
    assert legal_calendar.is_provisional(D(year, 6, 15))
    assert legal_calendar.is_provisional(D(year - 1, 12, 28)) is False
    # early January may have been rolled there over the end of December
    load(year, year)
    unload(year - 1)
    assert legal_calendar.is_provisional(D(year, 1, 3))
    assert not legal_calendar.is_provisional(D(year, 1, 20))


@pytest.mark.django_db
def test_a_count_of_working_days_depends_on_every_day_from_its_start():
    year = far_year()
    load(year - 2, year)
    unload(year - 2)
    assert legal_calendar.is_provisional(D(year, 6, 15), counted_from=D(year - 2, 12, 1))
    assert not legal_calendar.is_provisional(D(year, 6, 15), counted_from=D(year - 2, 12, 31))  # from the day after
    assert not legal_calendar.is_provisional(None)
