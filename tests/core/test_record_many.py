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


def test_equal_payloads_that_encode_differently_are_each_written_as_given():
    """record_many remembers the payloads it encoded: values that compare equal but encode
    otherwise (1, True, 1.0; Decimal 1.0 and 1.00; a date and the same date again) must still be
    stored, and hashed, each as given."""
    import datetime
    from decimal import Decimal

    payloads = [{"v": 1}, {"v": True}, {"v": 1.0}, {"v": Decimal("1.0")}, {"v": Decimal("1.00")},
                {"v": datetime.date(2020, 1, 2)}, {"v": datetime.date(2020, 1, 2)}, {"v": "1"}, {}]
    ms = [make_referral() for _ in payloads]
    before = Event.objects.count()
    with transaction.atomic():
        journal.record_many([(Mediation, m.pk, "expire", "in_progress", "failed", p) for m, p in zip(ms, payloads)])
    stored = [e.payload for e in Event.objects.order_by("id")[before:]]
    assert stored == [{"v": 1}, {"v": True}, {"v": 1.0}, {"v": "1.0"}, {"v": "1.00"},
                      {"v": "2020-01-02"}, {"v": "2020-01-02"}, {"v": "1"}, {}]
    assert [type(p.get("v")) for p in stored[:3]] == [int, bool, float]
    assert journal.verify()[1] is None


def test_the_journal_keeps_its_actors_and_kinds_though_the_database_does_not_check_them():
    """Event's foreign keys have no database constraint (a sweep's 100,000 checks at COMMIT);
    the ORM's PROTECT still refuses to delete a user or a kind of object the journal names."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import ProtectedError

    m, actor = make_referral(), supervisor()
    with transaction.atomic():
        journal.record_many([(Mediation, m.pk, "note", "referred", "referred", {})], actor=actor)
    event = Event.objects.order_by("-id").first()
    for protected in (actor, ContentType.objects.get_for_model(Mediation)):
        with pytest.raises(ProtectedError) as refused:
            protected.delete()
        assert event in refused.value.protected_objects
    assert Event.objects.filter(pk=event.pk, actor=actor).exists()
