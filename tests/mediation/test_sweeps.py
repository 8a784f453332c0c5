"""The deadline and performance sweeps: what they move, whom they tell, that a second run does
nothing, that the number of queries does not grow with the rows, and (PostgreSQL) that two sweeps
at once move each mediation once."""

import datetime
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import documents
from core import journal
from core.models import Event, Notification
from core.roles import Role
from mediation.transitions import EXPIRY_REASON
from mediation import rules, services, services as sweeps
from mediation.models import Mediation, MediationState
from tests.harness import at_once, told, told_one
from tests.mediation.helpers import advance, ago, frozen, make_court, mediation_in_state, terms, today
from tests.scenarios import make_user, supervisor

S = MediationState
D = datetime.date


def expire_events(m):
    return list(journal.events_for(m).filter(transition="expire").values_list("from_state", "to_state"))


# --------------------------------------------------------------------------------------------------
# Deadline sweep
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_expires_past_deadline_and_returns_court_referrals(settings):
    court = make_court()
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    accepted = mediation_in_state("accepted", recent=False, court=court)
    working = mediation_in_state("in_progress", recent=False, source="union")
    fresh = mediation_in_state("in_progress")  # deadline ahead
    agreed = mediation_in_state("agreed")
    referred = mediation_in_state("referred")

    result = sweeps.sweep_deadlines()

    assert (result["expired"], result["returned_to_court"]) == (2, 1)
    for m in (accepted, working, fresh, agreed, referred):
        m.refresh_from_db()
    assert (accepted.state, working.state, fresh.state, agreed.state, referred.state) == (
        S.FAILED, S.FAILED, S.IN_PROGRESS, S.AGREED, S.REFERRED)
    assert accepted.expired and accepted.ended_on == today() and accepted.returned_to_court_on == today()
    assert working.expired and working.returned_to_court_on is None
    assert accepted.failure_reason == str(EXPIRY_REASON)
    assert expire_events(accepted) == [("accepted", "failed")] and expire_events(working) == [("in_progress", "failed")]
    assert journal.events_for(accepted).last().payload["returned_to_court_on"] == today().isoformat()
    assert journal.verify()[1] is None
    told = told_one("returned_to_court", accepted)
    assert told.recipient == liaison and court.name in told.message and "退回" in told.message
    assert told_one("expired", working).recipient == working.mediator


@pytest.mark.django_db
def test_a_second_run_does_nothing():
    m = mediation_in_state("in_progress", recent=False)
    soon = mediation_in_state("in_progress")
    Mediation.objects.filter(pk=soon.pk).update(deadline=today() + datetime.timedelta(days=2))
    first = sweeps.sweep_deadlines()
    events, sent = Event.objects.count(), Notification.objects.count()
    second = sweeps.sweep_deadlines()
    assert first["expired"] == 1 and first["notifications"] > 0
    assert (second["expired"], second["notifications"]) == (0, 0)
    assert (Event.objects.count(), Notification.objects.count()) == (events, sent)
    m.refresh_from_db()
    assert m.state == S.FAILED


@pytest.mark.django_db
def test_warns_mediator_and_supervisors_three_days_before(settings):
    settings.WEIQUAN_MEDIATION_WARNING_DAYS = 3
    boss = supervisor()
    due = {}
    for days in (0, 3, 4):
        m = mediation_in_state("in_progress")
        Mediation.objects.filter(pk=m.pk).update(deadline=today() + datetime.timedelta(days=days))
        due[days] = m
    result = sweeps.sweep_deadlines()
    assert result["warned"] == 2 and result["expired"] == 0
    for days in (0, 3):
        recipients = {t.recipient_id for t in told("deadline_warning", due[days])}
        assert recipients == {due[days].mediator_id, boss.pk}
        assert f"还有 {days} 天" in told("deadline_warning", due[days])[0].message
    assert not told("deadline_warning", due[4])


@pytest.mark.django_db
def test_a_failed_linked_mediation_tells_the_case_handler():
    from casework import services as casework_services
    from tests.scenarios import case_in_state

    case = case_in_state("accepted")
    casework_services.refer_to_mediation(case=case, actor=supervisor(), referred_on=ago(70))
    m = services.opened_for(case).get()
    advance(m, "accept", "assign_mediator", recent=False)
    sweeps.sweep_deadlines()
    told = told_one("case_follow_up", m)
    assert told.recipient == case.handler and case.number in told.message and "仲裁" in told.message


