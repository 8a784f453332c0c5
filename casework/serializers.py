"""API serializers for dispute intake: output shapes, and input shapes that only parse.

Input serializers turn JSON into the keyword arguments a service takes (types, references to rows);
every rule about the values themselves lives in `casework.services`, so the API, the admin and the
demo refuse the same things with the same messages. Output serializers never expose a resident ID
number in clear: only `id_number_masked`.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import transitions
from .models import Case, CaseClaimant, Category, Claim, Event, Evidence, Organisation, Worker

User = get_user_model()

# Large enough for any amount the models hold; precision matches Claim.amount and Case.amount_recovered.
MONEY = {"max_digits": 14, "decimal_places": 2}


# --------------------------------------------------------------------------------------------------
# Shared output pieces
# --------------------------------------------------------------------------------------------------


class UserSummarySerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class EventSerializer(serializers.ModelSerializer):
    """One journal entry; `hash`/`previous_hash` let a reader check the chain themselves."""

    class Meta:
        model = Event
        fields = [
            "id", "transition", "from_state", "to_state", "actor_name", "created_at",
            "comment", "payload", "hash", "previous_hash",
        ]


class TransitionErrorSerializer(serializers.Serializer):
    """The 409 body (see api_errors.py); documented so clients can rely on `state` and `allowed`."""

    code = serializers.CharField()
    detail = serializers.CharField()
    state = serializers.CharField(required=False)
    allowed = serializers.ListField(child=serializers.CharField(), required=False)
    unmet_conditions = serializers.ListField(child=serializers.CharField(), required=False)


# --------------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    credit_code_checksum_ok = serializers.BooleanField(read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id", "name", "kind", "credit_code", "credit_code_checksum_ok",
            "credit_code_override_reason", "parent", "address", "contact_person",
            "contact_phone", "created_at",
        ]
        read_only_fields = fields


class OrganisationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class OrganisationCreateSerializer(serializers.Serializer):
    """`override_credit_code` + `override_reason` let a supervisor keep a code failing GB 32100."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, allow_null=True)
    override_credit_code = serializers.BooleanField(required=False, default=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    parent = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False, allow_null=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    contact_person = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------------------------------


class WorkerSerializer(serializers.ModelSerializer):
    id_number_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Worker
        fields = [
            "id", "name", "id_number_masked", "phone", "occupation", "platforms",
            "relationship_type", "is_union_member", "created_at",
        ]
        read_only_fields = fields


class WorkerCreateSerializer(serializers.Serializer):
    """`id_number` is write-only by construction: no output serializer has it."""

    name = serializers.CharField(max_length=100, allow_blank=True)
    id_number = serializers.CharField(max_length=32, write_only=True)
    occupation = serializers.ChoiceField(choices=Worker.Occupation.choices)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    platforms = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), many=True, required=False, default=list)
    relationship_type = serializers.ChoiceField(
        choices=Worker.Relationship.choices, required=False, default=Worker.Relationship.UNKNOWN
    )
    is_union_member = serializers.BooleanField(required=False, default=False)


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


class ClaimSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)

    class Meta:
        model = Claim
        fields = ["id", "category", "description", "amount"]
        read_only_fields = fields


class CaseListSerializer(serializers.ModelSerializer):
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
            "claimant_count", "claim_total", "received_on", "screening_due_on", "limitation_ends_on",
            "handler", "legal_aid_by", "outcome", "amount_recovered", "created_at", "updated_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(serializers.ModelSerializer):
    """A case as its handler sees it, with what the requesting user may do to it next."""

    allowed_transitions = serializers.SerializerMethodField()
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
            "limitation_ends_on", "screening_due_on", "handler", "legal_aid_by",
            "limitation_overridden", "limitation_override_reason", "rejection_reason",
            "outcome", "outcome_detail", "amount_recovered",
            "accepted_at", "resolved_at", "closed_at", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, case) -> list[str]:
        return transitions.allowed_transitions(case, self.context["request"].user)


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Evidence
        fields = ["id", "original_name", "description", "sha256", "size", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ClaimInputSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=40, help_text="Category code, e.g. unpaid_pay.")
    description = serializers.CharField(max_length=300)
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)


class CaseCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    channel = serializers.ChoiceField(choices=Case.Channel.choices)
    facts = serializers.CharField(required=False, allow_blank=True, default="")
    claimants = serializers.PrimaryKeyRelatedField(queryset=Worker.objects.all(), many=True)
    representatives = serializers.PrimaryKeyRelatedField(queryset=Worker.objects.all(), many=True, required=False, default=list)
    respondents = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), many=True, required=False, default=list)
    categories = serializers.ListField(child=serializers.CharField(max_length=40), help_text="Category codes.")
    claims = ClaimInputSerializer(many=True, required=False, default=list)
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    infringement_known_on = serializers.DateField(required=False, allow_null=True, default=None)
    employment_ended_on = serializers.DateField(required=False, allow_null=True, default=None)
    limitation_interrupted_on = serializers.DateField(required=False, allow_null=True, default=None)
    handler = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------------------------------
# Case transitions: one input serializer each, fields named as the service's keyword arguments
# --------------------------------------------------------------------------------------------------


class TransitionInputSerializer(serializers.Serializer):
    """Every transition takes a comment; subclasses add the transition's own fields."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")


class CaseAcceptInputSerializer(TransitionInputSerializer):
    override_limitation = serializers.BooleanField(required=False, default=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class CaseRejectInputSerializer(TransitionInputSerializer):
    reason = serializers.CharField()


class CaseAssignLegalAidInputSerializer(TransitionInputSerializer):
    lawyer = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class CaseReferToMediationInputSerializer(TransitionInputSerializer):
    mediator_organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True, default=None
    )


class CaseReferToArbitrationInputSerializer(TransitionInputSerializer):
    commission = serializers.CharField(required=False, allow_blank=True, default="")


class CaseFileLawsuitInputSerializer(TransitionInputSerializer):
    court = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True, default=None
    )


class CaseResolveInputSerializer(TransitionInputSerializer):
    outcome = serializers.ChoiceField(choices=Case.Outcome.choices)
    amount_recovered = serializers.DecimalField(**MONEY)
    outcome_detail = serializers.CharField(required=False, allow_blank=True, default="")


class CaseReopenInputSerializer(TransitionInputSerializer):
    reason = serializers.CharField()
