"""The legal calendar (DESIGN.md "Deadlines"; domain-rules.md "Deadlines"; LDMAL Art. 27).

The holiday data is the `CalendarDay` table that migration 0002 seeds from chinese-calendar; the
tests first pin down what that table says about 2026, then count deadlines across it.
"""

import datetime

import pytest
from django.utils import timezone

from core import legal_calendar
from casework import rules, services
from core.legal_calendar import Deadline, add_working_days, deadline, deadline_in_years, is_working_day, limitation_deadline
from core.models import CalendarDay
from tests.harness import on
from tests.scenarios import make_case, supervisor

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_2027_data():
    """These tests use 2027 as "a year nobody has published yet". A later chinese-calendar release
    would seed it; remove it so the tests keep meaning what they say."""
    CalendarDay.objects.filter(date__year=2027).delete()
    legal_calendar.clear_cache()


def _rows(year, month, is_workday):
    return set(CalendarDay.objects.filter(date__year=year, date__month=month, is_workday=is_workday).values_list("date", flat=True))


def _days(first, last):
    return {first + datetime.timedelta(days=i) for i in range((last - first).days + 1)}


# --------------------------------------------------------------------------------------------------
# The seeded table
# --------------------------------------------------------------------------------------------------


def test_seeded_spring_festival_2026():
    assert _rows(2026, 2, is_workday=False) == _days(D(2026, 2, 15), D(2026, 2, 23))
    assert _rows(2026, 2, is_workday=True) == {D(2026, 2, 14), D(2026, 2, 28)}
    assert D(2026, 2, 14).weekday() == 5 and D(2026, 2, 28).weekday() == 5  # both Saturdays


def test_seeded_national_day_2026():
    assert _rows(2026, 10, is_workday=False) == _days(D(2026, 10, 1), D(2026, 10, 7))
    assert _rows(2026, 9, is_workday=False) == _days(D(2026, 9, 25), D(2026, 9, 27))  # mid-autumn
    assert _rows(2026, 9, is_workday=True) | _rows(2026, 10, is_workday=True) == {D(2026, 9, 20), D(2026, 10, 10)}
    names = set(CalendarDay.objects.filter(date__range=(D(2026, 10, 1), D(2026, 10, 7))).values_list("name", flat=True))
    assert names == {"国庆节"}


def test_working_day_rules():
    assert is_working_day(D(2026, 2, 13))  # Friday before the festival
    assert is_working_day(D(2026, 2, 14))  # make-up Saturday
    assert not is_working_day(D(2026, 2, 16))  # Monday in the festival
    assert not is_working_day(D(2026, 3, 7))  # ordinary Saturday
    assert not is_working_day(D(2026, 3, 8))  # ordinary Sunday
    assert is_working_day(D(2026, 3, 9))
    assert not is_working_day(D(2026, 9, 25))  # a Friday holiday (mid-autumn)
    assert is_working_day(D(2026, 9, 20))  # make-up Sunday


# --------------------------------------------------------------------------------------------------
# Periods in calendar days
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (D(2026, 2, 1), 15, D(2026, 2, 24), "last day 2-16 in the Spring Festival -> first working day after"),
        (D(2026, 2, 8), 15, D(2026, 2, 24), "last day 2-23, the festival's last day"),
        (D(2026, 1, 30), 15, D(2026, 2, 14), "last day on the make-up Saturday 2-14 stays"),
        (D(2026, 2, 13), 15, D(2026, 2, 28), "last day on the make-up Saturday 2-28 stays"),
        (D(2026, 2, 20), 15, D(2026, 3, 9), "last day Saturday 3-7 -> Monday"),
        (D(2026, 2, 21), 15, D(2026, 3, 9), "last day Sunday 3-8 -> Monday"),
        (D(2026, 2, 24), 15, D(2026, 3, 11), "ordinary Wednesday stays"),
        (D(2026, 9, 16), 15, D(2026, 10, 8), "last day 10-1 in National Day -> 10-8"),
        (D(2026, 9, 10), 15, D(2026, 9, 28), "last day 9-25 mid-autumn Friday -> Monday 9-28"),
        (D(2026, 9, 5), 15, D(2026, 9, 20), "last day on the make-up Sunday 9-20 stays"),
        (D(2026, 9, 25), 15, D(2026, 10, 10), "last day on the make-up Saturday 10-10 stays"),
        (D(2026, 9, 26), 15, D(2026, 10, 12), "last day Sunday 10-11 after the make-up day -> Monday"),
        (D(2026, 2, 15), 0, D(2026, 2, 24), "a zero-day period on a holiday still rolls"),
    ],
)
def test_deadline_in_2026(start, days, expected, why):
    result = deadline(start, days)
    assert result == Deadline(expected, provisional=False), why


