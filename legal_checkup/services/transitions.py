"""The Checkup machine's transitions: one service each, named as its declaration
(legal_checkup/transitions.py). A service checks the input and sets the data; `core.transitions`
does the rest."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import required_text
from core.transitions import check, run_transition

from ..models import Assessment, CheckupState, Finding, Result
from ..rules import rectification_due, score
from .audit import check_auditor
from .common import as_date, check_date, no_identity

S = CheckupState


def plan(*, checkup, actor, checklist_version, profile, lead, planned_on=None, scope="", comment=""):
    """The plan: checklist version (published; pinned from now on), profile, lead (conflict-checked)."""
    check(checkup, "plan", actor)
    errors = {}
    if checklist_version is None or not checklist_version.published:
        errors["checklist_version"] = [_("请选择已发布的清单版本。")]
    if profile not in ("basic", "in_depth"):
        errors["profile"] = [_("请选择基础评估或深度评估。")]
    if errors:
        raise ValidationError(errors)
    check_auditor(lead, checkup, field="lead")
    for member in checkup.team.all():
        check_auditor(member, checkup, field="lead")
    planned_on = as_date("planned_on", planned_on)
    scope = no_identity("scope", scope)

    def apply(c):
        c.checklist_version, c.profile, c.lead = checklist_version, profile, lead
        c.planned_on, c.scope = planned_on, scope

    return run_transition(checkup, "plan", actor=actor, comment=comment, apply=apply)


def start_fieldwork(*, checkup, actor, started_on=None, comment=""):
    """One assessment per item of the pinned version that applies to this company and profile."""
    check(checkup, "start_fieldwork", actor)
    items = [i for i in checkup.checklist_version.items.all() if i.applies_to(checkup.company, checkup.profile)]
    if not items:
        raise ValidationError({"checklist_version": [_("该清单版本没有适用于此企业和评估类型的事项。")]})

    started_on = as_date("started_on", started_on) or timezone.localdate()
    check_date("started_on", started_on)

    def apply(c):
        c.fieldwork_started_on = started_on

    with transaction.atomic():
        run_transition(checkup, "start_fieldwork", actor=actor, comment=comment, apply=apply,
                       payload={"items": len(items)})
        Assessment.objects.bulk_create([Assessment(checkup=checkup, item=i) for i in items])
    return checkup


def _earlier_findings(checkup):
    """The findings of this company's earlier checkups (same credit code, or the same row), by item code."""
    company = checkup.company
    same = Finding.objects.filter(checkup__company=company)
    if company.credit_code:
        same = Finding.objects.filter(checkup__company__credit_code=company.credit_code)
    earlier = {}
    for f in same.exclude(checkup=checkup).select_related("item").order_by("checkup_id", "id"):
        earlier[f.item.code] = f  # the latest earlier one wins
    return earlier


def compile_findings(*, checkup, actor, comment=""):
    """A finding per partial or non-compliant item (its text editable while drafting); the score.
    A finding whose item was found before at the same company is a repeat, linked to the last one."""
    check(checkup, "compile_findings", actor)
    assessments = list(checkup.assessments.select_related("item"))
    result = score((a.item.severity, a.result) for a in assessments)
    earlier = _earlier_findings(checkup)

    def apply(c):
        c.score, c.grade, c.grade_capped, c.drafted_by = result.value, result.grade, result.capped, actor

    with transaction.atomic():
        findings = []
        for order, a in enumerate(assessments, start=1):
            if a.result not in (Result.PARTIAL, Result.NON_COMPLIANT) or hasattr(a, "finding"):
                continue
            item = a.item
            findings.append(Finding(
                checkup=checkup, assessment=a, item=item, severity=item.severity, legal_basis=item.legal_basis,
                found=(_("%(title)s：%(result)s。") % {"title": item.title, "result": a.get_result_display()}
                       + (f"{a.examined}。" if a.examined else "")),
                recommendation=item.guidance, repeat_of=earlier.get(item.code), order=order,
            ))
        Finding.objects.bulk_create(findings)
        run_transition(checkup, "compile_findings", actor=actor, comment=comment, apply=apply, payload={
            "findings": len(findings), "repeats": sum(f.repeat_of_id is not None for f in findings),
            "computation": result.explain()})
    return checkup


def submit_for_review(*, checkup, actor, comment=""):
    check(checkup, "submit_for_review", actor)

    def apply(c):
        c.drafted_by = actor

    return run_transition(checkup, "submit_for_review", actor=actor, comment=comment, apply=apply)


