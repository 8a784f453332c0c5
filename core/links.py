"""How modules meet without importing each other (DESIGN.md, "Layout").

Modules import `core`, never one another. Where one module's work touches another's, the module
that knows registers a handler here and the other asks `core`:

- `conflict_reasons(person, …)`: why someone may not act in a dispute. Each module that knows of a
  tie (casework: the person gave a claimant legal aid) registers a source with
  `conflict_source`; mediation's mediator check and the check-up's team check ask them all.
- `resolve_origin(origin=…, by=…)`: an object opened for another (a mediation for a case) asks
  the other's module to record the outcome; the origin's module registers with `resolver`.
- A module reacting to another's transition connects to `core.transitions.transitioned`.
- `url_for(obj)`: the page of any object that has a flow (templates: `{% object_url obj %}`).
- `workers_held_by(user)`: the workers of the objects a person holds (a lawyer's or volunteer's
  cases), for `core.selectors.visible_workers`; each module that gives people work about workers
  registers with `worker_holder`.

An object opened for another keeps a generic link to it (`origin_type`/`origin_id` on its model)
and both journals record the link.
"""

from __future__ import annotations

from typing import Callable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

_conflict_sources: list[Callable] = []
_resolvers: dict[str, Callable] = {}
_worker_holders: list[Callable] = []


def worker_holder(fn: Callable) -> Callable:
    """Register `fn(user) -> Q` over Worker: the workers of what `user` holds (a decorator)."""
    if fn not in _worker_holders:
        _worker_holders.append(fn)
    return fn


def workers_held_by(user) -> Q:
    """Every module's workers held by `user`, as one Q (matching nothing when none holds any)."""
    held = Q(pk__in=[])
    for holder in _worker_holders:
        held |= holder(user)
    return held


def conflict_source(fn: Callable) -> Callable:
    """Register `fn(person, *, claimants, respondents, exclude) -> [reason, …]` (a decorator)."""
    if fn not in _conflict_sources:
        _conflict_sources.append(fn)
    return fn


def conflict_reasons(person, *, claimants=(), respondents=(), exclude=()) -> list[str]:
    """Every registered source's reasons why `person` may not act for or against these parties.
    `exclude`: objects whose own ties do not count (the case a mediation was opened for)."""
    reasons = []
    for source in _conflict_sources:
        reasons.extend(source(person, claimants=list(claimants), respondents=list(respondents), exclude=list(exclude)))
    return reasons


def resolver(model_label: str):
    """Register the function that records an outcome on objects of `model_label` (a decorator):
    `fn(origin, *, by, actor, outcome, amount, detail, comment)`."""

    def register(fn):
        _resolvers[model_label.lower()] = fn
        return fn

    return register


def resolve_origin(*, origin, by, actor, outcome: str, amount, detail: str, comment: str = ""):
    fn = _resolvers.get(origin._meta.label_lower)
    if fn is None:
        raise LookupError(f"no module records outcomes on {origin._meta.label}")
    return fn(origin, by=by, actor=actor, outcome=outcome, amount=amount, detail=detail, comment=comment)


def record_link(obj, other, *, actor=None, comment: str = "") -> None:
    """Journal on `obj` that `other` (another module's object) was opened for it or linked to it:
    the link is journaled on both sides (the other records it in its own first event)."""
    from . import journal
    from .transitions import current_state

    state = current_state(obj)
    journal.record(subject=obj, transition="linked", from_state=state, to_state=state, actor=actor, comment=comment,
                   payload={"object": other._meta.label_lower, "id": other.pk, "number": getattr(other, "number", "")})


def content_type_of(label: str) -> ContentType | None:
    """The content type of `app_label.model` when that module is installed, else None."""
    app_label, model = label.lower().split(".")
    try:
        return ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        return None


def url_for(obj) -> str | None:
    from .workflow import flow_for

    flow = flow_for(obj)
    return flow.url_for(obj) if flow is not None and flow.url_name else None


def _may_view(user, model, pk) -> bool:
    other = model._base_manager.filter(pk=pk).first()
    return other is not None and user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}", other)


def may_see_link(user, event) -> bool:
    """Whether `user` may see a `linked` event: only who may view the other object (a court's
    liaison reading a mediation learns nothing of the dispute case it was opened for)."""
    from django.apps import apps

    payload = event.payload or {}
    try:
        model = apps.get_model(payload.get("object", ""))
    except (LookupError, ValueError):
        return False
    return _may_view(user, model, payload.get("id"))


def _hidden_origin_number(obj, user) -> str | None:
    """The number of the object `obj` was opened for (its `origin_type`/`origin_id`), when `user`
    may not view that object; else None."""
    if getattr(obj, "origin_type_id", None) is None:
        return None
    model = ContentType.objects.get_for_id(obj.origin_type_id).model_class()
    if model is None or _may_view(user, model, obj.origin_id):
        return None
    origin = model._base_manager.filter(pk=obj.origin_id).first()
    return getattr(origin, "number", None) or None


def events_seen_by(obj, user) -> list:
    """`obj`'s journal as `user` may read it: `linked` events only where they may see the other
    side, and the number of an origin they may not view taken out of the payloads (the first event
    of a mediation opened for a case names it). Such a payload no longer matches its hash: the
    chain is checked by `verify_journal`, not by who may not read all of it."""
    from . import journal

    hidden = _hidden_origin_number(obj, user)
    seen = []
    for event in journal.events_for(obj):
        if event.transition == "linked" and not may_see_link(user, event):
            continue
        if hidden and isinstance(event.payload, dict) and hidden in event.payload.values():
            event.payload = {key: value for key, value in event.payload.items() if value != hidden}
        seen.append(event)
    return seen
