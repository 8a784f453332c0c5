"""The append-only, hash-chained journal every module writes its state changes to.

Each event's hash covers its own content and the previous event's hash, so altering, removing or
reordering any row breaks every link after it. `verify()` recomputes the chain; on PostgreSQL a
trigger (see `Event.Meta.triggers`) refuses UPDATE and DELETE outright.
"""

import hashlib
import json
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
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
    rows = []
    for entry in entries:
        model, object_id, name, from_state, to_state, payload, *own_comment = entry
        ct = content_types.get(model)
        if ct is None:
            ct = content_types[model] = ContentType.objects.get_for_model(model).pk
        payload_json = _canonical(payload or {})
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
    event_id: int
    reason: str

    def __str__(self):
        return f"event #{self.event_id}: {self.reason}"


def verify(batch_size: int = 2000) -> tuple[int, BrokenLink | None]:
    """Recompute the chain; return (events checked, the first broken link or None)."""
    expected_previous = GENESIS_HASH
    checked = 0
    for event in Event.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.previous_hash != expected_previous:
            return checked, BrokenLink(event.pk, "previous_hash does not match the event before it (a row was removed or reordered)")
        if compute_hash(event) != event.hash:
            return checked, BrokenLink(event.pk, "content does not match its hash (the row was altered)")
        expected_previous = event.hash
        checked += 1
    return checked, None
