"""Dispute intake's rules: who may see and work a case (django-rules predicates and permissions),
and the pure figures of a case (which states are watched for the limitation, when it runs out).

Who may run each transition is in the transition's declaration (casework/transitions.py), built
from the predicates here and the roles of core/roles.py.
"""

import rules
from django.db.models import Q

from core import legal_calendar
from core.roles import (
    is_dispute_staff,
    is_intake_officer,
    is_supervisor,
    is_volunteer,
)

from .models import CaseState

S = CaseState
# Before arbitration or a lawsuit is filed the worker's limitation period is still running.
LIMITATION_WATCH_STATES = [S.RECEIVED, S.SCREENING, S.ACCEPTED, S.CONSULTING, S.LEGAL_AID]
# Parties and claims may be corrected until the case is accepted.
EDITABLE_STATES = [S.RECEIVED, S.SCREENING]
UNPAID_PAY = "unpaid_pay"


@rules.predicate
def is_case_handler(user, case):
    return case is not None and case.handler_id == user.pk


@rules.predicate
def is_case_legal_aid(user, case):
    return case is not None and case.legal_aid_by_id == user.pk


# Union staff who work dispute intake see every case; a volunteer sees only the cases given to them.
# Company contacts and court liaisons see no intake case: a worker's complaint is not theirs to read.
is_casework_staff = is_dispute_staff
can_view_case = is_casework_staff | is_case_legal_aid
can_work_case = is_supervisor | is_case_handler | is_case_legal_aid

rules.add_perm("casework.view_case", can_view_case)
rules.add_perm("casework.add_case", is_intake_officer | is_supervisor)
rules.add_perm("casework.change_case", is_intake_officer | is_supervisor | is_case_handler)
rules.add_perm("casework.override_limitation", is_supervisor)
# The web interface's work routing (casework/flows.py, docs/ui.md): a supervisor hands a case (or
# its legal aid) to someone else; any casework staff member may take over a case nobody can work.
rules.add_perm("casework.reassign_case", is_supervisor)
rules.add_perm("casework.claim_case", is_casework_staff)
rules.add_perm("casework.view_dashboard", is_casework_staff | is_volunteer)

# The admin asks for module and model permissions.
rules.add_perm("casework", is_casework_staff | is_volunteer)
rules.add_perm("casework.view_evidence", is_casework_staff)


def case_visibility_filter(user) -> Q:
    """The queryset form of `can_view_case`, so lists never show what a detail page would refuse."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_casework_staff(user):
        return Q()
    return Q(legal_aid_by=user)


def limitation_for(case):
    """The case's arbitration limitation deadline (a legal_calendar.Deadline) or None.

    LDMAL Art. 27: one year from when the worker knew of the infringement, again from an
    interruption; a claim for unpaid pay alone runs from the end of the employment."""
    codes = set(case.categories.values_list("code", flat=True))
    return legal_calendar.limitation_deadline(
        known_on=case.infringement_known_on,
        interrupted_on=case.limitation_interrupted_on,
        employment_ended_on=case.employment_ended_on,
        unpaid_pay_only=codes == {UNPAID_PAY},
    )
