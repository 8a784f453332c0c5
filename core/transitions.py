"""Transitions: declared once, beside each machine; run one way, one object or a set at a time.

A module's `transitions.py` declares its machine:

    machine = Machine(Case, subject="case", transitions=[
        Transition("reject", label=_("不予受理"), style="danger", allowed=is_intake_officer | is_supervisor,
                   inputs={"reason": inputs.Text(_("不予受理理由"), multiline=True)},
                   journal={"reason": "rejection_reason"}),
        ...
    ], events={"create": _("登记案件"), ...})

The FSM itself (source, target, conditions) stays on the model as django-fsm transitions, whose
`permission=declared("reject")` reads who may run it from the declaration. From one declaration
`core` makes the API action and its OpenAPI entry (core/api.py), the button and form on the
object's page and the one generic transition view (core/views.py), the admin button
(core/admin.py), the timeline and diagram labels; it journals the declared values, sends the
declared notices (core/notices.py) and asks for the declared documents (core/documents.py).

Two ways to run one, with the same effects:

- `run_transition(obj, name, …)`: check the move (state, permission, conditions), apply the
  service's data changes, save with optimistic locking (ConcurrentTransitionMixin), journal, notify,
  ask for documents, tell the modules that react (`transitioned`): one transaction, all or nothing.
- `bulk_transition(queryset, name, …)` for a transition declared with `changes`: source and target
  from the FSM, one conditional UPDATE per source state over the rows nobody else holds, then the
  same journal (`journal.record_many`), notices (one digest per recipient) and documents. Sweeps
  use it; the single-object service of such a transition is its one-row case (`run_on_one`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from typing import Any, Callable

import rules
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, FSMFieldMixin, can_proceed

from . import inputs as input_fields
from . import journal
from .errors import CONFLICT_MESSAGE, TransitionRefused

# Sent after a transition's change, inside its transaction, by both paths:
# sender=model, name, ids (moved), objects (the instances: single path only), actor, inputs
# (the service's arguments: single path only). A module that reacts to another's transition
# (mediation opens a mediation when a case is referred to it) connects here (DESIGN.md, "Layout").
transitioned = Signal()

# model class -> Machine
MACHINES: dict[type, "Machine"] = {}


@dataclass
class Transition:
    """Everything about one transition except its FSM edges (which stay on the model)."""

    name: str
    label: Any
    allowed: rules.Predicate
    style: str = ""  # the button: "primary", "danger" or "" (plain)
    help_text: Any = ""
    inputs: dict[str, input_fields.Input] = field(default_factory=dict)
    # payload key -> attribute path on the object after the change ("agreement__total")
    journal: dict[str, str] = field(default_factory=dict)
    notices: tuple = ()
    documents: tuple[str, ...] = ()
    # For set-based (timed) transitions: today -> {column: value or expression}, the data the
    # change writes; its presence lets `bulk_transition` run it over a queryset.
    changes: Callable[[datetime.date], dict] | None = None
    # Mixins for the built form (fields whose choices depend on the object, extra page context).
    form_bases: tuple = ()
    machine: "Machine | None" = None

    @property
    def timed(self) -> bool:
        return self.changes is not None

    @cached_property
    def serializer(self):
        return input_fields.serializer_for(f"{self._class_prefix}InputSerializer", self.inputs)

    @cached_property
    def form(self):
        return input_fields.form_for(f"{self._class_prefix}Form", self.inputs, bases=self.form_bases)

    @property
    def _class_prefix(self) -> str:
        return self.machine.model.__name__ + "".join(part.title() for part in self.name.split("_"))

    @property
    def service(self) -> Callable:
        """The module's service of the same name: `service(<subject>=obj, actor=…, **inputs)`."""
        module = import_module(f"{self.machine.model._meta.app_label}.services")
        return getattr(module, self.name)

    def run(self, obj, *, actor, **values):
        return self.service(**{self.machine.subject: obj}, actor=actor, **values)


