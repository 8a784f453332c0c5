"""API serializers for the legal check-up: output shapes, and input shapes that only parse.

Input serializers turn JSON into the keyword arguments a service takes; every rule about the values
lives in `legal_checkup.services`, so the API, the pages, the admin and the demo refuse the same
things with the same messages. The transitions' input serializers are made from their declarations
(legal_checkup/transitions.py).

Two audiences, two sets of shapes. Union staff get the `Staff…` serializers, which add the
union-internal fields: the assessors' `notes` and `interviews`, the fieldwork's evidence files, the
reviewer's comments. The audited company's contacts get the plain ones, which do not have those
fields at all (omitted, never blanked), and whose report texts pass `redact_workers` as the PDF's
do (registered workers' names read 某某).
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core import legal_calendar
from core.models import Organisation
from core.serializers import DateField, OrganisationSummarySerializer, StatefulSerializer, TextField, UserSummarySerializer

from .models import (
    Assessment,
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Checkup,
    Evidence,
    Finding,
    Letter,
    OfferedClause,
    Profile,
    Reply,
    Result,
    Severity,
)
from .rules import WEIGHTS, score
from .services.common import redact_workers, worker_names

User = get_user_model()
ONE_DECIMAL = {"max_digits": 4, "decimal_places": 1}
REASSESSED = [(Result.COMPLIANT, Result.COMPLIANT.label), (Result.PARTIAL, Result.PARTIAL.label),
              (Result.NON_COMPLIANT, Result.NON_COMPLIANT.label)]


class RedactedTextField(serializers.CharField):
    """A report text as the company reads it: registered workers' names replaced by 某某 (the same
    redaction as the PDFs; ID numbers and phone numbers were refused at entry)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        text = super().to_representation(value)
        context = self.root.context if self.root is not None else self.context
        names = context.get("_worker_names")
        if names is None:
            names = context["_worker_names"] = worker_names()
        return redact_workers(text, names)


# --------------------------------------------------------------------------------------------------
# Checklists
# --------------------------------------------------------------------------------------------------


class ChecklistVersionItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "code", "title", "legal_basis", "severity", "guidance", "questions", "evidence",
                  "company_kinds", "relationship_types", "profiles", "source", "order"]
        read_only_fields = fields


class ChecklistItemSummarySerializer(serializers.ModelSerializer):
    weight = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistItem
        fields = ["id", "code", "title", "legal_basis", "severity", "weight"]
        read_only_fields = fields

    def get_weight(self, item) -> int:
        """High 3, medium 2, low 1 (the score's weights)."""
        return WEIGHTS[item.severity]


class ChecklistVersionSummarySerializer(serializers.ModelSerializer):
    published = serializers.BooleanField(read_only=True)
    items = serializers.IntegerField(source="items.count", read_only=True, help_text="How many items.")

    class Meta:
        model = ChecklistVersion
        fields = ["id", "number", "note", "published", "published_at", "items", "created_at"]
        read_only_fields = fields


class ChecklistVersionSerializer(serializers.ModelSerializer):
    checklist = serializers.SlugRelatedField(slug_field="code", read_only=True)
    published = serializers.BooleanField(read_only=True)
    created_by = UserSummarySerializer(read_only=True)
    items = ChecklistVersionItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistVersion
        fields = ["id", "checklist", "number", "note", "published", "published_at", "created_by", "created_at",
                  "items"]
        read_only_fields = fields


class ChecklistSerializer(serializers.ModelSerializer):
    versions = ChecklistVersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Checklist
        fields = ["id", "code", "name", "versions"]
        read_only_fields = fields


class VersionLinkSerializer(serializers.ModelSerializer):
    checklist = serializers.SlugRelatedField(slug_field="code", read_only=True)
    name = serializers.CharField(source="checklist.name", read_only=True)

    class Meta:
        model = ChecklistVersion
        fields = ["id", "checklist", "name", "number"]
        read_only_fields = fields


class OfferedClauseSerializer(serializers.ModelSerializer):
    employers = OrganisationSummarySerializer(many=True, read_only=True)
    used_in = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The checklist version it became an item of.")

    class Meta:
        model = OfferedClause
        fields = ["id", "source_label", "source_id", "source_number", "title", "text", "employers", "offered_on",
                  "used_in"]
        read_only_fields = fields


# --------------------------------------------------------------------------------------------------
# Evidence, assessments, findings, replies, letters
# --------------------------------------------------------------------------------------------------


class CheckupEvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = UserSummarySerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "name", "sha256", "size", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, evidence) -> str:
        checkup_id = (evidence.assessment.checkup_id if evidence.assessment_id else evidence.reply.finding.checkup_id)
        path = reverse("checkup-evidence-download", args=[checkup_id, evidence.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AssessmentSerializer(serializers.ModelSerializer):
    """An assessed item as the company reads it (the report's item table)."""

    item = ChecklistItemSummarySerializer(read_only=True)
    examined = RedactedTextField()
    not_applicable_reason = RedactedTextField()

    class Meta:
        model = Assessment
        fields = ["id", "item", "result", "not_applicable_reason", "examined", "sample_checked", "sample_total",
                  "reassessed_result"]
        read_only_fields = fields


class StaffAssessmentSerializer(AssessmentSerializer):
    """An assessment with the union-internal fieldwork: notes, workers interviewed, evidence."""

    examined = serializers.CharField(read_only=True)
    not_applicable_reason = serializers.CharField(read_only=True)
    assessed_by = UserSummarySerializer(read_only=True)
    evidence = CheckupEvidenceSerializer(many=True, read_only=True)

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "notes", "interviews", "evidence", "assessed_by", "assessed_at"]
        read_only_fields = fields


# The same operations answer a company contact with AssessmentSerializer: in the schema (core.api),
# what only union staff get is not required.
StaffAssessmentSerializer.schema_optional_fields = tuple(
    sorted(set(StaffAssessmentSerializer.Meta.fields) - set(AssessmentSerializer.Meta.fields)))


class RepeatOfSerializer(serializers.ModelSerializer):
    checkup_number = serializers.CharField(source="checkup.number", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "checkup_number"]
        read_only_fields = fields


class FindingReplySerializer(serializers.ModelSerializer):
    plan = RedactedTextField()
    created_by = UserSummarySerializer(read_only=True)
    evidence = CheckupEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Reply
        fields = ["id", "finding", "plan", "responsible", "target_on", "done", "created_by", "created_at", "evidence"]
        read_only_fields = fields


class SupervisionLetterSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="finding.item.code", read_only=True)
    addressee = OrganisationSummarySerializer(read_only=True)
    issued_by = UserSummarySerializer(read_only=True)
    reply_text = RedactedTextField()
    handed_over = serializers.SerializerMethodField()
    reply_due_provisional = serializers.SerializerMethodField(
        help_text="True when the reply period's last day falls in a year with no holiday data yet: the date may move.")

    class Meta:
        model = Letter
        fields = ["id", "finding", "item", "kind", "issued_on", "reply_due", "reply_due_provisional", "replied_on",
                  "reply_text", "addressee",
                  "issued_by", "handed_over"]
        read_only_fields = fields

    def get_handed_over(self, letter) -> bool:
        """The recommendation letter (建议书) hands the matter to the labour administration."""
        return letter.kind == Letter.Kind.RECOMMENDATION

    def get_reply_due_provisional(self, letter) -> bool:
        return legal_calendar.is_provisional(letter.reply_due)


class FindingSerializer(serializers.ModelSerializer):
    """A finding as the company reads it: what was found, the risk, the recommendation, the
    rectification due date and status, the replies and letters."""

    item = ChecklistItemSummarySerializer(read_only=True)
    found = RedactedTextField()
    risk = RedactedTextField()
    recommendation = RedactedTextField()
    reassessment_note = RedactedTextField()
    repeat_of = RepeatOfSerializer(read_only=True, allow_null=True,
                                   help_text="The same item's finding at this company (credit code) in an earlier checkup.")
    overdue = serializers.SerializerMethodField()
    replies = serializers.IntegerField(source="replies.count", read_only=True, help_text="How many replies (…/replies/).")
    letters = serializers.SerializerMethodField()
    due_on_provisional = serializers.SerializerMethodField(
        help_text="True when the rectification period's last day falls in a year with no holiday data yet: the date may move.")

    class Meta:
        model = Finding
        fields = ["id", "item", "severity", "legal_basis", "found", "risk", "recommendation", "due_on", "due_on_provisional", "status",
                  "overdue", "repeat_of", "escalation", "replies", "letters", "reassessed_result", "reassessed_on",
                  "reassessment_note", "order"]
        read_only_fields = fields

    def get_due_on_provisional(self, finding) -> bool:
        return legal_calendar.is_provisional(finding.due_on)

    def get_overdue(self, finding) -> bool:
        """Past its due date, not rectified and no reply saying it is done."""
        from .services import overdue

        return overdue(finding)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Letter.Kind.choices)))
    def get_letters(self, finding) -> list[str]:
        """The supervision letters sent on it, in order (提示函 → 意见书 → 建议书)."""
        return [letter.kind for letter in finding.letters.all()]


class StaffFindingSerializer(FindingSerializer):
    found = serializers.CharField(read_only=True)
    risk = serializers.CharField(read_only=True)
    recommendation = serializers.CharField(read_only=True)
    reassessment_note = serializers.CharField(read_only=True)

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "review_comment"]
        read_only_fields = fields


