"""The audit's own work: the request, the team (with the conflict check), the fieldwork's
assessments and evidence, the findings' text, the follow-up's re-assessment."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import journal
from core.models import Organisation
from core.services import find_conflicts, next_number, require_perm
from core.roles import organisation_of

from ..models import Assessment, Checkup, CheckupState, Evidence, Finding, Result
from .common import locked, no_identity, record_step

S = CheckupState
NUMBER_PREFIX = "TJC"  # 体检 (TJ is mediation's)
AUDITED_KINDS = tuple(Organisation.EMPLOYER_KINDS)


def create_checkup(*, actor, company, reason="", union=None, comment="") -> Checkup:
    """Register a request for a check-up of an employer (platform, agent, franchisee, dispatch firm)."""
    require_perm(actor, "legal_checkup.add_checkup")
    if company is None or company.kind not in AUDITED_KINDS:
        raise ValidationError({"company": [_("法治体检的对象是平台企业、平台代理商、加盟商或劳务派遣单位。")]})
    union = union or organisation_of(actor)
    if union is not None and union.kind != Organisation.Kind.UNION:
        union = None
    with transaction.atomic():
        checkup = Checkup.objects.create(number=next_number(NUMBER_PREFIX, timezone.localdate().year),
                                         company=company, union=union, reason=reason or "", created_by=actor)
        journal.record(subject=checkup, transition="create", from_state="", to_state=checkup.state, actor=actor,
                       comment=comment, payload={"company": company.pk})
    return checkup


def conflicts_of(person, checkup) -> list[str]:
    """Why `person` may not audit this company: they act for it, or for one of its parent or
    child companies, or they are one of its contacts."""
    company = checkup.company
    related = [company, *Organisation.objects.filter(pk=company.parent_id), *company.partners.all()]
    return [_("%(name)s 代理或受聘于受检企业（%(org)s）。") % {"name": person.get_full_name() or person.get_username(),
                                                           "org": org.name}
            for org in find_conflicts(person=person, organisations=related)]


def check_auditor(person, checkup, field="lead"):
    problems = conflicts_of(person, checkup)
    if problems:
        raise ValidationError({field: problems})
    if not person.is_active or not person.groups.filter(name__in=["auditor", "lawyer", "legal_aid_volunteer",
                                                                   "supervisor"]).exists():
        raise ValidationError({field: [_("检查组成员须是工会的法治体检人员、律师、法律援助志愿者或主管。")]})


def add_team_member(*, checkup, actor, member, comment=""):
    require_perm(actor, "legal_checkup.change_checkup", checkup)
    if checkup.state not in (S.REQUESTED, S.PLANNED, S.FIELDWORK):
        raise ValidationError({"member": [_("现场检查结束后不能再调整检查组。")]})
    check_auditor(member, checkup, field="member")
    with transaction.atomic():
        locked(checkup)
        checkup.team.add(member)
        record_step(checkup, "add_team_member", actor=actor, comment=comment,
                    payload={"member": member.pk, "name": member.get_full_name() or member.get_username()})
    return checkup


def assess(*, assessment, actor, result, not_applicable_reason="", examined="", sample_checked=None,
           sample_total=None, notes="", interviews="", comment="") -> Assessment:
    """Record one item's result. Notes and interviews are union-internal; what was examined goes
    into the report and so carries no worker identity."""
    checkup = assessment.checkup
    require_perm(actor, "legal_checkup.change_checkup", checkup)
    if checkup.state != S.FIELDWORK:
        raise ValidationError({"result": [_("只能在现场检查阶段评估事项（当前：%(state)s）。") % {
            "state": checkup.get_state_display()}]})
    errors = {}
    if result not in Result.values:
        errors["result"] = [_("请选择评估结论。")]
    if result == Result.NOT_APPLICABLE and not (not_applicable_reason or "").strip():
        errors["not_applicable_reason"] = [_("“不适用”须说明理由。")]
    if sample_checked is not None and sample_total is not None and sample_checked > sample_total:
        errors["sample_checked"] = [_("抽查数不能多于总数。")]
    try:
        examined = no_identity("examined", examined)
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked(checkup)
        assessment.result = result
        assessment.not_applicable_reason = (not_applicable_reason or "").strip() if result == Result.NOT_APPLICABLE else ""
        assessment.examined = examined
        assessment.sample_checked, assessment.sample_total = sample_checked, sample_total
        assessment.notes, assessment.interviews = notes or "", interviews or ""
        assessment.assessed_by, assessment.assessed_at = actor, timezone.now()
        assessment.save()
        # The journal is read by anyone who sees the checkup: the notes stay out of it.
        record_step(checkup, "assess", actor=actor, comment=comment,
                    payload={"item": assessment.item.code, "result": result})
    return assessment


def add_evidence(*, actor, file, assessment=None, reply=None) -> Evidence:
    """A file examined (on an assessment) or sent by the company (on a reply), with its SHA-256."""
    target = assessment.checkup if assessment is not None else reply.finding.checkup
    if assessment is not None:
        require_perm(actor, "legal_checkup.change_checkup", target)
    elif not (actor.has_perm("legal_checkup.reply", target) or actor.has_perm("legal_checkup.change_checkup", target)):
        raise PermissionDenied(_("您没有权限上传该材料。"))
    if file is None or not getattr(file, "size", 0):
        raise ValidationError({"file": [_("请选择要上传的文件。")]})
    limit = settings.WEIQUAN_EVIDENCE_MAX_BYTES
    if file.size > limit:
        raise ValidationError({"file": [_("文件不能超过 %(mb)d MB。") % {"mb": limit // (1024 * 1024)}]})
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        locked(target)
        evidence = Evidence(assessment=assessment, reply=reply, name=file.name[:200], sha256=digest.hexdigest(),
                            size=file.size, uploaded_by=actor)
        evidence.file.save(file.name, file, save=False)
        evidence.save()
        record_step(target, "add_evidence", actor=actor, payload={"name": evidence.name, "sha256": evidence.sha256})
    return evidence


def edit_finding(*, finding, actor, found=None, risk=None, recommendation=None, comment="") -> Finding:
    """The finding's text, editable while the report is drafted; no worker identity (refused)."""
    checkup = finding.checkup
    require_perm(actor, "legal_checkup.change_checkup", checkup)
    if checkup.state != S.DRAFTING:
        raise ValidationError({"found": [_("只能在报告起草阶段修改问题（当前：%(state)s）。") % {
            "state": checkup.get_state_display()}]})
    values = {}
    for field, value in (("found", found), ("risk", risk), ("recommendation", recommendation)):
        if value is not None:
            values[field] = no_identity(field, value)
    if values.get("found", finding.found).strip() == "":
        raise ValidationError({"found": [_("请写明发现的问题。")]})
    with transaction.atomic():
        locked(checkup)
        for field, value in values.items():
            setattr(finding, field, value)
        finding.save()
        record_step(checkup, "edit_finding", actor=actor, comment=comment, payload={"item": finding.item.code})
    return finding


