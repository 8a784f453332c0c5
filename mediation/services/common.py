"""What the mediation services share: amounts, dates, the row lock, who is told."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import limits
from core.notices import notify
from core.roles import Role
from core.services import locked

from ..models import Mediation, MediationState

S = MediationState
CENT = Decimal("0.01")


def name_of(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def money(value, field: str, *, allow_zero=True) -> Decimal:
    try:
        amount = Decimal(str(value))
        if not amount.is_finite() or amount != amount.quantize(CENT):
            raise ValueError
    except (ValueError, ArithmeticError, InvalidOperation):
        raise ValidationError({field: [_("金额应为数字（元，最多两位小数）。")]}) from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field: [_("金额不能为负数。") if amount < 0 else _("金额应大于零。")]})
    return amount


def fmt(day) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


def check_date(field, day, *, not_before=None, not_before_label="", allow_future=False):
    """The one range rule for dates (core.limits.check_date): in the plausible range, not after
    today unless `allow_future`, not before `not_before`."""
    limits.check_date(field, day, past=not allow_future, not_before=not_before, not_before_label=not_before_label)


def lock_unchanged(mediation) -> Mediation:
    """Lock the row; 409 if someone changed it since `mediation` was read."""
    return locked(mediation, message=_("该调解刚被他人修改，请刷新后重试。"))


def supervisors():
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True))


def tell(people, mediation, key, message):
    """One keyed notification per active person about this mediation (core.notices.notify)."""
    seen = set()
    for person in people:
        if person is None or person.pk in seen or not person.is_active:
            continue
        seen.add(person.pk)
        notify(recipient=person, subject=mediation, key=f"mediation:{mediation.pk}:{key}", message=message)
