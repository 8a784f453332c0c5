"""Two people act on one case at the same moment, each on their own database connection.

Both have read the case in `screening` and both press a button. Exactly one change lands; the other
gets 409 `conflict`, and nothing of theirs is half-written. Needs PostgreSQL's row locks.
"""

import threading

import pytest
from rest_framework.test import APIClient

from core import journal, transitions
from casework.models import Case
from core.roles import Role
from tests.harness import at_once
from tests.scenarios import case_in_state, make_user

# serialized_rollback: the flush after a transactional test would otherwise wipe the seeded roles.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(monkeypatch, *calls):
    """Run the calls in parallel threads, holding each until all have read the case and passed
    the state check: the real race, made certain instead of lucky."""
    barrier = threading.Barrier(len(calls), timeout=20)
    real_can_proceed = transitions.can_proceed

    def can_proceed_then_wait(method, **kwargs):
        ok = real_can_proceed(method, **kwargs)
        barrier.wait()
        return ok

    monkeypatch.setattr(transitions, "can_proceed", can_proceed_then_wait)
    return at_once(calls, timeout=30)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_two_transitions_at_once_one_wins_the_other_gets_409(monkeypatch):
    case = case_in_state("screening")
    accepter, rejecter = make_user(Role.INTAKE_OFFICER), make_user(Role.SUPERVISOR)
    url = f"/api/v1/cases/{case.pk}/transitions/"
    events_before = journal.events_for(case).count()

    accept, reject = race(
        monkeypatch,
        lambda: client_for(accepter).post(url + "accept/", {"comment": "受理"}, format="json"),
        lambda: client_for(rejecter).post(url + "reject/", {"reason": "不属于受理范围"}, format="json"),
    )

    statuses = sorted([accept.status_code, reject.status_code])
    assert statuses == [200, 409], (accept.content, reject.content)
    loser = accept if accept.status_code == 409 else reject
    assert loser.json()["code"] == "conflict"

    case.refresh_from_db()
    winner_state = "accepted" if accept.status_code == 200 else "rejected"
    assert case.state == winner_state
    # The loser's reason or comment left no trace; the winner's single event is intact.
    assert case.rejection_reason == ("不属于受理范围" if winner_state == "rejected" else "")
    new_events = list(journal.events_for(case))[events_before:]
    winner_transition = {"accepted": "accept", "rejected": "reject"}[winner_state]
    assert [(e.transition, e.to_state) for e in new_events] == [(winner_transition, winner_state)]
    assert journal.verify()[1] is None


def test_same_transition_twice_at_once_runs_once(monkeypatch):
    case = case_in_state("received")
    officer = make_user(Role.INTAKE_OFFICER)
    url = f"/api/v1/cases/{case.pk}/transitions/start_screening/"

    first, second = race(monkeypatch, *[lambda: client_for(officer).post(url, {}, format="json")] * 2)

    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert Case.objects.get(pk=case.pk).state == "screening"
    assert [e.transition for e in journal.events_for(case)] == ["create", "start_screening"]
