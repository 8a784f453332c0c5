"""The append-only, hash-chained journal every module writes its state changes to.

Each event's hash covers its own content and the previous event's hash, so altering, removing or
reordering any row breaks every link after it. `verify()` recomputes the chain; on PostgreSQL
triggers (see `Event.Meta.triggers`) refuse UPDATE, DELETE and TRUNCATE, and the app's database
role may only read and append (core/db_roles.py).

What a chain cannot show by itself — its newest events removed, or every hash from a rewritten row
onwards recomputed — a checkpoint kept outside the database shows: `write_checkpoint()` stores the
chain's count and head hash in a file signed with a key derived from SECRET_KEY, and `verify()`
requires the chain to extend it. `check_states()` compares every journaled object's state with the
state its last event left it in. What each still cannot detect: docs/journal.md.
"""

import datetime
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from .models import Event

GENESIS_HASH = "0" * 64
# Sent after record()/record_many() wrote their events, inside the same transaction, with
# `subjects=[(model, object_id), ...]` (and `event=` from record()). core/workflow.py listens:
# it keeps each object's inbox task in step with the state the change left it in.
recorded = Signal()
# Any constant works; it only has to be the same for every writer of the journal.
_ADVISORY_LOCK_ID = 0x5745_4951  # "WEIQ"


# One encoder for every call: json.dumps(cls=…) would build a new one each time (a sweep makes 100,000).
_ENCODER = DjangoJSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _canonical(value) -> str:
    return _ENCODER.encode(value)


_ENCODES_AS_IT_COMPARES = frozenset({str, int, bool, type(None), datetime.date})


