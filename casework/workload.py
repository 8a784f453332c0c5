"""Dispute intake's workload figures for the assignment screens (core/workload.py)."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core import workload
from core.roles import Role

from .models import OPEN_STATES, Case, CaseState

# Who may be a case's handler (casework.services.reassign_handler checks the same roles).
HANDLER_ROLES = (Role.INTAKE_OFFICER, Role.LAWYER, Role.MEDIATOR, Role.SUPERVISOR)


def _count(queryset, field):
    return dict(queryset.values(field).annotate(n=Count("pk")).values_list(field, "n"))


@workload.figure("cases_handled", label=_("承办中的案件"), roles=HANDLER_ROLES)
def cases_handled(users, *, today):
    return _count(Case.objects.filter(handler__in=users, state__in=OPEN_STATES), "handler")


@workload.figure("legal_aid_cases", label=_("法律援助中的案件"), roles=(Role.LAWYER, Role.LEGAL_AID_VOLUNTEER))
def legal_aid_cases(users, *, today):
    return _count(Case.objects.filter(legal_aid_by__in=users, state=CaseState.LEGAL_AID), "legal_aid_by")