def test_period_counts_from_the_day_after():
    # Triggered on Monday 2026-03-09: day 1 is 3-10, day 15 is 3-24 (a Tuesday).
    assert deadline(D(2026, 3, 9), 15).date == D(2026, 3, 24)
    assert deadline(D(2026, 3, 9), 1).date == D(2026, 3, 10)


def test_negative_period_is_refused():
    with pytest.raises(ValueError):
        deadline(D(2026, 3, 9), -1)


def test_days_left():
    assert deadline(D(2026, 2, 1), 15).days_left(D(2026, 2, 20)) == 4


# --------------------------------------------------------------------------------------------------
# A year with no data: weekends only, provisional
# --------------------------------------------------------------------------------------------------


def test_into_2027_falls_back_to_weekends_and_is_provisional():
    assert not legal_calendar.has_data(2027)
    # 2027-01-01 is a Friday: with no data it counts as a working day, but only provisionally.
    assert deadline(D(2026, 12, 17), 15) == Deadline(D(2027, 1, 1), provisional=True)
    # 2027-01-02 is a Saturday -> Monday 01-04, provisional.
    assert deadline(D(2026, 12, 18), 15) == Deadline(D(2027, 1, 4), provisional=True)
    # The same length of period inside 2026 is not provisional.
    assert deadline(D(2026, 12, 1), 15) == Deadline(D(2026, 12, 16), provisional=False)


def test_a_2026_deadline_that_rolls_into_2027_is_provisional():
    # Thursday 2026-12-31 + 2 = Saturday 2027-01-02 -> Monday, computed on 2027's (missing) data.
    assert deadline(D(2026, 12, 31), 2) == Deadline(D(2027, 1, 4), provisional=True)


def test_staff_adding_2027_days_changes_the_result():
    before = deadline(D(2026, 12, 17), 15)  # cached: the year 2027 has been read once
    assert before == Deadline(D(2027, 1, 1), provisional=True)
    # Staff publish New Year's Day 2027 (through the ORM, as the admin does): the signal clears the cache.
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    after = deadline(D(2026, 12, 17), 15)
    assert after == Deadline(D(2027, 1, 4), provisional=False)
    # And a make-up workday on a Saturday takes effect too.
    CalendarDay.objects.create(date=D(2027, 1, 2), is_workday=True, name="元旦")
    assert deadline(D(2026, 12, 17), 15) == Deadline(D(2027, 1, 2), provisional=False)
    # Removing a day (post_delete) clears it as well.
    CalendarDay.objects.filter(date=D(2027, 1, 2)).get().delete()
    assert deadline(D(2026, 12, 17), 15).date == D(2027, 1, 4)


def test_edits_by_another_process_are_seen_after_the_cache_lifetime(monkeypatch):
    """Another web or Celery process gets no signal; its cached year must not stay stale for ever."""
    assert deadline(D(2026, 12, 17), 15).date == D(2027, 1, 1)
    # bulk_create sends no post_save: the same as an edit made in another process.
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2027, 1, 1), is_workday=False, name="元旦")])
    now = legal_calendar.time.monotonic()
    monkeypatch.setattr(legal_calendar.time, "monotonic", lambda: now + legal_calendar.CACHE_SECONDS + 1)
    assert deadline(D(2026, 12, 17), 15) == Deadline(D(2027, 1, 4), provisional=False)


# --------------------------------------------------------------------------------------------------
# Working days
# --------------------------------------------------------------------------------------------------


def test_add_working_days_across_spring_festival():
    # From Thursday 2-12: Fri 2-13 (1), make-up Sat 2-14 (2), holiday 2-15..23, Tue 2-24 (3).
    assert add_working_days(D(2026, 2, 12), 3) == Deadline(D(2026, 2, 24), provisional=False)
    assert add_working_days(D(2026, 2, 12), 2) == Deadline(D(2026, 2, 14), provisional=False)
    # From inside the festival: the first working day after it is day 1.
    assert add_working_days(D(2026, 2, 16), 1) == Deadline(D(2026, 2, 24), provisional=False)
    # Ten working days from 2-20: 2-24..27 (4), make-up Sat 2-28 (5), 3-2..6 (10).
    assert add_working_days(D(2026, 2, 20), 10).date == D(2026, 3, 6)


