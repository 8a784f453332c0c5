"""Running a django-fsm transition the one way every module does it.

`run_transition` checks the move (state, permission, conditions), applies the caller's data changes,
saves with optimistic locking (ConcurrentTransitionMixin) and journals the change, all in one
transaction: either everything lands or nothing does. Services call it; nothing else changes state.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_fsm import FSMFieldMixin, can_proceed

from . import journal


class TransitionRefused(Exception):
    """The transition does not start from the object's current state, or its conditions are unmet."""

    def __init__(self, obj, name, detail, unmet=()):
        super().__init__(detail)
        self.obj = obj
        self.name = name
        self.detail = detail
        self.unmet = list(unmet)


def fsm_field_name(obj_or_model, name: str) -> str:
    method = getattr(obj_or_model, name)
    return method._django_fsm.field.name


def current_state(obj, name: str) -> str:
    return getattr(obj, fsm_field_name(obj, name))


def transition_names(model) -> list[str]:
    """Every transition the model defines."""
    names = []
    for field in model._meta.fields:
        if isinstance(field, FSMFieldMixin):
            names.extend(t.name for t in field.get_all_transitions(model) if t.name not in names)
    return names


def allowed_transitions(obj, user) -> list[str]:
    """What this user may do to this object now: state, conditions and permission all satisfied."""
    names = []
    for field in obj._meta.fields:
        get_available = getattr(obj, f"get_available_user_{field.name}_transitions", None)
        if get_available:
            names.extend(t.name for t in get_available(user) if t.name not in names)
    return names


def unmet_conditions(obj, name: str) -> list[str]:
    method = getattr(obj, name)
    meta = method._django_fsm
    found = meta.get_transition(current_state(obj, name))
    return [str(getattr(c, "hint", c.__name__)) for c in (found.conditions if found else []) if not c(obj)]


def run_transition(obj, name: str, *, actor, comment: str = "", payload=None, apply=None):
    """Move `obj` through transition `name` as `actor`; `apply(obj)` sets the transition's data."""
    method = getattr(obj, name, None)
    if method is None or not hasattr(method, "_django_fsm"):
        raise TransitionRefused(obj, name, f"'{name}' is not a transition of {obj._meta.verbose_name}")
    source = current_state(obj, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionRefused(obj, name, f"'{name}' is not allowed from state '{source}'")
    # django_fsm.has_transition_perm would also test conditions; those get their own answer below.
    if not method._django_fsm.has_transition_perm(obj, source, actor):
        raise PermissionDenied(f"You may not perform '{name}' on this {obj._meta.verbose_name}.")
    unmet = unmet_conditions(obj, name)
    if unmet:
        raise TransitionRefused(obj, name, "; ".join(unmet), unmet=unmet)

    with transaction.atomic():
        if apply is not None:
            apply(obj)
        method()
        obj.save()
        journal.record(
            subject=obj,
            transition=name,
            from_state=source,
            to_state=current_state(obj, name),
            actor=actor,
            comment=comment,
            payload=payload,
        )
        # Documents the new state calls for (documents registered with auto_on=[state]) are asked
        # for in this same transaction and rendered by Celery once it commits.
        from . import documents  # late: documents builds on models and services

        documents.on_state_entered(obj, actor=actor)
    return obj