class Machine:
    """A model's transitions, declared in order (the order of the buttons), and the labels of the
    journal's other entries (create, edit, …) for the timeline."""

    def __init__(self, model, *, subject: str, transitions: list[Transition], events: dict | None = None):
        self.model = model
        self.subject = subject
        self.transitions = {t.name: t for t in transitions}
        for t in transitions:
            t.machine = self
        # "linked": another module's object was opened for this one (core.links.record_link).
        self.events = {"linked": _("关联"), **(events or {})}
        self.state_field = state_field_name(model)
        MACHINES[model] = self

    def __iter__(self):
        return iter(self.transitions.values())

    def __contains__(self, name):
        return name in self.transitions

    def get(self, name) -> Transition:
        return self.transitions[name]

    @property
    def labels(self) -> dict:
        """Transition name -> label (buttons, diagram)."""
        return {name: t.label for name, t in self.transitions.items()}

    @property
    def event_labels(self) -> dict:
        """Journal entry -> label (timelines, documents): the transitions and the other events."""
        return {**self.events, **self.labels}

    def state_labels(self) -> dict:
        field = self.model._meta.get_field(self.state_field)
        return dict(field.choices)


def machine_for(model_or_obj) -> Machine | None:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return MACHINES.get(model)


def declaration(model_or_obj, name) -> Transition:
    return machine_for(model_or_obj).get(name)


def declared(name):
    """The model's `permission=`: django-fsm asks permission(instance, user); the declaration of
    `name` says who may (a rules predicate taking (user, obj))."""

    def check(instance, user):
        return (user is not None and user.is_active
                and declaration(instance, name).allowed.test(user, instance))

    check.__name__ = f"may_{name}"
    return check


# --------------------------------------------------------------------------------------------------
# Reading a machine
# --------------------------------------------------------------------------------------------------


def state_field_name(model) -> str | None:
    for f in model._meta.fields:
        if isinstance(f, FSMFieldMixin):
            return f.name
    return None


def current_state(obj, name: str | None = None) -> str:
    return str(getattr(obj, state_field_name(type(obj))))


def transition_names(model) -> list[str]:
    """Every transition the model's FSM defines."""
    names = []
    for f in model._meta.fields:
        if isinstance(f, FSMFieldMixin):
            names.extend(t.name for t in f.get_all_transitions(model) if t.name not in names)
    return names


def targets(transition) -> list[str]:
    """Where a django-fsm transition may lead: its target, or each state a RETURN_VALUE target
    allows (a vote leads to ratified or back to negotiating)."""
    allowed = getattr(transition.target, "allowed_states", None)
    return [str(s) for s in allowed] if allowed else [str(transition.target)]


def edges(model, name) -> list[tuple[str, str]]:
    """(source, target) of every edge of transition `name`."""
    meta = getattr(model, name)._django_fsm
    return [(str(source), target) for source, t in meta.transitions.items() for target in targets(t)]


def allowed_transitions(obj, user) -> list[str]:
    """What this user may do to this object now (state, conditions and permission), in the
    declaration's order."""
    names = []
    for f in obj._meta.fields:
        get_available = getattr(obj, f"get_available_user_{f.name}_transitions", None)
        if get_available:
            names.extend(t.name for t in get_available(user) if t.name not in names)
    machine = machine_for(obj)
    if machine is not None:
        order = list(machine.transitions)
        names.sort(key=lambda n: order.index(n) if n in order else len(order))
    return names


def unmet_conditions(obj, name: str) -> list[str]:
    meta = getattr(obj, name)._django_fsm
    found = meta.get_transition(current_state(obj))
    return [str(getattr(c, "hint", c.__name__)) for c in (found.conditions if found else []) if not c(obj)]


