"""What the bargaining services share: dates, figures, the row lock (core.services has the rest)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import limits
from core.services import as_date, record_step  # noqa: F401 - the module's services use them from here
from core.services import locked as core_locked

from ..models import Negotiation


def fmt(day) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


def check_date(field, day, *, not_before=None, not_before_label="", allow_future=False):
    """A date of something that happened (core.limits' range rule): not in the future unless
    `allow_future`, not before the step it follows."""
    limits.check_date(field, day, past=not allow_future, not_before=not_before, not_before_label=not_before_label)


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
    """Lock the row; 409 if someone changed it since `negotiation` was read."""
    return core_locked(negotiation, message=_("该集体协商刚被他人修改，请刷新后重试。"))
