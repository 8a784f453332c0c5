"""What the bargaining services share: dates, amounts, the row lock, journaling a non-transition step."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from core import journal

from ..models import Negotiation


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
    """A date of something that happened: not in the future, not before the step it follows."""
    if day is None:
        return
    if not allow_future and day > timezone.localdate():
        raise ValidationError({field: [_("日期不能晚于今天。")]})
    if not_before is not None and day < not_before:
        raise ValidationError({field: [_("日期不能早于%(what)s（%(day)s）。") % {"what": not_before_label, "day": fmt(not_before)}]})


def number_or_none(field, value):
    """A position's or demand's figure: a decimal with at most two places, or None."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("，", ""))
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or abs(amount) >= Decimal("1e10"):
            raise ValueError
    except (ValueError, ArithmeticError, InvalidOperation):
        raise ValidationError({field: [_("应为数字（最多两位小数）。")]}) from None
    return amount


def locked(negotiation) -> Negotiation:
    """Lock the row and make sure nobody changed it since `negotiation` was read (else 409 conflict)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked() runs inside the transaction of the change")
    fresh = Negotiation.objects.select_for_update().get(pk=negotiation.pk)
    if fresh.state != negotiation.state or fresh.updated_at != negotiation.updated_at:
        raise ConcurrentTransition(_("该集体协商刚被他人修改，请刷新后重试。"))
    return fresh


def record_step(negotiation, event, *, actor, comment="", payload=None):
    """Journal a step that does not move the state, and touch the row (so a stale page is a conflict)."""
    Negotiation.objects.filter(pk=negotiation.pk).update(updated_at=timezone.now())
    negotiation.refresh_from_db(fields=["updated_at"])
    journal.record(subject=negotiation, transition=event, from_state=negotiation.state, to_state=negotiation.state,
                   actor=actor, comment=comment, payload=payload or {})