def reassess(*, finding, actor, result, note="", reassessed_on=None, comment="") -> Finding:
    """The follow-up's re-assessment of a finding: rectified (compliant) or not."""
    checkup = finding.checkup
    require_perm(actor, "legal_checkup.change_checkup", checkup)
    if checkup.state != S.FOLLOW_UP:
        raise ValidationError({"result": [_("只能在复查阶段复查问题（当前：%(state)s）。") % {
            "state": checkup.get_state_display()}]})
    if result not in (Result.COMPLIANT, Result.PARTIAL, Result.NON_COMPLIANT):
        raise ValidationError({"result": [_("复查结论应为符合、部分符合或不符合。")]})
    note = no_identity("note", note)
    reassessed_on = reassessed_on or timezone.localdate()
    with transaction.atomic():
        locked(checkup)
        finding.reassessed_result, finding.reassessed_on, finding.reassessment_note = result, reassessed_on, note
        finding.status = Finding.Status.RECTIFIED if result == Result.COMPLIANT else Finding.Status.NOT_RECTIFIED
        finding.save()
        finding.assessment.reassessed_result = result
        finding.assessment.save(update_fields=["reassessed_result"])
        record_step(checkup, "reassess", actor=actor, comment=comment,
                    payload={"item": finding.item.code, "result": result})
    return finding


def reassess_item(*, assessment, actor, result, comment="") -> Assessment:
    """At the follow-up, when the whole checklist is re-assessed: an item without a finding."""
    checkup = assessment.checkup
    require_perm(actor, "legal_checkup.change_checkup", checkup)
    if checkup.state != S.FOLLOW_UP:
        raise ValidationError({"result": [_("只能在复查阶段复查事项。")]})
    if result not in Result.values:
        raise ValidationError({"result": [_("请选择复查结论。")]})
    with transaction.atomic():
        locked(checkup)
        assessment.reassessed_result = result
        assessment.save(update_fields=["reassessed_result"])
        record_step(checkup, "reassess", actor=actor, comment=comment,
                    payload={"item": assessment.item.code, "result": result})
    return assessment
