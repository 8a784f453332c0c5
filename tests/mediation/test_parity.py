"""A timed transition done by a sweep and by hand leaves the same journal, notices and documents
(DESIGN.md, "One declaration per transition"); a sweep tells each person once, in a digest."""

import pytest
from django.db import transaction

from casework import services as casework_services
from core.models import Notification, PendingNotices
from core.tasks import send_pending_notices
from core.roles import Role
from mediation import services
from mediation.models import MediationState as S
from tests.harness import effects, parity, told
from tests.mediation.helpers import ago, advance, make_court, mediation_in_state, supervisor
from tests.scenarios import case_in_state, make_user

pytestmark = pytest.mark.django_db


def linked_mediation(state, **kw):
    """A mediation opened for a dispute case (casework's referral), walked to `state`."""
    case = case_in_state("accepted")
    casework_services.refer_to_mediation(case=case, actor=supervisor(), referred_on=ago(70))
    m = services.opened_for(case).get()
    steps = {"in_progress": ["accept", "assign_mediator"], "agreed": ["accept", "assign_mediator", "reach_agreement"]}
    return advance(m, *steps[state], **kw)


def test_expire_by_the_sweep_and_by_hand(django_capture_on_commit_callbacks):
    court = make_court()
    make_user(Role.COURT_LIAISON, organisation=court)
    swept, by_hand = (mediation_in_state("in_progress", recent=False, court=court) for _ in range(2))
    with django_capture_on_commit_callbacks(execute=True):
        services.expire(mediation=by_hand, actor=supervisor())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_deadlines()["expired"] == 1
    for m in (swept, by_hand):
        m.refresh_from_db()
        assert m.state == S.FAILED and m.expired and m.returned_to_court_on is not None
    parity(swept, by_hand, "expire", mask=[swept.court_case_number, by_hand.court_case_number])
    assert ("termination_notice", "failed") in effects(by_hand, "expire")["documents"]
    assert {t.key.rsplit(":", 1)[-1] for t in told("", by_hand)} == {"expired", "returned_to_court"}


def test_fulfil_by_the_sweep_and_by_hand_tells_the_case_alike(django_capture_on_commit_callbacks):
    swept, by_hand = linked_mediation("agreed"), linked_mediation("agreed")
    for m in (swept, by_hand):
        advance(m, "pay_all")
    with django_capture_on_commit_callbacks(execute=True):
        services.fulfil(mediation=by_hand, actor=supervisor())
        services.sweep_performance()
    parity(swept, by_hand, "fulfil", mask=[swept.case.number, by_hand.case.number])
    assert told("case_can_resolve", swept) and told("case_can_resolve", by_hand)


def test_default_by_the_sweep_and_by_hand(django_capture_on_commit_callbacks):
    swept = mediation_in_state("agreed", recent=False)  # first instalment 40 days overdue
    by_hand = mediation_in_state("agreed", recent=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.default(mediation=by_hand, actor=supervisor())
        services.sweep_performance()
    parity(swept, by_hand, "default")
    assert "支付令" in told("defaulted", swept)[0].message


def test_a_sweep_tells_each_person_once_in_a_digest(django_capture_on_commit_callbacks):
    ms = [mediation_in_state("in_progress", recent=False, source="union") for _ in range(3)]
    mediator = ms[0].mediator
    assert all(m.mediator == mediator for m in ms)
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.sweep_deadlines()
    assert result["expired"] == 3
    digest = Notification.objects.get(recipient=mediator, key__startswith="digest:")
    assert len(digest.items) == 3 and "3 件" in digest.message.splitlines()[0]
    assert {object_id for object_id, _key, _message in digest.items} == {str(m.pk) for m in ms}
    assert Notification.objects.count() - before == 1  # union mediations: no court to tell
    # each item says what a single notice would have said
    for m in ms:
        (item,) = told("expired", m)
        assert m.number in item.message and item.digest


def test_a_sweep_too_large_to_wait_tells_the_same_once_committed(settings, django_capture_on_commit_callbacks):
    """Past WEIQUAN_NOTICES_INLINE_MAX objects a sweep owes its notices in its own transaction and
    they are sent once it has committed: the same digests; a rolled-back sweep owes nothing."""
    court = make_court()
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    ms = [mediation_in_state("in_progress", recent=False, court=court) for _ in range(3)]
    settings.WEIQUAN_NOTICES_INLINE_MAX = 2
    with pytest.raises(RuntimeError), transaction.atomic():
        services.sweep_deadlines()
        raise RuntimeError("rolled back")
    assert not PendingNotices.objects.exists() and not told("")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_deadlines()["expired"] == 3
        assert PendingNotices.objects.count() == 1 and not told("expired")  # owed, not yet sent
    assert not PendingNotices.objects.exists()
    for key, recipient in (("expired", ms[0].mediator), ("returned_to_court", liaison)):
        entries = told(key)
        assert {t.recipient for t in entries} == {recipient} and all(t.digest for t in entries)
        assert sorted(t.key.split(":")[1] for t in entries) == sorted(str(m.pk) for m in ms)
    assert Notification.objects.count() == 2


def test_notices_owed_by_a_lost_task_are_sent_by_the_beat_once(settings, django_capture_on_commit_callbacks):
    ms = [mediation_in_state("in_progress", recent=False, source="union") for _ in range(3)]
    settings.WEIQUAN_NOTICES_INLINE_MAX = 2
    with django_capture_on_commit_callbacks(execute=False):  # the worker never gets the task
        assert services.sweep_deadlines()["expired"] == 3
    assert PendingNotices.objects.count() == 1 and not told("expired")
    assert send_pending_notices.apply().result == 1  # the beat's catch-up: one digest, to the mediator
    assert sorted(t.key.split(":")[1] for t in told("expired")) == sorted(str(m.pk) for m in ms)
    assert send_pending_notices.apply().result == 0 and not PendingNotices.objects.exists()
