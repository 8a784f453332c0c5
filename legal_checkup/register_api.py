"""REST API for the check-up's registers (base /api/v1/): checklists and their versions, the clauses
offered by effective collective contracts, and the figures leadership asks for.

    GET  /checklists/  /checklists/{id}/  …/versions/  …/versions/{n}/     checklists, versions with items
    POST /checklists/{id}/new_version/                                      copy the last version (new_version)
    POST /checklists/{id}/versions/{n}/set_item/ | publish/ | include_offered_clauses/
    GET  /offered-clauses/                                                  clauses offered by bargaining
    GET  /checkup-figures/                                                  by state, grades, items failed most…

Check-up staff read checklists and offered clauses; supervisors keep them (services.checklists);
the figures are union staff's. Company contacts reach none of it (403).
"""

import django_filters as filters
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import BooleanFilter, IntegerFilter, RulesPermission, StandardPagination

from . import selectors, services
from . import serializers as s
from .api import ERRORS, READ_ERRORS, errors_for, path_id
from .models import Checklist, ChecklistVersion, CheckupState, Letter, OfferedClause
from .rules import is_union_staff

MANAGE_CHECKLISTS = "legal_checkup.manage_checklists"


# --------------------------------------------------------------------------------------------------
# Checklists and the clauses offered by collective contracts
# --------------------------------------------------------------------------------------------------


class ChecklistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checklists as versioned data. A published version never changes (a checkup pins one); a change
    is a new version, which copies the last and is edited until published. Check-up staff read them;
    supervisors keep them."""

    queryset = Checklist.objects.prefetch_related("versions").order_by("code")
    serializer_class = s.ChecklistSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    collection_permission = "legal_checkup.view_checklist"
    pagination_class = StandardPagination
    filter_backends = []

    def _require_manager(self):
        if not self.request.user.has_perm(MANAGE_CHECKLISTS):
            raise PermissionDenied(_("只有主管可以维护体检清单。"))

    def _version(self, checklist, number) -> ChecklistVersion:
        version = checklist.versions.filter(number=number).prefetch_related("items").select_related(
            "checklist", "created_by").first()
        if version is None:
            raise NotFound(_("该清单没有第%(n)s版。") % {"n": number})
        return version

    def _version_data(self, version):
        return s.ChecklistVersionSerializer(ChecklistVersion.objects.select_related("checklist", "created_by")
                                            .prefetch_related("items").get(pk=version.pk)).data

    @extend_schema(responses={200: s.ChecklistVersionSerializer(many=True), **READ_ERRORS}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def versions(self, request, pk=None):
        """Every version, newest first, with its items."""
        checklist = self.get_object()
        rows = checklist.versions.select_related("checklist", "created_by").prefetch_related("items")
        return Response(s.ChecklistVersionSerializer(rows, many=True).data)

    @extend_schema(responses={200: s.ChecklistVersionSerializer, **READ_ERRORS}, filters=False,
                   parameters=[path_id("number", "The version's number.")])
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)", url_name="version",
            filter_backends=[], pagination_class=None)
    def version(self, request, number, pk=None):
        return Response(s.ChecklistVersionSerializer(self._version(self.get_object(), number)).data)

    @extend_schema(request=s.NewVersionInputSerializer,
                   responses={201: s.ChecklistVersionSerializer, **errors_for(400, 403, 404)}, filters=False,
                   description="A new version copying the last one's items (new_version); refused while an "
                               "unpublished one exists. Supervisors.")
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def new_version(self, request, pk=None):
        self._require_manager()
        checklist = self.get_object()
        data = s.NewVersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.new_version(checklist=checklist, actor=request.user, **data.validated_data)
        return Response(self._version_data(version), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ChecklistItemInputSerializer,
                   responses={200: s.ChecklistVersionItemSerializer, **errors_for(400, 403, 404)}, filters=False,
                   parameters=[path_id("number", "The version's number.")],
                   description="Add an item or change one (by `code`) of an unpublished version (set_item); a "
                               "published version is 400. Supervisors.")
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/set_item", url_name="set-item",
            filter_backends=[], pagination_class=None)
    def set_item(self, request, number, pk=None):
        self._require_manager()
        version = self._version(self.get_object(), number)
        data = s.ChecklistItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.set_item(version=version, actor=request.user, **data.validated_data)
        return Response(s.ChecklistVersionItemSerializer(item).data)

    @extend_schema(request=None, responses={200: s.ChecklistVersionSerializer, **errors_for(400, 403, 404)},
                   filters=False, parameters=[path_id("number", "The version's number.")],
                   description="Publish the version (publish): from now on it never changes. Supervisors.")
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/publish", url_name="publish",
            filter_backends=[], pagination_class=None)
    def publish(self, request, number, pk=None):
        self._require_manager()
        version = self._version(self.get_object(), number)
        services.publish(version=version, actor=request.user)
        return Response(self._version_data(version))

    @extend_schema(request=s.IncludeOffersInputSerializer,
                   responses={201: s.ChecklistVersionItemSerializer(many=True), **errors_for(400, 403, 404)},
                   filters=False, parameters=[path_id("number", "The version's number.")],
                   description="Make items of an unpublished version from clauses offered by effective collective "
                               "contracts (include_offered_clauses). Supervisors.")
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/include_offered_clauses",
            url_name="include-offered-clauses", filter_backends=[], pagination_class=None)
    def include_offered_clauses(self, request, number, pk=None):
        self._require_manager()
        version = self._version(self.get_object(), number)
        data = s.IncludeOffersInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = services.include_offered_clauses(version=version, actor=request.user, **data.validated_data)
        return Response(s.ChecklistVersionItemSerializer(items, many=True).data, status=status.HTTP_201_CREATED)


class OfferedClauseFilter(filters.FilterSet):
    used = BooleanFilter(field_name="used_in", lookup_expr="isnull", exclude=True,
                                 help_text="true: already made an item of a checklist version; false: not yet.")
    employer = IntegerFilter(field_name="employers", help_text="A covered employer's id.")

    class Meta:
        model = OfferedClause
        fields = ["used", "employer"]


class OfferedClauseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Clauses of effective collective contracts, offered (by bargaining, through core) as checklist
    items for the covered employers' next check-up."""

    queryset = OfferedClause.objects.prefetch_related("employers").order_by("-offered_on", "id")
    serializer_class = s.OfferedClauseSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    collection_permission = "legal_checkup.view_checklist"
    pagination_class = StandardPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = OfferedClauseFilter


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


