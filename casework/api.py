"""REST API for organisations, workers and cases (base /api/v1/, see DESIGN.md "Public interface").

Views are thin: an input serializer parses the request, a service in `casework.services` does the
work (rules, permission, transaction, journal), an output serializer renders the result. Errors
become the contract's shapes in `api_errors.py`.

`TransitionViewSetMixin`, `RulesPermission` and `StandardPagination` are meant for every stateful
module's API (mediations, negotiations, checkups): a viewset declares its transitions as
`{name: Transition(input_serializer, service)}` and gets `POST …/{id}/transitions/{name}/`,
`GET …/{id}/events/` and an OpenAPI description of both.
"""

from collections.abc import Callable
from typing import ClassVar, NamedTuple

from django.db.models import Count, DecimalField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from . import journal, services
from .document_api import DocumentsViewSetMixin
from . import serializers as s
from .filters import CaseFilter, OrganisationFilter, WorkerFilter
from .models import Case, CaseClaimant, Claim, Organisation, Worker
from .permissions import case_visibility_filter

# --------------------------------------------------------------------------------------------------
# Reusable pieces
# --------------------------------------------------------------------------------------------------


class RulesPermission(permissions.BasePermission):
    """Ask the `rules` registry, so the API grants exactly what the admin, the UI and services grant.

    A view names `collection_permission` (checked on every request, without an object) and/or
    `object_permission` (checked by `get_object()` against the row). Either may be None.
    """

    def has_permission(self, request, view):
        perm = getattr(view, "collection_permission", None)
        return perm is None or request.user.has_perm(perm)

    def has_object_permission(self, request, view, obj):
        perm = getattr(view, "object_permission", None)
        return perm is None or request.user.has_perm(perm, obj)


class StandardPagination(PageNumberPagination):
    """The configured page size, which a client may change with `?page_size=` up to a bound."""

    page_size_query_param = "page_size"
    max_page_size = 200


class Transition(NamedTuple):
    """How the API runs one transition: parse the body with `input`, then call `service`.

    The service is called as `service(<subject kwarg>=obj, actor=request.user, **validated_data)`.
    """

    input: type[serializers.Serializer]
    service: Callable


class TransitionViewSetMixin:
    """`POST …/{id}/transitions/{name}/` and `GET …/{id}/events/` for a viewset of a stateful model.

    Declare on the viewset:

    - `transitions`: `{name: Transition(InputSerializer, services.name)}`; names not listed are 404;
    - `detail_serializer_class`: the object's output after a transition (it should carry `state`
      and `allowed_transitions`);
    - optionally `transition_subject_kwarg`, the keyword the services take the object by (default:
      the model name, e.g. `case`, `mediation`).

    The object comes from `get_object()`, so the viewset's visibility queryset (404) and object
    permission (403) apply before any input is read; after the service returns, the object is read
    again through `get_queryset()` so the response shows what was committed.
    """

    transitions: ClassVar[dict[str, Transition]] = {}
    detail_serializer_class: ClassVar[type[serializers.Serializer] | None] = None
    transition_subject_kwarg: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.transitions:
            extend_schema_view(transition=_transition_schema(cls))(cls)

    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)", url_name="transition")
    def transition(self, request, name, pk=None):
        spec = self.transitions.get(name)
        if spec is None:
            raise NotFound(f"'{name}' is not a transition here.")
        obj = self.get_object()
        data = spec.input(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        spec.service(**{self._subject_kwarg(): obj}, actor=request.user, **data.validated_data)
        return Response(self.detail_data(obj))

    @extend_schema(responses=s.EventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request, pk=None):
        """The object's journal, oldest first (append-only and hash-chained; see `journal.py`)."""
        obj = self.get_object()
        return Response(s.EventSerializer(journal.events_for(obj), many=True).data)

    def detail_data(self, obj) -> dict:
        fresh = self.get_queryset().get(pk=obj.pk)
        return self.detail_serializer_class(fresh, context=self.get_serializer_context()).data

    def _subject_kwarg(self) -> str:
        return self.transition_subject_kwarg or self.get_queryset().model._meta.model_name


def _transition_schema(viewset):
    model = viewset.queryset.model if getattr(viewset, "queryset", None) is not None else None
    prefix = model.__name__ if model else viewset.__name__.removesuffix("ViewSet")
    inputs = list(dict.fromkeys(spec.input for spec in viewset.transitions.values()))
    return extend_schema(
        summary="Run a transition",
        description=(
            "Body: `comment` plus the named transition's own fields (one of the input shapes below). "
            "Transitions: " + ", ".join(
                f"`{name}` ({spec.input.__name__.removesuffix('Serializer')})"
                for name, spec in viewset.transitions.items()
            )
            + ". 409 `transition_not_allowed` carries the current `state` and the transitions the user "
            "may run (`allowed`); 409 `conflict` means someone else changed the object first."
        ),
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(viewset.transitions)),
        ],
        request=PolymorphicProxySerializer(
            component_name=f"{prefix}TransitionInput", serializers=inputs, resource_type_field_name=None,
        ),
        responses={
            200: viewset.detail_serializer_class,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [message, …]}."),
            403: OpenApiResponse(description="Not permitted for this user."),
            404: OpenApiResponse(description="No such object for this user, or no such transition."),
            409: OpenApiResponse(s.TransitionErrorSerializer, description="Not allowed from this state, or a conflict."),
        },
    )


