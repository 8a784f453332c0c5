"""Roles and object-level permissions, as `rules` predicates.

Roles are Django groups (created by a data migration). Who may run which transition is the table
CASE_TRANSITION_RULES below: the single place to read or change it. The same predicates answer the
FSM's `permission=` (so `allowed_transitions` is per user), the API and the admin.
"""

import rules
from django.db.models import Q


class Role:
    INTAKE_OFFICER = "intake_officer"
    LAWYER = "lawyer"
    LEGAL_AID_VOLUNTEER = "legal_aid_volunteer"
    MEDIATOR = "mediator"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    BARGAINING_OFFICER = "bargaining_officer"
    COMPANY_CONTACT = "company_contact"
    COURT_LIAISON = "court_liaison"

    LABELS = {
        INTAKE_OFFICER: "受理员",
        LAWYER: "律师",
        LEGAL_AID_VOLUNTEER: "法律援助志愿者",
        MEDIATOR: "调解员",
        SUPERVISOR: "主管",
        AUDITOR: "法治体检人员",
        BARGAINING_OFFICER: "集体协商专员",
        COMPANY_CONTACT: "企业联系人",
        COURT_LIAISON: "法院联络员",
    }
    ALL = tuple(LABELS)


is_intake_officer = rules.is_group_member(Role.INTAKE_OFFICER)
is_lawyer = rules.is_group_member(Role.LAWYER)
is_volunteer = rules.is_group_member(Role.LEGAL_AID_VOLUNTEER)
is_mediator = rules.is_group_member(Role.MEDIATOR)
is_supervisor = rules.is_group_member(Role.SUPERVISOR)
is_auditor = rules.is_group_member(Role.AUDITOR)


@rules.predicate
def is_case_handler(user, case):
    return case is not None and case.handler_id == user.pk


@rules.predicate
def is_case_legal_aid(user, case):
    return case is not None and case.legal_aid_by_id == user.pk


# Union staff who work dispute intake see every case; a volunteer sees only the cases given to them.
# Company contacts and court liaisons see no intake case: a worker's complaint is not theirs to read.
is_casework_staff = is_intake_officer | is_lawyer | is_mediator | is_supervisor
can_view_case = is_casework_staff | is_case_legal_aid
can_work_case = is_supervisor | is_case_handler | is_case_legal_aid

CASE_TRANSITION_RULES = {
    "start_screening": is_intake_officer | is_supervisor,
    "accept": is_intake_officer | is_supervisor,
    "reject": is_intake_officer | is_supervisor,
    "provide_consultation": is_intake_officer | is_lawyer | is_supervisor,
    "assign_legal_aid": is_supervisor,
    "refer_to_mediation": is_intake_officer | is_supervisor | is_case_handler | is_case_legal_aid,
    "refer_to_arbitration": is_lawyer | is_supervisor | is_case_handler | is_case_legal_aid,
    "file_lawsuit": is_lawyer | is_supervisor | is_case_legal_aid,
    "resolve": can_work_case,
    "close": is_supervisor | is_case_handler,
    "reopen": is_supervisor,
}


def transition_perm(name):
    """Adapter: django-fsm calls permission(instance, user); rules predicates take (user, obj)."""
    predicate = CASE_TRANSITION_RULES[name]

    def check(instance, user):
        return user.is_active and predicate.test(user, instance)

    check.__name__ = f"can_{name}"
    return check


rules.add_perm("casework.view_case", can_view_case)
rules.add_perm("casework.add_case", is_intake_officer | is_supervisor)
rules.add_perm("casework.change_case", is_intake_officer | is_supervisor | is_case_handler)
rules.add_perm("casework.override_limitation", is_supervisor)
rules.add_perm("casework.override_credit_code", is_supervisor)
rules.add_perm("casework.view_worker", is_casework_staff | is_volunteer)
rules.add_perm("casework.add_worker", is_intake_officer | is_supervisor)
rules.add_perm("casework.view_organisation", rules.is_authenticated)
rules.add_perm("casework.add_organisation", is_intake_officer | is_supervisor)
rules.add_perm("casework.change_organisation", is_supervisor)

# The admin (the staff interface until the web UI lands) asks for module and model permissions.
rules.add_perm("casework", is_casework_staff | is_volunteer)
for _model in ("category", "calendarday", "event", "evidence", "notification", "staffprofile"):
    rules.add_perm(f"casework.view_{_model}", is_casework_staff)
for _model in ("category", "calendarday", "staffprofile"):
    for _action in ("add", "change", "delete"):
        rules.add_perm(f"casework.{_action}_{_model}", is_supervisor)
rules.add_perm("casework.change_notification", rules.is_authenticated)


def case_visibility_filter(user) -> Q:
    """The queryset form of `can_view_case`, so lists never show what a detail page would refuse."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_casework_staff(user):
        return Q()
    return Q(legal_aid_by=user)


# --- The web interface's work routing (casework/workflow.py, docs/ui.md) ---------------------------
# A supervisor hands a case (or its legal aid) to someone else; any casework staff member may take
# over a case that nobody can work right now (no active handler allowed to act in its state).
rules.add_perm("casework.reassign_case", is_supervisor)
rules.add_perm("casework.claim_case", is_casework_staff)
# The dashboard's figures (counted over the cases the user may see).
rules.add_perm("casework.view_dashboard", is_casework_staff | is_volunteer)


def may_act(user, obj) -> bool:
    """Whether `user` may run at least one transition from `obj`'s current state.

    Permission only: conditions (e.g. "has a respondent") are the work itself, not who does it.
    Works for any django-fsm model whose transitions carry `permission=`.
    """
    from django_fsm import FSMFieldMixin

    if user is None or not user.is_active:
        return False
    for field in obj._meta.fields:
        if not isinstance(field, FSMFieldMixin):
            continue
        state = getattr(obj, field.name)
        for transition in field.get_all_transitions(type(obj)):
            if transition.source in (state, "*", "+") and transition.has_perm(obj, user):
                return True
    return False
