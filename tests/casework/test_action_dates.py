"""Acceptance on the day it happened (issue 11): `accepted_on`, optional, today when left out, not
in the future, not before the case was registered; the limitation is judged on that day; the
journal keeps both the day of acceptance and the time of entry."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from casework import services
from casework.models import CaseState as S
from core import journal
from core.legal_calendar import deadline_in_years
from core.roles import Role
from tests.harness import on
from tests.scenarios import case_in_state, make_user, supervisor

pytestmark = pytest.mark.django_db

D = datetime.date
# Known on 1 October 2025: the year runs out on 1 October 2026, inside the National Day holiday
# (1-7 October), so the limitation ends on Thursday 8 October. Entered on Monday 12 October.
KNOWN_ON, LAST_DAY, ENTERED = D(2025, 10, 1), D(2026, 10, 8), D(2026, 10, 12)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def accept_by_api(case, body, user=None):
    return client_for(user or supervisor()).post(f"/api/v1/cases/{case.pk}/transitions/accept/", body, format="json")


def screened(**kw):
    return case_in_state("screening", categories=("unlawful_termination",), **kw)


def last_event(case):
    return journal.events_for(case).order_by("-pk").first()


def test_accepted_on_its_day_the_limitation_is_judged_on_that_day():
    with on(ENTERED):
        case = screened(infringement_known_on=KNOWN_ON, received_on=D(2026, 9, 28))
        assert deadline_in_years(KNOWN_ON, 1).date == LAST_DAY  # rolled past the holiday
        # Today the year has run out: acceptance needs a supervisor's override...
        with pytest.raises(ValidationError) as err:
            services.accept(case=case, actor=make_user(Role.INTAKE_OFFICER))
        assert "override_limitation" in err.value.message_dict
        with pytest.raises(ValidationError) as err:
            services.accept(case=case, actor=make_user(Role.INTAKE_OFFICER), accepted_on=LAST_DAY + datetime.timedelta(days=1))
        assert "override_limitation" in err.value.message_dict
        # ...but it was accepted at the desk on the last day of the period, in time.
        services.accept(case=case, actor=make_user(Role.INTAKE_OFFICER), accepted_on=LAST_DAY)
    case.refresh_from_db()
    assert case.state == S.ACCEPTED and not case.limitation_overridden
    assert timezone.localtime(case.accepted_at).date() == LAST_DAY
    event = last_event(case)
    assert event.transition == "accept"
    assert event.payload["accepted_on"] == "2026-10-08"  # the legal date
    assert timezone.localtime(event.created_at).date() == ENTERED  # the time of entry


def test_accepted_on_through_the_api():
    with on(ENTERED):
        case = screened(infringement_known_on=KNOWN_ON, received_on=D(2026, 9, 28))
        response = accept_by_api(case, {"accepted_on": "2026-10-08", "comment": "窗口受理，事后补录"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "accepted"
    event = last_event(case)
    assert (event.payload["accepted_on"], event.comment) == ("2026-10-08", "窗口受理，事后补录")
    assert timezone.localtime(event.created_at).date() == ENTERED


def test_the_case_page_shows_the_day_of_acceptance_not_an_hour_nobody_knows(client):
    with on(ENTERED):
        case = screened(infringement_known_on=KNOWN_ON, received_on=D(2026, 9, 28))
        services.accept(case=case, actor=supervisor(), accepted_on=D(2026, 10, 8))
        client.force_login(supervisor())
        page = client.get(f"/casework/cases/{case.pk}/").content.decode()
    assert "受理日期</dt><dd>2026-10-08</dd>" in page and "00:00" not in page


@pytest.mark.parametrize("day,message", [
    (lambda today: today + datetime.timedelta(days=1), "晚于今天"),
    (lambda today: today - datetime.timedelta(days=11), "登记日期"),
])
def test_a_day_in_the_future_or_before_registration_is_400_and_nothing_changes(day, message):
    today = timezone.localdate()
    case = screened(received_on=today - datetime.timedelta(days=10), infringement_known_on=today - datetime.timedelta(days=40))
    events = journal.events_for(case).count()
    response = accept_by_api(case, {"accepted_on": day(today).isoformat()})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["accepted_on"] and message in response.json()["accepted_on"][0]
    case.refresh_from_db()
    assert case.state == S.SCREENING and case.accepted_at is None
    assert journal.events_for(case).count() == events
    with pytest.raises(ValidationError) as err:  # the service refuses the same
        services.accept(case=case, actor=supervisor(), accepted_on=day(timezone.localdate()))
    assert list(err.value.message_dict) == ["accepted_on"]


def test_left_out_it_is_today_and_journaled():
    case = screened()
    response = accept_by_api(case, {})
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    event = last_event(case)
    today = timezone.localdate()
    assert event.payload["accepted_on"] == today.isoformat()
    assert timezone.localtime(case.accepted_at).date() == today


def test_not_a_date_is_a_field_error():
    case = screened()
    response = accept_by_api(case, {"accepted_on": "2026-13-01"})
    assert response.status_code == 400 and list(response.json()) == ["accepted_on"]
    with pytest.raises(ValidationError) as err:
        services.accept(case=case, actor=supervisor(), accepted_on="2026-13-01")
    assert list(err.value.message_dict) == ["accepted_on"]
