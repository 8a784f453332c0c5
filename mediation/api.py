"""REST API for mediation (base /api/v1/, DESIGN.md "Public interface"):

    GET/POST /mediations/                       list (filter, search, paginate) / single-entry referral
    GET      /mediations/{id}/                  detail with `state` and `allowed_transitions`
    POST     /mediations/{id}/transitions/{name}/
    GET      /mediations/{id}/events/           the journal
    GET/POST /mediations/{id}/documents/        documents (casework.document_api)
    GET/POST /mediations/{id}/sessions/         mediation sessions (POST records one; its minutes PDF follows)
    GET/POST /mediations/{id}/payments/         payments against the agreement's instalments
    POST     /mediations/{id}/recuse/           the mediator steps aside (optionally with a replacement)
    POST     /mediations/{id}/reassign/         a supervisor gives it to another mediator
    POST     /mediations/{id}/resolve_case/     resolve the linked case as mediated, with the amount
    GET      /mediations/workload/              open mediations per mediator (for assignment)
    POST     /mediations/import/                a court's referral list (multipart `file`) -> per-row report
    GET      /mediation-sessions/{id}/ and …/documents/   one session and its minutes (调解笔录)

Views are thin: a serializer parses, a service acts, errors take the contract's shapes
(core/errors.py). The transitions' actions and inputs come from mediation/transitions.py.
"""

import django_filters as filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core import links
from core.api import BooleanFilter, IntegerFilter, RulesPermission, TransitionViewSetMixin
from core.document_api import DocumentsViewSetMixin
from core.serializers import TransitionErrorSerializer

from . import importers, services
from . import serializers as s
from .models import DEADLINE_STATES, Mediation, MediationSession, MediationState, Source
from .rules import mediation_visibility_filter
from .selectors import claimant_count

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class MediationFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=MediationState.choices)
    source = filters.MultipleChoiceFilter(choices=Source.choices)
    court = IntegerFilter(field_name="court")
    court_case_number = filters.CharFilter(field_name="court_case_number")
    mediator = IntegerFilter(field_name="mediator")
    unassigned = BooleanFilter(field_name="mediator", lookup_expr="isnull")
    case = IntegerFilter(method="filter_case", help_text="The dispute case it was opened for (id).")
    claimant = IntegerFilter(field_name="claimants", help_text="Worker id.")
    respondent = IntegerFilter(field_name="respondents", help_text="Organisation id.")
    referred_after = filters.DateFilter(field_name="referred_on", lookup_expr="gte")
    referred_before = filters.DateFilter(field_name="referred_on", lookup_expr="lte")
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte")
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte")
    overdue = BooleanFilter(method="filter_overdue",
                                    help_text="Accepted or in progress with the deadline passed (the sweep will expire them).")
    due_soon = BooleanFilter(method="filter_due_soon",
                                     help_text="Accepted or in progress, deadline within WEIQUAN_MEDIATION_WARNING_DAYS.")

    class Meta:
        model = Mediation
        fields = ["state", "source", "court", "court_case_number", "mediator"]

    def filter_case(self, queryset, name, value):
        return queryset.filter(origin_type=links.content_type_of("casework.Case"), origin_id=value)

    def filter_overdue(self, queryset, name, value):
        q = {"state__in": DEADLINE_STATES, "deadline__lt": timezone.localdate()}
        return queryset.filter(**q) if value else queryset.exclude(**q)

    def filter_due_soon(self, queryset, name, value):
        from django.conf import settings

        today = timezone.localdate()
        q = {"state__in": DEADLINE_STATES, "deadline__gte": today,
             "deadline__lte": today + timezone.timedelta(days=settings.WEIQUAN_MEDIATION_WARNING_DAYS)}
        return queryset.filter(**q) if value else queryset.exclude(**q)