# As for assessments: a company contact gets FindingSerializer from the same operations.
StaffFindingSerializer.schema_optional_fields = tuple(
    sorted(set(StaffFindingSerializer.Meta.fields) - set(FindingSerializer.Meta.fields)))


# --------------------------------------------------------------------------------------------------
# Checkups
# --------------------------------------------------------------------------------------------------


class CheckupScoreSerializer(serializers.Serializer):
    """The computation: 100 × Σ weight·result ÷ Σ weight (high 3, medium 2, low 1; compliant 1,
    partial 0.5, non-compliant 0, not applicable left out), one decimal; A ≥ 90, B ≥ 75, C ≥ 60,
    else D; a non-compliant high-severity item caps the grade at C."""

    score = serializers.DecimalField(**ONE_DECIMAL, allow_null=True, help_text="Null when every item is not applicable.")
    grade = serializers.CharField(allow_blank=True)
    grade_capped = serializers.BooleanField()
    earned = serializers.DecimalField(max_digits=8, decimal_places=1, help_text="Σ weight × result.")
    possible = serializers.IntegerField(help_text="Σ weight of the applicable items.")
    explanation = serializers.CharField()
    assessed = serializers.IntegerField(help_text="Items with a result.")
    items = serializers.IntegerField(help_text="Applicable items of the checkup.")


def score_data(results, *, assessed, items) -> dict:
    computed = score(results)
    return {"score": computed.value, "grade": computed.grade, "grade_capped": computed.capped,
            "earned": computed.earned, "possible": computed.possible, "explanation": computed.explain(),
            "assessed": assessed, "items": items}


class CheckupComputationSerializer(serializers.Serializer):
    initial = CheckupScoreSerializer(help_text="From the fieldwork's results (the report's score).")
    final = CheckupScoreSerializer(allow_null=True, help_text="After the follow-up (re-assessments), once there is one.")


class CheckupListSerializer(serializers.ModelSerializer):
    company = OrganisationSummarySerializer(read_only=True)
    lead = UserSummarySerializer(read_only=True)
    score = serializers.DecimalField(**ONE_DECIMAL, read_only=True, allow_null=True)
    final_score = serializers.DecimalField(**ONE_DECIMAL, read_only=True, allow_null=True)

    class Meta:
        model = Checkup
        fields = ["id", "number", "state", "company", "profile", "lead", "planned_on", "issued_on", "score", "grade",
                  "grade_capped", "final_score", "final_grade", "updated_at"]
        read_only_fields = fields


class CheckupDetailSerializer(StatefulSerializer):
    """A checkup with what the requesting user may do next, as the audited company reads it."""

    company = OrganisationSummarySerializer(read_only=True)
    union = OrganisationSummarySerializer(read_only=True)
    checklist_version = VersionLinkSerializer(read_only=True, allow_null=True)
    lead = UserSummarySerializer(read_only=True)
    team = UserSummarySerializer(many=True, read_only=True)
    reason = RedactedTextField()
    scope = RedactedTextField()
    score = serializers.DecimalField(**ONE_DECIMAL, read_only=True, allow_null=True)
    final_score = serializers.DecimalField(**ONE_DECIMAL, read_only=True, allow_null=True)
    score_explanation = serializers.SerializerMethodField()
    final_score_explanation = serializers.SerializerMethodField()
    findings = serializers.IntegerField(source="findings.count", read_only=True, help_text="How many (…/findings/).")

    class Meta:
        model = Checkup
        fields = [
            "id", "number", "state", "allowed_transitions", "company", "union", "reason", "checklist_version",
            "profile", "lead", "team", "planned_on", "scope", "fieldwork_started_on", "score", "grade",
            "grade_capped", "score_explanation", "findings", "approved_on", "issued_on", "acknowledged_on",
            "follow_up_on", "closed_on", "final_score", "final_grade", "final_score_explanation", "cancel_reason",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_score_explanation(self, c) -> str:
        """How the score was computed (rules.score(...).explain()); blank before compile_findings."""
        if c.score is None and not c.grade:
            return ""
        return score((a.item.severity, a.result) for a in c.assessments.select_related("item")).explain()

    def get_final_score_explanation(self, c) -> str:
        """The final score's computation, once the checkup is closed."""
        if c.final_score is None and not c.final_grade:
            return ""
        from .services.transitions import final_results

        return score(final_results(c)).explain()


class StaffCheckupDetailSerializer(CheckupDetailSerializer):
    """A checkup as union staff read it: with the review's trail (drafter, approver, comments)."""

    reason = serializers.CharField(read_only=True)
    scope = serializers.CharField(read_only=True)
    drafted_by = UserSummarySerializer(read_only=True)
    approved_by = UserSummarySerializer(read_only=True)
    created_by = UserSummarySerializer(read_only=True)

    class Meta(CheckupDetailSerializer.Meta):
        fields = [*CheckupDetailSerializer.Meta.fields, "drafted_by", "approved_by", "review_comment", "created_by"]
        read_only_fields = fields


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


class FigureCountSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class FailedItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    findings = serializers.IntegerField(help_text="Findings (partial or non-compliant) on this item.")
    companies = serializers.IntegerField(help_text="Distinct companies with such a finding.")


class LetterFiguresSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Letter.Kind.choices)
    label = serializers.CharField()
    issued = serializers.IntegerField()
    answered = serializers.IntegerField()
    share_answered = serializers.FloatField(allow_null=True, help_text="answered ÷ issued, 3 decimals; null if none.")


