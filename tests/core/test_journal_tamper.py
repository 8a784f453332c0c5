"""The journal cannot be quietly rewritten (issue 11 item 3; docs/journal.md).

Five ways an outside probe rewrote it, all as the database's owner, each now refused or detected:

1. `SET LOCAL pgtrigger.ignore = …`, then DELETE the newest rows: the app's role is refused (it
   holds no DELETE); the owner's deletion is detected by the checkpoint (fewer events than it).
2. TRUNCATE: refused, the app's role by privilege, the owner by the statement trigger; with that
   trigger lifted too, detected by the checkpoint.
3. Disable the trigger and delete the tail: only the owner can (ALTER TABLE); detected by the checkpoint.
4. Rewrite a row and re-hash everything after it: the chain alone holds, the checkpoint's head does
   not, when the row is at or before the checkpoint. After it: beyond the checkpoint (the limit).
5. `UPDATE casework_case SET state = 'closed'`: the app's role may (it writes cases), and
   `verify_journal` names the case: its state is not the one its last event left it in.

Tampering as the owner runs on the owner's own connection, which sees only committed rows: those
tests are transactional. On SQLite (no roles, no triggers) the detection tests tamper directly.
"""

import json

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction
from rest_framework.test import APIClient

from casework.models import Case
from core import db_roles, journal
from core.models import Event
from core.tasks import checkpoint_journal
from tests.scenarios import case_in_state, supervisor

tampered_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
APPEND_ONLY = "journal_append_only"
NO_TRUNCATE = "journal_refuses_truncate"


def _pgid(name):
    ((_model, trigger),) = pgtrigger.registry.registered(f"core.Event:{name}")
    return trigger.get_pgid(Event)


def _ignore_value(*names):
    return "{" + ",".join(f"core_event:{_pgid(n)},{_pgid(n)}" for n in names) + "}"


def _journal_with_checkpoint(after=True):
    """Three closed cases journaled and checkpointed (`verify_journal --checkpoint`), then, with
    `after`, one more case moved on: events past the checkpoint."""
    actor = supervisor()
    for _ in range(3):
        case_in_state("closed", actor=actor)
    call_command("verify_journal", "--checkpoint")
    point = journal.read_checkpoint()
    assert point.count == Event.objects.count() > 10
    if after:
        case_in_state("accepted", actor=actor)
        assert Event.objects.count() > point.count
    return point


def _as_owner(owner, sql, params=(), past=(APPEND_ONLY,)):
    """SQL as the owner: its own connection on PostgreSQL, past the journal's triggers; the default
    connection on SQLite (no triggers) or when the suite is the owner (triggers lifted by pgtrigger.ignore)."""
    if owner is not None:
        return owner.execute(sql, params, past=past)
    context = pgtrigger.ignore(*[f"core.Event:{n}" for n in past]) if connection.vendor == "postgresql" else None
    with context or transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _newest_ids(n):
    return list(Event.objects.order_by("-id").values_list("id", flat=True)[:n])


def _verify_fails(*expected):
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_journal")
    message = str(excinfo.value)
    for part in expected:
        assert part in message, message
    return message


def _refused(sql, params=(), match="permission denied"):
    """As the suite's connection (the app's role), in a savepoint: refused by the database."""
    with pytest.raises(ProgrammingError, match=match):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


@pytest.fixture
def as_app(app_role):
    if app_role is None:
        pytest.skip("the suite connects as the owner (WEIQUAN_TEST_APP_ROLE=off)")
    return app_role


