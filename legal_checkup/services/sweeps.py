"""The daily check-up sweep: a reminder to the company before a finding's rectification is due,
and the union told once when one is overdue (the inbox then asks to escalate)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import journal
from core.notices import notify
from core.roles import Role

from ..models import CheckupState, Finding
from .common import fmt

S = CheckupState


@dataclass
class SweepResult:
    reminded: int = 0
    overdue: int = 0


def _contacts(company_id):
    return list(get_user_model().objects.filter(groups__name=Role.COMPANY_CONTACT, is_active=True,
                                                profile__organisation_id=company_id))


def _union_people(checkup):
    if checkup.lead_id and checkup.lead.is_active:
        return [checkup.lead]
    return list(get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True))


def sweep(*, today=None, dry_run=False) -> SweepResult:
    today = today or timezone.localdate()
    window = datetime.timedelta(days=settings.WEIQUAN_CHECKUP_REMINDER_DAYS)
    open_findings = Finding.objects.filter(checkup__state__in=[S.RECTIFYING, S.ISSUED]).exclude(
        status=Finding.Status.RECTIFIED).exclude(replies__done=True).select_related("checkup", "item", "checkup__lead")
    due_soon = open_findings.filter(due_on__gte=today, due_on__lte=today + window, reminded_on__isnull=True)
    overdue = open_findings.filter(due_on__lt=today)
    result = SweepResult()
    if dry_run:
        return SweepResult(due_soon.count(), overdue.count())
    with transaction.atomic():
        for f in due_soon:
            for person in _contacts(f.checkup.company_id):
                notify(recipient=person, subject=f.checkup, key=f"checkup:{f.checkup_id}:due:{f.pk}", message=_(
                    "法治体检 %(number)s 第 %(code)s 项问题的整改期限为 %(due)s，请按期整改并在系统中答复。") % {
                    "number": f.checkup.number, "code": f.item.code, "due": fmt(f.due_on)})
            Finding.objects.filter(pk=f.pk).update(reminded_on=today)
            result.reminded += 1
        for f in overdue:
            told = False
            for person in _union_people(f.checkup):
                told = bool(notify(recipient=person, subject=f.checkup, key=f"checkup:{f.checkup_id}:overdue:{f.pk}",
                                   message=_("法治体检 %(number)s 第 %(code)s 项问题已逾期未整改（期限 %(due)s）：可发出%(next)s。") % {
                                       "number": f.checkup.number, "code": f.item.code, "due": fmt(f.due_on),
                                       "next": _("提示函") if f.escalation == 0 else _("下一份监督文书")})) or told
            if told:
                journal.record(subject=f.checkup, transition="overdue", from_state=f.checkup.state,
                               to_state=f.checkup.state, payload={"item": f.item.code, "due_on": f.due_on})
                result.overdue += 1
    return result
