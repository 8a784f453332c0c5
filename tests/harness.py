"""The shared scenario harness: what every module's tests need to say a scenario in one line.

    walk(case, ["start_screening", ("reject", {"reason": "…"})], actor=officer)
    assert_contract(Case, CASE_CONTRACT)              # every edge of the machine, and nothing else
    assert_roles(obj, "accept", may=[officer], may_not=[volunteer])
    told("expired", m)                                # what people were told about m, digests too
    with on(D(2027, 2, 10)): …                        # a day and hour, for everything (time-machine)
    parity(by_sweep, by_hand)                         # a timed transition, swept and by hand

Module helpers (tests/scenarios.py, tests/mediation/helpers.py) build objects in any state through
their services; this file knows no module: only core's declarations and journal.
"""

from __future__ import annotations

import contextlib
import datetime
from types import SimpleNamespace

import time_machine
from django.utils import timezone

from core import journal
from core.models import Document, Notification
from core.transitions import allowed_transitions, declaration, edges, machine_for, transition_names


@contextlib.contextmanager
def on(day: datetime.date, hour: int = 10, minute: int = 0):
    """Make `day` at `hour`:`minute` in Asia/Shanghai now, for everything (services, sweeps,
    auto_now, the database's defaults set from Python); the clock keeps ticking from there."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
    with time_machine.travel(moment, tick=True):
        yield


def walk(obj, steps, *, actor, refresh=True):
    """Run declared transitions through their services: each step a name, or (name, inputs); an
    input given as a callable is called first (for rows made on the way)."""
    for step in steps:
        name, values = (step, {}) if isinstance(step, str) else step
        values = values() if callable(values) else values
        declaration(obj, name).run(obj, actor=actor, **values)
        if refresh:
            obj.refresh_from_db()
    return obj


def assert_contract(model, table: dict[str, set[tuple[str, str]]]):
    """The machine has exactly the transitions and (source, target) edges of DESIGN.md's table."""
    actual = {name: set(edges(model, name)) for name in transition_names(model)}
    assert actual == table
    assert set(machine_for(model).transitions) == set(table)


def assert_roles(obj, name, *, may=(), may_not=()):
    """Who may run `name` on `obj` as it stands (state and conditions permitting)."""
    for user in may:
        assert name in allowed_transitions(obj, user), f"{user} should be able to {name}"
    for user in may_not:
        assert name not in allowed_transitions(obj, user), f"{user} should not be able to {name}"


def told(key_part, obj=None) -> list[SimpleNamespace]:
    """What people were told: one entry per (person, object, message), whether the notice went
    alone or in a digest listing many objects."""
    out = []
    for note in Notification.objects.order_by("id"):
        entries = note.items or [{"object_id": note.object_id, "key": note.key, "message": note.message}]
        for item in entries:
            if key_part in item["key"] and (obj is None or item["object_id"] == str(obj.pk)):
                out.append(SimpleNamespace(recipient=note.recipient, recipient_id=note.recipient_id,
                                           key=item["key"], message=item["message"], digest=bool(note.items),
                                           notification=note))
    return out


def told_one(key_part, obj=None) -> SimpleNamespace:
    found = told(key_part, obj)
    assert len(found) == 1, f"expected one notice {key_part!r}, found {[f.message for f in found]}"
    return found[0]


def effects(obj, transition, *, mask=()) -> dict:
    """What one transition of `obj` left behind, comparable across objects: its journal rows
    (without ids, hashes, actor, comment and time), what people were told about it (keys without
    the object's id; the object's number and the strings in `mask` blanked in the messages) and
    the documents it asked for."""
    prefix = f"{obj._meta.model_name}:{obj.pk}:"
    events = [(e.transition, e.from_state, e.to_state, _without_ids(e.payload))
              for e in journal.events_for(obj).filter(transition=transition)]

    def blank(text):
        for part in (str(getattr(obj, "number", "")), *mask):
            text = text.replace(part, "#") if part else text
        return text

    notices = sorted((t.recipient_id, t.key.removeprefix(prefix), blank(t.message)) for t in told("", obj))
    documents = sorted(Document.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
                       .values_list("kind", "owner_state"))
    return {"journal": events, "notices": notices, "documents": documents}


def _without_ids(payload):
    return {k: v for k, v in (payload or {}).items() if k not in ("sweep",)}


def parity(by_sweep, by_hand, transition, *, mask=()):
    """A timed transition done by a sweep and by hand leaves the same journal, notices and
    documents (and something at all: a parity of nothing proves nothing)."""
    swept, manual = effects(by_sweep, transition, mask=mask), effects(by_hand, transition, mask=mask)
    assert swept["journal"], f"the sweep did not {transition}"
    assert swept == manual
