"""Beside each deadline the bargaining API shows, whether it may still move: counted over a year
whose holidays are not loaded yet."""

import datetime

import pytest

from tests.bargaining.helpers import negotiation_in_state, officer
from tests.bargaining.test_api import URL
from tests.core.calendar_years import assert_siblings, detail_and_row, far_year, load, unload
from tests.harness import on

DETAIL = ["reply_due", "filing_due", "objection_window_ends"]
LIST = ["reply_due", "filing_due"]


def shown(n, user):
    return detail_and_row(URL, n, user)


def test_every_deadline_has_its_boolean_sibling_in_the_schema():
    assert_siblings("NegotiationDetail", DETAIL)
    assert_siblings("NegotiationList", LIST)


@pytest.mark.django_db
def test_provisional_while_the_year_has_no_holidays_and_not_once_it_has():
    year = far_year()
    # late December: the reply, filing and objection periods all end in January of `year`
    with on(datetime.date(year - 1, 12, 28)):
        unload(year)
        user = officer()
        filed = negotiation_in_state("filed", actor=user)
        detail, row = shown(filed, user)
        for name in DETAIL:
            assert detail[name].startswith(f"{year}-01"), name
        assert {f: detail[f"{f}_provisional"] for f in DETAIL} == {f: True for f in DETAIL}
        assert {f: row[f"{f}_provisional"] for f in LIST} == {f: True for f in LIST}

        load(year - 1, year)
        detail, row = shown(filed, user)
        # counted on the stored dates: these follow the calendar now
        assert (detail["filing_due_provisional"], detail["objection_window_ends_provisional"]) == (False, False)
        assert row["filing_due_provisional"] is False
        # the reply date's flag is stored when it is counted: a proposal sent now is not provisional
        proposed = negotiation_in_state("proposed", actor=user)
        detail, row = shown(proposed, user)
        assert detail["reply_due_provisional"] is False and row["reply_due_provisional"] is False