@extend_schema_view(
    list=extend_schema(responses=s.MediationListSerializer),
    create=extend_schema(
        request=s.MediationCreateSerializer,
        responses={201: s.MediationDetailSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
        description="Single entry of a referral: a court's (委派/委托, with court and court case number) or the "
                    "union's own. Claimants are existing workers (`worker`) or name + resident ID number; "
                    "respondents existing organisations (`organisation`) or name (+ credit code). "
                    "A court liaison may enter referrals of their own court only.",
    ),
)
class MediationViewSet(
    DocumentsViewSetMixin, TransitionViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Court-plus-union mediations (诉调对接).

    A user lists only the mediations they could open (`permissions.mediation_visibility_filter`):
    union staff all, a court liaison their own court's referrals, anyone else none. Any other
    mediation is 404 to them.
    """

    queryset = Mediation.objects.all()
    detail_serializer_class = s.MediationDetailSerializer
    list_serializer_class = s.MediationListSerializer
    create_input = s.MediationCreateSerializer
    create_service = staticmethod(services.create_referral)
    object_permission = "mediation.view_mediation"
    filterset_class = MediationFilter
    search_fields = ["number", "court_case_number", "title", "claimants__name", "respondents__name"]
    ordering_fields = ["deadline", "referred_on", "accepted_on", "number", "updated_at", "id"]

    def get_queryset(self):
        mediations = Mediation.objects.filter(mediation_visibility_filter(self.request.user)).select_related(
            "court", "mediator", "agreement"
        ).prefetch_related("case")
        if self.action == "list":
            return mediations.annotate(claimant_count=claimant_count()).prefetch_related("respondents")
        return mediations.select_related("organisation", "confirmation_court").prefetch_related(
            "claimants", "respondents", Prefetch("claims"), "extensions__recorded_by",
            Prefetch("sessions", queryset=MediationSession.objects.select_related("recorded_by", "mediation")),
            Prefetch("agreement__instalments"),
        )

    # --- sessions and payments ------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=s.SessionSerializer(many=True), filters=False)
    @extend_schema(methods=["POST"], request=s.SessionInputSerializer,
                   responses={201: s.SessionSerializer, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
                   description="Record a session (only while in progress); its minutes PDF (调解笔录) is asked for "
                               "at once: GET /api/v1/mediation-sessions/{id}/documents/.")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def sessions(self, request, pk=None):
        mediation = self.get_object()
        if request.method == "GET":
            return Response(s.SessionSerializer(mediation.sessions.select_related("recorded_by", "mediation"), many=True).data)
        data = s.SessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.record_session(mediation=mediation, actor=request.user, **data.validated_data)
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=s.PaymentSerializer(many=True), filters=False)
    @extend_schema(methods=["POST"], request=s.PaymentInputSerializer,
                   responses={201: s.PaymentSerializer(many=True), 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
                   description="Record money received; it is allocated to the instalments in order (one row per "
                               "instalment it touches). Overpaying the agreement is a 400.")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def payments(self, request, pk=None):
        mediation = self.get_object()
        if request.method == "GET":
            rows = mediation.payments.select_related("instalment", "recorded_by")
            return Response(s.PaymentSerializer(rows, many=True).data)
        data = s.PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        seq = values.pop("instalment")
        instalment = None
        if seq is not None:
            instalment = mediation.agreement.instalments.filter(seq=seq).first() if mediation.agreement else None
            if instalment is None:
                raise ValidationError({"instalment": [_("没有第 %(seq)d 期款项。") % {"seq": seq}]})
        payments = services.record_payment(mediation=mediation, actor=request.user, instalment=instalment, **values)
        return Response(s.PaymentSerializer(payments, many=True).data, status=status.HTTP_201_CREATED)

    # --- mediators ------------------------------------------------------------------------------

    @extend_schema(request=s.RecuseInputSerializer, responses={200: s.MediationDetailSerializer, 400: OpenApiTypes.OBJECT,
                   409: TransitionErrorSerializer})
    @action(detail=True, methods=["post"])
    def recuse(self, request, pk=None):
        """The mediator steps aside (回避), or a supervisor removes them; optionally a replacement."""
        mediation, _result = self.run_action(request, s.RecuseInputSerializer, services.recuse)
        return Response(self.detail_data(mediation))

    @extend_schema(request=s.ReassignInputSerializer, responses={200: s.MediationDetailSerializer, 400: OpenApiTypes.OBJECT,
                   409: TransitionErrorSerializer})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """A supervisor gives the mediation to another mediator (conflict-checked)."""
        mediation, _result = self.run_action(request, s.ReassignInputSerializer, services.reassign_mediator)
        return Response(self.detail_data(mediation))

    @extend_schema(request=s.CommentInputSerializer, responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT,
                   409: TransitionErrorSerializer})
    @action(detail=True, methods=["post"])
    def resolve_case(self, request, pk=None):
        """Resolve the linked case as "mediated" with the agreed (or, once fulfilled, paid) amount."""
        _mediation, case = self.run_action(request, s.CommentInputSerializer, services.resolve_linked_case)
        return Response({"case": case.pk, "number": case.number, "state": case.state,
                         "outcome": case.outcome, "amount_recovered": str(case.amount_recovered)})

    @extend_schema(responses={200: s.WorkloadSerializer(many=True),
                              403: OpenApiResponse(description="Not permitted to see mediators' workload.")},
                   filters=False)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def workload(self, request):
        """Active mediators and their open mediations, fewest first (what the assignment form shows)."""
        if not request.user.has_perm("mediation.view_workload"):
            raise PermissionDenied(_("您不能查看调解员的在办数量。"))
        return Response(s.WorkloadSerializer(services.mediator_workload(), many=True).data)

    @extend_schema(request={"multipart/form-data": s.ImportInputSerializer},
                   responses={200: s.ImportReportSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
                   filters=False,
                   description="Import a court's referral list (CSV or JSON, UTF-8 or GBK). Idempotent on "
                               "(court, court case number). 200 with a per-row report: created / duplicate / "
                               "refused with reasons; good rows are kept whatever the others do.")
    @action(detail=False, methods=["post"], url_path="import", url_name="import", filter_backends=[],
            pagination_class=None, parser_classes=[MultiPartParser, FormParser])
    def import_referrals(self, request):
        data = s.ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError({"file": [_("文件过大（上限 %(mb)d MB）。") % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}]})
        report = importers.import_referrals(
            actor=request.user, data=upload.read(), filename=upload.name,
            court=data.validated_data["court"], source=data.validated_data["source"],
        )
        return Response(report.as_dict())


class MediationSessionViewSet(DocumentsViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One mediation session and its minutes document (调解笔录). Visible with its mediation."""

    serializer_class = s.SessionSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    object_permission = "mediation.view_mediationsession"

    def get_queryset(self):
        return MediationSession.objects.filter(
            mediation__in=Mediation.objects.filter(mediation_visibility_filter(self.request.user))
        ).select_related("mediation", "recorded_by")

    def get_object(self):
        try:
            return super().get_object()
        except MediationSession.DoesNotExist:
            raise NotFound() from None

