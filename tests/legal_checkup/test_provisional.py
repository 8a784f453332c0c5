"""Beside each deadline the check-up API shows (a finding's rectification date, a letter's reply
date), whether it may still move: counted over a year whose holidays are not loaded yet."""

import datetime

import pytest

from legal_checkup import rules
from legal_checkup.models import Letter
from tests.core.calendar_years import assert_siblings, far_year, load, results, unload
from tests.harness import on
from tests.legal_checkup.helpers import checkup_in_state, contact_of, today
from tests.legal_checkup.test_api import URL, client_for


def shown(checkup, user):
    client = client_for(user)
    return results(client.get(f"{URL}{checkup.pk}/findings/")), results(client.get(f"{URL}{checkup.pk}/letters/"))


def test_every_deadline_has_its_boolean_sibling_in_the_schema():
    assert_siblings("StaffFinding", ["due_on"])
    assert_siblings("SupervisionLetter", ["reply_due"])


@pytest.mark.django_db
def test_provisional_while_the_year_has_no_holidays_and_not_once_it_has():
    year = far_year()
    # late December: rectification (30 to 90 days) and a letter's reply (15) end early in `year`
    with on(datetime.date(year - 1, 12, 28)):
        unload(year)
        checkup = checkup_in_state("rectifying")
        finding = checkup.findings.order_by("pk").first()
        Letter.objects.create(finding=finding, kind=Letter.Kind.REMINDER, issued_on=today(),
                              reply_due=rules.letter_reply_due(today(), Letter.Kind.REMINDER).date,
                              addressee=checkup.company, issued_by=checkup.lead)
        for user in (checkup.lead, contact_of(checkup)):  # the union's shape and the company's
            findings, letters = shown(checkup, user)
            assert findings and all(f["due_on"].startswith(f"{year}-") and f["due_on_provisional"] is True
                                    for f in findings)
            assert [(x["reply_due"][:4], x["reply_due_provisional"]) for x in letters] == [(str(year), True)]

        load(year - 1, year)
        for user in (checkup.lead, contact_of(checkup)):
            findings, letters = shown(checkup, user)
            assert all(f["due_on_provisional"] is False for f in findings)
            assert [x["reply_due_provisional"] for x in letters] == [False]