def _claim_total():
    """Sum of the case's claim amounts as one correlated subquery (no join to multiply other counts)."""
    return Subquery(
        Claim.objects.filter(case=OuterRef("pk")).order_by().values("case_id")
        .annotate(total=Sum("amount")).values("total"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _claimant_count():
    return Coalesce(
        Subquery(
            CaseClaimant.objects.filter(case=OuterRef("pk")).order_by().values("case_id")
            .annotate(n=Count("pk")).values("n")
        ),
        0,
    )


# --------------------------------------------------------------------------------------------------
# Organisations and workers
# --------------------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=s.OrganisationCreateSerializer,
        responses={201: s.OrganisationSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
        description="A credit code failing its GB 32100 checksum is a 400 warning; a supervisor may "
                    "keep it with `override_credit_code: true` and an `override_reason`.",
    ),
)
class OrganisationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Organisation.objects.all()
    serializer_class = s.OrganisationSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    collection_permission = "casework.view_organisation"
    pagination_class = StandardPagination
    filterset_class = OrganisationFilter
    search_fields = ["name", "credit_code", "contact_person"]
    ordering_fields = ["name", "created_at", "id"]

    def create(self, request):
        data = s.OrganisationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = services.register_organisation(actor=request.user, **data.validated_data)
        return Response(s.OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(
        request=s.WorkerCreateSerializer,
        responses={201: s.WorkerSerializer, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    ),
)
class WorkerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Workers. The resident ID number is write-only; reads show `id_number_masked`.

    Look a worker up with `?id_number=` (matched through the keyed digest) or `?phone=`.
    """

    queryset = Worker.objects.prefetch_related("platforms")
    serializer_class = s.WorkerSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    collection_permission = "casework.view_worker"
    pagination_class = StandardPagination
    filterset_class = WorkerFilter
    search_fields = ["name", "phone"]
    ordering_fields = ["name", "created_at", "id"]

    def create(self, request):
        data = s.WorkerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        worker = services.register_worker(actor=request.user, **data.validated_data)
        worker = self.get_queryset().get(pk=worker.pk)
        return Response(s.WorkerSerializer(worker).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------


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
    serializer_class = s.CaseDetailSerializer
    detail_serializer_class = s.CaseDetailSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    object_permission = "casework.view_case"
    pagination_class = StandardPagination
    filterset_class = CaseFilter
    search_fields = ["number", "claimants__name", "respondents__name"]
    ordering_fields = ["received_on", "screening_due_on", "limitation_ends_on", "number", "updated_at", "id"]

    transitions = {
        "start_screening": Transition(s.TransitionInputSerializer, services.start_screening),
        "accept": Transition(s.CaseAcceptInputSerializer, services.accept),
        "reject": Transition(s.CaseRejectInputSerializer, services.reject),
        "provide_consultation": Transition(s.TransitionInputSerializer, services.provide_consultation),
        "assign_legal_aid": Transition(s.CaseAssignLegalAidInputSerializer, services.assign_legal_aid),
        "refer_to_mediation": Transition(s.CaseReferToMediationInputSerializer, services.refer_to_mediation),
        "refer_to_arbitration": Transition(s.CaseReferToArbitrationInputSerializer, services.refer_to_arbitration),
        "file_lawsuit": Transition(s.CaseFileLawsuitInputSerializer, services.file_lawsuit),
        "resolve": Transition(s.CaseResolveInputSerializer, services.resolve),
        "close": Transition(s.TransitionInputSerializer, services.close),
        "reopen": Transition(s.CaseReopenInputSerializer, services.reopen),
    }

    def get_queryset(self):
        cases = (
            Case.objects.filter(case_visibility_filter(self.request.user))
            .annotate(claim_total=_claim_total())
            .select_related("handler", "legal_aid_by")
        )
        if self.action == "list":
            return cases.annotate(claimant_count=_claimant_count()).prefetch_related("categories", "respondents")
        return cases.prefetch_related(
            Prefetch("case_claimants", queryset=CaseClaimant.objects.select_related("worker")),
            "respondents",
            "categories",
            Prefetch("claims", queryset=Claim.objects.select_related("category")),
        )

    def get_serializer_class(self):
        return s.CaseListSerializer if self.action == "list" else s.CaseDetailSerializer

    def create(self, request):
        data = s.CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.create_case(actor=request.user, **data.validated_data)
        return Response(self.detail_data(case), status=status.HTTP_201_CREATED)

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