def _canonical_payloads():
    """`_canonical` for a run of payloads, remembering the ones seen: a sweep journals 100,000
    payloads made of a few distinct values (the same deadline, the same reason), and encoding is
    most of its Python time. Only payloads whose values are of types where equal values encode
    alike are remembered, keyed with each value's type (1 and True are equal, and hash alike);
    Decimal("1.0") and Decimal("1.00"), 0.0 and -0.0, or one instant in two time zones are equal
    but encode differently, so a payload holding one is encoded afresh."""
    seen = {}

    def encode(payload) -> str:
        if not payload:
            return "{}"
        values = tuple(payload.values())
        types = tuple(map(type, values))
        if not _ENCODES_AS_IT_COMPARES.issuperset(types):
            return _canonical(payload)
        # (keys in the dict's order: the same payload built in another order is only a miss)
        key = (tuple(payload), types, values)
        found = seen.get(key)
        if found is None:
            found = seen[key] = _canonical(payload)
        return found

    return encode


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text field in COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def compute_hash(event: Event) -> str:
    body = {
        "previous_hash": event.previous_hash,
        "content_type": event.content_type_id,
        "object_id": str(event.object_id),
        "transition": event.transition,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "created_at": event.created_at.isoformat(),
        "comment": event.comment,
        "payload": json.loads(_canonical(event.payload)),
    }
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def record(*, subject, transition: str, from_state: str, to_state: str, actor=None, comment: str = "", payload=None) -> Event:
    """Append one event. Must run inside the transaction that makes the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal.record() must run inside the transaction of the change it records")
    if connection.vendor == "postgresql":
        # Serialise writers so two transactions never chain onto the same previous hash.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_ID])
    last = Event.objects.order_by("-id").values_list("hash", flat=True).first()
    event = Event(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=str(subject.pk),
        transition=transition,
        from_state=from_state or "",
        to_state=to_state or "",
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "system",
        created_at=timezone.now(),
        comment=comment or "",
        payload=json.loads(_canonical(payload or {})),
        previous_hash=last or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    event.save()
    recorded.send(sender=Event, subjects=[(type(subject), subject.pk)], event=event)
    return event


def record_many(entries, *, actor=None, comment: str = "") -> int:
    """Append one event per entry, chained in order, in one go: for set-based changes (sweeps, imports).

    `entries` is an iterable of `(model, object_id, transition, from_state, to_state, payload)`
    (an entry may end with a comment of its own). The events are exactly what `record()` would
    write one by one (the same hash), under the same lock, with one COPY on PostgreSQL (rows in order, so
    their ids follow the chain) and batched INSERTs elsewhere. Must run inside
    the transaction that makes the changes it records. Returns the number of events written.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal.record_many() must run inside the transaction of the changes it records")
    entries = list(entries)
    if not entries:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_ID])
    previous = Event.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    authenticated = actor is not None and actor.is_authenticated
    actor_id = actor.pk if authenticated else None
    actor_name = actor.get_username() if authenticated else "system"
    created_at = timezone.now()
    # The hashed body is compute_hash()'s canonical JSON, written out key by key (sorted, as
    # _canonical sorts them) so a sweep of 100,000 rows does not build and sort 100,000 dicts;
    # the first row is checked against compute_hash() itself.
    text = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for strings
    head = f'{{"actor":{"null" if actor_id is None else actor_id},"actor_name":{text(actor_name)},"comment":'
    created = f',"created_at":{text(created_at.isoformat())},"from_state":'
    content_types = {}
    canonical = _canonical_payloads()
    rows = []
    for entry in entries:
        model, object_id, name, from_state, to_state, payload, *own_comment = entry
        ct = content_types.get(model)
        if ct is None:
            ct = content_types[model] = ContentType.objects.get_for_model(model).pk
        payload_json = canonical(payload)
        note = (own_comment[0] if own_comment else comment) or ""
        object_id, from_state, to_state = str(object_id), from_state or "", to_state or ""
        body = (
            f'{head}{text(note)},"content_type":{ct}{created}{text(from_state)},"object_id":{text(object_id)},'
            f'"payload":{payload_json},"previous_hash":"{previous}","to_state":{text(to_state)},'
            f'"transition":{text(name)}}}'
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        rows.append((ct, object_id, name, from_state, to_state, note, payload_json, previous, digest))
        previous = digest
    first = rows[0]
    probe = Event(content_type_id=first[0], object_id=first[1], transition=first[2], from_state=first[3],
                  to_state=first[4], actor_id=actor_id, actor_name=actor_name, created_at=created_at,
                  comment=first[5], payload=json.loads(first[6]), previous_hash=first[7])
    if compute_hash(probe) != first[8]:
        raise RuntimeError("journal.record_many: the bulk hash differs from compute_hash(); refusing to write")
    if connection.vendor == "postgresql":
        # One COPY: rows go in in this order, so their ids follow the chain.
        table = connection.ops.quote_name(Event._meta.db_table)
        # COPY's text format written out here (psycopg's write_row per row costs more than the
        # hashing): every text field escaped; the hash was computed from these very strings, so
        # `verify_journal` would name any row stored otherwise.
        tail = "\t".join((r"\N" if actor_id is None else str(actor_id), _copy_text(actor_name), created_at.isoformat()))
        with connection.cursor() as cursor:
            with cursor.copy(
                f"COPY {table} (content_type_id, object_id, transition, from_state, to_state, comment, payload,"
                " previous_hash, hash, actor_id, actor_name, created_at) FROM STDIN"
            ) as copy:
                for start in range(0, len(rows), 5000):
                    copy.write("".join(
                        f"{ct}\t{_copy_text(oid)}\t{_copy_text(name)}\t{_copy_text(fs)}\t{_copy_text(ts)}\t"
                        f"{_copy_text(note)}\t{_copy_text(payload_json)}\t{prev}\t{digest}\t{tail}\n"
                        for ct, oid, name, fs, ts, note, payload_json, prev, digest in rows[start:start + 5000]
                    ))
    else:
        Event.objects.bulk_create(
            [
                Event(content_type_id=ct, object_id=oid, transition=name, from_state=fs, to_state=ts,
                      actor_id=actor_id, actor_name=actor_name, created_at=created_at, comment=note,
                      payload=payload, previous_hash=prev, hash=digest)
                for ct, oid, name, fs, ts, note, payload_json, prev, digest in rows
                for payload in (json.loads(payload_json),)
            ],
            batch_size=500,
        )
    recorded.send(sender=Event, subjects=[(entry[0], entry[1]) for entry in entries], event=None)
    return len(rows)


def events_for(subject):
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
    ).select_related("actor")


@dataclass
class BrokenLink:
    event_id: int | None
    reason: str

    def __str__(self):
        return f"event #{self.event_id}: {self.reason}" if self.event_id is not None else f"the journal's end: {self.reason}"


@dataclass(frozen=True)
class Checkpoint:
    """The chain as it was at `written_at`: `count` events, the last of them `event_id` with `head`."""

    count: int
    head: str
    event_id: int | None
    written_at: str


class CheckpointInvalid(Exception):
    """The checkpoint file is there but its signature does not verify (altered, or another key)."""


_CHECKPOINT_SALT = "weiquan.journal.checkpoint"


def _signer():
    # HMAC-SHA256 keyed by SECRET_KEY (and SECRET_KEY_FALLBACKS when verifying) and this salt.
    return signing.Signer(salt=_CHECKPOINT_SALT, algorithm="sha256")


def checkpoint_path() -> Path:
    return Path(settings.JOURNAL_CHECKPOINT_FILE)


