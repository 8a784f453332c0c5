"""The daily bargaining sweep: effect by lapse, expiry, a reply overdue, a renewal due — and the
same effects by the sweep as by hand."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from bargaining import services
from bargaining.models import NegotiationState, Topic
from core import journal
from core.errors import TransitionRefused
from tests.bargaining.helpers import contact_of, negotiation_in_state, officer, platform
from tests.harness import on, parity, told

pytestmark = pytest.mark.django_db
S = NegotiationState
FILED_ON = datetime.date(2025, 9, 16)  # 16 Sept + 15 days = 1 October: the window runs to 9 October
WINDOW_ENDS = datetime.date(2025, 10, 9)


def filed_pair():
    actor, employer = officer(), platform()
    with on(FILED_ON):
        a = negotiation_in_state("filed", actor=actor, employers=[employer])
        b = negotiation_in_state("filed", actor=actor, employers=[employer])
    contact_of(a)
    return a, b, actor


def test_effect_by_lapse_on_the_first_day_after_the_window_and_not_the_day_before():
    a, _b, _actor = filed_pair()
    with on(WINDOW_ENDS):
        assert services.sweep().took_effect == 0
    a.refresh_from_db()
    assert a.state == S.FILED
    with on(WINDOW_ENDS + datetime.timedelta(days=1)):
        assert services.sweep().took_effect == 2
    a.refresh_from_db()
    assert (a.state, a.effective_on, a.effect_basis) == (S.EFFECTIVE, datetime.date(2025, 10, 10), "lapse")
    assert a.expires_on == datetime.date(2025, 10, 10) + relativedelta(years=2) - datetime.timedelta(days=1)


def test_a_late_sweep_still_dates_the_effect_from_the_window():
    a, _b, _actor = filed_pair()
    with on(WINDOW_ENDS + datetime.timedelta(days=5)):
        services.sweep()
    a.refresh_from_db()
    assert a.effective_on == datetime.date(2025, 10, 10)


def test_take_effect_by_the_sweep_and_by_hand_leave_the_same_traces():
    a, b, actor = filed_pair()
    with on(WINDOW_ENDS + datetime.timedelta(days=1)):
        services.take_effect(negotiation=b, actor=actor)
        services.sweep()
    parity(a, b, "take_effect")
    assert told("took_effect", a) and {t.recipient for t in told("took_effect", a)} >= {actor}


def test_expire_by_the_sweep_and_by_hand_leave_the_same_traces():
    a, b, actor = filed_pair()
    with on(WINDOW_ENDS + datetime.timedelta(days=1)):
        services.sweep()
    a.refresh_from_db()
    after = a.expires_on + datetime.timedelta(days=1)
    with on(a.expires_on):
        assert services.sweep().expired == 0
        with pytest.raises(TransitionRefused):
            services.expire(negotiation=b, actor=actor)
    with on(after):
        b.refresh_from_db()
        services.expire(negotiation=b, actor=actor)
        assert services.sweep().expired == 1
    a.refresh_from_db()
    assert a.state == S.EXPIRED
    parity(a, b, "expire")


def test_a_reply_overdue_is_flagged_once():
    actor = officer()
    with on(datetime.date(2025, 9, 11)):
        n = negotiation_in_state("proposed", actor=actor)
    with on(datetime.date(2025, 10, 9)):  # the due day (after National Day): not yet
        assert services.sweep().reply_overdue == 0
    with on(datetime.date(2025, 10, 10)):
        assert services.sweep().reply_overdue == 1
        assert services.sweep().reply_overdue == 0
    (notice,) = told("reply_overdue", n)
    assert notice.recipient == actor and "2025-10-09" in notice.message
    assert journal.events_for(n).filter(transition="reply_overdue").count() == 1


def test_a_renewal_notice_three_months_before_the_end_and_a_renewal_seeded_from_the_clauses():
    actor = officer()
    start = datetime.date(2025, 3, 3)
    with on(start):
        n = negotiation_in_state("effective", actor=actor, term_years=1)
    n.refresh_from_db()
    opens = n.expires_on - relativedelta(months=3)
    with on(opens - datetime.timedelta(days=1)):
        assert services.sweep().renewal_due == 0
        with pytest.raises(Exception):
            services.start_renewal(negotiation=n, actor=actor)
    with on(opens):
        assert services.sweep().renewal_due == 1
        assert services.sweep().renewal_due == 0
        renewal = services.start_renewal(negotiation=n, actor=actor)
    assert told("renewal_due", n)[0].recipient == actor
    assert renewal.renewal_of == n and renewal.state == S.PREPARING
    clauses = n.current_version().clauses
    assert [t.name for t in renewal.topics.all()] == [c["title"] for c in clauses]
    piece = renewal.topics.get(name="计件单价")
    assert piece.topic == Topic.objects.get(code="piece_rate") and piece.demand_value == n.topics.get(name="计件单价").agreed_value
    assert journal.events_for(renewal).filter(transition="linked").exists()
    assert journal.events_for(n).filter(transition="start_renewal").exists()


def test_a_dry_run_counts_and_changes_nothing():
    a, _b, _actor = filed_pair()
    with on(WINDOW_ENDS + datetime.timedelta(days=1)):
        assert services.sweep(dry_run=True).took_effect == 2
    a.refresh_from_db()
    assert a.state == S.FILED
