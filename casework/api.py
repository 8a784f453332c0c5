"""REST API of dispute intake: `/api/v1/cases/` (DESIGN.md "Public interface").

Views are thin: an input serializer parses the request, a service in `casework.services` does the
work, an output serializer renders the result. The transitions' actions, inputs and OpenAPI entries
come from casework/transitions.py (core/api.py); errors take the contract's shapes (core/errors.py).
"""

import datetime

import django_filters as filters
from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import BooleanFilter, IntegerFilter, TransitionViewSetMixin
from core.document_api import DocumentsViewSetMixin

from . import serializers as s
from . import services
from .models import Case, CaseClaimant, CaseState, Claim
from .rules import EDITABLE_STATES, LIMITATION_WATCH_STATES, case_visibility_filter
from .selectors import claim_total, claimant_count


class CaseFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=CaseState.choices)
    category = filters.CharFilter(field_name="categories__code", help_text="Category code.")
    channel = filters.MultipleChoiceFilter(choices=Case.Channel.choices)
    handler = IntegerFilter(field_name="handler")
    legal_aid_by = IntegerFilter(field_name="legal_aid_by")
    claimant = IntegerFilter(field_name="claimants", help_text="Worker id.")
    respondent = IntegerFilter(field_name="respondents", help_text="Organisation id.")
    is_group = BooleanFilter()
    received_after = filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = filters.DateFilter(field_name="received_on", lookup_expr="lte")
    overdue = BooleanFilter(
        method="filter_overdue", help_text="Screening deadline passed while still received or in screening."
    )
    limitation_ending = BooleanFilter(
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


@extend_schema_view(
    list=extend_schema(responses=s.CaseListSerializer),
    create=extend_schema(
        request=s.CaseCreateSerializer,
        responses={201: s.CaseDetailSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    ),
)
class CaseViewSet(
    DocumentsViewSetMixin, TransitionViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Dispute cases (维权案件).

    A user lists only the cases they could open (`permissions.case_visibility_filter`); any other
    case is 404 to them, whether or not it exists.
    """

    queryset = Case.objects.all()
    detail_serializer_class = s.CaseDetailSerializer
    list_serializer_class = s.CaseListSerializer
    create_input = s.CaseCreateSerializer
    create_service = staticmethod(services.create_case)
    object_permission = "casework.view_case"
    filterset_class = CaseFilter
    search_fields = ["number", "claimants__name", "respondents__name"]
    ordering_fields = ["received_on", "screening_due_on", "limitation_ends_on", "number", "updated_at", "id"]

    def get_queryset(self):
        cases = (
            Case.objects.filter(case_visibility_filter(self.request.user))
            .annotate(claim_total=claim_total())
            .select_related("handler", "legal_aid_by")
        )
        if self.action == "list":
            return cases.annotate(claimant_count=claimant_count()).prefetch_related("categories", "respondents")
        return cases.prefetch_related(
            Prefetch("case_claimants", queryset=CaseClaimant.objects.select_related("worker")),
            "respondents",
            "categories",
            Prefetch("claims", queryset=Claim.objects.select_related("category")),
        )

    @extend_schema(methods=["GET"], responses=s.EvidenceSerializer(many=True), filters=False)
    @extend_schema(methods=["POST"], request={"multipart/form-data": s.EvidenceUploadSerializer},
                   responses={201: s.EvidenceSerializer, 400: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None,
            parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        """The case's evidence files, each with its SHA-256; POST (multipart) adds one."""
        case = self.get_object()
        if request.method == "GET":
            rows = case.evidence.select_related("uploaded_by")
            return Response(s.EvidenceSerializer(rows, many=True).data)
        data = s.EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.add_evidence(case=case, actor=request.user, **data.validated_data)
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)