@pytest.mark.django_db
def test_expiry_queues_the_termination_notices(django_capture_on_commit_callbacks):
    ms = [mediation_in_state("in_progress", recent=False) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.sweep_deadlines()
    for m in ms:
        document = documents.documents_for(m, "termination_notice").get()
        assert document.status == "ready" and document.owner_state == "failed"


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_rows():
    def run(n):
        for _ in range(n):
            mediation_in_state("in_progress", recent=False)
        soon = mediation_in_state("in_progress")
        Mediation.objects.filter(pk=soon.pk).update(deadline=today() + datetime.timedelta(days=1))
        with CaptureQueriesContext(connection) as queries:
            result = sweeps.sweep_deadlines()
        assert result["expired"] == n
        return len(queries)

    assert run(2) == run(12)


@pytest.mark.django_db
def test_supervisor_may_expire_by_hand_what_the_sweep_would():
    m = mediation_in_state("in_progress", recent=False)
    services.expire(mediation=m, actor=supervisor())
    assert m.state == S.FAILED and m.expired
    assert sweeps.sweep_deadlines()["expired"] == 0


# --------------------------------------------------------------------------------------------------
# Performance sweep
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_paid_agreements_are_fulfilled_and_overdue_ones_defaulted():
    paid = mediation_in_state("agreed")
    services.record_payment(mediation=paid, actor=supervisor(), amount="12000", paid_on=today())
    part_paid = mediation_in_state("agreed")
    services.record_payment(mediation=part_paid, actor=supervisor(), amount="6000", paid_on=today())
    overdue = mediation_in_state("agreed", recent=False)  # first instalment due 40 days ago, unpaid
    confirmed_overdue = mediation_in_state("agreed", recent=False)
    Mediation.objects.filter(pk=confirmed_overdue.pk).update(state=S.CONFIRMED, ruling_number="（2026）民特2号")
    other_basis = mediation_in_state("in_progress", recent=False)
    services.reach_agreement(mediation=other_basis, actor=supervisor(), **{**terms(recent=False), "basis": "other"})
    non_monetary = mediation_in_state("in_progress")
    services.reach_agreement(mediation=non_monetary, actor=supervisor(), total="0", basis="other",
                             obligations="恢复账号")

    result = sweeps.sweep_performance()

    assert (result["fulfilled"], result["defaulted"]) == (1, 3)
    states = dict(Mediation.objects.values_list("pk", "state"))
    assert states[paid.pk] == S.FULFILLED and states[part_paid.pk] == S.AGREED
    assert states[overdue.pk] == states[confirmed_overdue.pk] == states[other_basis.pk] == S.DEFAULTED
    assert states[non_monetary.pk] == S.AGREED  # nothing to pay: the mediator fulfils it by hand
    steps = dict(Mediation.objects.values_list("pk", "next_step"))
    assert (steps[overdue.pk], steps[confirmed_overdue.pk], steps[other_basis.pk]) == (
        "payment_order", "enforcement", "arbitration")
    told = told_one("defaulted", overdue)
    assert told.recipient_id == overdue.mediator_id and "支付令" in told.message and "第十六条" in told.message
    assert "强制执行" in told_one("defaulted", confirmed_overdue).message
    event = journal.events_for(overdue).last()
    assert (event.transition, event.from_state, event.payload["next_step"]) == ("default", "agreed", "payment_order")
    assert journal.events_for(paid).last().transition == "fulfil"
    assert journal.verify()[1] is None
    again = sweeps.sweep_performance()
    assert (again["fulfilled"], again["defaulted"], again["notifications"]) == (0, 0, 0)


@pytest.mark.django_db
def test_fulfilment_tells_the_case_handler_the_case_can_resolve():
    from casework import services as casework_services
    from tests.scenarios import case_in_state

    case = case_in_state("accepted")
    casework_services.refer_to_mediation(case=case, actor=supervisor(), referred_on=ago(30))
    m = services.opened_for(case).get()
    advance(m, "accept", "assign_mediator", "reach_agreement", "pay_all")
    sweeps.sweep_performance()
    m.refresh_from_db()
    assert m.state == S.FULFILLED and m.fulfilled_on == today()
    assert "可以“调解成功”办结" in told_one("case_can_resolve", m).message


@pytest.mark.django_db
def test_grace_period_rolls_past_a_holiday(settings):
    settings.WEIQUAN_MEDIATION_PAYMENT_GRACE_DAYS = 5
    # Due Monday 28 September 2026: the 5 days of grace end on 3 October, inside the National Day
    # holiday, so on the next working day, 8 October. Overdue from 9 October.
    with frozen(D(2026, 9, 20)):
        m = mediation_in_state("in_progress")
        services.reach_agreement(mediation=m, actor=supervisor(), **{
            **terms(), "signed_on": D(2026, 9, 20), "effective_on": D(2026, 9, 20),
            "instalments": [{"due_on": D(2026, 9, 28), "amount": "12000"}]})
    assert rules.payment_cutoff(D(2026, 10, 8)) < D(2026, 9, 28) <= rules.payment_cutoff(D(2026, 10, 9))
    with frozen(D(2026, 10, 8)):
        assert sweeps.sweep_performance()["defaulted"] == 0
    with frozen(D(2026, 10, 9)):
        assert sweeps.sweep_performance()["defaulted"] == 1
    m.refresh_from_db()
    assert m.state == S.DEFAULTED and m.defaulted_on == D(2026, 10, 9)


@pytest.mark.django_db
def test_a_payment_after_the_due_date_but_within_grace_averts_the_default():
    with frozen(D(2026, 3, 2)):
        m = mediation_in_state("in_progress")
        services.reach_agreement(mediation=m, actor=supervisor(), **{
            **terms(), "signed_on": D(2026, 3, 2), "effective_on": D(2026, 3, 2),
            "instalments": [{"due_on": D(2026, 3, 10), "amount": "6000"}, {"due_on": D(2026, 4, 10), "amount": "6000"}]})
    with frozen(D(2026, 3, 13)):
        services.record_payment(mediation=m, actor=supervisor(), amount="6000", paid_on=D(2026, 3, 13))
    with frozen(D(2026, 3, 20)):
        assert sweeps.sweep_performance()["defaulted"] == 0


@pytest.mark.django_db
def test_performance_sweep_queries_do_not_grow_with_the_rows():
    def run(n):
        for _ in range(n):
            advance(mediation_in_state("agreed"), "pay_all")
            mediation_in_state("agreed", recent=False)
        with CaptureQueriesContext(connection) as queries:
            result = sweeps.sweep_performance()
        assert (result["fulfilled"], result["defaulted"]) == (n, n)
        return len(queries)

    run(1)  # warms the per-process caches (content types) a first sweep fills
    assert run(1) == run(6)


# --------------------------------------------------------------------------------------------------
# Two sweeps at once (PostgreSQL: row locks, SKIP LOCKED, ON CONFLICT)
# --------------------------------------------------------------------------------------------------


def _at_once(monkeypatch, calls):
    """Run the calls in threads, each held after its claim until all have claimed: the overlap is
    certain, not lucky."""
    barrier = threading.Barrier(len(calls), timeout=20)
    real = journal.record_many

    def record_many_then_wait(*args, **kwargs):
        written = real(*args, **kwargs)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return written

    monkeypatch.setattr(journal, "record_many", record_many_then_wait)
    return at_once(calls, timeout=60)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_deadline_sweeps_at_once_expire_each_mediation_once(monkeypatch):
    court = make_court()
    make_user(Role.COURT_LIAISON, organisation=court)
    expiring = [mediation_in_state("in_progress", recent=False, court=court) for _ in range(6)]
    soon = mediation_in_state("in_progress")
    Mediation.objects.filter(pk=soon.pk).update(deadline=today() + datetime.timedelta(days=1))

    first, second = _at_once(monkeypatch, [lambda: sweeps.sweep_deadlines()] * 2)

    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
    assert first["expired"] + second["expired"] == 6
    for m in expiring:
        assert expire_events(m) == [("in_progress", "failed")]
        assert len(told("returned_to_court", m)) == 1
    assert len(told("deadline_warning", soon)) == 2  # mediator + supervisor, once each
    assert journal.verify()[1] is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_performance_sweeps_at_once_move_each_agreement_once(monkeypatch):
    paid = [advance(mediation_in_state("agreed"), "pay_all") for _ in range(3)]
    overdue = [mediation_in_state("agreed", recent=False) for _ in range(3)]

    results = _at_once(monkeypatch, [sweeps.sweep_performance] * 2)

    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r["fulfilled"] for r in results) == 3 and sum(r["defaulted"] for r in results) == 3
    for m in paid + overdue:
        moves = [e.transition for e in journal.events_for(m) if e.transition in ("fulfil", "default")]
        assert len(moves) == 1
    assert journal.verify()[1] is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mediator_and_the_sweep_racing_for_one_mediation_one_wins(monkeypatch):
    from django_fsm import ConcurrentTransition

    from core import transitions

    m = mediation_in_state("in_progress", recent=False)  # deadline passed, not yet swept
    stale = Mediation.objects.get(pk=m.pk)
    barrier = threading.Barrier(2, timeout=20)
    real_can_proceed = transitions.can_proceed

    waited = []

    def can_proceed_then_wait(method, **kwargs):  # the mediator has read it in progress...
        ok = real_can_proceed(method, **kwargs)
        if not waited:  # (the service checks once, run_transition again: meet the sweep once)
            waited.append(True)
            barrier.wait()
        return ok

    monkeypatch.setattr(transitions, "can_proceed", can_proceed_then_wait)
    results = {}

    def run(name, call):
        try:
            results[name] = call()
        except Exception as exc:  # noqa: BLE001
            results[name] = exc
        finally:
            connection.close()

    def sweep():
        barrier.wait()  # ...while the sweep starts
        return sweeps.sweep_deadlines()

    threads = [
        threading.Thread(target=run, args=("person", lambda: services.fail(mediation=stale, actor=stale.mediator, reason="双方分歧过大"))),
        threading.Thread(target=run, args=("sweep", sweep)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    m.refresh_from_db()
    assert m.state == S.FAILED
    moves = [e.transition for e in journal.events_for(m) if e.to_state == "failed"]
    assert len(moves) == 1, moves
    if moves == ["expire"]:
        assert isinstance(results["person"], ConcurrentTransition) and results["sweep"]["expired"] == 1
    else:
        assert results["sweep"]["expired"] == 0 and not m.expired
    assert journal.verify()[1] is None
