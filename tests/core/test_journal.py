"""The journal (DESIGN.md "Shared rules"): every state change writes one event in the same
transaction; the events form a hash chain that `manage.py verify_journal` checks; on PostgreSQL the
database itself refuses UPDATE and DELETE on the table.
"""

import json
import threading
from contextlib import nullcontext
from decimal import Decimal

import pgtrigger
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction
from django_fsm import ConcurrentTransition

from core import journal
from casework import services
from casework.models import Case
from core.models import Category, Event
from core.roles import Role
from core.errors import TransitionRefused
from tests.scenarios import PATHS, advance, case_in_state, make_case, make_user, supervisor

PROTECT = "core.Event:journal_append_only"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _tampering():
    """What an attacker with database access does: on PostgreSQL they must first get past the trigger."""
    return pgtrigger.ignore(PROTECT) if connection.vendor == "postgresql" else nullcontext()


# Tampering needs the owner on PostgreSQL (the app's role may not UPDATE or DELETE the journal at
# all), on a connection of its own, which sees only committed rows: these tests are transactional.
tampered_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _raw(owner, sql, params):
    if owner is not None:
        owner.execute(sql, params, past=["journal_append_only"])
        return
    with _tampering(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _update(owner, event_id, **values):
    if owner is None:
        with _tampering():
            Event.objects.filter(pk=event_id).update(**values)
        return
    columns = ", ".join(f"{name} = %s" for name in values)
    params = [json.dumps(v) if name == "payload" else v for name, v in values.items()]
    _raw(owner, f"UPDATE core_event SET {columns} WHERE id = %s", [*params, event_id])


def _verify_fails_at(event_id):
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_journal")
    assert f"event #{event_id}:" in str(excinfo.value)
    return str(excinfo.value)


def _state_in_db(case):
    return Case.objects.values_list("state", flat=True).get(pk=case.pk)


# --------------------------------------------------------------------------------------------------
# One event per transition
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_writes_the_first_event_of_the_case():
    actor = supervisor()
    case = make_case(actor=actor)
    events = list(journal.events_for(case))
    assert [(e.transition, e.from_state, e.to_state) for e in events] == [("create", "", "received")]
    assert events[0].actor == actor and events[0].actor_name == actor.username
    assert events[0].payload["number"] == case.number


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["closed", "in_litigation", "in_mediation", "rejected"])
def test_every_transition_writes_exactly_one_event(target):
    actor = supervisor()
    case = make_case(actor=actor)
    for step in PATHS[target]:
        name = step if isinstance(step, str) else step[0]
        # Counted on the case: refer_to_mediation also opens a mediation, which journals its creation,
        # and journals the link on the case ("linked", after the transition's own event).
        before_count = journal.events_for(case).exclude(transition="linked").count()
        from_state = _state_in_db(case)
        advance(case, step, actor=actor)
        assert journal.events_for(case).exclude(transition="linked").count() == before_count + 1, name
        event = journal.events_for(case).exclude(transition="linked").order_by("-id").first()
        if name == "refer_to_mediation":
            link = journal.events_for(case).order_by("-id").first()
            assert (link.transition, link.payload["object"]) == ("linked", "mediation.mediation")
            assert link.payload["number"].startswith("TJ-") and link.id > event.id
        assert (event.transition, event.from_state, event.to_state) == (name, from_state, _state_in_db(case))
        assert event.content_type == ContentType.objects.get_for_model(Case)
        assert event.object_id == str(case.pk)
        assert event.actor_id == actor.pk and event.actor_name == actor.username
    assert _state_in_db(case) == target


@pytest.mark.django_db
def test_reopen_and_its_reason_are_journaled():
    case = case_in_state("rejected")
    services.reopen(case=case, actor=supervisor(), reason="申请人补充了劳动合同")
    event = journal.events_for(case).last()
    assert (event.transition, event.from_state, event.to_state) == ("reopen", "rejected", "screening")
    assert event.comment == "申请人补充了劳动合同"
    assert event.payload == {"reason": "申请人补充了劳动合同"}


@pytest.mark.django_db
def test_payload_keeps_decimals_and_dates_exactly():
    case = case_in_state("resolved")
    event = journal.events_for(case).get(transition="resolve")
    assert event.payload == {"outcome": "settled", "amount_recovered": "3200.00"}
    accept = journal.events_for(case).get(transition="accept")
    assert accept.payload["limitation_ends_on"] == case.limitation_ends_on.isoformat()