class IsUnionStaff(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and is_union_staff(request.user))


class CheckupFiguresViewSet(viewsets.ViewSet):
    """What leadership asks for, as one table (legal_checkup.selectors.figures). Union staff."""

    permission_classes = [permissions.IsAuthenticated, IsUnionStaff]

    @extend_schema(responses={200: s.CheckupFiguresSerializer, 403: ERRORS[403]}, filters=False)
    def list(self, request):
        today = timezone.localdate()
        return Response(s.CheckupFiguresSerializer(figures_table(today)).data)


def figures_table(today) -> dict:
    raw = selectors.figures(today)
    letters = []
    for kind in Letter.LADDER:
        row = raw["letters"].get(kind, {"issued": 0, "answered": 0})
        letters.append({"kind": kind, "label": str(Letter.Kind(kind).label), "issued": row["issued"],
                        "answered": row["answered"],
                        "share_answered": round(row["answered"] / row["issued"], 3) if row["issued"] else None})
    return {
        "by_state": [{"key": state, "label": str(label), "count": raw["by_state"].get(state, 0)}
                     for state, label in CheckupState.choices],
        "by_grade": [{"key": grade, "label": grade, "count": raw["by_grade"].get(grade, 0)} for grade in "ABCD"],
        "most_failed": [{"code": row["item__code"], "title": row["item__title"], "findings": row["findings"],
                         "companies": row["companies"]} for row in raw["most_failed"]],
        "rectification_rate": raw["rectification_rate"],
        "letters": letters,
        "overdue_findings": raw["overdue_findings"],
        "today": today,
    }
