"""REST API for the legal check-up (base /api/v1/, DESIGN.md "Public interface"):

    GET/POST /checkups/                                   list (state, company, grade, search) / request one
    GET      /checkups/{id}/                              detail with `state`, `allowed_transitions`, the score
    POST     /checkups/{id}/transitions/{name}/           every declared transition (legal_checkup/transitions.py)
    GET      /checkups/{id}/events/                       the journal
    GET/POST /checkups/{id}/documents/                    documents (core.document_api)
    GET      /checkups/{id}/score/                        the score's computation, initial and final
    GET/POST /checkups/{id}/team/                         the lead and team; POST adds one (add_team_member)
    GET      /checkups/{id}/assessments/                  one per applicable item
    GET/PATCH/POST /checkups/{id}/assessments/{a}/        one; PATCH or POST assesses it (assess)
    GET/POST /checkups/{id}/assessments/{a}/evidence/     the fieldwork's files; POST uploads one (add_evidence)
    POST     /checkups/{id}/assessments/{a}/reassess/     the whole checklist re-assessed at the follow-up
    GET      /checkups/{id}/findings/                     findings with due date, status, repeat, letters
    GET/PATCH /checkups/{id}/findings/{f}/                one; PATCH edits its text while drafting (edit_finding)
    POST     /checkups/{id}/findings/{f}/reassess/        the follow-up's re-assessment (reassess)
    POST     /checkups/{id}/findings/{f}/escalate/        the next supervision letter (escalate) -> the letter
    GET/POST /checkups/{id}/findings/{f}/replies/         the company's replies; POST replies (reply)
    POST     /checkups/{id}/findings/{f}/replies/{r}/evidence/   evidence on a reply (add_evidence)
    GET      /checkups/{id}/letters/                      the supervision letters (提示函, 意见书, 建议书)
    POST     /checkups/{id}/letters/{l}/reply/            the company's answer to one (letter_reply)
    GET      /checkups/{id}/evidence/{e}/download/        an evidence file
    GET/POST /checkup-letters/{id}/documents/             a letter's PDF

(Checklists, offered clauses and the figures: register_api.py.)

Who sees what (legal_checkup.selectors.visible_to): union staff every checkup; a company contact
only their own company's, and only once the report is issued (any other is 404). A company contact
acknowledges (start_rectification), replies per finding with evidence and answers letters, nothing
else (403, before the body is read); their shapes have no assessors' notes, no interviews, no
fieldwork evidence and no review comments (serializers.py), and their journal starts at the issue.
"""

import django_filters as filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core import journal
from core.api import IntegerFilter, RulesPermission, TransitionViewSetMixin
from core.document_api import DocumentsViewSetMixin
from core.serializers import EventSerializer, UserSummarySerializer

from . import selectors, services
from . import serializers as s
from .models import Assessment, Checkup, CheckupState, Evidence, Finding, Letter, Reply
from .rules import is_union_staff
from .services.transitions import final_results

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors: {field: [message, …]}."),
    403: OpenApiResponse(description="Not permitted for this user."),
    404: OpenApiResponse(description="No such checkup (or part of it) for this user."),
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="`conflict`: someone else changed the checkup first."),
}
READ_ERRORS = {404: ERRORS[404]}
INTERNAL = "legal_checkup.view_internal_notes"
CHANGE = "legal_checkup.change_checkup"

# The writes a company contact may make: the services decide (their reply, their evidence, their
# answer to a letter; a transition by its declaration). Every other write needs the right to work
# the checkup, checked before the body is read.
CONTACT_WRITES = {"transition", "replies", "reply_evidence", "letter_reply"}


def errors_for(*codes):
    return {code: ERRORS[code] for code in codes}


def path_id(name, description):
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


def _internal(request) -> bool:
    """Union staff read the union-internal fields; nobody else gets the fields at all."""
    return request.user.has_perm(INTERNAL)


class CheckupFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=CheckupState.choices)
    company = IntegerFilter(method="filter_company", help_text="The audited company's id.")
    grade = filters.MultipleChoiceFilter(choices=[(g, g) for g in "ABCD"])
    search = filters.CharFilter(method="filter_search", help_text="The checkup's number or the company's name.")

    class Meta:
        model = Checkup
        fields = ["state", "grade"]

    def filter_company(self, queryset, name, value):
        return selectors.search(queryset, company=value)

    def filter_search(self, queryset, name, value):
        return selectors.search(queryset, text=value.strip())



@extend_schema_view(
    list=extend_schema(responses=s.CheckupListSerializer),
    retrieve=extend_schema(
        responses={200: s.StaffCheckupDetailSerializer, **READ_ERRORS},
        description="A company contact's shape has no `drafted_by`, `approved_by`, `review_comment`, `created_by`.",
    ),
    create=extend_schema(
        request=s.CheckupCreateSerializer,
        responses={201: s.StaffCheckupDetailSerializer, **errors_for(400, 403)},
        description="Register a request for a check-up of an employer (create_checkup): auditors, lawyers, "
                    "legal-aid volunteers and supervisors.",
    ),
)
class CheckupViewSet(
    DocumentsViewSetMixin, TransitionViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Legal health checks (法治体检) of platform employers.

    A user lists only the checkups they could open (`legal_checkup.selectors.visible_to`): union
    staff all, a company contact their own company's once the report is issued, anyone else none.
    Any other checkup is 404 to them.
    """

    queryset = Checkup.objects.all()
    detail_serializer_class = s.StaffCheckupDetailSerializer
    list_serializer_class = s.CheckupListSerializer
    create_input = s.CheckupCreateSerializer
    create_service = staticmethod(services.create_checkup)
    object_permission = "legal_checkup.view_checkup"
    filterset_class = CheckupFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["number", "planned_on", "issued_on", "score", "updated_at", "id"]

    def get_queryset(self):
        checkups = selectors.visible_to(self.request.user)
        if self.action == "list":
            return checkups
        return checkups.select_related("union", "drafted_by", "approved_by", "created_by").prefetch_related("team")

    def get_serializer_class(self):
        if self.action != "list" and not _internal(self.request):
            return s.CheckupDetailSerializer
        return super().get_serializer_class()

    def detail_data(self, obj) -> dict:
        fresh = self.get_queryset().get(pk=obj.pk)
        shape = s.StaffCheckupDetailSerializer if _internal(self.request) else s.CheckupDetailSerializer
        return shape(fresh, context=self.get_serializer_context()).data

    def get_object(self):
        obj = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS and self.action not in CONTACT_WRITES:
            if self.action == "documents":
                allowed = is_union_staff(self.request.user)
            elif self.action == "escalate":
                allowed = self.request.user.has_perm("legal_checkup.escalate", obj)
            else:
                allowed = self.request.user.has_perm(CHANGE, obj)
            if not allowed:
                raise PermissionDenied(_("只有负责该体检的检查组成员或主管可以修改体检。"))
        return obj

    def create(self, request):
        if not request.user.has_perm("legal_checkup.add_checkup"):
            raise PermissionDenied(_("只有法治体检人员、律师、法律援助志愿者或主管可以登记法治体检。"))
        return super().create(request)

    # --- the journal: a company contact's starts at the issue ----------------------------------------

    @extend_schema(responses=EventSerializer(many=True), filters=False,
                   description="The checkup's journal, oldest first. A company contact reads it from the report's "
                               "issue on (the drafting and review before it are the union's), without the "
                               "fieldwork's evidence files.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request, pk=None):
        checkup = self.get_object()
        rows = list(journal.events_for(checkup))
        if not _internal(request):
            start = next((i for i, e in enumerate(rows) if e.transition == "issue"), len(rows))
            fieldwork_files = set(Evidence.objects.filter(assessment__checkup=checkup).values_list("sha256", flat=True))
            rows = [e for e in rows[start:]
                    if not (e.transition == "add_evidence" and (e.payload or {}).get("sha256") in fieldwork_files)]
        return Response(EventSerializer(rows, many=True).data)

    # --- the score ------------------------------------------------------------------------------------

    @extend_schema(responses={200: s.CheckupComputationSerializer, **READ_ERRORS}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def score(self, request, pk=None):
        """The score's computation from the assessments (as they stand while in fieldwork), and the final
        one from the follow-up's re-assessments once there are any."""
        checkup = self.get_object()
        assessments = list(checkup.assessments.select_related("item"))
        initial = s.score_data([(a.item.severity, a.result) for a in assessments],
                               assessed=sum(1 for a in assessments if a.result), items=len(assessments))
        final = None
        if checkup.state in (CheckupState.FOLLOW_UP, CheckupState.CLOSED):
            results = final_results(checkup)
            final = s.score_data(results, assessed=sum(1 for _sev, r in results if r), items=len(results))
        return Response(s.CheckupComputationSerializer({"initial": initial, "final": final}).data)

    # --- the team -------------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: UserSummarySerializer(many=True), **READ_ERRORS}, filters=False,
                   description="The lead first, then the team.")
    @extend_schema(methods=["POST"], request=s.TeamMemberInputSerializer,
                   responses={201: UserSummarySerializer(many=True), **errors_for(400, 403, 404, 409)}, filters=False,
                   description="Add someone to the team (add_team_member), conflict-checked, until the fieldwork ends.")
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def team(self, request, pk=None):
        if request.method == "GET":
            return Response(UserSummarySerializer(_team(self.get_object()), many=True).data)
        checkup, _result = self.run_action(request, s.TeamMemberInputSerializer, services.add_team_member)
        return Response(UserSummarySerializer(_team(checkup), many=True).data, status=status.HTTP_201_CREATED)

    # --- assessments ----------------------------------------------------------------------------------

    def _assessment_shape(self):
        return s.StaffAssessmentSerializer if _internal(self.request) else s.AssessmentSerializer

    def _assessments(self, checkup):
        rows = checkup.assessments.select_related("item", "assessed_by")
        if _internal(self.request):
            rows = rows.prefetch_related(Prefetch("evidence", queryset=Evidence.objects.select_related(
                "uploaded_by", "assessment")))
        return rows

    def _assessment(self, checkup, pk) -> Assessment:
        row = self._assessments(checkup).filter(pk=pk).first()
        if row is None:
            raise NotFound(_("本次体检没有这项评估。"))
        row.checkup = checkup
        return row

    @extend_schema(responses={200: s.StaffAssessmentSerializer(many=True), **READ_ERRORS}, filters=False,
                   description="One per applicable item of the pinned checklist version. A company contact's shape "
                               "has no `notes`, `interviews`, `evidence`, `assessed_by`, `assessed_at`.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def assessments(self, request, pk=None):
        checkup = self.get_object()
        return Response(self._assessment_shape()(self._assessments(checkup), many=True,
                                                 context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], responses={200: s.StaffAssessmentSerializer, **READ_ERRORS}, filters=False,
                   parameters=[path_id("assessment", "The assessment's id.")])
    @extend_schema(methods=["PATCH", "POST"], request=s.AssessInputSerializer,
                   responses={200: s.StaffAssessmentSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("assessment", "The assessment's id.")],
                   description="Assess the item (assess), in the fieldwork: what is left out keeps its value. "
                               "`not_applicable` needs a reason; what was examined goes into the report and so "
                               "takes no ID or phone number; `notes` and `interviews` stay in the union.")
    @action(detail=True, methods=["get", "patch", "post"], url_path=r"assessments/(?P<assessment>[0-9]+)",
            url_name="assessment", filter_backends=[], pagination_class=None)
    def assessment(self, request, assessment, pk=None):
        checkup = self.get_object()
        row = self._assessment(checkup, assessment)
        if request.method != "GET":
            data = s.AssessInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = {"result": row.result, "not_applicable_reason": row.not_applicable_reason,
                      "examined": row.examined, "sample_checked": row.sample_checked,
                      "sample_total": row.sample_total, "notes": row.notes, "interviews": row.interviews,
                      **data.validated_data}
            services.assess(assessment=row, actor=request.user, **values)
            row = self._assessment(self.get_queryset().get(pk=checkup.pk), assessment)
        return Response(self._assessment_shape()(row, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], responses={200: s.CheckupEvidenceSerializer(many=True), **READ_ERRORS},
                   filters=False, parameters=[path_id("assessment", "The assessment's id.")],
                   description="The files examined in the fieldwork (union staff only: 404 for anyone else).")
    @extend_schema(methods=["POST"], request={"multipart/form-data": s.CheckupEvidenceInputSerializer},
                   responses={201: s.CheckupEvidenceSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("assessment", "The assessment's id.")],
                   description="Upload a file examined (add_evidence): kept with its SHA-256, size and time.")
    @action(detail=True, methods=["get", "post"], url_path=r"assessments/(?P<assessment>[0-9]+)/evidence",
            url_name="assessment-evidence", filter_backends=[], pagination_class=None,
            parser_classes=[MultiPartParser, FormParser])
    def assessment_evidence(self, request, assessment, pk=None):
        checkup = self.get_object()  # a write by anyone but the team: 403 here
        if not _internal(request):
            raise NotFound()
        row = self._assessment(checkup, assessment)
        if request.method == "GET":
            return Response(s.CheckupEvidenceSerializer(row.evidence.all(), many=True,
                                                        context=self.get_serializer_context()).data)
        data = s.CheckupEvidenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.add_evidence(actor=request.user, file=data.validated_data["file"], assessment=row)
        return Response(s.CheckupEvidenceSerializer(evidence, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReassessItemInputSerializer,
                   responses={200: s.StaffAssessmentSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("assessment", "The assessment's id.")],
                   description="At the follow-up, when the whole checklist is re-assessed: an item (reassess_item).")
    @action(detail=True, methods=["post"], url_path=r"assessments/(?P<assessment>[0-9]+)/reassess",
            url_name="assessment-reassess", filter_backends=[], pagination_class=None)
    def reassess_item(self, request, assessment, pk=None):
        checkup = self.get_object()
        row = self._assessment(checkup, assessment)
        data = s.ReassessItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reassess_item(assessment=row, actor=request.user, **data.validated_data)
        row = self._assessment(checkup, assessment)
        return Response(self._assessment_shape()(row, context=self.get_serializer_context()).data)

    # --- findings -------------------------------------------------------------------------------------

    def _finding_shape(self):
        return s.StaffFindingSerializer if _internal(self.request) else s.FindingSerializer

    def _findings(self, checkup):
        return checkup.findings.select_related("item", "repeat_of__checkup").prefetch_related("letters")

    def _finding(self, checkup, pk) -> Finding:
        row = self._findings(checkup).filter(pk=pk).first()
        if row is None:
            raise NotFound(_("本次体检没有这个问题。"))
        row.checkup = checkup
        return row

    def _finding_data(self, checkup, pk):
        return self._finding_shape()(self._finding(checkup, pk), context=self.get_serializer_context()).data

    @extend_schema(responses={200: s.StaffFindingSerializer(many=True), **READ_ERRORS}, filters=False,
                   description="Findings from partial and non-compliant items. A company contact's shape has no "
                               "`review_comment`.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def findings(self, request, pk=None):
        checkup = self.get_object()
        return Response(self._finding_shape()(self._findings(checkup), many=True,
                                              context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], responses={200: s.StaffFindingSerializer, **READ_ERRORS}, filters=False,
                   parameters=[path_id("finding", "The finding's id.")])
    @extend_schema(methods=["PATCH"], request=s.FindingEditSerializer,
                   responses={200: s.StaffFindingSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("finding", "The finding's id.")],
                   description="Edit what was found, the risk and the recommendation (edit_finding), while drafting. "
                               "The text goes to the company: an ID number or a phone number in it is refused (400); "
                               "registered workers' names are redacted in what the company reads.")
    @action(detail=True, methods=["get", "patch"], url_path=r"findings/(?P<finding>[0-9]+)", url_name="finding",
            filter_backends=[], pagination_class=None)
    def finding(self, request, finding, pk=None):
        checkup = self.get_object()
        if request.method == "PATCH":
            row = self._finding(checkup, finding)
            data = s.FindingEditSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.edit_finding(finding=row, actor=request.user, **data.validated_data)
        return Response(self._finding_data(checkup, finding))

    @extend_schema(request=s.ReassessInputSerializer,
                   responses={200: s.StaffFindingSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("finding", "The finding's id.")],
                   description="The follow-up's re-assessment (reassess): compliant = rectified.")
    @action(detail=True, methods=["post"], url_path=r"findings/(?P<finding>[0-9]+)/reassess",
            url_name="finding-reassess", filter_backends=[], pagination_class=None)
    def reassess(self, request, finding, pk=None):
        checkup = self.get_object()
        row = self._finding(checkup, finding)
        data = s.ReassessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reassess(finding=row, actor=request.user, **data.validated_data)
        return Response(self._finding_data(checkup, finding))

    @extend_schema(request=s.EscalateInputSerializer,
                   responses={201: s.SupervisionLetterSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("finding", "The finding's id.")],
                   description="The next supervision letter on an overdue finding (escalate): 提示函 to the company, "
                               "then 意见书, then 建议书 to the labour administration (the hand-over), each with its "
                               "reply date and its PDF (GET /api/v1/checkup-letters/{id}/documents/).")
    @action(detail=True, methods=["post"], url_path=r"findings/(?P<finding>[0-9]+)/escalate",
            url_name="finding-escalate", filter_backends=[], pagination_class=None)
    def escalate(self, request, finding, pk=None):
        checkup = self.get_object()
        row = self._finding(checkup, finding)
        data = s.EscalateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        letter = services.escalate(finding=row, actor=request.user, **data.validated_data)
        return Response(s.SupervisionLetterSerializer(_letters().get(pk=letter.pk)).data,
                        status=status.HTTP_201_CREATED)

    # --- the company's replies ----------------------------------------------------------------------

    def _replies(self, finding):
        return finding.replies.select_related("created_by").prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by", "reply__finding")))

    @extend_schema(methods=["GET"], responses={200: s.FindingReplySerializer(many=True), **READ_ERRORS},
                   filters=False, parameters=[path_id("finding", "The finding's id.")])
    @extend_schema(methods=["POST"], request=s.ReplyInputSerializer,
                   responses={201: s.FindingReplySerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("finding", "The finding's id.")],
                   description="The company's reply (reply), once rectifying: the plan, who answers for it, by when, "
                               "done or not. The company's contacts, or the team on their behalf.")
    @action(detail=True, methods=["get", "post"], url_path=r"findings/(?P<finding>[0-9]+)/replies",
            url_name="finding-replies", filter_backends=[], pagination_class=None)
    def replies(self, request, finding, pk=None):
        checkup = self.get_object()
        row = self._finding(checkup, finding)
        if request.method == "GET":
            return Response(s.FindingReplySerializer(self._replies(row), many=True,
                                                     context=self.get_serializer_context()).data)
        data = s.ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.reply(finding=row, actor=request.user, **data.validated_data)
        return Response(s.FindingReplySerializer(self._replies(row).get(pk=reply.pk),
                                                 context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.CheckupEvidenceInputSerializer},
                   responses={201: s.CheckupEvidenceSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("finding", "The finding's id."), path_id("reply", "The reply's id.")],
                   description="Evidence of the rectification on a reply (add_evidence), with its SHA-256.")
    @action(detail=True, methods=["post"], url_path=r"findings/(?P<finding>[0-9]+)/replies/(?P<reply>[0-9]+)/evidence",
            url_name="reply-evidence", filter_backends=[], pagination_class=None,
            parser_classes=[MultiPartParser, FormParser])
    def reply_evidence(self, request, finding, reply, pk=None):
        checkup = self.get_object()
        row = Reply.objects.select_related("finding").filter(pk=reply, finding=self._finding(checkup, finding)).first()
        if row is None:
            raise NotFound(_("该问题没有这条答复。"))
        row.finding.checkup = checkup
        data = s.CheckupEvidenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.add_evidence(actor=request.user, file=data.validated_data["file"], reply=row)
        return Response(s.CheckupEvidenceSerializer(evidence, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    # --- the supervision letters ----------------------------------------------------------------------

    @extend_schema(responses={200: s.SupervisionLetterSerializer(many=True), **READ_ERRORS}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def letters(self, request, pk=None):
        """The union's labour-law supervision letters on this checkup's findings, oldest first."""
        checkup = self.get_object()
        return Response(s.SupervisionLetterSerializer(_letters().filter(finding__checkup=checkup), many=True).data)

    @extend_schema(request=s.LetterReplyInputSerializer,
                   responses={200: s.SupervisionLetterSerializer, **errors_for(400, 403, 404, 409)}, filters=False,
                   parameters=[path_id("letter", "The letter's id.")],
                   description="The answer to a letter (letter_reply): by the company's contact, or recorded by the team.")
    @action(detail=True, methods=["post"], url_path=r"letters/(?P<letter>[0-9]+)/reply", url_name="letter-reply",
            filter_backends=[], pagination_class=None)
    def letter_reply(self, request, letter, pk=None):
        checkup = self.get_object()
        row = _letters().filter(pk=letter, finding__checkup=checkup).first()
        if row is None:
            raise NotFound(_("本次体检没有这份文书。"))
        row.finding.checkup = checkup
        data = s.LetterReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.letter_reply(letter=row, actor=request.user, **data.validated_data)
        return Response(s.SupervisionLetterSerializer(_letters().get(pk=row.pk)).data)

    # --- evidence files -------------------------------------------------------------------------------

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **READ_ERRORS}, filters=False,
        parameters=[path_id("evidence", "The evidence file's id.")],
        description="An evidence file, with its SHA-256 in `X-Evidence-SHA256`. The fieldwork's files are union "
                    "staff's; a reply's are also the company's.",
    )
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence>[0-9]+)/download",
            url_name="evidence-download", filter_backends=[], pagination_class=None)
    def evidence_download(self, request, evidence, pk=None):
        checkup = self.get_object()
        rows = Evidence.objects.filter(reply__finding__checkup=checkup)
        if _internal(request):
            rows = rows | Evidence.objects.filter(assessment__checkup=checkup)
        row = rows.filter(pk=evidence).first()
        if row is None:
            raise NotFound()
        response = FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name)
        response["X-Evidence-SHA256"] = row.sha256
        response["Cache-Control"] = "private, no-store"
        return response


def _team(checkup):
    people = [checkup.lead] if checkup.lead_id else []
    return people + [u for u in checkup.team.order_by("id") if u.pk != checkup.lead_id]


def _letters():
    return Letter.objects.select_related("finding__item", "addressee", "issued_by").order_by("finding__order", "id")


class LetterViewSet(DocumentsViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One supervision letter and its PDF (提示函, 意见书, 建议书). Visible with its checkup; asking
    for the PDF again is the union staff's."""

    serializer_class = s.SupervisionLetterSerializer
    permission_classes = [permissions.IsAuthenticated, RulesPermission]

    def get_queryset(self):
        return _letters().filter(finding__checkup__in=selectors.visible_to(self.request.user))

    def get_object(self):
        obj = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS and not is_union_staff(self.request.user):
            raise PermissionDenied(_("只有工会工作人员可以生成监督文书。"))
        return obj