def check(obj, name: str, actor) -> None:
    """Refuse what `run_transition` would refuse before changing anything: not from this state
    (409), not this user (403), conditions unmet (409 with the reasons)."""
    method = getattr(obj, name, None)
    if method is None or not hasattr(method, "_django_fsm"):
        raise TransitionRefused(obj, name, _("“%(name)s”不是%(model)s的操作。") % {
            "name": name, "model": obj._meta.verbose_name})
    decl = declaration(obj, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(obj, name, _("当前状态（%(state)s）下不能执行“%(action)s”。") % {
            "state": _state_label(obj), "action": decl.label})
    source = current_state(obj)
    if not method._django_fsm.has_transition_perm(obj, source, actor):
        raise PermissionDenied(_("您没有权限执行“%(action)s”。") % {"action": decl.label})
    unmet = unmet_conditions(obj, name)
    if unmet:
        raise TransitionRefused(obj, name, _("暂不能执行：%(reasons)s") % {"reasons": "；".join(unmet)}, unmet=unmet)


def _state_label(obj) -> str:
    display = getattr(obj, f"get_{state_field_name(type(obj))}_display", None)
    return str(display()) if display else current_state(obj)


def _value_at(obj, path: str):
    value = obj
    for part in path.split("__"):
        value = getattr(value, part, None) if value is not None else None
    if hasattr(value, "pk") and hasattr(value, "_meta"):
        return value.pk
    return value


# --------------------------------------------------------------------------------------------------
# One object
# --------------------------------------------------------------------------------------------------


def run_transition(obj, name: str, *, actor, comment: str = "", payload=None, apply=None, inputs=None):
    """Move `obj` through transition `name` as `actor`; `apply(obj)` sets the transition's data.

    The journal gets the declaration's `journal` values read after the change, with `payload`
    (what only the service knows) added."""
    from . import documents, notices

    check(obj, name, actor)
    decl = declaration(obj, name)
    method = getattr(obj, name)
    source = current_state(obj)
    with transaction.atomic():
        if apply is not None:
            apply(obj)
        method()
        try:
            obj.save()
        except ConcurrentTransition:  # ConcurrentTransitionMixin: someone moved it since we read it
            raise ConcurrentTransition(str(CONFLICT_MESSAGE)) from None
        body = {key: _value_at(obj, path) for key, path in decl.journal.items()}
        body.update(payload or {})
        journal.record(subject=obj, transition=name, from_state=source, to_state=current_state(obj),
                       actor=actor, comment=comment, payload=body)
        notices.send(type(obj), decl.notices, [obj.pk], transition=name)
        for kind in decl.documents:
            documents.request(obj, kind, actor=actor)
        transitioned.send(sender=type(obj), name=name, ids=[obj.pk], objects=[obj], actor=actor,
                          inputs=dict(inputs or {}))
    return obj


def run_on_one(obj, name: str, *, actor, comment: str = ""):
    """A set-based transition done by hand: the same checks as `run_transition`, then
    `bulk_transition` over this one row, so it journals, notifies and issues documents exactly as
    the sweep does."""
    check(obj, name, actor)
    moved = bulk_transition(type(obj)._default_manager.filter(pk=obj.pk), name, actor=actor, comment=comment)
    if not moved:
        raise ConcurrentTransition(str(CONFLICT_MESSAGE))
    obj.refresh_from_db()
    return obj


# --------------------------------------------------------------------------------------------------
# A set of objects
# --------------------------------------------------------------------------------------------------

# ids per statement that reads moved rows back (PostgreSQL takes at most 65,535 parameters)
READ_CHUNK = 10_000


class Moved(list):
    """The ids a set-based transition moved; `journaled`: {id: the payload journaled};
    `notifications`: how many notices it stored; `notices_owed`: its notices are sent after the
    commit instead (core.notices.send_after_commit), the set being too large to wait for them."""

    notifications = 0
    notices_owed = False

    def __init__(self):
        super().__init__()
        self.journaled = {}


def bulk_transition(queryset, name: str, *, actor=None, comment: str = "", today=None) -> Moved:
    """Run transition `name` on every row of `queryset` in one of its source states; return the
    ids moved.

    One UPDATE per source state: `… WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) AND state = …
    RETURNING id`, so two sweeps at once take each row once and a row someone moved meanwhile is
    left alone. No permission is checked (sweeps run as the system; `run_on_one` checks for a
    person) and the FSM's conditions are the caller's queryset (a condition is a Python check on
    one instance). Must leave the caller's transaction intact: runs in its own atomic block."""
    from . import documents, notices

    model = queryset.model
    decl = declaration(model, name)
    if decl.changes is None:
        raise ValueError(f"{model._meta.label}.{name} is not declared for sets (no `changes`)")
    today = today or timezone.localdate()
    state = machine_for(model).state_field
    # What the journal and the notices for every object read off the row's own columns comes back
    # from the UPDATE itself.
    for_notices = set().union(*(notices.columns(n) for n in decl.notices if n.when is None)) if decl.notices else set()
    local = _own_columns(model, [*decl.journal.values(), *(p.removesuffix("_id") for p in for_notices)])
    if decl.notices and any(p.removesuffix("_id") not in local for p in for_notices):
        for_notices = set()  # some notice needs a join: it reads for itself
    moved: list[tuple[Any, str, str]] = []
    bodies: dict = {}
    returned: dict = {}
    result = Moved()
    with transaction.atomic():
        for source, target in edges(model, name):
            values = {state: target, **decl.changes(today)}
            if any(f.name == "updated_at" for f in model._meta.concrete_fields):
                values["updated_at"] = timezone.now()
            for pk, row in _claim(queryset, state, source, values, returning=local):
                moved.append((pk, source, target))
                bodies[pk] = {key: row[path] for key, path in decl.journal.items() if path in row}
                returned[pk] = row
        if not moved:
            return result
        ids = [pk for pk, _s, _t in moved]
        result.extend(ids)
        rest = {key: path for key, path in decl.journal.items() if path not in local}
        for pk, extra in _read_payloads(model, ids, rest).items():
            bodies[pk].update(extra)
        journal.record_many(
            ((model, pk, name, source, target, bodies[pk]) for pk, source, target in moved),
            actor=actor, comment=comment,
        )
        result.journaled = bodies
        if decl.notices and len(ids) > settings.WEIQUAN_NOTICES_INLINE_MAX:
            notices.send_after_commit(model, name, ids)
            result.notices_owed = True
        else:
            result.notifications = notices.send(model, decl.notices, ids, transition=name,
                                                rows={pk: _as_read(row) for pk, row in returned.items()})
        transitioned.send(sender=model, name=name, ids=ids, objects=None, actor=actor, inputs={})
        if decl.documents:
            documents.request_after_commit(model, ids, decl.documents, actor=actor)
    return result


def _own_columns(model, paths) -> dict:
    """{path: field} for the paths that are a concrete column of `model` itself (no join)."""
    out = {}
    for path in paths:
        if "__" in path:
            continue
        try:
            field = model._meta.get_field(path)
        except FieldDoesNotExist:
            continue
        if field.concrete and not field.many_to_many:
            out[path] = field
    return out


def _as_read(row: dict) -> dict:
    """A RETURNING row keyed as `.values()` would key it too: a foreign key `mediator` also as
    `mediator_id`."""
    return {**row, **{f"{path}_id": value for path, value in row.items()}}


def _claim(queryset, state: str, source: str, values: dict, returning: dict) -> list:
    """UPDATE the rows of `queryset` in `source` that nobody else holds; return (id, {path:
    value after the change}) for each, with the `returning` fields."""
    from django.db.models.sql.subqueries import UpdateQuery

    model = queryset.model
    candidates = queryset.filter(**{state: source}).order_by().values("pk")
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    target = model._base_manager.filter(pk__in=candidates, **{state: source})
    query = target.query.chain(UpdateQuery)
    query.add_update_values(values)
    sql, params = query.get_compiler(queryset.db).as_sql()
    fields = [model._meta.pk, *returning.values()]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    paths = list(returning)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns}", params)
        if connection.vendor == "postgresql":  # psycopg hands back dates, numbers and booleans as such
            return [(row[0], dict(zip(paths, row[1:]))) for row in cursor.fetchall()]
        # SQLite hands dates back as text from raw SQL: to_python makes them dates
        return [(row[0], {p: returning[p].to_python(v) for p, v in zip(paths, row[1:])}) for row in cursor.fetchall()]


def chunks(ids, size=READ_CHUNK):
    """What `pk__in=` takes to cover `ids` (the rows a set-based transition moved): on PostgreSQL
    one array parameter (a query naming 100,000 rows is one parameter, not 100,000 to parse and
    plan), elsewhere slices of `size`."""
    ids = list(ids)
    if not ids:
        return
    if connection.vendor == "postgresql":
        yield RawSQL("SELECT unnest(%s::bigint[])", (ids,))
        return
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _read_payloads(model, ids, spec: dict[str, str]) -> dict:
    """{id: {key: value}} for the declared journal values of the moved rows."""
    if not spec:
        return {}
    out = {}
    for chunk in chunks(ids):
        for row in model._base_manager.filter(pk__in=chunk).values("pk", *spec.values()):
            out[row["pk"]] = {key: row[path] for key, path in spec.items()}
    return out
