"""Mediation's workload figures for the assignment screens (core/workload.py), counted as the
mediator assignment form counts them (services.mediator_workload)."""

from django.utils.translation import gettext_lazy as _

from core import workload
from core.roles import Role

from .services import mediator_workload


def _figure(users, name):
    return {u.pk: getattr(u, name) for u in mediator_workload(mediators=users)}


@workload.figure("mediations_in_progress", label=_("调解中"), roles=(Role.MEDIATOR,))
def mediations_in_progress(users, *, today):
    return _figure(users, "in_progress")


@workload.figure("mediations_follow_up", label=_("协议待确认或履行"), roles=(Role.MEDIATOR,))
def mediations_follow_up(users, *, today):
    return _figure(users, "follow_up")


@workload.figure("mediations_due_soon", label=_("调解期限将至"), roles=(Role.MEDIATOR,), in_total=False)
def mediations_due_soon(users, *, today):
    return {u.pk: u.due_soon for u in mediator_workload(mediators=users, today=today)}
