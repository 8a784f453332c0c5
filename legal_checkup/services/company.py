"""The audited company's side and the union's escalation: replies per finding, the supervision
letters (提示函 → 意见书 → 建议书) on an overdue finding, and the letters' replies."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import documents
from core.models import Organisation
from core.services import required_text

from ..models import CheckupState, Finding, Letter, Reply
from ..rules import letter_reply_due
from .common import as_date, check_date, fmt, locked, no_identity, record_step

S = CheckupState
REPLY_STATES = (S.RECTIFYING, S.FOLLOW_UP)
ESCALATION_STATES = (S.RECTIFYING, S.FOLLOW_UP)


def reply(*, finding, actor, plan, responsible, target_on, done=False, comment="") -> Reply:
    """The company's reply on a finding: its plan, who answers for it, by when, done or not."""
    checkup = finding.checkup
    if not (actor.has_perm("legal_checkup.reply", checkup) or actor.has_perm("legal_checkup.change_checkup", checkup)):
        raise PermissionDenied(_("只有受检企业的联系人（或检查组）可以登记整改答复。"))
    if checkup.state not in REPLY_STATES:
        raise ValidationError({"plan": [_("签收报告、进入整改后方可逐项答复（当前：%(state)s）。") % {
            "state": checkup.get_state_display()}]})
    errors = {}
    try:
        plan = no_identity("plan", required_text("plan", plan, _("请写明整改措施。")))
    except ValidationError as e:
        errors.update(e.message_dict)
    responsible = (responsible or "").strip()
    if not responsible:
        errors["responsible"] = [_("请写明整改责任人。")]
    target_on = as_date("target_on", target_on) if target_on else None
    if target_on is None:
        errors["target_on"] = [_("请填写计划完成日期。")]
    elif checkup.issued_on and target_on < checkup.issued_on:
        errors["target_on"] = [_("计划完成日期不能早于报告出具日期。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked(checkup)
        row = Reply.objects.create(finding=finding, plan=plan, responsible=responsible, target_on=target_on,
                                   done=bool(done), created_by=actor)
        if finding.status == Finding.Status.OPEN:
            finding.status = Finding.Status.REPLIED
            finding.save(update_fields=["status"])
        record_step(checkup, "reply", actor=actor, comment=comment, payload={
            "item": finding.item.code, "done": bool(done), "target_on": target_on})
    return row


def overdue(finding, today=None) -> bool:
    today = today or timezone.localdate()
    return (finding.due_on is not None and finding.due_on < today
            and finding.status not in (Finding.Status.RECTIFIED,) and not finding.replies.filter(done=True).exists())


def escalate(*, finding, actor, issued_on=None, comment="") -> Letter:
    """The next letter on an overdue finding: a reminder (提示函) to the company, then an opinion
    (意见书), then a recommendation (建议书) to the labour administration, which hands it over."""
    checkup = finding.checkup
    if not actor.has_perm("legal_checkup.escalate", checkup):
        raise PermissionDenied(_("您没有权限发出工会劳动法律监督文书。"))
    if checkup.state not in ESCALATION_STATES:
        raise ValidationError({"kind": [_("只有整改或复查阶段的问题可以督促。")]})
    issued_on = as_date("issued_on", issued_on) or timezone.localdate()
    check_date("issued_on", issued_on)
    if not overdue(finding, issued_on):
        raise ValidationError({"kind": [_("该问题的整改期限（%(day)s）尚未届满或已整改，无需督促。") % {
            "day": fmt(finding.due_on)}]})
    if finding.escalation >= len(Letter.LADDER):
        raise ValidationError({"kind": [_("已发出建议书并移交劳动行政部门，无法再升级。")]})
    previous = finding.letters.order_by("-id").first()
    if previous is not None and previous.replied_on is None and issued_on <= previous.reply_due:
        raise ValidationError({"kind": [_("上一份%(kind)s的答复期限（%(day)s）尚未届满。") % {
            "kind": previous.get_kind_display(), "day": fmt(previous.reply_due)}]})
    kind = Letter.LADDER[finding.escalation]
    addressee = checkup.company
    if kind == Letter.Kind.RECOMMENDATION:
        addressee = Organisation.objects.filter(kind=Organisation.Kind.LABOR_BUREAU).order_by("pk").first()
        if addressee is None:
            raise ValidationError({"kind": [_("请先登记劳动行政部门，建议书须致送该部门。")]})
    due = letter_reply_due(issued_on, kind)
    with transaction.atomic():
        locked(checkup)
        letter = Letter.objects.create(finding=finding, kind=kind, issued_on=issued_on, reply_due=due.date,
                                       addressee=addressee, issued_by=actor)
        finding.escalation += 1
        finding.save(update_fields=["escalation"])
        record_step(checkup, "escalate", actor=actor, comment=comment, payload={
            "item": finding.item.code, "letter": kind, "reply_due": due.date,
            "handed_over": kind == Letter.Kind.RECOMMENDATION})
        documents.request(letter, f"{kind}_letter", actor=actor)
    return letter


def letter_reply(*, letter, actor, replied_on=None, reply_text="", comment="") -> Letter:
    checkup = letter.finding.checkup
    if not (actor.has_perm("legal_checkup.reply", checkup) or actor.has_perm("legal_checkup.escalate", checkup)):
        raise PermissionDenied(_("您没有权限登记该文书的答复。"))
    replied_on = as_date("replied_on", replied_on) or timezone.localdate()
    check_date("replied_on", replied_on, not_before=letter.issued_on, not_before_label=_("文书发出日期"))
    reply_text = no_identity("reply_text", required_text("reply_text", reply_text, _("请填写答复内容。")))
    with transaction.atomic():
        locked(checkup)
        letter.replied_on, letter.reply_text = replied_on, reply_text
        letter.save(update_fields=["replied_on", "reply_text"])
        record_step(checkup, "letter_reply", actor=actor, comment=comment,
                    payload={"item": letter.finding.item.code, "letter": letter.kind, "replied_on": replied_on})
    return letter