# --------------------------------------------------------------------------------------------------
# A transition that fails writes nothing
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reject_without_reason_writes_nothing():
    case = case_in_state("screening")
    before = Event.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.reject(case=case, actor=supervisor(), reason="  ")
    assert "reason" in excinfo.value.message_dict
    assert Event.objects.count() == before
    assert _state_in_db(case) == "screening"


@pytest.mark.django_db
def test_invalid_input_writes_nothing():
    case = case_in_state("consulting")
    before = Event.objects.count()
    with pytest.raises(ValidationError):
        services.resolve(case=case, actor=supervisor(), outcome="settled", amount_recovered=Decimal("-1"))
    with pytest.raises(ValidationError):
        services.resolve(case=case, actor=supervisor(), outcome="settled", amount_recovered="12.345")
    assert Event.objects.count() == before
    assert _state_in_db(case) == "consulting"


@pytest.mark.django_db
def test_refused_and_forbidden_transitions_write_nothing():
    case = case_in_state("screening")
    before = Event.objects.count()
    with pytest.raises(TransitionRefused):
        services.close(case=case, actor=supervisor())
    with pytest.raises(PermissionDenied):
        services.accept(case=case, actor=make_user(Role.LAWYER))
    assert Event.objects.count() == before
    assert _state_in_db(case) == "screening"


