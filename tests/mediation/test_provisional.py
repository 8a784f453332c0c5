"""Beside each deadline the mediation API shows, whether it may still move: counted over a year
whose holidays are not loaded yet."""

import datetime

import pytest

from tests.core.calendar_years import assert_siblings, detail_and_row, far_year, load, unload
from tests.harness import on
from tests.mediation.helpers import mediation_in_state
from tests.scenarios import supervisor


def shown(m):
    return detail_and_row("/api/v1/mediations/", m, supervisor())


def test_every_deadline_has_its_boolean_sibling_in_the_schema():
    assert_siblings("MediationDetail", ["deadline", "confirmation_window_ends_on"])
    assert_siblings("MediationList", ["deadline"])


@pytest.mark.django_db
def test_provisional_while_the_year_has_no_holidays_and_not_once_it_has():
    year = far_year()
    # late December: the period and the confirmation window both end in January of `year`
    with on(datetime.date(year - 1, 12, 28)):
        unload(year)
        agreed = mediation_in_state("agreed")
        accepted = mediation_in_state("accepted")
        detail, row = shown(accepted)
        assert detail["deadline"].startswith(f"{year}-01") and detail["deadline_provisional"] is True
        assert row["deadline_provisional"] is True
        detail, _row = shown(agreed)
        assert detail["confirmation_window_ends_on"].startswith(f"{year}-01")
        assert detail["confirmation_window_ends_on_provisional"] is True

        load(year - 1, year)
        assert shown(agreed)[0]["confirmation_window_ends_on_provisional"] is False
        counted_now = mediation_in_state("accepted")
        detail, row = shown(counted_now)
        assert detail["deadline_provisional"] is False and row["deadline_provisional"] is False
