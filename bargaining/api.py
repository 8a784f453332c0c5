"""REST API for collective bargaining (base /api/v1/, DESIGN.md "Public interface"):

    GET/POST /negotiations/                          list (state, level, employer, search) / register one
    GET      /negotiations/{id}/                     detail with `state` and `allowed_transitions`
    POST     /negotiations/{id}/transitions/{name}/  every declared transition (bargaining/transitions.py)
    GET      /negotiations/{id}/events/              the journal
    GET/POST /negotiations/{id}/documents/           documents (core.document_api)
    GET/POST /negotiations/{id}/negotiators/         the team; POST seats someone (set_negotiator)
    POST     /negotiations/{id}/negotiators/{seat}/vacate/   a seat left vacant (vacate_seat)
    GET/POST /negotiations/{id}/topics/              topics on the table; POST adds one (set_topic)
    GET/PUT  /negotiations/{id}/topics/{topic}/union_note/   the union's own brief: union staff only
    GET/POST /negotiations/{id}/rounds/              rounds with positions; POST records one (record_round)
    GET      /negotiations/{id}/comparison/          positions per topic across the rounds, with the gap
    GET/POST /negotiations/{id}/versions/            the contract text's versions; POST revises (revise_contract)
    GET      /negotiations/{id}/versions/diff/?from=&to=   the redline between two versions, per clause
    GET/PUT  /negotiations/{id}/electorate/          the roll that votes on the draft (set_electorate)
    GET      /negotiations/{id}/votes/               the votes (recording one is the record_vote transition)
    GET/POST /negotiations/{id}/order_statistics/    the platform's order statistics: summary / import a file
    GET      /negotiations/{id}/costing/             every numeric pay-rule position costed
    GET      /negotiations/{id}/clauses/             an effective contract's clauses as check-up items
    POST     /negotiations/{id}/start_renewal/       a new negotiation renewing this contract
    GET      /negotiation-rounds/{id}/ and …/documents/   one round and its minutes (协商会议纪要)
    GET      /bargaining-topics/                     the topic catalogue

Who sees what (bargaining.selectors.visible_to): union staff every negotiation; a company contact
only those their organisation is a party to (any other is 404), where they may answer the
proposal (accept_proposal / refuse_proposal) and nothing else (403). The union's internal notes are
served by one route only, which does not exist for anyone but union staff (404); no other
response has a field that reads them.

Views are thin: a serializer parses, a service acts, errors take the contract's shapes
(core/errors.py).
"""

import django_filters as filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Min, Prefetch, Sum
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import IntegerFilter, RulesPermission, StandardPagination, TransitionViewSetMixin
from core.document_api import DocumentsViewSetMixin

from . import contract_text, selectors, services
from . import serializers as s
from .models import Level, Negotiation, NegotiationState, Negotiator, OrderStatistic, Round, Topic, UnionNote

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [message, …]}."),
    403: OpenApiResponse(description="Not permitted for this user."),
    404: OpenApiResponse(description="No such negotiation for this user."),
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="`conflict`: someone else changed the negotiation first."),
}
READ_ERRORS = {404: ERRORS[404]}


def _errors(*codes):
    return {code: ERRORS[code] for code in codes}


def _id_param(name, description):
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


# Writes that are not a transition nor a document request need the right to work the negotiation;
# checked before the body is read, so a company contact is told 403 whatever they send.
CHANGE_PERMISSION = "bargaining.change_negotiation"
NOT_GUARDED = {"transition", "documents", "union_note"}


class NegotiationFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=NegotiationState.choices)
    level = filters.MultipleChoiceFilter(choices=Level.choices)
    employer = IntegerFilter(method="filter_employer", help_text="An employer-side organisation's id.")
    search = filters.CharFilter(method="filter_search", help_text="Number, title or an employer's name.")

    class Meta:
        model = Negotiation
        fields = ["state", "level"]

    def filter_employer(self, queryset, name, value):
        return selectors.search(queryset, employer=value)

    def filter_search(self, queryset, name, value):
        return selectors.search(queryset, text=value.strip())


