"""The check-up's rules: who may see and do what, and the pure figures (the score, the grade, the
rectification periods, the supervision letters' reply dates).

- Auditors, lawyers, volunteers and supervisors (union staff doing check-ups) see every checkup;
  other union staff read them.
- A company contact sees only their own company's checkups, and only once the report is issued;
  never drafts, assessors' notes or interviews, other companies, or any case or mediation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import rules

from core import legal_calendar
from core import legal_figures as law
from core.roles import (
    Role,
    is_auditor,
    is_company_contact,
    is_lawyer,
    is_supervisor,
    is_volunteer,
    organisation_of,
)

WEIGHTS = {"H": 3, "M": 2, "L": 1}
RESULT_VALUES = {"compliant": Decimal(1), "partial": Decimal("0.5"), "non_compliant": Decimal(0)}
GRADES = [("A", Decimal(90)), ("B", Decimal(75)), ("C", Decimal(60))]


@rules.predicate
def is_union_staff(user):
    return user.is_active and user.groups.filter(name__in=Role.UNION_STAFF).exists()


@rules.predicate
def is_company_of(user, checkup):
    """A contact of the audited company, once the report is issued."""
    from .models import ISSUED_STATES

    if checkup is None or not is_company_contact(user):
        return False
    org = organisation_of(user)
    return org is not None and org.pk == checkup.company_id and checkup.state in ISSUED_STATES


@rules.predicate
def is_on_team(user, checkup):
    return checkup is not None and (checkup.lead_id == user.pk or checkup.team.filter(pk=user.pk).exists())


@rules.predicate
def has_no_lead(user, checkup):
    return checkup is not None and checkup.lead_id is None


checkup_staff = is_auditor | is_lawyer | is_volunteer | is_supervisor
# Before a lead is named, any check-up staff may prepare it; then the team and the supervisors.
works_checkup = is_supervisor | is_on_team | (checkup_staff & has_no_lead)
can_view_checkup = is_union_staff | is_company_of

rules.add_perm("legal_checkup.view_checkup", can_view_checkup)
rules.add_perm("legal_checkup.add_checkup", checkup_staff)
rules.add_perm("legal_checkup.change_checkup", works_checkup)
rules.add_perm("legal_checkup.view_internal_notes", is_union_staff)
rules.add_perm("legal_checkup.reply", is_company_of)
rules.add_perm("legal_checkup.escalate", is_supervisor | is_on_team)
rules.add_perm("legal_checkup.manage_checklists", is_supervisor)
rules.add_perm("legal_checkup", checkup_staff)
@rules.predicate
def is_drafter(user, checkup):
    return checkup is not None and checkup.drafted_by_id == user.pk


@rules.predicate
def is_company_of_letter(user, letter):
    """A contact of the company a supervision letter is about (and was sent to)."""
    return letter is not None and is_company_of.test(user, letter.finding.checkup)


rules.add_perm("legal_checkup.view_letter", checkup_staff | is_company_of_letter)
for _model in ("checklist", "checklistversion", "checklistitem", "assessment", "finding", "reply", "evidence"):
    rules.add_perm(f"legal_checkup.view_{_model}", checkup_staff)
for _model in ("checklist", "checklistversion", "checklistitem"):
    for _action in ("add", "change"):
        rules.add_perm(f"legal_checkup.{_action}_{_model}", is_supervisor)


# --- the score (DESIGN.md, "Checkup") ---------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    value: Decimal | None  # None when every item is not applicable
    grade: str
    capped: bool  # a non-compliant high-severity item capped the grade at C
    earned: Decimal  # Σ weight × result
    possible: int  # Σ weight of the applicable items

    def explain(self) -> str:
        if self.value is None:
            return "全部事项不适用，不计分。"
        text = f"得分 = 100 × {self.earned} ÷ {self.possible} = {self.value}"
        return text + ("；有高风险事项不符合，等级封顶为C。" if self.capped else "。")


def grade_of(value: Decimal) -> str:
    for grade, floor in GRADES:
        if value >= floor:
            return grade
    return "D"


def score(results) -> Score:
    """`results`: (severity, result) pairs. High 3, medium 2, low 1; compliant 1, partial 0.5,
    non-compliant 0, not applicable left out. 100 × Σ weight·result / Σ weight, one decimal
    (half up); A ≥ 90, B ≥ 75, C ≥ 60, else D; a non-compliant high-severity item caps at C."""
    earned, possible, capped_by = Decimal(0), 0, False
    for severity, result in results:
        if result not in RESULT_VALUES:
            continue
        weight = WEIGHTS[severity]
        earned += weight * RESULT_VALUES[result]
        possible += weight
        capped_by = capped_by or (severity == "H" and result == "non_compliant")
    if possible == 0:
        return Score(None, "", False, earned, 0)
    value = (Decimal(100) * earned / possible).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    grade = grade_of(value)
    capped = capped_by and grade in ("A", "B")
    return Score(value, "C" if capped else grade, capped, earned, possible)


def rectification_due(issued_on, severity) -> legal_calendar.Deadline:
    return legal_calendar.deadline(issued_on, law.RECTIFICATION_DAYS[severity])


def letter_reply_due(issued_on, kind) -> legal_calendar.Deadline:
    return legal_calendar.deadline(issued_on, law.SUPERVISION_LETTER_REPLY_DAYS[kind])
