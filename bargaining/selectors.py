"""Reads: what a user may see, the list rows, the comparison of positions across rounds."""

from __future__ import annotations

from collections import OrderedDict

from django.db.models import Q

from core.roles import is_company_contact, organisation_of

from .models import Negotiation, Position
from .rules import is_union_staff


def visible_to(user):
    """Union staff see every negotiation; a company contact only those their organisation is a
    party to (employer side); anyone else none."""
    qs = Negotiation.objects.select_related("union", "officer")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_union_staff(user):
        return qs
    if is_company_contact(user):
        org = organisation_of(user)
        return qs.filter(employers=org).distinct() if org is not None else qs.none()
    return qs.none()


def search(qs, *, state=None, level=None, text=None, employer=None):
    if state:
        qs = qs.filter(state=state)
    if level:
        qs = qs.filter(level=level)
    if employer:
        qs = qs.filter(employers=employer).distinct()
    if text:
        qs = qs.filter(Q(number__icontains=text) | Q(title__icontains=text) | Q(employers__name__icontains=text)).distinct()
    return qs


def comparison(negotiation) -> list[dict]:
    """Per topic, each round's positions and the gap between the sides (union − employer), in round
    order: the table and the chart of how far apart the sides still are."""
    topics = OrderedDict((t.pk, {"topic": t, "rounds": []}) for t in negotiation.topics.all())
    for p in Position.objects.filter(round__negotiation=negotiation).select_related("round").order_by("round__number"):
        if p.topic_id in topics:
            topics[p.topic_id]["rounds"].append({
                "round": p.round.number, "held_on": p.round.held_on, "union_value": p.union_value,
                "union_text": p.union_text, "employer_value": p.employer_value, "employer_text": p.employer_text,
                "gap": p.gap, "agreed": p.agreed,
            })
    return list(topics.values())
