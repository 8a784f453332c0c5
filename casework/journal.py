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
from django.utils import timezone

from .models import Event

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the journal.
_ADVISORY_LOCK_ID = 0x5745_4951  # "WEIQ"


def _canonical(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


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
    return event


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