# --------------------------------------------------------------------------------------------------
# The suite connects as the app's role, with the app's privileges
# --------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_suite_connects_as_the_apps_role_which_may_only_read_and_append_the_journal(as_app):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user")
        assert cursor.fetchone() == (as_app, as_app)
        privileges = {}
        for table in ("core_event", "casework_case"):
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute("SELECT has_table_privilege(current_user, %s, %s)", [table, privilege])
                privileges[table, privilege] = cursor.fetchone()[0]
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,)
    assert {p for (t, p), has in privileges.items() if t == "core_event" and has} == {"SELECT", "INSERT"}
    assert {p for (t, p), has in privileges.items() if t == "casework_case" and has} == {"SELECT", "INSERT", "UPDATE", "DELETE"}


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_superuser_is_refused_as_the_apps_role(as_app):
    from django.core.exceptions import ImproperlyConfigured

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolname FROM pg_roles WHERE rolsuper LIMIT 1")
        (superuser,) = cursor.fetchone()
    with pytest.raises(ImproperlyConfigured, match="superuser or a member of the owner"):
        db_roles.grant_app_role(connection, superuser)


@pytest.mark.postgres
@tampered_db
def test_an_apps_role_owning_tables_is_refused(as_app, database_owner, owner_credentials):
    from django.core.exceptions import ImproperlyConfigured

    database_owner.execute(f"CREATE TABLE journal_test_owned (id int); ALTER TABLE journal_test_owned OWNER TO {as_app}")
    try:
        with db_roles.connected_as("default", owner_credentials) as owner:  # as migrate grants
            with pytest.raises(ImproperlyConfigured, match="owns 1 table.*journal_test_owned.*REASSIGN OWNED"):
                db_roles.grant_app_role(owner, as_app)
    finally:
        database_owner.execute("DROP TABLE journal_test_owned")


