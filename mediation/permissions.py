"""Who may see and do what in mediation, as `rules` predicates (the roles are casework's groups).

- Union staff who work disputes (mediators, supervisors, intake officers, lawyers) see every
  mediation; a court liaison sees only the referrals of their own court (their StaffProfile's
  organisation is that court); company contacts and everyone else see none.
- Who may run which transition is MEDIATION_TRANSITION_RULES below: the one place to read it.
  The same predicates answer the FSM's `permission=` (so `allowed_transitions` is per user), the
  API and the admin.
"""

import rules
from django.db.models import Q

from casework.permissions import (
    Role,
    is_intake_officer,
    is_lawyer,
    is_mediator,
    is_supervisor,
)

is_court_liaison = rules.is_group_member(Role.COURT_LIAISON)


def court_of(user):
    """The court a court liaison works for (their profile's organisation), or None."""
    if not is_court_liaison(user):
        return None
    profile = getattr(user, "profile", None)
    org = getattr(profile, "organisation", None)
    return org if org is not None and org.kind == "court" else None


@rules.predicate
def is_assigned_mediator(user, mediation):
    return mediation is not None and mediation.mediator_id is not None and mediation.mediator_id == user.pk


@rules.predicate
def is_liaison_of_its_court(user, mediation):
    if mediation is None or not mediation.court_id or not is_court_liaison(user):
        return False
    court = court_of(user)
    return court is not None and court.pk == mediation.court_id


is_mediation_staff = is_mediator | is_supervisor | is_intake_officer | is_lawyer
can_view_mediation = is_mediation_staff | is_liaison_of_its_court
works_mediation = is_supervisor | is_assigned_mediator

MEDIATION_TRANSITION_RULES = {
    "accept": is_mediator | is_supervisor,
    "decline": is_mediator | is_supervisor,
    "assign_mediator": is_mediator | is_supervisor,
    "extend": works_mediation,
    "reach_agreement": works_mediation,
    "fail": works_mediation,
    # The deadline sweep expires mediations set-based; a supervisor may do it by hand in between.
    "expire": is_supervisor,
    "withdraw": is_mediator | is_supervisor,
    "request_confirmation": works_mediation,
    # The court's ruling is reported by its liaison, or recorded by the mediator who received it.
    "confirm": works_mediation | is_liaison_of_its_court,
    "reject_confirmation": works_mediation | is_liaison_of_its_court,
    "resume": works_mediation,
    "fulfil": works_mediation,
    "default": works_mediation,
}


def transition_perm(name):
    """Adapter: django-fsm calls permission(instance, user); rules predicates take (user, obj)."""
    predicate = MEDIATION_TRANSITION_RULES[name]

    def check(instance, user):
        return user is not None and user.is_active and predicate.test(user, instance)

    check.__name__ = f"can_{name}"
    return check


@rules.predicate
def can_view_session(user, session):
    return session is not None and can_view_mediation.test(user, session.mediation)


rules.add_perm("mediation.view_mediation", can_view_mediation)
# Referral intake (single entry and import): a court liaison only for their own court (checked by
# the service, which knows the court asked for).
rules.add_perm("mediation.add_mediation", is_mediator | is_supervisor | is_court_liaison)
rules.add_perm("mediation.import_referrals", is_mediator | is_supervisor | is_court_liaison)
# Editing the file itself (title, facts) is for union mediation staff; state changes are transitions.
rules.add_perm("mediation.change_mediation", is_mediator | is_supervisor)
rules.add_perm("mediation.view_workload", is_mediator | is_supervisor)
rules.add_perm("mediation.record_session", works_mediation)
rules.add_perm("mediation.record_payment", works_mediation)
rules.add_perm("mediation.recuse", works_mediation)
rules.add_perm("mediation.reassign_mediator", is_supervisor)
rules.add_perm("mediation.view_mediationsession", can_view_session)

# The admin asks for module and model permissions.
rules.add_perm("mediation", is_mediation_staff)
for _model in ("mediationclaim", "extension", "agreement", "instalment", "payment"):
    rules.add_perm(f"mediation.view_{_model}", is_mediation_staff)


def mediation_visibility_filter(user) -> Q:
    """The queryset form of `can_view_mediation`, so lists never show what a detail page would refuse."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_mediation_staff(user):
        return Q()
    court = court_of(user)
    if court is not None:
        return Q(court_id=court.pk)
    return Q(pk__in=[])
