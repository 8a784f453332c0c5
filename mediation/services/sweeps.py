"""The two beat sweeps of mediation, set-based: a handful of queries however many rows.

- `sweep_deadlines(today)`: mediations past their deadline without agreement `expire` to `failed`;
  the mediator and the supervisors are warned WEIQUAN_MEDIATION_WARNING_DAYS days before a
  deadline (once per deadline: a second run adds nothing).
- `sweep_performance(today)`: an agreement whose recorded payments cover its total is `fulfil`led;
  one with an instalment still unpaid when its grace period has run out is `default`ed.

The state changes are `core.transitions.bulk_transition` of the declared transitions, so a swept
`expire` journals, notifies (one digest per person) and issues documents exactly as a
supervisor's `expire` does. Two sweeps at once: a row is taken by exactly one of them.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import notices
from core.notices import Field, Notice, RoleMembers
from core.roles import Role
from core.transitions import bulk_transition

from ..models import DEADLINE_STATES, PERFORMANCE_STATES, Instalment, Mediation
from ..rules import payment_cutoff


def deadline_warning(today):
    """The warning a sweep sends about a deadline within the warning window."""
    return Notice(
        "deadline_warning:%(deadline)s", to=Field("mediator") + RoleMembers(Role.SUPERVISOR),
        text=_("调解 %(number)s 将于 %(deadline)s 期满（还有 %(days)s 天）%(unassigned)s：请抓紧调解；需延长的，须在期满前取得双方同意。"),
        context={"number": "number", "deadline": "deadline",
                 "days": ("deadline", lambda day: (day - today).days),
                 "unassigned": ("mediator_id", lambda pk: "" if pk else str(_("，尚未指定调解员")))},
    )


def sweep_deadlines(*, today=None) -> dict:
    """Expire what ran out; warn about what runs out soon. Idempotent; safe to run twice at once."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.WEIQUAN_MEDIATION_WARNING_DAYS)
    with transaction.atomic():
        expired = bulk_transition(Mediation.objects.filter(deadline__lt=today), "expire", today=today,
                                  comment=str(_("调解期限届满未达成协议（期限巡检）")))
        returned = sum(1 for body in expired.journaled.values() if body.get("returned_to_court_on"))
        due = list(Mediation.objects.filter(state__in=DEADLINE_STATES, deadline__gte=today, deadline__lte=horizon)
                   .values_list("pk", flat=True))
        warned = notices.send(Mediation, [deadline_warning(today)], due, digest=False)
    return {"expired": len(expired), "returned_to_court": returned, "warned": len(due),
            "notifications": expired.notifications + warned}


def sweep_performance(*, today=None) -> dict:
    """Fulfil agreements paid in full; default those with an instalment overdue past the grace."""
    today = today or timezone.localdate()
    cutoff = payment_cutoff(today)
    with transaction.atomic():
        paid_up = Mediation.objects.filter(agreement__total__gt=0, agreement__amount_paid__gte=F("agreement__total"))
        fulfilled = bulk_transition(paid_up.filter(state__in=PERFORMANCE_STATES), "fulfil", today=today,
                                    comment=str(_("协议履行巡检")))
        overdue = Mediation.objects.filter(Exists(Instalment.objects.filter(
            agreement_id=OuterRef("agreement_id"), paid__lt=F("amount"), due_on__lte=cutoff,
        )))
        # (the rows just fulfilled are no longer in a state `default` starts from)
        defaulted = bulk_transition(overdue, "default", today=today,
                                    comment=str(_("协议履行巡检")))
    return {"fulfilled": len(fulfilled), "defaulted": len(defaulted), "cutoff": cutoff,
            "notifications": fulfilled.notifications + defaulted.notifications}
