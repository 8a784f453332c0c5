"""Beside each deadline the case API shows, whether it may still move: counted over a year whose
holidays are not loaded yet (core.legal_calendar.is_provisional)."""

import datetime

import pytest

from casework.models import Case
from tests.core.calendar_years import assert_siblings, detail_and_row, far_year, load, unload
from tests.scenarios import make_case, supervisor

DEADLINES = ["screening_due_on", "limitation_ends_on"]


def shown(case):
    return detail_and_row("/api/v1/cases/", case, supervisor())


def test_every_deadline_has_its_boolean_sibling_in_the_schema():
    assert_siblings("CaseDetail", DEADLINES)
    assert_siblings("CaseList", DEADLINES)


@pytest.mark.django_db
def test_provisional_while_the_year_has_no_holidays_and_not_once_it_has():
    case = make_case()
    year = far_year()
    Case.objects.filter(pk=case.pk).update(screening_due_on=datetime.date(year, 6, 15),
                                           limitation_ends_on=datetime.date(year, 6, 15))
    unload(year)
    for shape in shown(case):
        assert {f: shape[f"{f}_provisional"] for f in DEADLINES} == {f: True for f in DEADLINES}
        assert shape["screening_due_on"] == f"{year}-06-15"  # the date itself as before

    load(case.received_on.year, year)
    for shape in shown(case):
        assert {f: shape[f"{f}_provisional"] for f in DEADLINES} == {f: False for f in DEADLINES}


@pytest.mark.django_db
def test_a_screening_count_over_a_year_without_holidays_is_provisional_though_it_ends_in_one_with():
    case = make_case()
    year = far_year()
    # counted (in working days) from a day in a year without data into a year with data
    Case.objects.filter(pk=case.pk).update(received_on=datetime.date(year - 1, 12, 28),
                                           screening_due_on=datetime.date(year, 1, 8))
    load(year - 1, year)
    unload(year - 1)
    detail, row = shown(case)
    assert detail["screening_due_on_provisional"] and row["screening_due_on_provisional"]


@pytest.mark.django_db
def test_no_date_is_not_provisional():
    case = make_case()
    Case.objects.filter(pk=case.pk).update(limitation_ends_on=None)
    unload(*range(case.received_on.year - 1, far_year() + 1))
    detail, _row = shown(case)
    assert detail["limitation_ends_on"] is None and detail["limitation_ends_on_provisional"] is False