@pytest.mark.postgres
@tampered_db
def test_migrate_runs_as_the_owner_and_grants_the_apps_role_again(as_app, database_owner, owner_credentials, settings):
    database_owner.execute(f"GRANT TRUNCATE ON casework_case, core_event TO {as_app}")
    database_owner.execute(f"GRANT UPDATE, DELETE ON core_event TO {as_app}")

    def has(table, privilege):
        with connection.cursor() as cursor:
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [as_app, table, privilege])
            return cursor.fetchone()[0]

    assert has("casework_case", "TRUNCATE") and has("core_event", "DELETE")
    settings.DATABASE_OWNER = {key: owner_credentials[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
    call_command("migrate", verbosity=0)
    assert not any(has(t, p) for t in ("casework_case", "core_event") for p in ("TRUNCATE",))
    assert not has("core_event", "UPDATE") and not has("core_event", "DELETE")
    assert has("core_event", "INSERT") and has("casework_case", "UPDATE")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (as_app,)  # back on the app's role


# --------------------------------------------------------------------------------------------------
# 1. SET LOCAL pgtrigger.ignore, then DELETE the newest rows
# --------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_1_the_apps_role_lifting_the_trigger_still_may_not_delete(as_app):
    case_in_state("closed")
    newest = _newest_ids(3)
    with pytest.raises(ProgrammingError, match="permission denied for table core_event"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL pgtrigger.ignore = '{_ignore_value(APPEND_ONLY, NO_TRUNCATE)}'")
            cursor.execute("DELETE FROM core_event WHERE id = ANY(%s)", [newest])
    assert Event.objects.filter(id__in=newest).count() == 3


@tampered_db
def test_1_the_owner_deleting_the_newest_rows_is_detected_by_the_checkpoint(database_owner):
    point = _journal_with_checkpoint(after=False)
    _as_owner(database_owner, "DELETE FROM core_event WHERE id IN (%s, %s, %s)", _newest_ids(3))
    assert Event.objects.count() == point.count - 3
    assert journal.verify()[1] is None  # what the probe saw: the chain alone still holds
    _verify_fails("the journal's end", f"{point.count - 3} events, fewer than the {point.count} of the checkpoint")


# --------------------------------------------------------------------------------------------------
# 2. TRUNCATE
# --------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_2_the_apps_role_may_not_truncate(as_app):
    case_in_state("accepted")
    before = Event.objects.count()
    _refused("TRUNCATE core_event")
    _refused(f"SET LOCAL pgtrigger.ignore = '{_ignore_value(APPEND_ONLY, NO_TRUNCATE)}'; TRUNCATE core_event")
    _refused("TRUNCATE casework_case CASCADE", match="permission denied for table")
    assert Event.objects.count() == before


@pytest.mark.postgres
@tampered_db
def test_2_the_owner_is_refused_truncate_by_the_trigger_and_lifting_it_is_detected(database_owner):
    point = _journal_with_checkpoint()
    if database_owner is None:
        with pytest.raises(ProgrammingError, match="Cannot truncate the core_event table"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("TRUNCATE core_event")
    else:
        with pytest.raises(Exception, match="Cannot truncate the core_event table"):
            database_owner.execute("TRUNCATE core_event", past=[APPEND_ONLY])  # the row trigger lifted: not enough
    assert Event.objects.count() > point.count
    _as_owner(database_owner, "TRUNCATE core_event", past=[APPEND_ONLY, NO_TRUNCATE])
    assert not Event.objects.exists()
    _verify_fails("0 events, fewer than the")


# --------------------------------------------------------------------------------------------------
# 3. Disable the trigger and delete the tail
# --------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_3_only_the_owner_may_disable_the_trigger(as_app):
    _refused(f"ALTER TABLE core_event DISABLE TRIGGER {_pgid(APPEND_ONLY)}", match="must be owner of table core_event")


@pytest.mark.postgres
@tampered_db
def test_3_the_owner_disabling_the_trigger_and_deleting_the_tail_is_detected(database_owner):
    point = _journal_with_checkpoint()
    tail = list(Event.objects.filter(id__gt=Event.objects.order_by("id")[point.count - 3].id).values_list("id", flat=True))
    trigger = _pgid(APPEND_ONLY)
    for sql, params in ((f"ALTER TABLE core_event DISABLE TRIGGER {trigger}", ()),
                        ("DELETE FROM core_event WHERE id = ANY(%s)", [tail]),
                        (f"ALTER TABLE core_event ENABLE TRIGGER {trigger}", ())):
        _as_owner(database_owner, sql, params, past=())
    assert Event.objects.count() == point.count - 2
    assert journal.verify()[1] is None  # the chain alone still holds
    _verify_fails("fewer than the")


# --------------------------------------------------------------------------------------------------
# 4. Rewrite a row and re-hash everything after it
# --------------------------------------------------------------------------------------------------


def _rewrite_and_rehash(owner, position, comment):
    """Change the comment of the event at `position` (0-based, by id) and recompute every hash from
    there on, as someone who read core/journal.py would: the chain verifies again."""
    events = list(Event.objects.order_by("id"))
    previous = events[position - 1].hash if position else journal.GENESIS_HASH
    events[position].comment = comment
    for event in events[position:]:
        event.previous_hash = previous
        event.hash = previous = journal.compute_hash(event)
        _as_owner(owner, "UPDATE core_event SET comment = %s, previous_hash = %s, hash = %s WHERE id = %s",
                  [event.comment, event.previous_hash, event.hash, event.pk])
    assert journal.verify() == (len(events), None)  # the chain alone is fooled


@tampered_db
def test_4_a_row_rewritten_and_rehashed_before_the_checkpoint_is_detected(database_owner):
    point = _journal_with_checkpoint()
    resolve = Event.objects.filter(transition="resolve").order_by("id").first()
    position = list(Event.objects.order_by("id").values_list("id", flat=True)).index(resolve.pk)
    assert position < point.count
    _rewrite_and_rehash(database_owner, position, "调解不成")
    _verify_fails(f"event #{point.event_id}:", f"event no. {point.count} has another hash than the checkpoint")


@tampered_db
def test_4_a_rewrite_after_the_last_checkpoint_is_beyond_it(database_owner):
    """The limit (docs/journal.md): the events after the last checkpoint are the chain's alone; an
    owner who re-hashes from there is seen only if the states no longer match (a comment: not)."""
    point = _journal_with_checkpoint()
    _rewrite_and_rehash(database_owner, point.count + 1, "改过的意见")
    call_command("verify_journal")


# --------------------------------------------------------------------------------------------------
# 5. A state changed without a journaled transition
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_5_a_state_set_by_update_is_detected_by_the_state_check():
    case = case_in_state("accepted")
    call_command("verify_journal")
    with connection.cursor() as cursor:  # the app's own role may: it writes cases
        cursor.execute("UPDATE casework_case SET state = 'closed' WHERE id = %s", [case.pk])
    client = APIClient()
    client.force_authenticate(supervisor())
    assert client.get(f"/api/v1/cases/{case.pk}/").json()["state"] == "closed"  # what the probe saw
    assert journal.verify()[1] is None  # the chain is intact
    assert [str(m) for m in journal.check_states()] == [
        f"casework.case #{case.pk}: state 'closed', but its last journal event left it 'accepted'"
    ]
    _verify_fails("1 object(s) are not in the state their journal says", f"casework.case #{case.pk}: state 'closed'")


@pytest.mark.django_db
def test_an_object_inserted_without_its_events_is_named():
    case = case_in_state("screening")
    other = case_in_state("received")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO casework_case (" + ", ".join(
            f.column for f in Case._meta.concrete_fields if f.column != "id") + ") SELECT " + ", ".join(
            (f"number || '-X'" if f.column == "number" else f.column) for f in Case._meta.concrete_fields
            if f.column != "id") + " FROM casework_case WHERE id = %s", [case.pk])
    copy = Case.objects.exclude(pk__in=[case.pk, other.pk]).get()
    mismatches = {m.object_id: m for m in journal.check_states()}
    assert set(mismatches) == {str(copy.pk)}
    assert mismatches[str(copy.pk)].journaled is None
    assert "no journal event at all" in str(mismatches[str(copy.pk)])


@pytest.mark.django_db
def test_every_machine_walked_through_its_services_is_in_its_journaled_state():
    for state in ("closed", "rejected", "in_mediation", "in_litigation"):
        case_in_state(state)
    assert journal.check_states() == []
    call_command("verify_journal")


# --------------------------------------------------------------------------------------------------
# The checkpoint: signed, extended only by a chain that holds, written by the beat
# --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_checkpoint_is_said_and_may_be_required(capsys):
    case_in_state("accepted")
    call_command("verify_journal")
    assert "No journal checkpoint at" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No journal checkpoint at"):
        call_command("verify_journal", "--require-checkpoint")


@pytest.mark.django_db
def test_an_altered_checkpoint_is_refused(settings):
    point = _journal_with_checkpoint(after=False)
    path = journal.checkpoint_path()
    stored = json.loads(path.read_text())
    assert stored["count"] == point.count and stored["head"] == point.head and stored["signature"]
    path.write_text(json.dumps({**stored, "count": point.count - 3}))
    _verify_fails("checkpoint refused", "signature does not verify")
    path.write_text(json.dumps(stored))
    call_command("verify_journal", "--require-checkpoint")
    settings.SECRET_KEY = "another-key-" * 5  # one who holds the database but not the app's key
    _verify_fails("signature does not verify")


@pytest.mark.django_db
def test_a_rotated_secret_key_keeps_the_checkpoint_through_its_fallback(settings):
    _journal_with_checkpoint(after=False)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-rotated-key-" * 5, [old]
    call_command("verify_journal", "--require-checkpoint")


@pytest.mark.django_db
def test_the_beat_task_extends_the_checkpoint_and_never_blesses_a_broken_chain(settings):
    assert settings.CELERY_BEAT_SCHEDULE["journal-checkpoint"]["task"] == checkpoint_journal.name
    case_in_state("accepted")
    first = checkpoint_journal.apply().get()
    assert first["count"] == Event.objects.count()
    case_in_state("closed")
    second = checkpoint_journal.apply().get()
    assert second["count"] == Event.objects.count() > first["count"]
    written = journal.checkpoint_path().read_text()
    first_event = Event.objects.order_by("id").first()
    Event.objects.create(**{f.name: getattr(first_event, f.name) for f in Event._meta.concrete_fields
                            if f.name not in {"id", "hash"}}, hash="f" * 64)  # appended, but not chained
    with pytest.raises(journal.JournalBroken, match="checkpoint not written"):
        checkpoint_journal.apply().get()
    assert journal.checkpoint_path().read_text() == written