def approve(*, checkup, actor, approved_on=None, comment=""):
    """Approved by someone other than the drafter (four eyes)."""
    if checkup.state == S.REVIEW and checkup.drafted_by_id == actor.pk:
        raise PermissionDenied(_("报告须由起草人以外的人员审核。"))
    check(checkup, "approve", actor)
    approved_on = as_date("approved_on", approved_on) or timezone.localdate()
    check_date("approved_on", approved_on, not_before=checkup.fieldwork_started_on, not_before_label=_("现场检查开始日期"))

    def apply(c):
        c.approved_by, c.approved_on = actor, approved_on

    return run_transition(checkup, "approve", actor=actor, comment=comment, apply=apply)


def return_for_changes(*, checkup, actor, comment_text, finding_comments=(), comment=""):
    """Back to drafting with the reviewer's comments, overall and per finding (by item code)."""
    check(checkup, "return_for_changes", actor)
    comment_text = required_text("comment_text", comment_text, _("退回修改须写明审核意见。"))
    by_code = {f.item.code: f for f in checkup.findings.select_related("item")}
    per_finding, errors = [], []
    for n, row in enumerate(finding_comments or (), start=1):
        finding = by_code.get(str(row.get("item", "")).strip())
        if finding is None:
            errors.append(_("第%(n)d条：本次体检没有编号为 %(code)s 的问题。") % {"n": n, "code": row.get("item")})
        else:
            per_finding.append((finding, str(row.get("comment", "")).strip()))
    if errors:
        raise ValidationError({"finding_comments": errors})

    def apply(c):
        c.review_comment = comment_text

    with transaction.atomic():
        for finding, text in per_finding:
            finding.review_comment = text
            finding.save(update_fields=["review_comment"])
        run_transition(checkup, "return_for_changes", actor=actor, comment=comment or comment_text, apply=apply,
                       payload={"findings": {f.item.code: t for f, t in per_finding}})
    return checkup


def issue(*, checkup, actor, issued_on=None, comment=""):
    """Issue the report to the company: rectification due per finding (high 30, medium 60, low 90
    days on the legal calendar); the company's contacts can read it from now on."""
    check(checkup, "issue", actor)
    issued_on = as_date("issued_on", issued_on) or timezone.localdate()
    check_date("issued_on", issued_on, not_before=checkup.approved_on, not_before_label=_("审核通过日期"))

    def apply(c):
        c.issued_on = issued_on

    with transaction.atomic():
        for finding in checkup.findings.all():
            finding.due_on = rectification_due(issued_on, finding.severity).date
            finding.save(update_fields=["due_on"])
        run_transition(checkup, "issue", actor=actor, comment=comment, apply=apply,
                       payload={"findings": checkup.findings.count()})
    return checkup


def start_rectification(*, checkup, actor, acknowledged_on=None, comment=""):
    """The company acknowledges the report (its contact, or staff who received the signed receipt)."""
    check(checkup, "start_rectification", actor)
    acknowledged_on = as_date("acknowledged_on", acknowledged_on) or timezone.localdate()
    check_date("acknowledged_on", acknowledged_on, not_before=checkup.issued_on, not_before_label=_("报告出具日期"))

    def apply(c):
        c.acknowledged_on = acknowledged_on

    return run_transition(checkup, "start_rectification", actor=actor, comment=comment, apply=apply)


def follow_up(*, checkup, actor, follow_up_on=None, comment=""):
    check(checkup, "follow_up", actor)
    follow_up_on = as_date("follow_up_on", follow_up_on) or timezone.localdate()
    check_date("follow_up_on", follow_up_on, not_before=checkup.acknowledged_on, not_before_label=_("企业签收日期"))

    def apply(c):
        c.follow_up_on = follow_up_on

    return run_transition(checkup, "follow_up", actor=actor, comment=comment, apply=apply)


def final_results(checkup):
    """(severity, result) after the follow-up: a finding's re-assessment, else the item's
    re-assessment when the whole checklist was re-assessed, else the fieldwork's result."""
    out = []
    for a in checkup.assessments.select_related("item", "finding"):
        finding = getattr(a, "finding", None)
        result = (finding.reassessed_result if finding is not None and finding.reassessed_result
                  else a.reassessed_result or a.result)
        out.append((a.item.severity, result))
    return out


def close(*, checkup, actor, comment=""):
    """Only when every finding has the company's reply and a re-assessment; the final score."""
    check(checkup, "close", actor)
    final = score(final_results(checkup))

    def apply(c):
        c.final_score, c.final_grade, c.closed_on = final.value, final.grade, timezone.localdate()

    return run_transition(checkup, "close", actor=actor, comment=comment, apply=apply,
                          payload={"computation": final.explain()})


def cancel(*, checkup, actor, reason, comment=""):
    check(checkup, "cancel", actor)
    reason = required_text("reason", reason, _("取消体检须说明原因。"))

    def apply(c):
        c.cancel_reason = reason

    return run_transition(checkup, "cancel", actor=actor, comment=comment or reason, apply=apply)
