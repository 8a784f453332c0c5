"""The two beat sweeps of mediation, set-based: a handful of queries however many rows.

- `sweep_deadlines(today)`: deadlines counted before their year's holidays were known are counted
  again first; then mediations past their deadline without agreement `expire` to `failed`;
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
from django.db.models import Exists, F, OuterRef, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import journal, legal_calendar, notices
from core.models import CalendarDay
from core.notices import Field, Notice, RoleMembers
from core.roles import Role
from core.transitions import bulk_transition

from ..models import (
    DEADLINE_STATES,
    PERFORMANCE_STATES,
    Extension,
    Instalment,
    Mediation,
)
from ..rules import base_period_days, payment_cutoff


def deadline_warning(today):
    """The warning a sweep sends about a deadline within the warning window."""
    return Notice(
        "deadline_warning:%(deadline)s", to=Field("mediator") + RoleMembers(Role.SUPERVISOR),
        text=_("调解 %(number)s 将于 %(deadline)s 期满（还有 %(days)s 天）%(unassigned)s：请抓紧调解；需延长的，须在期满前取得双方同意。"),
        context={"number": "number", "deadline": "deadline",
                 "days": ("deadline", lambda day: (day - today).days),
                 "unassigned": ("mediator_id", lambda pk: "" if pk else str(_("，尚未指定调解员")))},
    )


def recount_provisional_deadlines() -> int:
    """Count again the deadlines counted by weekends alone, now that their year's holidays are in.

    A mediation accepted in December gets a January deadline before the State Council publishes
    the new year's holidays (`deadline_provisional`). Once staff load them, the period is counted
    again exactly as it was set: from the period's start by its base days, then each extension of
    this period from the deadline before it. A deadline that moves is journaled, so the timeline
    says why the date changed. Returns how many moved. Runs in the sweep's transaction, before
    anything expires by a stale date.
    """
    known_years = {day.year for day in CalendarDay.objects.dates("date", "year")}
    pending = (Mediation.objects.select_for_update(skip_locked=True)
               .filter(state__in=DEADLINE_STATES, deadline_provisional=True, period_started_on__isnull=False,
                       deadline__year__in=known_years)
               .only("pk", "state", "source", "procedure", "period_started_on", "deadline",
                     "deadline_provisional", "extensions_in_period")
               .prefetch_related(Prefetch("extensions", queryset=Extension.objects.order_by("id").only("mediation_id", "days"))))
    moved, entries = [], []
    for m in pending:
        due = legal_calendar.deadline(m.period_started_on, base_period_days(m.source, m.procedure))
        provisional = due.provisional
        # this period's extensions: the last `extensions_in_period` (resume starts the count again)
        extensions = list(m.extensions.all())
        for days in [x.days for x in extensions[max(0, len(extensions) - m.extensions_in_period):]]:
            due = legal_calendar.deadline(due.date, days)
            provisional = provisional or due.provisional
        if (due.date, provisional) == (m.deadline, m.deadline_provisional):
            continue
        if due.date != m.deadline:
            entries.append((Mediation, m.pk, "recount_deadline", m.state, m.state,
                            {"previous_deadline": m.deadline.isoformat(), "deadline": due.date.isoformat(),
                             "provisional": provisional}))
        m.deadline, m.deadline_provisional = due.date, provisional
        moved.append(m)
    Mediation.objects.bulk_update(moved, ["deadline", "deadline_provisional"], batch_size=1000)
    journal.record_many(entries, comment=str(_("按已公布的节假日重新计算调解期限")))
    return len(entries)


def sweep_deadlines(*, today=None) -> dict:
    """Expire what ran out; warn about what runs out soon. Idempotent; safe to run twice at once."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.WEIQUAN_MEDIATION_WARNING_DAYS)
    with transaction.atomic():
        recounted = recount_provisional_deadlines()
        expired = bulk_transition(Mediation.objects.filter(deadline__lt=today), "expire", today=today,
                                  comment=str(_("调解期限届满未达成协议（期限巡检）")))
        returned = sum(1 for body in expired.journaled.values() if body.get("returned_to_court_on"))
        due = list(Mediation.objects.filter(state__in=DEADLINE_STATES, deadline__gte=today, deadline__lte=horizon)
                   .values_list("pk", flat=True))
        warned = notices.send(Mediation, [deadline_warning(today)], due, digest=False)
    return {"expired": len(expired), "returned_to_court": returned, "warned": len(due),
            "notifications": expired.notifications + warned, "deadlines_recounted": recounted}


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
