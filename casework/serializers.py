"""API serializers of dispute intake: output shapes, and the intake's input shape (which only parses).

Every rule about the values lives in `casework.services`, so the API, the admin and the demo refuse
the same things with the same messages; the transitions' input serializers are made from their
declarations (casework/transitions.py). Output never shows a resident ID number in clear.
"""

from rest_framework import serializers

from core import legal_calendar
from core.models import Category, Organisation, Worker
from core.serializers import (
    MONEY,
    DateField,
    OrganisationSummarySerializer,
    StatefulSerializer,
    TextField,
    User,
    UserSummarySerializer,
    claim_serializer,
)

from .models import Case, CaseClaimant, Claim, Evidence

# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------


class ClaimantSerializer(serializers.ModelSerializer):
    worker = serializers.IntegerField(source="worker_id", read_only=True)
    name = serializers.CharField(source="worker.name", read_only=True)
    id_number_masked = serializers.CharField(source="worker.id_number_masked", read_only=True)

    class Meta:
        model = CaseClaimant
        fields = ["worker", "name", "id_number_masked", "is_representative"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name"]
        read_only_fields = fields


ClaimSerializer = claim_serializer(Claim)


class ProvisionalDeadlines(serializers.Serializer):
    """Beside each deadline counted on the legal calendar, whether it was counted over a year whose
    holidays are not loaded yet, so it may still move (core.legal_calendar.is_provisional)."""

    screening_due_on_provisional = serializers.SerializerMethodField(
        help_text="True when a year the screening period spans has no holiday data yet: the date may move.")
    limitation_ends_on_provisional = serializers.SerializerMethodField(
        help_text="True when the limitation period's last day falls in a year with no holiday data yet: the date may move.")

    def get_screening_due_on_provisional(self, case) -> bool:
        return legal_calendar.is_provisional(case.screening_due_on, counted_from=case.received_on)

    def get_limitation_ends_on_provisional(self, case) -> bool:
        return legal_calendar.is_provisional(case.limitation_ends_on)


class CaseListSerializer(ProvisionalDeadlines, serializers.ModelSerializer):
    """One row of a case list. Every field comes from the list queryset's joins and annotations."""

    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    respondents = OrganisationSummarySerializer(many=True, read_only=True)
    handler = UserSummarySerializer(read_only=True)
    legal_aid_by = UserSummarySerializer(read_only=True)
    claimant_count = serializers.IntegerField(read_only=True)
    claim_total = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id", "number", "title", "state", "channel", "is_group", "categories", "respondents",
            "claimant_count", "claim_total", "received_on", "screening_due_on", "screening_due_on_provisional",
            "limitation_ends_on", "limitation_ends_on_provisional", "handler", "legal_aid_by", "outcome", "amount_recovered", "created_at", "updated_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(ProvisionalDeadlines, StatefulSerializer):
    """A case as its handler sees it, with what the requesting user may do to it next."""

    claimants = ClaimantSerializer(source="case_claimants", many=True, read_only=True)
    respondents = OrganisationSummarySerializer(many=True, read_only=True)
    categories = CategorySerializer(many=True, read_only=True)
    claims = ClaimSerializer(many=True, read_only=True)
    claim_total = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)
    handler = UserSummarySerializer(read_only=True)
    legal_aid_by = UserSummarySerializer(read_only=True)
    amount_recovered = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id", "number", "title", "facts", "state", "allowed_transitions", "channel", "is_group",
            "claimants", "respondents", "categories", "claims", "claim_total",
            "received_on", "infringement_known_on", "limitation_interrupted_on", "employment_ended_on",
            "limitation_ends_on", "limitation_ends_on_provisional", "screening_due_on", "screening_due_on_provisional",
            "handler", "legal_aid_by",
            "limitation_overridden", "limitation_override_reason", "rejection_reason",
            "outcome", "outcome_detail", "amount_recovered",
            "accepted_at", "resolved_at", "closed_at", "created_at", "updated_at",
        ]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Evidence
        fields = ["id", "original_name", "description", "sha256", "size", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = TextField(max_length=300, required=False, allow_blank=True, default="")


class ClaimInputSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=40, help_text="Category code, e.g. unpaid_pay.")
    description = TextField(max_length=300)
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)


class CaseCreateSerializer(serializers.Serializer):
    title = TextField(max_length=200, allow_blank=True)
    channel = serializers.ChoiceField(choices=Case.Channel.choices)
    facts = TextField(multiline=True, required=False, allow_blank=True, default="")
    claimants = serializers.PrimaryKeyRelatedField(queryset=Worker.objects.all(), many=True)
    representatives = serializers.PrimaryKeyRelatedField(queryset=Worker.objects.all(), many=True, required=False, default=list)
    respondents = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), many=True, required=False, default=list)
    categories = serializers.ListField(child=serializers.CharField(max_length=40), help_text="Category codes.")
    claims = ClaimInputSerializer(many=True, required=False, default=list)
    # Each the day something happened: from WEIQUAN_EARLIEST_DATE to today (core/limits.py).
    received_on = DateField(required=False, allow_null=True, default=None)
    infringement_known_on = DateField(required=False, allow_null=True, default=None)
    employment_ended_on = DateField(required=False, allow_null=True, default=None)
    limitation_interrupted_on = DateField(required=False, allow_null=True, default=None)
    handler = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    comment = TextField(multiline=True, required=False, allow_blank=True, default="")
