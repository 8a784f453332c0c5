"""Mediators: conflicts of interest, workload, recusal (回避) and reassignment.

What screens need (docs/mediation.md): `mediator_workload()` for the assignment form,
`mediator_conflicts()` to grey out conflicted mediators.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import links
from core.roles import Role
from core.selectors import related_organisations
from core.services import find_conflicts, reassign, require_perm, required_text

from ..models import MEDIATOR_ACTIVE_STATES, MEDIATOR_FOLLOW_UP_STATES, OPEN_STATES, Mediation, MediationState
from .common import lock_unchanged, name_of, supervisors, tell

S = MediationState


def mediator_conflicts(mediator, mediation) -> list[str]:
    """Why `mediator` may not mediate this dispute (empty: no conflict).

    - works for, acts for or is retained by a respondent or a company of its group
      (core.services.find_conflicts over the respondents and their parents and partners);
    - whatever other modules know (core.links.conflict_reasons: dispute intake knows who gave a
      claimant legal aid, or acted against a respondent's group).
    """
    respondents = list(mediation.respondents.all())
    direct = {o.pk for o in respondents}
    related = related_organisations(respondents)
    reasons = []
    for org in find_conflicts(person=mediator, organisations=related):
        how = _("被申请单位") if org.pk in direct else _("被申请单位的关联单位")
        reasons.append(_("任职于、代理或受聘于%(how)s（%(org)s）") % {"how": how, "org": org.name})
    reasons += links.conflict_reasons(
        mediator, claimants=mediation.claimants.all(), respondents=related,
        exclude=[mediation.case] if mediation.case is not None else [],
    )
    return reasons


def check_mediator(mediator, mediation, field="mediator"):
    if mediator is None or not mediator.is_active or not mediator.groups.filter(name=Role.MEDIATOR).exists():
        raise ValidationError({field: [_("请选择一名在职调解员。")]})
    reasons = mediator_conflicts(mediator, mediation)
    if reasons:
        raise ValidationError({field: [_("利益冲突：%(name)s %(reasons)s，应当回避，不能主持本调解。") % {
            "name": name_of(mediator), "reasons": "；".join(reasons)}]})


def mediator_workload(*, mediators=None, today=None):
    """Mediators with their work in hand, fewest first: what the assignment screen shows.

    Each user carries `in_progress` (mediating now), `follow_up` (agreed, awaiting confirmation or
    performance), `open_total` and `due_soon` (deadline within WEIQUAN_MEDIATION_WARNING_DAYS).
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.WEIQUAN_MEDIATION_WARNING_DAYS)
    users = mediators if mediators is not None else get_user_model().objects.filter(
        groups__name=Role.MEDIATOR, is_active=True
    )
    return (
        users.annotate(
            in_progress=Count("mediations", filter=Q(mediations__state__in=MEDIATOR_ACTIVE_STATES), distinct=True),
            follow_up=Count("mediations", filter=Q(mediations__state__in=MEDIATOR_FOLLOW_UP_STATES), distinct=True),
            due_soon=Count("mediations", filter=Q(mediations__state=S.IN_PROGRESS, mediations__deadline__lte=horizon),
                           distinct=True),
        )
        .annotate(open_total=F("in_progress") + F("follow_up"))
        .order_by("in_progress", "open_total", "username")
    )


def workload_of(mediator) -> dict:
    row = mediator_workload(mediators=get_user_model().objects.filter(pk=mediator.pk)).first()
    return {"in_progress": row.in_progress, "follow_up": row.follow_up, "open_total": row.open_total} if row else {}


def recuse(*, mediation, actor, reason, replacement=None, comment="") -> Mediation:
    """The mediator steps aside (回避), or a supervisor removes them; a replacement is conflict-checked.

    Without a replacement the mediation keeps its state with no mediator and the supervisors are
    told; `reassign_mediator` gives it to someone else.
    """
    require_perm(actor, "mediation.recuse", mediation)
    reason = required_text("reason", reason, _("请说明回避理由。"))
    if mediation.mediator_id is None:
        raise ValidationError({"mediator": [_("本调解目前没有调解员。")]})
    if replacement is not None:
        if replacement.pk == mediation.mediator_id:
            raise ValidationError({"replacement": [_("接替的调解员不能是回避的调解员本人。")]})
        check_mediator(replacement, mediation, field="replacement")
    previous = mediation.mediator
    with transaction.atomic():
        lock_unchanged(mediation)
        reassign(mediation, field="mediator", to=replacement, actor=actor, transition="recuse",
                 comment=comment or reason, payload={"reason": reason},
                 also={"mediator_assigned_at": timezone.now() if replacement else None})
        if replacement is None:
            tell(supervisors(), mediation, f"recused:{previous.pk}",
                 _("调解员 %(name)s 已回避调解 %(number)s（%(reason)s），请另行指定调解员。") % {
                     "name": name_of(previous), "number": mediation.number, "reason": reason})
    return mediation


def reassign_mediator(*, mediation, actor, mediator, comment="") -> Mediation:
    """A supervisor gives an assigned mediation to another mediator (conflict-checked)."""
    require_perm(actor, "mediation.reassign_mediator", mediation)
    if mediation.state not in OPEN_STATES or mediation.state in (S.REFERRED, S.ACCEPTED):
        raise ValidationError({"mediator": [_("只有已指定调解员的调解可以改派；待受理或已受理的调解请使用“指定调解员”。")]})
    check_mediator(mediator, mediation)
    if mediation.mediator_id == mediator.pk:
        return mediation
    with transaction.atomic():
        lock_unchanged(mediation)
        reassign(mediation, field="mediator", to=mediator, actor=actor, transition="reassign_mediator",
                 comment=comment, payload={"workload": workload_of(mediator)},
                 also={"mediator_assigned_at": timezone.now()})
    return mediation
