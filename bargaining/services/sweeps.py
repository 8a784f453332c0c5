"""The bargaining sweep (beat, daily), set-based where it moves state:

- a contract filed and not objected to within the window `take_effect`s (by lapse, Art. 47);
- an effective contract past its term `expire`s;
- a proposal past its reply date with no reply is flagged to the officer (once);
- a contract within 3 months of its end: a renewal notice (once);
- a seat vacant past its 15 days is on the inbox (flows), not a notice.

The state changes are `core.transitions.bulk_transition` of the declared transitions, so a swept
`take_effect` journals and notifies exactly as one done by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import journal
from core.transitions import bulk_transition

from ..models import Negotiation, NegotiationState
from ..notices import RENEWAL_DUE, REPLY_OVERDUE, tell_staff
from ..rules import renewal_opens
from .common import fmt

S = NegotiationState


@dataclass
class SweepResult:
    took_effect: int = 0
    expired: int = 0
    reply_overdue: int = 0
    renewal_due: int = 0


def sweep(*, today=None, dry_run=False) -> SweepResult:
    today = today or timezone.localdate()
    result = SweepResult()
    lapsing = Negotiation.objects.filter(state=S.FILED, objection_window_ends__lt=today)
    ending = Negotiation.objects.filter(state=S.EFFECTIVE, expires_on__lt=today)
    overdue = Negotiation.objects.filter(state=S.PROPOSED, reply_due__lt=today, reply_overdue_notified_on__isnull=True)
    renewing = [n for n in Negotiation.objects.filter(state=S.EFFECTIVE, expires_on__gte=today,
                                                      renewal_notified_on__isnull=True)
                if renewal_opens(n.expires_on) <= today]
    if dry_run:
        return SweepResult(lapsing.count(), ending.count(), overdue.count(), len(renewing))
    with transaction.atomic():
        result.took_effect = len(bulk_transition(lapsing, "take_effect", today=today))
        result.expired = len(bulk_transition(ending, "expire", today=today))
        for n in overdue.select_for_update(skip_locked=True):
            tell_staff(n, f"negotiation:{n.pk}:reply_overdue", REPLY_OVERDUE % {"number": n.number, "due": fmt(n.reply_due)})
            Negotiation.objects.filter(pk=n.pk).update(reply_overdue_notified_on=today)
            journal.record(subject=n, transition="reply_overdue", from_state=n.state, to_state=n.state,
                           payload={"reply_due": n.reply_due})
            result.reply_overdue += 1
        for n in renewing:
            tell_staff(n, f"negotiation:{n.pk}:renewal_due:{n.expires_on}",
                       RENEWAL_DUE % {"number": n.number, "expires_on": fmt(n.expires_on)})
            Negotiation.objects.filter(pk=n.pk).update(renewal_notified_on=today)
            journal.record(subject=n, transition="renewal_due", from_state=n.state, to_state=n.state,
                           payload={"expires_on": n.expires_on})
            result.renewal_due += 1
    return result
