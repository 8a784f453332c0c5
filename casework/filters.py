"""Query-string filters for the API lists (django-filter).

Lookups by identifier validate their input with the same checks registration uses, so a clerk who
mistypes an ID number is told so (400) instead of being shown an empty list that suggests the
worker is not registered.
"""

import datetime

import django_filters as filters
from django.conf import settings
from django.utils import timezone

from . import identifiers
from .models import Case, CaseState, Organisation, Worker, resident_id_digest
from .services import EDITABLE_STATES, LIMITATION_WATCH_STATES


class OrganisationFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=Organisation.Kind.choices)
    credit_code = filters.CharFilter(method="filter_credit_code")

    class Meta:
        model = Organisation
        fields = ["kind", "parent", "credit_code"]

    def filter_credit_code(self, queryset, name, value):
        return queryset.filter(credit_code=value.strip().upper())


class WorkerFilter(filters.FilterSet):
    id_number = filters.CharFilter(
        method="filter_id_number", validators=[identifiers.validate_resident_id],
        help_text="Exact resident ID number; matched through its keyed digest, never decrypted.",
    )
    phone = filters.CharFilter(method="filter_phone", validators=[identifiers.normalise_phone])
    occupation = filters.MultipleChoiceFilter(choices=Worker.Occupation.choices)
    platform = filters.NumberFilter(field_name="platforms")

    class Meta:
        model = Worker
        fields = ["id_number", "phone", "occupation", "relationship_type", "is_union_member", "platform"]

    def filter_id_number(self, queryset, name, value):
        return queryset.filter(id_number_digest=resident_id_digest(value))

    def filter_phone(self, queryset, name, value):
        return queryset.filter(phone=identifiers.normalise_phone(value))


class CaseFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=CaseState.choices)
    category = filters.CharFilter(field_name="categories__code", help_text="Category code.")
    channel = filters.MultipleChoiceFilter(choices=Case.Channel.choices)
    handler = filters.NumberFilter(field_name="handler")
    legal_aid_by = filters.NumberFilter(field_name="legal_aid_by")
    claimant = filters.NumberFilter(field_name="claimants", help_text="Worker id.")
    respondent = filters.NumberFilter(field_name="respondents", help_text="Organisation id.")
    received_after = filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = filters.DateFilter(field_name="received_on", lookup_expr="lte")
    overdue = filters.BooleanFilter(
        method="filter_overdue", help_text="Screening deadline passed while still received or in screening."
    )
    limitation_ending = filters.BooleanFilter(
        method="filter_limitation_ending",
        help_text="Open case whose arbitration limitation runs out within WEIQUAN_LIMITATION_WARNING_DAYS.",
    )

    class Meta:
        model = Case
        fields = ["state", "category", "channel", "handler", "legal_aid_by", "is_group", "claimant", "respondent"]

    def filter_overdue(self, queryset, name, value):
        overdue = {"state__in": EDITABLE_STATES, "screening_due_on__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)

    def filter_limitation_ending(self, queryset, name, value):
        """The same set the deadline sweep warns about: still before arbitration, ending soon."""
        today = timezone.localdate()
        horizon = today + datetime.timedelta(days=settings.WEIQUAN_LIMITATION_WARNING_DAYS)
        ending = {
            "state__in": LIMITATION_WATCH_STATES,
            "limitation_ends_on__gte": today,
            "limitation_ends_on__lte": horizon,
        }
        return queryset.filter(**ending) if value else queryset.exclude(**ending)