def test_add_working_days_across_national_day():
    # From Wed 9-23: Thu 9-24 (1), 9-25..27 holiday, Mon-Wed 9-28..30 (4), 10-1..7 holiday, Thu 10-8 (5).
    assert add_working_days(D(2026, 9, 23), 5).date == D(2026, 10, 8)


def test_add_working_days_into_2027_is_provisional():
    assert add_working_days(D(2026, 12, 30), 3) == Deadline(D(2027, 1, 4), provisional=True)
    assert add_working_days(D(2026, 12, 28), 3) == Deadline(D(2026, 12, 31), provisional=False)


# --------------------------------------------------------------------------------------------------
# LDMAL Art. 27: the one-year arbitration limitation
# --------------------------------------------------------------------------------------------------


def test_limitation_plain_one_year():
    assert limitation_deadline(known_on=D(2025, 3, 10)) == Deadline(D(2026, 3, 10), provisional=False)


@pytest.mark.parametrize(
    ("known_on", "expected"),
    [
        (D(2025, 10, 1), D(2026, 10, 8)),  # lands on National Day 2026
        (D(2025, 2, 17), D(2026, 2, 24)),  # lands in Spring Festival 2026
        (D(2025, 3, 7), D(2026, 3, 9)),  # lands on Saturday 2026-03-07
        (D(2025, 2, 14), D(2026, 2, 14)),  # lands on the make-up Saturday: stays
    ],
)
def test_limitation_rolled_by_the_calendar(known_on, expected):
    assert limitation_deadline(known_on=known_on).date == expected


def test_interruption_restarts_the_year():
    assert limitation_deadline(known_on=D(2025, 3, 10), interrupted_on=D(2025, 6, 2)).date == D(2026, 6, 2)
    # An interruption dated before the worker knew cannot shorten or restart anything.
    assert limitation_deadline(known_on=D(2025, 3, 10), interrupted_on=D(2025, 1, 2)).date == D(2026, 3, 10)
    # A restart landing in National Day rolls like any other last day.
    assert limitation_deadline(known_on=D(2025, 3, 10), interrupted_on=D(2025, 10, 2)).date == D(2026, 10, 8)


def test_unpaid_pay_while_employed_has_no_limit():
    assert limitation_deadline(known_on=D(2024, 1, 5), unpaid_pay_only=True, employment_ended_on=None) is None


def test_unpaid_pay_runs_one_year_from_the_end_of_employment():
    result = limitation_deadline(known_on=D(2020, 1, 5), unpaid_pay_only=True, employment_ended_on=D(2025, 9, 30))
    assert result == Deadline(D(2026, 9, 30), provisional=False)
    # Ending on 2025-10-01: the year ends on National Day 2026 and rolls.
    assert limitation_deadline(known_on=D(2020, 1, 5), unpaid_pay_only=True,
                               employment_ended_on=D(2025, 10, 1)).date == D(2026, 10, 8)
    # A claim on the employer after the end restarts it.
    assert limitation_deadline(known_on=D(2020, 1, 5), unpaid_pay_only=True, employment_ended_on=D(2025, 3, 2),
                               interrupted_on=D(2025, 5, 6)).date == D(2026, 5, 6)


def test_other_claims_ignore_the_end_of_employment():
    result = limitation_deadline(known_on=D(2025, 3, 10), employment_ended_on=D(2025, 9, 30), unpaid_pay_only=False)
    assert result.date == D(2026, 3, 10)


def test_unknown_start_has_no_deadline():
    assert limitation_deadline(known_on=None) is None


def test_29_february_start_ends_on_28_february():
    # Civil Code Art. 202: no corresponding day in the last month -> the month's last day.
    assert limitation_deadline(known_on=D(2024, 2, 29)) == Deadline(D(2025, 2, 28), provisional=False)
    assert deadline_in_years(D(2024, 2, 29), 1).date == D(2025, 2, 28)
    # 2028-02-29 + 1 year = 2029-02-28, a Wednesday, in a year with no data yet: provisional (until a
    # chinese-calendar release publishes 2029; its Spring Festival is mid-February, the day stays).
    assert deadline_in_years(D(2028, 2, 29), 1) == Deadline(D(2029, 2, 28), provisional=not legal_calendar.has_data(2029))


def test_limitation_into_2027_is_provisional_until_staff_publish_it():
    # Known 2026-02-10 -> 2027-02-10, a Wednesday; in reality inside Spring Festival 2027.
    assert limitation_deadline(known_on=D(2026, 2, 10)) == Deadline(D(2027, 2, 10), provisional=True)
    CalendarDay.objects.bulk_create([CalendarDay(date=D(2027, 2, 6) + datetime.timedelta(days=i), name="春节")
                                     for i in range(9)])  # 2027-02-06..14
    legal_calendar.clear_cache()
    assert limitation_deadline(known_on=D(2026, 2, 10)) == Deadline(D(2027, 2, 15), provisional=False)


