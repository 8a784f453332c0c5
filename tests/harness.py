"""The shared scenario harness: what every module's tests need to say a scenario in one line.

    walk(case, ["start_screening", ("reject", {"reason": "…"})], actor=officer)
    assert_contract(Case, CONTRACT)                   # every edge of the machine, and nothing else
    assert_role(case, "accept", officer, True, then="accepted")   # offered and done, or neither
    assert_inbox_after_step(case, "screen", officer, people)      # the inbox is exact after a step
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


def at_once(calls, *, timeout=60):
    """Run `calls` in threads, each on its own database connection (PostgreSQL: two real
    transactions racing); return what each returned, or the exception it raised."""
    import threading

    from django.db import connection

    results = [None] * len(calls)

    def run(i, call):
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


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


def assert_contract(model, contract: dict):
    """The machine has exactly the moves of DESIGN.md's table, `contract`: state -> {transition:
    target} (a state nothing leaves maps to {}; a transition with several possible targets maps to
    a tuple of them); every transition is declared once."""
    actual = {}
    for name in transition_names(model):
        for source, target in edges(model, name):
            actual.setdefault(source, {}).setdefault(name, set()).add(target)
    actual = {s: {n: ts.pop() if len(ts) == 1 else ts for n, ts in moves.items()} for s, moves in actual.items()}
    expected = {str(state): {n: {str(x) for x in t} if isinstance(t, tuple) else str(t) for n, t in moves.items()}
                for state, moves in contract.items() if moves}
    assert actual == expected
    assert sorted(machine_for(model).transitions) == sorted({n for moves in contract.values() for n in moves})
    states = {str(value) for value, _label in model._meta.get_field(machine_for(model).state_field).choices}
    assert states == {str(state) for state in contract}, "the table names every state"


def assert_refused_elsewhere(obj, contract, *, actor, inputs):
    """Every transition the table does not start from `obj`'s state is refused (409) and changes
    nothing: not the state, not the journal. `inputs(name)`: valid input for each."""
    from core.errors import TransitionRefused

    state = str(getattr(obj, machine_for(obj).state_field))
    before = list(journal.events_for(obj).values_list("pk", flat=True))
    for name in machine_for(obj).transitions:
        if name in contract[state]:
            continue
        try:
            declaration(obj, name).run(obj, actor=actor, **inputs(name))
        except TransitionRefused:
            pass
        else:
            raise AssertionError(f"{name} ran from {state}")
        obj.refresh_from_db()
        assert str(getattr(obj, machine_for(obj).state_field)) == state, name
    assert list(journal.events_for(obj).values_list("pk", flat=True)) == before


def assert_role(obj, name, user, allowed: bool, *, inputs=None, then=None):
    """What `user` may do to `obj`: offered (allowed_transitions) and done through the declared
    service, the state then `then`; or neither offered nor done (403, nothing changed)."""
    from django.core.exceptions import PermissionDenied

    assert (name in allowed_transitions(obj, user)) is allowed, f"{user}: {name} offered should be {allowed}"
    before = str(getattr(obj, machine_for(obj).state_field))
    run = lambda: declaration(obj, name).run(obj, actor=user, **(inputs or {}))  # noqa: E731
    if allowed:
        run()
        obj.refresh_from_db()
        assert str(getattr(obj, machine_for(obj).state_field)) == str(then)
    else:
        try:
            run()
        except PermissionDenied:
            pass
        else:
            raise AssertionError(f"{user} could {name}")
        obj.refresh_from_db()
        assert str(getattr(obj, machine_for(obj).state_field)) == before


def open_tasks_of(obj) -> list:
    """The object's open inbox tasks (its module's flow), oldest first."""
    from core.inbox import open_tasks
    from core.workflow import flow_for

    return list(open_tasks().filter(artifact_object_id=obj.pk, process__flow_class=type(flow_for(obj))).order_by("pk"))


def inbox_of(user, scope="mine", model=None) -> set:
    """{(object id, task node name)} in the user's inbox (of one model's flow, when given)."""
    from core.inbox import inbox
    from core.workflow import FLOWS

    tasks = inbox(user, scope=scope)
    if model is not None:
        tasks = tasks.filter(process__flow_class=FLOWS[model])
    return {(t.artifact_object_id, t.flow_task.name) for t in tasks}


def inbox_items(user, scope="mine") -> list:
    """The user's inbox rows as the page shows them (object, action, deadline)."""
    from core.inbox import hydrate, inbox

    return hydrate(inbox(user, scope=scope), user)


def assert_inbox_after_step(obj, node, owner, people: dict):
    """After a step: the object has exactly the task its state calls for (`node`, or none), held by
    `owner` (or waiting in its pool when None), and nobody holds a task they cannot act on."""
    from core.roles import may_act

    tasks = open_tasks_of(obj)
    state = getattr(obj, machine_for(obj).state_field)
    assert [t.flow_task.name for t in tasks] == ([node] if node else []), state
    if node:
        assert tasks[0].owner_id == (owner.pk if owner else None), (state, tasks[0].owner_id)
    for who, user in people.items():
        for object_id, _node in inbox_of(user, model=type(obj)):
            held = type(obj)._default_manager.get(pk=object_id)
            assert may_act(user, held), (who, state)


def told(key_part, obj=None) -> list[SimpleNamespace]:
    """What people were told: one entry per (person, object, message), whether the notice went
    alone or in a digest listing many objects."""
    out = []
    for note in Notification.objects.order_by("id"):
        entries = note.items or [[note.object_id, note.key, note.message]]
        for object_id, key, message in entries:
            if key_part in key and (obj is None or object_id == str(obj.pk)):
                out.append(SimpleNamespace(recipient=note.recipient, recipient_id=note.recipient_id,
                                           key=key, message=message, digest=bool(note.items), notification=note))
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