@extend_schema_view(
    list=extend_schema(responses=s.NegotiationListSerializer),
    retrieve=extend_schema(responses={200: s.NegotiationDetailSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=s.NegotiationCreateSerializer,
        responses={201: s.NegotiationDetailSerializer, **_errors(400, 403)},
        description="Register a negotiation (create_negotiation): the union side, one or more employer-side "
                    "organisations, level, procedure and the covered workers. Bargaining officers and supervisors.",
    ),
)
class NegotiationViewSet(
    DocumentsViewSetMixin, TransitionViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Collective bargaining (集体协商) with platforms, their agents and industry associations.

    A user lists only the negotiations they could open (`bargaining.selectors.visible_to`): union
    staff all, a company contact those their organisation is a party to, anyone else none. Any
    other negotiation is 404 to them.
    """

    queryset = Negotiation.objects.all()
    detail_serializer_class = s.NegotiationDetailSerializer
    list_serializer_class = s.NegotiationListSerializer
    create_input = s.NegotiationCreateSerializer
    create_service = staticmethod(services.create_negotiation)
    object_permission = "bargaining.view_negotiation"
    filterset_class = NegotiationFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["number", "reply_due", "filing_due", "expires_on", "updated_at", "id"]

    def get_queryset(self):
        negotiations = selectors.visible_to(self.request.user)
        if self.action == "list":
            return negotiations.prefetch_related("employers")
        return negotiations.select_related("filing_authority", "renewal_of").prefetch_related(
            "employers", "renewals", "topics__topic",
            Prefetch("negotiators", queryset=Negotiator.objects.select_related("organisation", "user", "successor")),
        )

    def get_object(self):
        obj = super().get_object()
        if (self.request.method not in permissions.SAFE_METHODS and self.action not in NOT_GUARDED
                and not self.request.user.has_perm(CHANGE_PERMISSION, obj)):
            raise PermissionDenied(_("只有工会一方的集体协商工作人员可以修改集体协商。"))
        return obj

    def create(self, request):
        if not request.user.has_perm("bargaining.add_negotiation"):
            raise PermissionDenied(_("只有集体协商专员或主管可以登记集体协商。"))
        return super().create(request)

    def _require(self, perm, obj=None):
        if not self.request.user.has_perm(perm, obj):
            raise PermissionDenied(_("您不能查看这项内容。"))

    # --- the team ------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: s.NegotiatorSerializer(many=True), **READ_ERRORS}, filters=False)
    @extend_schema(methods=["POST"], request=s.NegotiatorInputSerializer,
                   responses={201: s.NegotiatorSerializer, **_errors(400, 403, 404, 409)},
                   description="Seat someone at the table (set_negotiator); `replaces` fills a vacant seat. "
                               "The composition as a whole is checked when the proposal is sent.")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def negotiators(self, request, pk=None):
        if request.method == "GET":
            negotiation = self.get_object()
            return Response(s.NegotiatorSerializer(negotiation.negotiators.all(), many=True).data)
        _negotiation, seat = self.run_action(request, s.NegotiatorInputSerializer, services.set_negotiator)
        return Response(s.NegotiatorSerializer(seat).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.VacateInputSerializer, responses={200: s.NegotiatorSerializer, **_errors(400, 403, 404, 409)},
                   parameters=[_id_param("seat", "The seat's id (…/negotiators/).")], filters=False,
                   description="A negotiator leaves (vacate_seat): the seat must be filled within 15 days.")
    @action(detail=True, methods=["post"], url_path=r"negotiators/(?P<seat>[0-9]+)/vacate", url_name="vacate-seat",
            filter_backends=[], pagination_class=None)
    def vacate(self, request, seat, pk=None):
        negotiation = self.get_object()
        row = negotiation.negotiators.filter(pk=seat).first()
        if row is None:
            raise NotFound(_("本次协商没有这个席位。"))
        data = s.VacateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row.negotiation = negotiation
        services.vacate_seat(seat=row, actor=request.user, **data.validated_data)
        return Response(s.NegotiatorSerializer(row).data)

    # --- topics and the union's notes ---------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: s.TopicSerializer(many=True), **READ_ERRORS}, filters=False)
    @extend_schema(methods=["POST"], request=s.TopicInputSerializer,
                   responses={201: s.TopicSerializer, **_errors(400, 403, 404, 409)},
                   description="Put a topic on the table (set_topic): a catalogue topic by `topic` code, or a "
                               "custom one by `name` and `unit`, with the union's demand.")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def topics(self, request, pk=None):
        if request.method == "GET":
            negotiation = self.get_object()
            return Response(s.TopicSerializer(negotiation.topics.select_related("topic"), many=True).data)
        _negotiation, topic = self.run_action(request, s.TopicInputSerializer, services.set_topic)
        return Response(s.TopicSerializer(topic).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: s.UnionNoteSerializer, 404: READ_ERRORS[404]}, filters=False,
                   parameters=[_id_param("topic", "The negotiation topic's id.")],
                   description="The union side's own brief on a topic (priority, target, walk-away figure). "
                               "Union staff only: for anyone else this route does not exist (404).")
    @extend_schema(methods=["PUT"], request=s.UnionNoteInputSerializer,
                   responses={200: s.UnionNoteSerializer, **_errors(400, 403, 404)}, filters=False,
                   parameters=[_id_param("topic", "The negotiation topic's id.")],
                   description="Set the union's brief on a topic (set_union_note; not journaled, since the "
                               "journal is read by the employer side too). Bargaining officers and supervisors.")
    @action(detail=True, methods=["get", "put"], url_path=r"topics/(?P<topic>[0-9]+)/union_note",
            url_name="union-note", filter_backends=[], pagination_class=None)
    def union_note(self, request, topic, pk=None):
        # Before anything else: for anyone but union staff, the route is not there.
        if not request.user.has_perm("bargaining.view_union_notes"):
            raise NotFound()
        negotiation = self.get_object()
        row = negotiation.topics.filter(pk=topic).first()
        if row is None:
            raise NotFound(_("本次协商没有这个议题。"))
        if request.method == "GET":
            note = UnionNote.objects.filter(topic=row).first() or UnionNote(topic=row)
            return Response(s.UnionNoteSerializer(note).data)
        data = s.UnionNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.set_union_note(topic=row, actor=request.user, **data.validated_data)
        return Response(s.UnionNoteSerializer(note).data)

    # --- at the table ---------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: s.RoundSerializer(many=True), **READ_ERRORS}, filters=False)
    @extend_schema(methods=["POST"], request=s.RoundInputSerializer,
                   responses={201: s.RoundSerializer, **_errors(400, 403, 404, 409)},
                   description="Record a round (record_round, while negotiating): per topic each side's position "
                               "and whether they agreed; a topic's standing is that of its latest round. Its minutes "
                               "PDF: POST /api/v1/negotiation-rounds/{id}/documents/ {\"kind\": \"round_minutes\"}.")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def rounds(self, request, pk=None):
        if request.method == "GET":
            negotiation = self.get_object()
            return Response(s.RoundSerializer(_rounds(negotiation), many=True).data)
        _negotiation, row = self.run_action(request, s.RoundInputSerializer, services.record_round)
        return Response(s.RoundSerializer(_rounds(row.negotiation).get(pk=row.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.ComparisonSerializer(many=True), **READ_ERRORS}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def comparison(self, request, pk=None):
        """Per topic, each round's positions and the gap between the sides (union − employer)."""
        return Response(s.ComparisonSerializer(selectors.comparison(self.get_object()), many=True).data)

    # --- the contract's text ----------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: s.ContractVersionSerializer(many=True), **READ_ERRORS}, filters=False)
    @extend_schema(methods=["POST"], request=s.ReviseInputSerializer,
                   responses={201: s.ContractVersionSerializer, **_errors(400, 403, 404, 409)},
                   description="A new version of the draft's text (revise_contract, while drafted); earlier "
                               "versions stay for the redline.")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def versions(self, request, pk=None):
        if request.method == "GET":
            negotiation = self.get_object()
            return Response(s.ContractVersionSerializer(negotiation.versions.select_related("created_by"), many=True).data)
        _negotiation, version = self.run_action(request, s.ReviseInputSerializer, services.revise_contract)
        return Response(s.ContractVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: s.RedlineSerializer, 400: ERRORS[400], 404: READ_ERRORS[404]}, filters=False,
        parameters=[
            OpenApiParameter("from", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True,
                             description="The older version's number."),
            OpenApiParameter("to", OpenApiTypes.INT, OpenApiParameter.QUERY, required=True,
                             description="The newer version's number."),
        ],
    )
    @action(detail=True, methods=["get"], url_path="versions/diff", url_name="versions-diff", filter_backends=[],
            pagination_class=None)
    def versions_diff(self, request, pk=None):
        """The redline between two versions: per clause added, removed, changed (with the text marked
        up) or unchanged."""
        negotiation = self.get_object()
        numbers, errors = {}, {}
        for key in ("from", "to"):
            value = request.query_params.get(key, "")
            if not value.isdigit():
                errors[key] = [_("请填写版本号。")]
            else:
                numbers[key] = int(value)
        if errors:
            raise ValidationError(errors)
        versions = {v.number: v for v in negotiation.versions.filter(number__in=numbers.values())}
        for key, number in numbers.items():
            if number not in versions:
                raise NotFound(_("没有第%(n)d版。") % {"n": number})
        return Response(s.RedlineSerializer(contract_text.redline(versions[numbers["from"]], versions[numbers["to"]])).data)

    # --- the vote -----------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: s.ElectorSerializer(many=True), **_errors(403, 404)}, filters=False,
                   description="The roll (union bargaining staff only: the employer side is not told who votes).")
    @extend_schema(methods=["PUT"], request=s.ElectorateInputSerializer,
                   responses={200: s.ElectorSerializer(many=True), **_errors(400, 403, 404, 409)}, filters=False,
                   description="Replace the roll that votes on the draft (set_electorate), before the vote.")
    @action(detail=True, methods=["get", "put"], filter_backends=[], pagination_class=None)
    def electorate(self, request, pk=None):
        if request.method == "GET":
            negotiation = self.get_object()
            self._require("bargaining.view_elector")
            return Response(s.ElectorSerializer(negotiation.electors.all(), many=True).data)
        negotiation, _count = self.run_action(request, s.ElectorateInputSerializer, services.set_electorate)
        return Response(s.ElectorSerializer(negotiation.electors.all(), many=True).data)

    @extend_schema(responses={200: s.VoteSerializer(many=True), **READ_ERRORS}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def votes(self, request, pk=None):
        """The votes on the draft; recording one is the `record_vote` transition."""
        negotiation = self.get_object()
        rows = negotiation.votes.select_related("version", "recorded_by").annotate(ballot_count=Count("ballots"))
        return Response(s.VoteSerializer(rows, many=True).data)

    # --- costing ------------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: s.OrderStatisticsSummarySerializer, **_errors(403, 404)},
                   filters=False, description="What was imported: rows, orders, cities and months.")
    @extend_schema(
        methods=["POST"], request={"multipart/form-data": s.OrderStatisticsImportSerializer},
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The import report, row by row."),
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description="The report, when rows were refused "
                                                                         "(nothing is kept), or field errors."),
                   **_errors(403, 404, 409)},
        filters=False,
        description="Import the platform's order statistics (CSV or JSON, UTF-8 or GBK: city, month, time band, "
                    "weather, orders, current piece rate, average distance…), validated row by row.",
    )
    @action(detail=True, methods=["get", "post"], url_path="order_statistics", url_name="order-statistics",
            filter_backends=[], pagination_class=None, parser_classes=[MultiPartParser, FormParser])
    def order_statistics(self, request, pk=None):
        negotiation = self.get_object()
        if request.method == "GET":
            self._require("bargaining.view_orderstatistic")
            rows = OrderStatistic.objects.filter(negotiation=negotiation)
            totals = rows.aggregate(rows=Count("id"), orders=Sum("orders"), first_month=Min("month"),
                                    last_month=Max("month"))
            cities = sorted(set(rows.values_list("city", flat=True)))
            return Response(s.OrderStatisticsSummarySerializer({**totals, "orders": totals["orders"] or 0,
                                                                "cities": cities}).data)
        data = s.OrderStatisticsImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        # Imported late: the importer lives in services/statistics.py.
        report = services.import_order_statistics(negotiation=negotiation, actor=request.user, data=upload.read(),
                                                  filename=upload.name)
        body = report.as_dict()
        return Response(body, status=status.HTTP_400_BAD_REQUEST if _has_errors(report) else status.HTTP_200_OK)

    @extend_schema(responses={200: OpenApiResponse(build_array_type(build_basic_type(OpenApiTypes.OBJECT)), description=(
        "A list: per numeric pay-rule position (piece rate, commission ratio, surcharges), the monthly cost to "
        "the platform and the monthly gain per worker (median and spread), from the order statistics.")),
        **_errors(403, 404)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def costing(self, request, pk=None):
        """Every numeric pay-rule position costed against the platform's order statistics (union staff)."""
        negotiation = self.get_object()
        self._require("bargaining.view_orderstatistic")
        from .costing import cost_negotiation

        return Response(cost_negotiation(negotiation))

    # --- after the contract ---------------------------------------------------------------------

    @extend_schema(responses={200: s.ChecklistItemSerializer(many=True), 400: ERRORS[400], **READ_ERRORS},
                   filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def clauses(self, request, pk=None):
        """An effective contract's clauses as checklist items for the covered employers' next legal
        check-up (legal_checkup is not built yet: offered here). 400 unless the contract is effective."""
        return Response(s.ChecklistItemSerializer(contract_text.checklist_items(self.get_object()), many=True).data)

    @extend_schema(request=s.NegotiationCommentSerializer,
                   responses={201: s.NegotiationDetailSerializer, **_errors(400, 403, 404, 409)}, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def start_renewal(self, request, pk=None):
        """Open a new negotiation renewing this contract (within 3 months before it ends, or once it
        expired): the same parties and scope, its topics seeded from the contract's clauses."""
        _negotiation, renewal = self.run_action(request, s.NegotiationCommentSerializer, services.start_renewal)
        return Response(self.detail_data(renewal), status=status.HTTP_201_CREATED)


def _rounds(negotiation):
    return negotiation.rounds.select_related("recorded_by").prefetch_related("positions__topic")


def _has_errors(report) -> bool:
    """The import refused rows (and then kept none of them)."""
    return not report.ok


class RoundViewSet(DocumentsViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One round and its minutes (协商会议纪要). Visible with its negotiation."""

    serializer_class = s.RoundSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]

    def get_queryset(self):
        return Round.objects.filter(negotiation__in=selectors.visible_to(self.request.user)).select_related(
            "negotiation", "recorded_by").prefetch_related("positions__topic")


class TopicCatalogueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The catalogue of bargaining topics (piece rate, commission, rest, algorithm rules…): a topic's
    unit, how it is costed, and whether it is a core common issue (核心共性问题). Supervisors add to it
    in the admin."""

    queryset = Topic.objects.all()
    serializer_class = s.CatalogueTopicSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    collection_permission = "bargaining.view_topic"
    pagination_class = StandardPagination
    filter_backends = []