# One table, though served by a viewset's `list`: not an array of them.
@extend_schema_serializer(many=False)
class CheckupFiguresSerializer(serializers.Serializer):
    """What leadership asks for (legal_checkup.selectors.figures)."""

    by_state = FigureCountSerializer(many=True, help_text="Checkups per state, every state.")
    by_grade = FigureCountSerializer(many=True, help_text="Checkups per grade (A–D) once scored.")
    most_failed = FailedItemSerializer(many=True, help_text="The items failed most across companies.")
    rectification_rate = serializers.FloatField(
        allow_null=True, help_text="Rectified ÷ findings of issued checkups, 3 decimals; null if none.")
    letters = LetterFiguresSerializer(many=True)
    overdue_findings = serializers.IntegerField()
    today = serializers.DateField()


# --------------------------------------------------------------------------------------------------
# Input (fields named as the services' keyword arguments)
# --------------------------------------------------------------------------------------------------


def _comment():
    return TextField(multiline=True, required=False, allow_blank=True, default="")


def _text(**kw):
    return TextField(multiline=True, required=False, allow_blank=True, **kw)


class CheckupCreateSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        help_text="The employer audited: a platform, an agent, a franchisee or a labor-dispatch firm.")
    reason = _text(default="")
    union = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False, allow_null=True,
                                               default=None, help_text="Default: the user's union.")
    comment = _comment()


class TeamMemberInputSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    comment = _comment()


class AssessInputSerializer(serializers.Serializer):
    """Every field optional: what is left out keeps its current value (PATCH)."""

    result = serializers.ChoiceField(choices=Result.choices, required=False)
    not_applicable_reason = _text(max_length=300)
    examined = _text(max_length=300, help_text="What was examined (e.g. 劳动合同 抽查12份/共40份): goes into the report.")
    sample_checked = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    sample_total = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    notes = _text(help_text="Union-internal: never shown to the company, never in a document.")
    interviews = _text(help_text="Workers interviewed: union-internal only.")
    comment = _comment()


class ReassessItemInputSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=Result.choices)
    comment = _comment()


class CheckupEvidenceInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The file; its SHA-256 is computed on arrival.")


class FindingEditSerializer(serializers.Serializer):
    """Left out: unchanged. No resident ID number or phone number (refused, 400)."""

    found = _text()
    risk = _text()
    recommendation = _text()
    comment = _comment()


class ReassessInputSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=REASSESSED)
    note = _text(default="")
    reassessed_on = DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    comment = _comment()


class EscalateInputSerializer(serializers.Serializer):
    issued_on = DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    comment = _comment()


class ReplyInputSerializer(serializers.Serializer):
    plan = _text(default="", help_text="The rectification measures (required; the service says so).")
    responsible = TextField(max_length=100, required=False, allow_blank=True, default="")
    target_on = DateField(past=False, required=False, allow_null=True, default=None)
    done = serializers.BooleanField(required=False, default=False)
    comment = _comment()


class LetterReplyInputSerializer(serializers.Serializer):
    replied_on = DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    reply_text = _text(default="")
    comment = _comment()


class NewVersionInputSerializer(serializers.Serializer):
    note = TextField(max_length=200, required=False, allow_blank=True, default="")


class ChecklistItemInputSerializer(serializers.Serializer):
    """Add or change (by `code`) an item of an unpublished version."""

    code = TextField(max_length=40, allow_blank=True)
    title = TextField(max_length=300, allow_blank=True)
    legal_basis = TextField(max_length=300, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    guidance = _text()
    questions = _text()
    evidence = _text()
    company_kinds = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    relationship_types = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    profiles = serializers.ListField(child=serializers.ChoiceField(choices=Profile.choices), required=False)
    source = TextField(max_length=200, required=False, allow_blank=True)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class IncludeOffersInputSerializer(serializers.Serializer):
    offers = serializers.PrimaryKeyRelatedField(queryset=OfferedClause.objects.all(), many=True, allow_empty=False,
                                                help_text="Offered clauses' ids (GET /api/v1/offered-clauses/).")
