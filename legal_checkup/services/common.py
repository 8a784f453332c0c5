"""What the check-up services share: dates, the row lock, journaling a step, and keeping worker
identities out of everything that leaves the union."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from core import journal
from core.models import Worker

from ..models import Checkup

# An 18-character resident ID (or a 15-digit old one), a mainland mobile number, with or without
# separators: refused in any text that goes into a report.
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
MASK = "某某"


def fmt(day) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


def as_date(field, value):
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: [_("请填写日期（如 2026-03-01）。")]}) from None


def check_date(field, day, *, not_before=None, not_before_label="", allow_future=False):
    if day is None:
        return
    if not allow_future and day > timezone.localdate():
        raise ValidationError({field: [_("日期不能晚于今天。")]})
    if not_before is not None and day < not_before:
        raise ValidationError({field: [_("日期不能早于%(what)s（%(day)s）。") % {"what": not_before_label, "day": fmt(not_before)}]})


def no_identity(field, text) -> str:
    """Report texts never carry a worker's ID number or phone: refused at entry (the report goes
    to the company). Names of registered workers are redacted when the report is rendered."""
    text = (text or "").strip()
    if ID_LIKE.search(text):
        raise ValidationError({field: [_("报告内容不得包含身份证号码：请删除，或以“某骑手”等方式指代。")]})
    if PHONE_LIKE.search(text):
        raise ValidationError({field: [_("报告内容不得包含手机号码：请删除。")]})
    return text


def redact_workers(text: str, names=None) -> str:
    """Registered workers' names replaced by 某某 (the report goes to the company)."""
    if not text:
        return text
    names = names if names is not None else worker_names()
    for name in names:
        if name and name in text:
            text = text.replace(name, MASK)
    return text


def worker_names() -> list[str]:
    """Every registered worker's name, longest first (so 王小明 is redacted before 王小)."""
    return sorted({n for n in Worker.objects.values_list("name", flat=True) if len(n) >= 2}, key=len, reverse=True)


def locked(checkup) -> Checkup:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked() runs inside the transaction of the change")
    fresh = Checkup.objects.select_for_update().get(pk=checkup.pk)
    if fresh.state != checkup.state or fresh.updated_at != checkup.updated_at:
        raise ConcurrentTransition(_("该体检刚被他人修改，请刷新后重试。"))
    return fresh


def record_step(checkup, event, *, actor, comment="", payload=None):
    """Journal a step that does not move the state, and touch the row (a stale page is a conflict)."""
    Checkup.objects.filter(pk=checkup.pk).update(updated_at=timezone.now())
    checkup.refresh_from_db(fields=["updated_at"])
    journal.record(subject=checkup, transition=event, from_state=checkup.state, to_state=checkup.state,
                   actor=actor, comment=comment, payload=payload or {})