def read_checkpoint(path=None) -> Checkpoint | None:
    """The last checkpoint written, or None if there is none yet. Raises CheckpointInvalid."""
    path = Path(path or checkpoint_path())
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        body = {key: stored[key] for key in ("count", "head", "event_id", "written_at")}
        signature = stored["signature"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointInvalid(f"{path}: not a journal checkpoint ({exc})") from exc
    try:
        _signer().unsign(f"{_canonical(body)}{_signer().sep}{signature}")
    except signing.BadSignature as exc:
        raise CheckpointInvalid(f"{path}: the signature does not verify (altered, or signed with another SECRET_KEY)") from exc
    return Checkpoint(**body)


def write_checkpoint(checked: int, head: str, event_id: int | None, path=None) -> Checkpoint:
    """Store (count, head) signed, atomically replacing the file. Only after `verify()` passed."""
    path = Path(path or checkpoint_path())
    point = Checkpoint(count=checked, head=head, event_id=event_id, written_at=timezone.now().isoformat())
    body = asdict(point)
    signature = _signer().signature(_canonical(body))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps({**body, "signature": signature}, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return point


@dataclass
class Chain:
    """What `verify()` found: the events checked, the first broken link, the head it reached."""

    checked: int
    broken: BrokenLink | None
    head: str = GENESIS_HASH
    last_id: int | None = None


def verify(batch_size: int = 2000, checkpoint: Checkpoint | None = None) -> tuple[int, BrokenLink | None]:
    """Recompute the chain; return (events checked, the first broken link or None).

    With a `checkpoint`, the chain must also extend it: at least its count of events, the one at
    that position with its head hash (so neither the newest events removed nor the chain rewritten
    and re-hashed up to there passes)."""
    found = walk(batch_size, checkpoint)
    return found.checked, found.broken


def walk(batch_size: int = 2000, checkpoint: Checkpoint | None = None) -> Chain:
    """`verify()`, also saying where the chain ends (its head hash and last event's id)."""
    expected_previous = GENESIS_HASH
    checked = 0
    last_id = None
    for event in Event.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.previous_hash != expected_previous:
            return Chain(checked, BrokenLink(event.pk, "previous_hash does not match the event before it (a row was removed or reordered)"), expected_previous, last_id)
        if compute_hash(event) != event.hash:
            return Chain(checked, BrokenLink(event.pk, "content does not match its hash (the row was altered)"), expected_previous, last_id)
        expected_previous = event.hash
        checked += 1
        last_id = event.pk
        if checkpoint is not None and checked == checkpoint.count and event.hash != checkpoint.head:
            return Chain(checked - 1, BrokenLink(event.pk, (
                f"the chain's event no. {checkpoint.count} has another hash than the checkpoint of "
                f"{checkpoint.written_at} recorded (the journal was rewritten up to there and re-hashed)")), expected_previous, last_id)
    if checkpoint is not None and checked < checkpoint.count:
        return Chain(checked, BrokenLink(None, (
            f"{checked} events, fewer than the {checkpoint.count} of the checkpoint of {checkpoint.written_at} "
            f"(the newest events were removed)")), expected_previous, last_id)
    return Chain(checked, None, expected_previous, last_id)


class JournalBroken(Exception):
    pass


def checkpoint(path=None) -> Checkpoint:
    """Verify the chain against the last checkpoint and, if it holds, write a new one.

    A broken chain, or one that does not extend the last checkpoint, raises JournalBroken and
    leaves the old checkpoint as it was: a checkpoint never blesses a tampered journal."""
    previous = read_checkpoint(path)
    chain = walk(checkpoint=previous)
    if chain.broken:
        raise JournalBroken(f"Journal broken at {chain.broken} ({chain.checked} events before it verified); checkpoint not written.")
    return write_checkpoint(chain.checked, chain.head, chain.last_id, path)


@dataclass
class StateMismatch:
    model: str  # app_label.model
    object_id: str
    state: str | None  # the object's state now; None: the object is gone
    journaled: str | None  # the state its last event left it in; None: no event at all

    def __str__(self):
        if self.state is None:
            return f"{self.model} #{self.object_id}: journaled (last state {self.journaled!r}) but no longer exists"
        if self.journaled is None:
            return f"{self.model} #{self.object_id}: state {self.state!r} but no journal event at all"
        return f"{self.model} #{self.object_id}: state {self.state!r}, but its last journal event left it {self.journaled!r}"


def check_states() -> list[StateMismatch]:
    """Every object of every machine (core.transitions) against its journal: its state must be the
    `to_state` of its last event (every event of a stateful object records the state it left), every
    object must have events and every journaled object must still exist."""
    from .transitions import MACHINES  # transitions imports this module

    mismatches = []
    for model, machine in MACHINES.items():
        ct = ContentType.objects.get_for_model(model)
        events = Event.objects.filter(content_type=ct)
        last = events.values("object_id").annotate(last=Max("id")).values("last")
        journaled = dict(events.filter(id__in=last).values_list("object_id", "to_state"))
        for pk, state in model._base_manager.values_list("pk", machine.state_field).iterator():
            state = str(state)
            expected = journaled.pop(str(pk), None)
            if expected != state:
                mismatches.append(StateMismatch(model._meta.label_lower, str(pk), state, expected))
        mismatches.extend(StateMismatch(model._meta.label_lower, oid, None, to) for oid, to in journaled.items())
    return mismatches
