"""journal.record_many (added for the set-based sweeps): the same chain record() writes, in one go."""

import pytest
from django.db import transaction

from core import journal
from core.models import Event
from mediation.models import Mediation
from tests.mediation.helpers import make_referral
from tests.scenarios import supervisor

pytestmark = pytest.mark.django_db


def test_events_chain_in_order_and_verify():
    ms = [make_referral() for _ in range(3)]
    actor = supervisor()
    before = Event.objects.count()
    with transaction.atomic():
        journal.record(subject=ms[0], transition="note", from_state="referred", to_state="referred", actor=actor)
        written = journal.record_many(
            [(Mediation, m.pk, "expire", "in_progress", "failed", {"deadline": "2026-11-01", "n": i}) for i, m in enumerate(ms)],
            actor=actor, comment="批量",
        )
        journal.record(subject=ms[1], transition="note", from_state="failed", to_state="failed", actor=actor)
    assert written == 3
    events = list(Event.objects.order_by("id"))[before:]
    assert [(e.transition, e.object_id) for e in events] == [
        ("note", str(ms[0].pk)), *[("expire", str(m.pk)) for m in ms], ("note", str(ms[1].pk))]
    for previous, event in zip(events, events[1:]):
        assert event.previous_hash == previous.hash
        assert journal.compute_hash(event) == event.hash
    assert events[2].comment == "批量" and events[2].actor == actor and events[2].payload == {"deadline": "2026-11-01", "n": 1}
    assert journal.verify()[1] is None


def test_nothing_to_record_writes_nothing():
    before = Event.objects.count()
    with transaction.atomic():
        assert journal.record_many([]) == 0
    assert Event.objects.count() == before


# serialized_rollback: the flush after a transactional test would otherwise wipe the seeded roles.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_record_many_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        journal.record_many([(Mediation, 1, "x", "a", "b", {})])
