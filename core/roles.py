"""Roles, and the permission predicates every module builds on (django-rules).

Roles are Django groups (created by the reference-data migration, `core/seed.py`). A module's own
object-level predicates (a case's handler, a mediation's mediator) live in its `rules.py`; who may
run each transition is part of that transition's declaration (`<module>/transitions.py`).
"""

import rules
from django.utils.translation import gettext_lazy as _


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
        INTAKE_OFFICER: _("受理员"),
        LAWYER: _("律师"),
        LEGAL_AID_VOLUNTEER: _("法律援助志愿者"),
        MEDIATOR: _("调解员"),
        SUPERVISOR: _("主管"),
        AUDITOR: _("法治体检人员"),
        BARGAINING_OFFICER: _("集体协商专员"),
        COMPANY_CONTACT: _("企业联系人"),
        COURT_LIAISON: _("法院联络员"),
    }
    ALL = tuple(LABELS)
    # Union staff: everyone but the outside users (company contacts, court liaisons).
    UNION_STAFF = (INTAKE_OFFICER, LAWYER, LEGAL_AID_VOLUNTEER, MEDIATOR, SUPERVISOR, AUDITOR, BARGAINING_OFFICER)


is_intake_officer = rules.is_group_member(Role.INTAKE_OFFICER)
is_lawyer = rules.is_group_member(Role.LAWYER)
is_volunteer = rules.is_group_member(Role.LEGAL_AID_VOLUNTEER)
is_mediator = rules.is_group_member(Role.MEDIATOR)
is_supervisor = rules.is_group_member(Role.SUPERVISOR)
is_auditor = rules.is_group_member(Role.AUDITOR)
is_bargaining_officer = rules.is_group_member(Role.BARGAINING_OFFICER)
is_company_contact = rules.is_group_member(Role.COMPANY_CONTACT)
is_court_liaison = rules.is_group_member(Role.COURT_LIAISON)

# Union staff who work disputes: they see the parties' register.
is_dispute_staff = is_intake_officer | is_lawyer | is_mediator | is_supervisor

# Anyone on the union's side (not company contacts or court liaisons): sees who may be assigned work.
is_union_staff = (is_intake_officer | is_lawyer | is_volunteer | is_mediator | is_supervisor | is_auditor
                  | is_bargaining_officer)

rules.add_perm("core.view_organisation", rules.is_authenticated)
rules.add_perm("core.add_organisation", is_intake_officer | is_supervisor)
rules.add_perm("core.change_organisation", is_supervisor)
rules.add_perm("core.override_credit_code", is_supervisor)
rules.add_perm("core.view_worker", is_dispute_staff | is_volunteer)
rules.add_perm("core.add_worker", is_intake_officer | is_supervisor)
rules.add_perm("core.view_staff", is_union_staff)

# The admin asks for module and model permissions.
rules.add_perm("core", is_dispute_staff | is_volunteer)
for _model in ("category", "calendarday", "event", "notification", "staffprofile", "document"):
    rules.add_perm(f"core.view_{_model}", is_dispute_staff)
for _model in ("category", "calendarday", "staffprofile"):
    for _action in ("add", "change", "delete"):
        rules.add_perm(f"core.{_action}_{_model}", is_supervisor)
rules.add_perm("core.change_notification", rules.is_authenticated)


def organisation_of(user):
    """The organisation on the user's staff profile (their union, company or court), or None."""
    profile = getattr(user, "profile", None)
    return getattr(profile, "organisation", None)


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