@pytest.mark.django_db
def test_a_failing_journal_write_undoes_the_state_change(monkeypatch):
    case = case_in_state("screening")
    before = Event.objects.count()

    def broken_record(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(journal, "record", broken_record)
    with pytest.raises(RuntimeError):
        services.reject(case=case, actor=supervisor(), reason="不属于受理范围")
    assert _state_in_db(case) == "screening"
    assert Case.objects.get(pk=case.pk).rejection_reason == ""
    assert Event.objects.count() == before


@pytest.mark.django_db
def test_a_stale_write_writes_no_event():
    case = case_in_state("screening")
    stale = Case.objects.get(pk=case.pk)
    services.accept(case=case, actor=supervisor())
    before = Event.objects.count()
    with pytest.raises(ConcurrentTransition):
        services.reject(case=stale, actor=supervisor(), reason="重复登记")
    assert Event.objects.count() == before
    assert _state_in_db(case) == "accepted"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_record_outside_a_transaction_is_refused():
    category = Category.objects.first()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        journal.record(subject=category, transition="touch", from_state="", to_state="")
    assert not Event.objects.exists()


# --------------------------------------------------------------------------------------------------
# The chain
# --------------------------------------------------------------------------------------------------


def _many_events():
    actor = supervisor()
    for _ in range(3):
        case_in_state("closed", actor=actor)
    case = make_case(actor=actor)
    with transaction.atomic():
        for i in range(40):
            journal.record(subject=case, transition="note", from_state="received", to_state="received",
                           actor=actor, comment=f"第{i}次电话回访", payload={"i": i, "amount": Decimal("1.10")})
    return list(Event.objects.order_by("id"))


@pytest.mark.django_db
def test_chain_verifies_after_many_events(capsys):
    events = _many_events()
    assert len(events) >= 55
    assert events[0].previous_hash == journal.GENESIS_HASH
    for before, after in zip(events, events[1:]):
        assert after.previous_hash == before.hash
    assert len({e.hash for e in events}) == len(events)
    assert journal.verify() == (len(events), None)
    assert journal.verify(batch_size=7) == (len(events), None)  # chunk boundaries don't matter
    call_command("verify_journal")
    assert f"Journal verified: {len(events)} events" in capsys.readouterr().out


@pytest.mark.django_db
def test_empty_journal_verifies():
    assert journal.verify() == (0, None)


@tampered_db
def test_altered_comment_is_detected_and_named(database_owner):
    events = _many_events()
    target = events[len(events) // 2]
    _raw(database_owner, "UPDATE core_event SET comment = %s WHERE id = %s", ["已调解成功", target.pk])
    assert Event.objects.get(pk=target.pk).comment == "已调解成功"  # the tampering did happen
    message = _verify_fails_at(target.pk)
    assert "altered" in message
    checked, broken = journal.verify()
    assert checked == len(events) // 2 and broken.event_id == target.pk


@tampered_db
def test_altered_payload_and_time_are_detected(database_owner):
    events = _many_events()
    resolve = Event.objects.filter(transition="resolve").first()
    _update(database_owner, resolve.pk, payload={"outcome": "settled", "amount_recovered": "32000.00"})
    _verify_fails_at(resolve.pk)
    _update(database_owner, resolve.pk, payload=resolve.payload)
    assert journal.verify() == (len(events), None)  # restored exactly: verifies again
    first = events[0]
    _update(database_owner, first.pk, created_at=first.created_at.replace(year=2020))
    _verify_fails_at(first.pk)


@tampered_db
def test_rehashing_the_altered_row_breaks_the_next_link(database_owner):
    events = _many_events()
    target, following = events[10], events[11]
    target.comment = "改过的意见"
    forged = journal.compute_hash(target)
    _raw(database_owner, "UPDATE core_event SET comment = %s, hash = %s WHERE id = %s", [target.comment, forged, target.pk])
    message = _verify_fails_at(following.pk)
    assert "previous_hash" in message


@tampered_db
def test_deleted_middle_row_is_a_broken_link(database_owner):
    events = _many_events()
    target, following = events[20], events[21]
    _raw(database_owner, "DELETE FROM core_event WHERE id = %s", [target.pk])
    assert not Event.objects.filter(pk=target.pk).exists()
    message = _verify_fails_at(following.pk)
    assert "removed" in message


# --------------------------------------------------------------------------------------------------
# PostgreSQL: the database refuses changes
# --------------------------------------------------------------------------------------------------


# What the app's role is told: it holds no UPDATE or DELETE on the journal (core/db_roles.py); the
# owner, or a single-role set-up, is refused by the trigger. The trigger's RAISE EXCEPTION (SQLSTATE
# P0001) and the privilege check (42501) both reach Django as ProgrammingError via psycopg.
REFUSED = "permission denied for table core_event|Cannot update or delete rows from core_event"


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    ["UPDATE core_event SET comment = 'x' WHERE id = %s", "DELETE FROM core_event WHERE id = %s"],
)
def test_postgres_refuses_update_and_delete(sql, app_role):
    case = case_in_state("accepted")
    event = journal.events_for(case).last()
    with pytest.raises(ProgrammingError, match="permission denied" if app_role else "Cannot update or delete") as excinfo:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert excinfo.match(REFUSED)
    # The savepoint rolled back; the connection is still usable and the row is unchanged.
    event.refresh_from_db()
    assert event.comment == ""
    assert journal.verify()[1] is None


@pytest.mark.postgres
@tampered_db
@pytest.mark.parametrize(
    "sql",
    ["UPDATE core_event SET comment = 'x' WHERE id = %s", "DELETE FROM core_event WHERE id = %s"],
)
def test_postgres_refuses_update_and_delete_by_the_owner(sql, database_owner):
    """The owner holds every privilege; the trigger refuses it (unless it is lifted: tests/core/test_journal_tamper.py)."""
    if database_owner is None:
        pytest.skip("the suite connects as the owner: test_postgres_refuses_update_and_delete is this test")
    case = case_in_state("accepted")
    event = journal.events_for(case).last()
    with pytest.raises(Exception, match="Cannot update or delete rows from core_event"):
        database_owner.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.comment == ""
    assert journal.verify()[1] is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_refuses_orm_update_and_delete():
    case = case_in_state("accepted")
    event = journal.events_for(case).last()
    event.comment = "x"
    with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic():
        event.save()
    with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(comment="y")
    with pytest.raises(ProgrammingError, match=REFUSED), transaction.atomic():
        Event.objects.all().delete()
    assert Event.objects.filter(pk=event.pk, comment="").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_never_fork_the_chain():
    """Writers in separate transactions chain one after another (the advisory lock), never onto the
    same previous hash."""
    category = Category.objects.first()
    threads_n, per_thread = 6, 8
    barrier = threading.Barrier(threads_n)
    errors = []

    def writer(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    journal.record(subject=category, transition="touch", from_state="", to_state="",
                                   comment=f"writer {n} #{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert Event.objects.count() == threads_n * per_thread
    assert Event.objects.values("previous_hash").distinct().count() == threads_n * per_thread
    assert journal.verify() == (threads_n * per_thread, None)
