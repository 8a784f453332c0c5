"""Reads of dispute intake: what a user may see, searches, the list's annotations, and the ties
a lawyer's legal aid creates (a conflict source for other modules' checks, through core.links)."""

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core import links
from core.selectors import matching_organisations, matching_workers

from .models import Case, CaseClaimant, Claim
from .rules import case_visibility_filter


def visible_cases(user):
    return Case.objects.filter(case_visibility_filter(user))


def claim_total():
    """Sum of the case's claim amounts as one correlated subquery (no join to multiply other counts)."""
    return Subquery(
        Claim.objects.filter(case=OuterRef("pk")).order_by().values("case_id")
        .annotate(total=Sum("amount")).values("total"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def claimant_count():
    return Coalesce(
        Subquery(CaseClaimant.objects.filter(case=OuterRef("pk")).order_by().values("case_id")
                 .annotate(n=Count("pk")).values("n")),
        0,
    )


def search_cases(queryset, text):
    """By case number or title, by worker (name, phone, ID number) or by company (name, credit code).

    Subqueries rather than joins, so a case matching twice is listed once and the count stays exact.
    """
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(number__icontains=text) | Q(title__icontains=text)
        | Q(pk__in=CaseClaimant.objects.filter(worker__in=matching_workers(text)).values("case_id"))
        | Q(pk__in=Case.respondents.through.objects.filter(
            organisation__in=matching_organisations(text)).values("case_id"))
    )


@links.conflict_source
def legal_aid_ties(person, *, claimants, respondents, exclude):
    """A person who gave a claimant legal aid acted for them; one who gave legal aid against a
    respondent (or its group) acted against it. Cases in `exclude` (the case a mediation was
    opened for) do not count."""
    skip = [obj.pk for obj in exclude if isinstance(obj, Case)]
    reasons = []
    acted_for = (Case.objects.filter(legal_aid_by=person, claimants__in=claimants)
                 .exclude(pk__in=skip).distinct().order_by("number"))
    for case in acted_for:
        names = "、".join(sorted({w.name for w in case.claimants.all() if w in claimants}))
        reasons.append(_("曾在案件 %(case)s 中为申请人（%(names)s）提供法律援助") % {"case": case.number, "names": names})
    wanted = {o.pk for o in respondents}
    acted_against = (Case.objects.filter(legal_aid_by=person, respondents__in=respondents)
                     .exclude(pk__in=[c.pk for c in acted_for]).exclude(pk__in=skip).distinct().order_by("number"))
    for case in acted_against:
        names = "、".join(sorted({o.name for o in case.respondents.all() if o.pk in wanted}))
        reasons.append(_("曾在案件 %(case)s 中代理劳动者一方与%(names)s对立") % {"case": case.number, "names": names})
    return reasons


@links.worker_holder
def workers_of_held_cases(user) -> Q:
    """The claimants of the cases a person handles or gives legal aid in: all of the register a
    lawyer or volunteer sees (core.selectors.visible_workers)."""
    return Q(pk__in=CaseClaimant.objects.filter(Q(case__handler=user) | Q(case__legal_aid_by=user)).values("worker_id"))
