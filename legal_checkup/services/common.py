"""What the check-up services share: dates, the row lock (core.services has the rest), and keeping
worker identities out of everything that leaves the union."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import limits
from core.models import Worker
from core.services import as_date, record_step  # noqa: F401 - the module's services use them from here
from core.services import locked as core_locked

from ..models import Checkup

# An 18-character resident ID (or a 15-digit old one), a mainland mobile number, with or without
# separators: refused in any text that goes into a report.
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
MASK = "某某"


def fmt(day) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


def check_date(field, day, *, not_before=None, not_before_label="", allow_future=False):
    """A date of something that happened (core.limits' range rule): not in the future unless
    `allow_future`, not before the step it follows."""
    limits.check_date(field, day, past=not allow_future, not_before=not_before, not_before_label=not_before_label)


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
    """Lock the row; 409 if someone changed it since `checkup` was read."""
    return core_locked(checkup, message=_("该体检刚被他人修改，请刷新后重试。"))
