"""Bargaining's rules: who may see and do what, and the pure figures of a negotiation (the team's
statutory composition, the reply, filing and objection periods, the vote, the term).

- Bargaining officers and supervisors see and work every negotiation; other union staff read them.
- A company contact sees only the negotiations their organisation is a party to (on the employer
  side), may reply to the proposal, and never sees the union side's internal notes.
- Who may run each transition is its declaration (bargaining/transitions.py), built from these.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from fractions import Fraction

import rules
from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _

from core import legal_calendar
from core import legal_figures as law
from core.roles import Role, is_bargaining_officer, is_company_contact, is_supervisor, organisation_of


@rules.predicate
def is_employer_contact(user, negotiation):
    """A company contact of one of the negotiation's employer-side organisations."""
    if negotiation is None or not is_company_contact(user):
        return False
    org = organisation_of(user)
    return org is not None and negotiation.employers.filter(pk=org.pk).exists()


@rules.predicate
def is_union_staff(user):
    return user.is_active and user.groups.filter(name__in=Role.UNION_STAFF).exists()


works_bargaining = is_bargaining_officer | is_supervisor
can_view_negotiation = is_union_staff | is_employer_contact
# The union side's own brief (priority, target, walk-away figure): union staff only.
can_view_union_notes = is_union_staff

rules.add_perm("bargaining.view_negotiation", can_view_negotiation)
rules.add_perm("bargaining.add_negotiation", works_bargaining)
rules.add_perm("bargaining.change_negotiation", works_bargaining)
rules.add_perm("bargaining.view_union_notes", can_view_union_notes)
rules.add_perm("bargaining", works_bargaining)
for _model in ("negotiator", "negotiationtopic", "round", "position", "contractversion",
               "elector", "vote", "orderstatistic", "topic"):
    rules.add_perm(f"bargaining.view_{_model}", works_bargaining)
rules.add_perm("bargaining.change_topic", is_supervisor)
rules.add_perm("bargaining.add_topic", is_supervisor)


# --- the team (集体合同规定 Arts. 19–24) -------------------------------------------------------------


def _identity(seat):
    """Who sits in a seat, for "nobody on both sides": the account, the registered worker, else the name."""
    if seat.user_id:
        return ("user", seat.user_id)
    if seat.worker_id:
        return ("worker", seat.worker_id)
    return ("name", seat.name.strip())


def composition_problems(negotiation, seats=None) -> list[str]:
    """What keeps the negotiating team from being lawful; [] when it is."""
    from .models import Negotiator, Side

    seats = list(seats if seats is not None else negotiation.negotiators.filter(vacated_on__isnull=True))
    problems = []
    by_side = {side: [s for s in seats if s.side == side] for side in Side.values}
    labels = dict(Side.choices)
    minimum = law.MIN_NEGOTIATORS_PER_SIDE
    num, den = law.MAX_EXPERT_SHARE
    for side, members in by_side.items():
        label = labels[side]
        if len(members) < minimum:
            problems.append(_("%(side)s协商代表%(n)d人，每方不得少于%(min)d人（第十九条）。") % {
                "side": label, "n": len(members), "min": minimum})
        chiefs = [s for s in members if s.role == Negotiator.SeatRole.CHIEF]
        if len(chiefs) != 1:
            problems.append(_("%(side)s须有且只有1名首席代表（现有%(n)d名）（第十九条）。") % {"side": label, "n": len(chiefs)})
        experts = [s for s in members if s.role == Negotiator.SeatRole.EXPERT]
        if members and Fraction(len(experts), len(members)) > Fraction(num, den):
            problems.append(_("%(side)s外聘专家%(e)d人，超过本方代表的%(num)d/%(den)d（第二十三条）。") % {
                "side": label, "e": len(experts), "num": num, "den": den})
        if side == Side.UNION:
            for chief in chiefs:
                if not chief.is_union_chair and not chief.delegation_reference.strip():
                    problems.append(_("职工方首席代表应由工会主席担任，或由工会主席书面委托（第二十条）：请登记委托书。"))
    if len(by_side[Side.UNION]) != len(by_side[Side.EMPLOYER]):
        problems.append(_("双方协商代表人数应当相等（职工方%(u)d人，企业方%(e)d人）（第十九条）。") % {
            "u": len(by_side[Side.UNION]), "e": len(by_side[Side.EMPLOYER])})
    both = {_identity(s) for s in by_side[Side.UNION]} & {_identity(s) for s in by_side[Side.EMPLOYER]}
    if both:
        names = sorted({s.name for s in seats if _identity(s) in both})
        problems.append(_("%(names)s不得同时担任双方协商代表（第二十四条）。") % {"names": "、".join(names)})
    return problems


# --- periods ------------------------------------------------------------------------------------


def reply_due(proposed_on: datetime.date) -> legal_calendar.Deadline:
    """The written reply to a proposal is due within 20 days (Art. 32)."""
    return legal_calendar.deadline(proposed_on, law.PROPOSAL_REPLY_DAYS)


def seat_fill_due(vacated_on: datetime.date) -> legal_calendar.Deadline:
    """A vacant seat is filled within 15 days (Art. 31)."""
    return legal_calendar.deadline(vacated_on, law.VACANT_SEAT_FILL_DAYS)


def filing_due(signed_on: datetime.date) -> legal_calendar.Deadline:
    """Filed with the labor administration within 10 days of signing (Art. 42)."""
    return legal_calendar.deadline(signed_on, law.FILING_DAYS)


def objection_window_ends(filed_on: datetime.date) -> legal_calendar.Deadline:
    """The last day the administration may object (Art. 45); the contract takes effect the day after
    (Art. 47) unless it objected."""
    return legal_calendar.deadline(filed_on, law.OBJECTION_DAYS)


def expiry(effective_on: datetime.date, term_years: int) -> datetime.date:
    """The last day of the term: a term of N years from the effective date."""
    return effective_on + relativedelta(years=term_years) - datetime.timedelta(days=1)


def renewal_opens(expires_on: datetime.date) -> datetime.date:
    """Renewal may be asked within 3 months before the term ends (Art. 38)."""
    return expires_on - relativedelta(months=law.RENEWAL_WINDOW_MONTHS)


# --- the vote (Art. 36) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteResult:
    electorate: int
    attendance: int
    approvals: int

    @property
    def quorate(self) -> bool:
        """At least 2/3 of the whole electorate present."""
        num, den = law.VOTE_QUORUM
        return self.attendance * den >= self.electorate * num

    @property
    def approved(self) -> bool:
        """More than half of the whole electorate (not of those voting) approve."""
        num, den = law.VOTE_APPROVAL_OF_ALL
        return self.approvals * den > self.electorate * num

    @property
    def passed(self) -> bool:
        return self.electorate > 0 and self.quorate and self.approved
