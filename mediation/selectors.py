"""Reads for the mediation screens: what a user may see, search, list rows, the assignment choices.

Nothing here changes anything (changes are mediation.services). Visibility is
`rules.mediation_visibility_filter`: union staff see every mediation, a court liaison only
their own court's referrals, anyone else none.
"""

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from core import links
from core.selectors import matching_organisations, matching_workers

from .models import Mediation
from .rules import mediation_visibility_filter


def visible_mediations(user):
    return Mediation.objects.filter(mediation_visibility_filter(user))


def search_mediations(queryset, text):
    """By mediation number, court case number or title; by claimant (name, phone, resident ID
    number) or respondent (name, credit code). Subqueries, not joins: a mediation matching twice is
    listed once and the count stays exact."""
    text = (text or "").strip()
    if not text:
        return queryset
    Claimants = Mediation.claimants.through
    Respondents = Mediation.respondents.through
    return queryset.filter(
        Q(number__icontains=text) | Q(court_case_number__icontains=text) | Q(title__icontains=text)
        | Q(pk__in=Claimants.objects.filter(worker__in=matching_workers(text)).values("mediation_id"))
        | Q(pk__in=Respondents.objects.filter(
            organisation__in=matching_organisations(text)).values("mediation_id"))
    )


def claimant_count():
    Claimants = Mediation.claimants.through
    return Coalesce(Subquery(
        Claimants.objects.filter(mediation_id=OuterRef("pk")).order_by().values("mediation_id")
        .annotate(n=Count("pk")).values("n")
    ), 0)


def first_claimant_name():
    Claimants = Mediation.claimants.through
    return Subquery(Claimants.objects.filter(mediation_id=OuterRef("pk")).order_by("id").values("worker__name")[:1])


def list_rows(ids):
    """The mediations of one list page, in the order of `ids`, with what a row shows: two queries
    (the rows with their court, mediator, agreement, first claimant and number of claimants; the
    respondents)."""
    by_id = {
        m.pk: m for m in Mediation.objects.filter(pk__in=ids)
        .select_related("court", "mediator", "agreement")
        .annotate(claimant_count=claimant_count(), first_claimant=first_claimant_name())
        .prefetch_related("respondents")
    }
    return [by_id[pk] for pk in ids if pk in by_id]


@links.worker_holder
def workers_of_held_mediations(user) -> Q:
    """The claimants of the mediations a person mediates (core.selectors.visible_workers)."""
    return Q(pk__in=Mediation.claimants.through.objects.filter(mediation__mediator=user).values("worker_id"))
