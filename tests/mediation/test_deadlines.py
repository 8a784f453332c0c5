"""Periods by source across holidays, extension limits, and the judicial-confirmation window's edge days.

Every date comes from casework.legal_calendar (2026 holidays are seeded from chinese-calendar:
Spring Festival 15-23 February with make-up workdays 14 and 28 February; National Day 1-7 October
with make-up workday 10 October). "Today" is frozen where the rule looks at it.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core import legal_calendar
from core.errors import TransitionRefused
from core.journal import events_for
from core.models import CalendarDay
from core.transitions import allowed_transitions
from mediation import rules, services
from mediation.models import MediationState
from tests.mediation.helpers import advance, any_mediator, frozen, make_court, make_referral, terms
from tests.scenarios import supervisor

pytestmark = pytest.mark.django_db

D = datetime.date
S = MediationState


def accepted(source, accepted_on, procedure=""):
    m = make_referral(source=source, procedure=procedure, referred_on=accepted_on - datetime.timedelta(days=2))
    services.accept(mediation=m, actor=supervisor(), accepted_on=accepted_on)
    m.refresh_from_db()
    return m


@pytest.mark.parametrize("source,procedure,accepted_on,deadline,why", [
    ("union", "", D(2026, 2, 5), D(2026, 2, 24), "15 days end 20 Feb, inside the Spring Festival: next working day"),
    ("court_pre_suit", "", D(2026, 1, 20), D(2026, 2, 24), "30 days end 19 Feb, inside the Spring Festival"),
    ("court_in_suit", "simple", D(2026, 9, 30), D(2026, 10, 8), "7 days end 7 Oct, last day of National Day"),
    ("court_in_suit", "ordinary", D(2026, 9, 20), D(2026, 10, 8), "15 days end 5 Oct, inside National Day"),
    ("union", "", D(2026, 1, 30), D(2026, 2, 14), "15 days end on Saturday 14 Feb, a make-up workday: it stands"),
    ("union", "", D(2026, 3, 6), D(2026, 3, 23), "15 days end on Saturday 21 Mar: Monday"),
    ("court_pre_suit", "", D(2026, 3, 2), D(2026, 4, 1), "an ordinary Wednesday"),
])
def test_deadline_by_source_across_holidays(source, procedure, accepted_on, deadline, why):
    with frozen(accepted_on):
        m = accepted(source, accepted_on, procedure)
    assert m.deadline == deadline, why
    assert m.deadline_provisional is False
    assert m.period_started_on == accepted_on


def test_a_year_without_holiday_data_makes_the_deadline_provisional():
    with frozen(D(2026, 12, 24)):
        m = accepted("union", D(2026, 12, 24))
    assert m.deadline == D(2027, 1, 8)
    assert m.deadline_provisional is (not legal_calendar.has_data(2027))


# --- extensions ---------------------------------------------------------------------------------------


def in_progress(source, accepted_on):
    m = accepted(source, accepted_on)
    services.assign_mediator(mediation=m, actor=supervisor(), mediator=any_mediator())
    m.refresh_from_db()
    return m


def test_union_extension_once_by_at_most_15_days_from_the_deadline():
    with frozen(D(2026, 9, 25)):
        m = in_progress("union", D(2026, 9, 13))  # deadline Monday 28 September
        assert m.deadline == D(2026, 9, 28)
        with pytest.raises(ValidationError) as err:
            services.extend(mediation=m, actor=supervisor(), days=16, claimant_consent_on=D(2026, 9, 24),
                            respondent_consent_on=D(2026, 9, 25))
        assert "15" in err.value.message_dict["days"][0]
        # 28 September + 5 = 3 October, in the National Day holiday: 8 October.
        services.extend(mediation=m, actor=supervisor(), days=5, claimant_consent_on=D(2026, 9, 24),
                        respondent_consent_on=D(2026, 9, 25), consent_note="双方书面同意延长")
        m.refresh_from_db()
        assert (m.deadline, m.extensions_in_period, m.extended_days) == (D(2026, 10, 8), 1, 5)
        x = m.extensions.get()
        assert (x.previous_deadline, x.new_deadline, x.days) == (D(2026, 9, 28), D(2026, 10, 8), 5)
        with pytest.raises(ValidationError) as err:
            services.extend(mediation=m, actor=supervisor(), days=1, claimant_consent_on=D(2026, 9, 25),
                            respondent_consent_on=D(2026, 9, 25))
        assert "只能延长 1 次" in err.value.message_dict["days"][0]


def test_court_extensions_by_consent_have_no_set_limit():
    with frozen(D(2026, 3, 20)):
        m = in_progress("court_pre_suit", D(2026, 3, 2))  # deadline 1 April
        for days in (30, 45):
            services.extend(mediation=m, actor=supervisor(), days=days, claimant_consent_on=D(2026, 3, 20),
                            respondent_consent_on=D(2026, 3, 20))
            m.refresh_from_db()
        assert m.extensions_in_period == 2 and m.extended_days == 75
        assert m.deadline == legal_calendar.deadline(legal_calendar.deadline(D(2026, 4, 1), 30).date, 45).date


def test_extension_needs_both_consents_given_before_the_deadline():
    with frozen(D(2026, 9, 30)):
        m = in_progress("union", D(2026, 9, 13))  # deadline 28 September, not yet swept
        with pytest.raises(ValidationError) as err:
            services.extend(mediation=m, actor=supervisor(), days=5, claimant_consent_on=D(2026, 9, 27),
                            respondent_consent_on=None)
        assert "respondent_consent_on" in err.value.message_dict
        with pytest.raises(ValidationError) as err:
            services.extend(mediation=m, actor=supervisor(), days=5, claimant_consent_on=D(2026, 9, 27),
                            respondent_consent_on=D(2026, 9, 29))
        assert "届满前" in err.value.message_dict["respondent_consent_on"][0]
        m.refresh_from_db()
        assert m.deadline == D(2026, 9, 28) and not m.extensions.exists()


def test_resume_starts_a_fresh_period_with_its_own_extension():
    with frozen(D(2026, 3, 10)):
        m = in_progress("union", D(2026, 3, 2))
        services.extend(mediation=m, actor=supervisor(), days=5, claimant_consent_on=D(2026, 3, 10),
                        respondent_consent_on=D(2026, 3, 10))
        services.reach_agreement(mediation=m, actor=supervisor(), **{**terms(), "signed_on": D(2026, 3, 10),
                                 "effective_on": D(2026, 3, 10),
                                 "instalments": [{"due_on": D(2026, 4, 10), "amount": "12000"}]})
        services.request_confirmation(mediation=m, actor=supervisor(), court=make_court())
        services.reject_confirmation(mediation=m, actor=supervisor(), reason="协议内容违反法律规定")
    with frozen(D(2026, 4, 3)):
        services.resume(mediation=m, actor=supervisor())
        m.refresh_from_db()
        # 3 April + 15 = 18 April (a Saturday) -> Monday 20 April.
        assert (m.state, m.period_started_on, m.deadline, m.extensions_in_period) == (S.IN_PROGRESS, D(2026, 4, 3), D(2026, 4, 20), 0)
        assert m.agreement is None and m.agreements.count() == 1
        services.extend(mediation=m, actor=supervisor(), days=3, claimant_consent_on=D(2026, 4, 3),
                        respondent_consent_on=D(2026, 4, 3))


# --- judicial confirmation: within 30 days of the agreement taking effect ----------------------------


def agreed(effective_on):
    m = in_progress("court_pre_suit", effective_on - datetime.timedelta(days=5))
    services.reach_agreement(mediation=m, actor=supervisor(), **{
        **terms(), "signed_on": effective_on, "effective_on": effective_on,
        "instalments": [{"due_on": effective_on + datetime.timedelta(days=60), "amount": "12000"}],
    })
    m.refresh_from_db()
    return m


@pytest.mark.parametrize("effective_on,last_day,first_late_day", [
    (D(2026, 3, 2), D(2026, 4, 1), D(2026, 4, 2)),     # day 30 a Wednesday: day 30 in time, day 31 late
    (D(2026, 9, 5), D(2026, 10, 8), D(2026, 10, 9)),   # day 30 is 5 October (National Day): rolls to 8 October
])
def test_confirmation_window_edge_days(effective_on, last_day, first_late_day):
    with frozen(effective_on):
        on_time, late = agreed(effective_on), agreed(effective_on)
    assert rules.confirmation_window(on_time).date == last_day
    with frozen(last_day):
        assert "request_confirmation" in allowed_transitions(on_time, on_time.mediator)
        services.request_confirmation(mediation=on_time, actor=on_time.mediator)
        assert on_time.state == S.CONFIRMATION_PENDING and on_time.confirmation_requested_on == last_day
    with frozen(first_late_day):
        assert "request_confirmation" not in allowed_transitions(late, late.mediator)
        with pytest.raises(TransitionRefused) as refused:
            services.request_confirmation(mediation=late, actor=late.mediator)
        message = refused.value.detail
        assert "已逾期" in message and f"最迟于 {last_day:%Y-%m-%d}" in message and "第二百零五条" in message
        assert f"第 {(first_late_day - effective_on).days} 日" in message
        late.refresh_from_db()
        assert late.state == S.AGREED


def test_union_agreement_needs_a_court_for_confirmation():
    with frozen(D(2026, 3, 10)):
        m = in_progress("union", D(2026, 3, 2))
        advance(m, "reach_agreement")
        with pytest.raises(ValidationError) as err:
            services.request_confirmation(mediation=m, actor=supervisor())
        assert "court" in err.value.message_dict


# --- provisional deadlines, counted again once their year's holidays are loaded ---------------------
# 2041 has no holiday data in the seed (chinese-calendar publishes a year at a time), so its
# deadlines are counted by weekends alone until a test loads the days it needs.


def recounts(m):
    return list(events_for(m).filter(transition="recount_deadline"))


def test_a_provisional_deadline_on_a_new_holiday_moves_on_and_nothing_expires_by_the_stale_date():
    assert not legal_calendar.has_data(2041)
    with frozen(D(2041, 3, 20)):
        m = in_progress("union", D(2041, 3, 20))  # 15 days: Thursday 4 April, by weekends alone
    assert (m.deadline, m.deadline_provisional) == (D(2041, 4, 4), True)
    CalendarDay.objects.create(date=D(2041, 4, 4), name="清明节")
    CalendarDay.objects.create(date=D(2041, 4, 5), name="清明节")
    with frozen(D(2041, 4, 5)):
        result = services.sweep_deadlines()
    m.refresh_from_db()
    assert result["deadlines_recounted"] == 1 and result["expired"] == 0
    assert (m.state, m.deadline, m.deadline_provisional) == (S.IN_PROGRESS, D(2041, 4, 8), False)
    [event] = recounts(m)
    assert event.payload == {"previous_deadline": "2041-04-04", "deadline": "2041-04-08", "provisional": False}
    assert event.from_state == event.to_state == S.IN_PROGRESS
    with frozen(D(2041, 4, 5)):
        assert services.sweep_deadlines()["deadlines_recounted"] == 0
    assert len(recounts(m)) == 1


def test_a_make_up_workday_brings_a_deadline_back_through_its_extensions():
    with frozen(D(2041, 3, 10)):
        m = in_progress("union", D(2041, 3, 1))  # 16 March is a Saturday: Monday 18 March, provisional
        assert (m.deadline, m.deadline_provisional) == (D(2041, 3, 18), True)
        services.extend(mediation=m, actor=supervisor(), days=5, claimant_consent_on=D(2041, 3, 10),
                        respondent_consent_on=D(2041, 3, 10))
        m.refresh_from_db()
        assert m.deadline == D(2041, 3, 25)  # 23 March, a Saturday: Monday 25 March
    CalendarDay.objects.create(date=D(2041, 3, 16), is_workday=True, name="调休上班")
    with frozen(D(2041, 3, 12)):
        assert services.sweep_deadlines()["deadlines_recounted"] == 1
    m.refresh_from_db()
    # 16 March stands (a working day); + 5 days = Thursday 21 March.
    assert (m.deadline, m.deadline_provisional) == (D(2041, 3, 21), False)
    assert recounts(m)[0].payload["previous_deadline"] == "2041-03-25"


def test_a_deadline_whose_year_is_still_unpublished_is_left_provisional():
    with frozen(D(2041, 3, 20)):
        m = in_progress("union", D(2041, 3, 20))
        assert services.sweep_deadlines()["deadlines_recounted"] == 0
    m.refresh_from_db()
    assert (m.deadline, m.deadline_provisional) == (D(2041, 4, 4), True)
    assert recounts(m) == []


def test_after_resume_only_the_new_periods_extensions_count():
    with frozen(D(2041, 3, 10)):
        m = in_progress("union", D(2041, 3, 1))
        services.extend(mediation=m, actor=supervisor(), days=5, claimant_consent_on=D(2041, 3, 10),
                        respondent_consent_on=D(2041, 3, 10))
        services.reach_agreement(mediation=m, actor=supervisor(), **{**terms(), "signed_on": D(2041, 3, 10),
                                 "effective_on": D(2041, 3, 10),
                                 "instalments": [{"due_on": D(2041, 4, 10), "amount": "12000"}]})
        services.request_confirmation(mediation=m, actor=supervisor(), court=make_court())
        services.reject_confirmation(mediation=m, actor=supervisor(), reason="协议内容违反法律规定")
    with frozen(D(2041, 4, 3)):
        services.resume(mediation=m, actor=supervisor())
    m.refresh_from_db()
    assert (m.deadline, m.deadline_provisional, m.extensions.count()) == (D(2041, 4, 18), True, 1)
    CalendarDay.objects.create(date=D(2041, 4, 18), name="测试假日")
    with frozen(D(2041, 4, 10)):
        assert services.sweep_deadlines()["deadlines_recounted"] == 1
    m.refresh_from_db()
    # 3 April + 15 = Thursday 18 April, now a holiday: Friday 19 April (the first period's
    # 5-day extension is not counted again).
    assert (m.state, m.deadline, m.deadline_provisional) == (S.IN_PROGRESS, D(2041, 4, 19), False)
