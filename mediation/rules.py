"""Mediation's rules: who may see and do what (django-rules predicates and permissions), and the
pure figures of a mediation (its period by source, the extension limits, the judicial
confirmation window, when an instalment counts as unpaid, what a worker can do after a default).

- Union staff who work disputes (mediators, supervisors, intake officers, lawyers) see every
  mediation; a court liaison sees only the referrals of their own court (their StaffProfile's
  organisation is that court); company contacts and everyone else see none.
- Who may run each transition is its declaration (mediation/transitions.py), built from these.
"""

import datetime

import rules
from django.conf import settings
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core import legal_calendar
from core import legal_figures as law
from core.roles import is_court_liaison, is_intake_officer, is_lawyer, is_mediator, is_supervisor

from .models import Procedure, Source


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


# --------------------------------------------------------------------------------------------------
# Periods, windows and figures (every date through core.legal_calendar)
# --------------------------------------------------------------------------------------------------


def base_period_days(source: str, procedure: str = "") -> int:
    """The mediation period for a source (core/legal_figures.py)."""
    if source == Source.COURT_PRE_SUIT:
        return law.COURT_PRE_SUIT_MEDIATION_DAYS
    if source == Source.COURT_IN_SUIT:
        return law.COURT_IN_SUIT_MEDIATION_DAYS[procedure or Procedure.ORDINARY]
    return law.UNION_MEDIATION_DAYS


def extension_limits(source: str) -> tuple[int | None, int | None]:
    """(how many extensions per period, how many days each) — None: no limit set by the rules."""
    if source == Source.UNION:
        return law.UNION_MEDIATION_MAX_EXTENSIONS, law.UNION_MEDIATION_MAX_EXTENSION_DAYS
    return law.COURT_MEDIATION_MAX_EXTENSIONS, law.COURT_MEDIATION_MAX_EXTENSION_DAYS


def confirmation_window(mediation) -> legal_calendar.Deadline | None:
    """The last day to apply jointly for judicial confirmation: 30 days from the agreement taking
    effect (Civil Procedure Law Art. 205), a statutory period, so counted by `deadline()` and
    rolled past rest days and holidays."""
    agreement = mediation.agreement
    if agreement is None:
        return None
    return legal_calendar.deadline(agreement.effective_on, law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS)


def payment_cutoff(today: datetime.date) -> datetime.date:
    """The latest due date whose grace period has run out by `today`.

    An instalment is overdue when it is not fully paid by the end of WEIQUAN_MEDIATION_PAYMENT_GRACE_DAYS
    after its due date, the grace counted like any period (calendar days, the last day rolled past
    rest days and holidays): overdue iff due_on <= payment_cutoff(today). Computed once per sweep,
    so the sweep compares a column with one date.
    """
    grace = settings.WEIQUAN_MEDIATION_PAYMENT_GRACE_DAYS
    day = today - datetime.timedelta(days=grace + 1)
    while legal_calendar.deadline(day, grace).date >= today:
        day -= datetime.timedelta(days=1)
    return day


NEXT_STEP_TEXT = {
    "enforcement": format_lazy(_("调解协议已经人民法院司法确认，劳动者可向作出确认裁定的人民法院申请强制执行"
                                 "（民事诉讼法第二百零六条、第二百五十条：申请执行期间{years}年）。"),
                               years=law.ENFORCEMENT_APPLICATION_YEARS),
    "payment_order": _("协议涉及劳动报酬、工伤医疗费、经济补偿或赔偿金，劳动者可持调解协议书向人民法院申请支付令"
                       "（劳动争议调解仲裁法第十六条；民事诉讼法第二百二十五条至第二百二十八条）。"),
    "arbitration": _("协议未经司法确认且不属于可申请支付令的事项，劳动者可就协议的履行申请劳动争议仲裁或依法起诉。"),
}
