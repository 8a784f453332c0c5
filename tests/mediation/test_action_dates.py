"""Mediation actions on the day they happened (issue 11): acceptance (`accepted_on`), the agreement
(`signed_on`), the joint application for judicial confirmation (`requested_on`), and the ends
without agreement: decline, fail, withdraw (`ended_on`). Each is optional and today when left out,
never in the future, never before the step it follows; the deadlines count from it; the journal
keeps both that day and the time of entry."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core import journal, legal_calendar
from mediation import services
from mediation.models import MediationState as S
from tests.harness import on
from tests.mediation.helpers import any_mediator, make_referral, mediation_in_state, supervisor, today
from tests.mediation.test_api import transition

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)


def last_event(m):
    return journal.events_for(m).order_by("-pk").first()


def entered_on(event):
    return timezone.localtime(event.created_at).date()


def unchanged(m, state, events):
    m.refresh_from_db()
    assert m.state == state and journal.events_for(m).count() == events


# --- accept ----------------------------------------------------------------------------------------


def test_accepted_on_a_past_day_the_period_runs_from_that_day():
    # A union mediation accepted at the desk on Sunday 20 September 2026 (a make-up workday),
    # entered on the 24th: its 15 days end on 5 October, inside the National Day holiday, so on
    # the 8th; counted from the day of entry they would have ended on the 9th.
    accepted_on, entered = D(2026, 9, 20), D(2026, 9, 24)
    with on(entered):
        m = make_referral(source="union", referred_on=D(2026, 9, 18))
        response = transition(any_mediator(), m, "accept", {"accepted_on": accepted_on.isoformat()})
        from_entry = legal_calendar.deadline(entered, 15).date
    assert response.status_code == 200, response.content
    m.refresh_from_db()
    assert (m.accepted_on, m.period_started_on, m.deadline) == (accepted_on, accepted_on, D(2026, 10, 8))
    assert m.deadline == legal_calendar.deadline(accepted_on, 15).date != from_entry
    event = last_event(m)
    assert (event.payload["accepted_on"], event.payload["deadline"]) == ("2026-09-20", "2026-10-08")
    assert entered_on(event) == entered


@pytest.mark.parametrize("offset,message", [(1, "晚于今天"), (-3, "委派/申请日期")])
def test_accept_in_the_future_or_before_the_referral_is_400(offset, message):
    m = make_referral(referred_on=today() - 2 * DAY)
    events = journal.events_for(m).count()
    day = today() + DAY if offset > 0 else m.referred_on + offset * DAY
    response = transition(any_mediator(), m, "accept", {"accepted_on": day.isoformat()})
    assert response.status_code == 400 and list(response.json()) == ["accepted_on"]
    assert message in response.json()["accepted_on"][0]
    unchanged(m, S.REFERRED, events)


# --- the joint application for judicial confirmation ---------------------------------------------


def agreed_on_1_september():
    """An agreement signed and in effect on 1 September 2026: the 30 days to apply end on
    1 October, a holiday, so on 8 October (the first working day after National Day)."""
    with on(D(2026, 9, 1)):
        m = make_referral(referred_on=D(2026, 8, 20))
        services.accept(mediation=m, actor=supervisor(), accepted_on=D(2026, 8, 21))
        services.assign_mediator(mediation=m, actor=supervisor(), mediator=any_mediator())
        services.reach_agreement(
            mediation=m, actor=supervisor(), total=Decimal("6000.00"), basis="compensation",
            signed_on=D(2026, 9, 1), effective_on=D(2026, 9, 1),
            instalments=[{"due_on": D(2026, 10, 30), "amount": Decimal("6000.00")}],
        )
    m.refresh_from_db()
    assert m.state == S.AGREED and m.agreement.signed_on == D(2026, 9, 1)
    assert legal_calendar.deadline(D(2026, 9, 1), 30).date == D(2026, 10, 8)
    return m


def test_an_application_made_on_the_last_day_and_recorded_later_is_in_time():
    m = agreed_on_1_september()
    with on(D(2026, 10, 12)):
        # Recorded today, it would be late...
        late = transition(supervisor(), m, "request_confirmation", {})
        assert late.status_code == 409 and "已逾期" in late.json()["detail"]
        late = transition(supervisor(), m, "request_confirmation", {"requested_on": "2026-10-09"})
        assert late.status_code == 409 and "2026-10-09" in late.json()["detail"]
        # ...but the parties applied on the last day of the window.
        response = transition(supervisor(), m, "request_confirmation", {"requested_on": "2026-10-08"})
    assert response.status_code == 200, response.content
    m.refresh_from_db()
    assert (m.state, m.confirmation_requested_on) == (S.CONFIRMATION_PENDING, D(2026, 10, 8))
    event = last_event(m)
    assert event.transition == "request_confirmation"
    assert (event.payload["requested_on"], event.payload["window_ends_on"]) == ("2026-10-08", "2026-10-08")
    assert entered_on(event) == D(2026, 10, 12)
    # the ruling may not be dated before the application
    with on(D(2026, 10, 12)):
        refused = transition(supervisor(), m, "confirm", {"ruling_number": "（2026）测1民特1号", "ruling_date": "2026-10-07"})
    assert refused.status_code == 400 and list(refused.json()) == ["ruling_date"]


def test_an_application_before_the_agreement_or_in_the_future_is_400():
    m = agreed_on_1_september()
    events = journal.events_for(m).count()
    with on(D(2026, 9, 10)):
        before = transition(supervisor(), m, "request_confirmation", {"requested_on": "2026-08-31"})
        ahead = transition(supervisor(), m, "request_confirmation", {"requested_on": "2026-09-11"})
        with pytest.raises(ValidationError) as err:
            services.request_confirmation(mediation=m, actor=supervisor(), requested_on=D(2026, 8, 31))
    assert before.status_code == 400 and "调解协议签订日期" in before.json()["requested_on"][0]
    assert ahead.status_code == 400 and "晚于今天" in ahead.json()["requested_on"][0]
    assert list(err.value.message_dict) == ["requested_on"]
    unchanged(m, S.AGREED, events)


def test_an_application_left_undated_is_today():
    m = mediation_in_state("agreed")
    response = transition(supervisor(), m, "request_confirmation", {})
    assert response.status_code == 200, response.content
    m.refresh_from_db()
    assert m.confirmation_requested_on == today()
    assert last_event(m).payload["requested_on"] == today().isoformat()


# --- the agreement ------------------------------------------------------------------------------


def test_an_agreement_signed_before_the_period_began_is_400():
    m = mediation_in_state("in_progress")
    events = journal.events_for(m).count()
    response = transition(supervisor(), m, "reach_agreement", {
        "total": "12000.00", "basis": "compensation", "signed_on": (m.period_started_on - DAY).isoformat(),
        "instalments": [{"due_on": (today() + 10 * DAY).isoformat(), "amount": "12000.00"}],
    })
    assert response.status_code == 400 and list(response.json()) == ["signed_on"]
    unchanged(m, S.IN_PROGRESS, events)


# --- ending without agreement: fail, withdraw, decline -----------------------------------------


def test_failed_on_a_past_day_returns_to_the_court_that_day():
    # Mediation ended on Thursday 1 October 2026 (National Day), entered on Friday the 9th.
    with on(D(2026, 9, 20)):
        m = make_referral(referred_on=D(2026, 9, 15))
        services.accept(mediation=m, actor=supervisor(), accepted_on=D(2026, 9, 16))
        services.assign_mediator(mediation=m, actor=supervisor(), mediator=any_mediator())
    with on(D(2026, 10, 9)):
        response = transition(supervisor(), m, "fail", {"reason": "双方分歧过大", "ended_on": "2026-10-01"})
    assert response.status_code == 200, response.content
    m.refresh_from_db()
    assert (m.state, m.ended_on, m.returned_to_court_on) == (S.FAILED, D(2026, 10, 1), D(2026, 10, 1))
    event = last_event(m)
    assert (event.payload["ended_on"], event.payload["returned_to_court_on"]) == ("2026-10-01", "2026-10-01")
    assert entered_on(event) == D(2026, 10, 9)


@pytest.mark.parametrize("name,state", [("fail", "in_progress"), ("withdraw", "accepted"), ("withdraw", "referred"),
                                        ("decline", "referred")])
def test_an_end_in_the_future_or_before_the_step_it_follows_is_400(name, state):
    m = mediation_in_state(state)
    events = journal.events_for(m).count()
    first = m.period_started_on or m.referred_on
    for day, message in ((today() + DAY, "晚于今天"), (first - DAY, "日期")):
        response = transition(supervisor(), m, name, {"reason": "申请人撤回", "ended_on": day.isoformat()})
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["ended_on"] and message in response.json()["ended_on"][0]
    with pytest.raises(ValidationError) as err:
        getattr(services, name)(mediation=m, actor=supervisor(), reason="申请人撤回", ended_on=first - DAY)
    assert list(err.value.message_dict) == ["ended_on"]
    unchanged(m, state, events)


@pytest.mark.parametrize("name,state", [("fail", "in_progress"), ("withdraw", "accepted"), ("decline", "referred")])
def test_an_end_on_a_past_day_and_left_out(name, state):
    past, now = mediation_in_state(state), mediation_in_state(state)
    day = (past.period_started_on or past.referred_on) + DAY
    getattr(services, name)(mediation=past, actor=supervisor(), reason="申请人撤回", ended_on=day)
    response = transition(supervisor(), now, name, {"reason": "申请人撤回"})
    assert response.status_code == 200, response.content
    for m, expected in ((past, day), (now, today())):
        m.refresh_from_db()
        assert m.ended_on == expected and m.returned_to_court_on == expected  # court referrals
        event = last_event(m)
        assert event.payload["ended_on"] == expected.isoformat() and entered_on(event) == today()