# --------------------------------------------------------------------------------------------------
# rules.limitation_for on real cases
# --------------------------------------------------------------------------------------------------


def test_limitation_for_a_real_case_is_stored_on_the_case():
    case = make_case(categories=("unlawful_termination",), infringement_known_on=D(2025, 10, 1),
                     employment_ended_on=D(2025, 9, 30))
    assert rules.limitation_for(case) == Deadline(D(2026, 10, 8), provisional=False)
    case.refresh_from_db()
    assert case.limitation_ends_on == D(2026, 10, 8)


def test_limitation_for_unpaid_pay_case_runs_from_the_end_of_employment():
    case = make_case(categories=("unpaid_pay",), infringement_known_on=D(2025, 1, 10),
                     employment_ended_on=D(2025, 2, 17))
    assert rules.limitation_for(case).date == D(2026, 2, 24)  # 2026-02-17 is in Spring Festival
    case.refresh_from_db()
    assert case.limitation_ends_on == D(2026, 2, 24)


def test_limitation_for_unpaid_pay_with_another_category_runs_from_known_on():
    case = make_case(categories=("unpaid_pay", "social_insurance"), infringement_known_on=D(2025, 10, 1),
                     employment_ended_on=D(2025, 12, 1))
    assert rules.limitation_for(case).date == D(2026, 10, 8)


def test_limitation_for_unpaid_pay_while_still_employed_is_none():
    # make_case fills in an end of employment, so this goes to the service directly.
    from casework.models import Case
    from tests.scenarios import make_organisation, make_worker

    actor = supervisor()
    case = services.create_case(
        actor=actor, title="拖欠工资", channel=Case.Channel.HOTLINE, claimants=[make_worker()],
        respondents=[make_organisation()], categories=["unpaid_pay"], infringement_known_on=D(2024, 5, 1),
        employment_ended_on=None,
    )
    assert rules.limitation_for(case) is None
    case.refresh_from_db()
    assert case.limitation_ends_on is None


def test_limitation_for_reflects_an_interruption():
    case = make_case(categories=("injury",), infringement_known_on=D(2025, 3, 10),
                     employment_ended_on=D(2025, 3, 1), limitation_interrupted_on=D(2025, 6, 2))
    assert rules.limitation_for(case).date == D(2026, 6, 2)


def test_screening_sla_counts_working_days_across_the_festival():
    with on(D(2026, 2, 12)):
        case = make_case(received_on=D(2026, 2, 12), infringement_known_on=D(2026, 1, 5))
    assert case.screening_due_on == D(2026, 2, 24)


def test_localdate_is_shanghai():
    # Deadlines are dates in China: "today" must be the Asia/Shanghai date, not UTC's.
    assert str(timezone.get_current_timezone()) == "Asia/Shanghai"


# --------------------------------------------------------------------------------------------------
# Seeding (migration 0002 and `manage.py seed_holidays`)
# --------------------------------------------------------------------------------------------------


def test_seeding_again_adds_nothing_and_keeps_staff_edits():
    from chinese_calendar.constants import holidays as cc_holidays
    from chinese_calendar.constants import workdays as cc_workdays

    from core import seed

    total = len(cc_holidays) + len(cc_workdays)
    # The fixture removed 2027 ("unpublished"); a chinese-calendar release that has it seeded it first.
    removed_2027 = {day for day in (*cc_holidays, *cc_workdays) if day.year == 2027}
    assert CalendarDay.objects.filter(source__startswith="chinese-calendar").count() == total - len(removed_2027)
    # Staff correct one seeded day (say a local government moved a make-up day) and add their own.
    CalendarDay.objects.filter(date=D(2026, 2, 28)).update(is_workday=False, source="staff")
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    assert seed.seed_holidays(CalendarDay) == len(removed_2027 - {D(2027, 1, 1)})  # 0 while 2027 is unpublished
    assert not CalendarDay.objects.get(date=D(2026, 2, 28)).is_workday
    assert CalendarDay.objects.get(date=D(2027, 1, 1)).source == "staff"
    # A day staff deleted by mistake comes back.
    CalendarDay.objects.filter(date=D(2026, 10, 1)).delete()
    assert seed.seed_holidays(CalendarDay) == 1
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
