"""API serializers for mediation: output shapes, and input shapes that only parse.

Input serializers turn JSON into the keyword arguments a service takes; every rule about the values
lives in `mediation.services` (and `importers` for referral intake), so the API, the admin and the
demo refuse the same things with the same messages. The transitions' input serializers are made
from their declarations (mediation/transitions.py). Resident ID numbers never leave in clear:
claimants carry `id_number_masked` only.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.models import Organisation, Worker
from core.serializers import (
    MONEY,
    DateField,
    OrganisationSummarySerializer,
    StatefulSerializer,
    TextField,
    UserSummarySerializer,
    claim_serializer,
)

from . import rules
from .models import (
    Agreement,
    Extension,
    Instalment,
    Mediation,
    MediationClaim,
    MediationSession,
    Payment,
    Procedure,
    Source,
)

User = get_user_model()
COURTS = Organisation.objects.filter(kind=Organisation.Kind.COURT)


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


class ClaimantSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    id_number_masked = serializers.CharField(read_only=True)
    occupation = serializers.CharField(read_only=True)


MediationClaimSerializer = claim_serializer(MediationClaim)


class InstalmentSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY, read_only=True)
    paid = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = Instalment
        fields = ["id", "seq", "due_on", "amount", "paid"]
        read_only_fields = fields


class AgreementSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(**MONEY, read_only=True)
    amount_paid = serializers.DecimalField(**MONEY, read_only=True)
    outstanding = serializers.DecimalField(**MONEY, read_only=True)
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Agreement
        fields = ["id", "version", "total", "basis", "obligations", "terms", "signed_on", "effective_on",
                  "amount_paid", "outstanding", "instalments", "created_at"]
        read_only_fields = fields


class ExtensionSerializer(serializers.ModelSerializer):
    recorded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Extension
        fields = ["id", "days", "previous_deadline", "new_deadline", "claimant_consent_on", "respondent_consent_on",
                  "consent_note", "recorded_by", "created_at"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    recorded_by = UserSummarySerializer(read_only=True)
    number = serializers.CharField(read_only=True)

    class Meta:
        model = MediationSession
        fields = ["id", "number", "seq", "held_at", "mode", "location", "attendees", "minutes", "recorded_by", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY, read_only=True)
    instalment = serializers.IntegerField(source="instalment.seq", read_only=True)
    recorded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "instalment", "amount", "paid_on", "reference", "note", "recorded_by", "recorded_at"]
        read_only_fields = fields


class CaseLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)


class HidesCaseFromOutsiders:
    """`case` (the dispute case a mediation was opened for) only for who may view that case: a
    court's liaison learns nothing of the union's intake file."""

    def to_representation(self, m):
        data = super().to_representation(m)
        if data.get("case") is not None and not self._sees_case(m):
            data["case"] = None
        return data

    def _sees_case(self, m) -> bool:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return False
        origin = ContentType.objects.get_for_id(m.origin_type_id)  # cached: no query per row
        perm = f"{origin.app_label}.view_{origin.model}"
        # Who may view every such case needs no per-row look-up; anyone else is asked per case.
        return user.has_perm(perm) or user.has_perm(perm, m.case)


class MediationListSerializer(HidesCaseFromOutsiders, serializers.ModelSerializer):
    """One row of a mediation list: everything from the list queryset's joins and annotations."""

    court = OrganisationSummarySerializer(read_only=True)
    mediator = UserSummarySerializer(read_only=True)
    respondents = OrganisationSummarySerializer(many=True, read_only=True)
    claimant_count = serializers.IntegerField(read_only=True)
    agreed_total = serializers.DecimalField(**MONEY, read_only=True, allow_null=True, source="agreement.total", default=None)
    amount_paid = serializers.DecimalField(**MONEY, read_only=True, allow_null=True, source="agreement.amount_paid", default=None)
    days_left = serializers.SerializerMethodField()
    case = serializers.IntegerField(source="origin_id", read_only=True, allow_null=True,
                                    help_text="The dispute case it was opened for (id).")

    class Meta:
        model = Mediation
        fields = [
            "id", "number", "state", "source", "procedure", "title", "court", "court_case_number", "case",
            "claimant_count", "respondents", "referred_on", "accepted_on", "deadline", "deadline_provisional", "days_left",
            "mediator", "agreed_total", "amount_paid", "updated_at",
        ]
        read_only_fields = fields

    def get_days_left(self, m) -> int | None:
        if m.deadline is None or m.state not in ("accepted", "in_progress"):
            return None
        return (m.deadline - timezone.localdate()).days


class MediationDetailSerializer(HidesCaseFromOutsiders, StatefulSerializer):
    """A mediation as its mediator sees it, with what the requesting user may do next."""

    court = OrganisationSummarySerializer(read_only=True)
    organisation = OrganisationSummarySerializer(read_only=True)
    confirmation_court = OrganisationSummarySerializer(read_only=True)
    case = CaseLinkSerializer(read_only=True, allow_null=True)
    claimants = ClaimantSummarySerializer(many=True, read_only=True)
    respondents = OrganisationSummarySerializer(many=True, read_only=True)
    claims = MediationClaimSerializer(many=True, read_only=True)
    mediator = UserSummarySerializer(read_only=True)
    agreement = AgreementSerializer(read_only=True)
    extensions = ExtensionSerializer(many=True, read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    period_days = serializers.SerializerMethodField()
    extension_limits = serializers.SerializerMethodField()
    confirmation_window_ends_on = serializers.SerializerMethodField()
    confirmation_window_ends_on_provisional = serializers.SerializerMethodField(
        help_text="True when the window's last day falls in a year with no holiday data yet: the date may move.")

    class Meta:
        model = Mediation
        fields = [
            "id", "number", "state", "allowed_transitions", "source", "procedure", "title", "facts",
            "court", "court_case_number", "case", "organisation", "claimants", "respondents", "claims",
            "referred_on", "accepted_on", "period_started_on", "period_days", "deadline", "deadline_provisional",
            "extensions_in_period", "extended_days", "extension_limits", "extensions",
            "mediator", "mediator_assigned_at", "sessions",
            "agreement", "confirmation_window_ends_on", "confirmation_window_ends_on_provisional", "confirmation_requested_on", "confirmation_court",
            "ruling_number", "ruling_date", "confirmation_rejection_reason",
            "decline_reason", "failure_reason", "expired", "withdrawal_reason", "ended_on", "returned_to_court_on",
            "fulfilled_on", "defaulted_on", "next_step", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_period_days(self, m) -> int | None:
        if m.source == Source.COURT_IN_SUIT and not m.procedure:
            return None
        return rules.base_period_days(m.source, m.procedure)

    @extend_schema_field(serializers.DictField())
    def get_extension_limits(self, m) -> dict:
        count, days = rules.extension_limits(m.source)
        return {"max_extensions": count, "max_days_each": days}

    def get_confirmation_window_ends_on(self, m) -> datetime.date | None:
        window = rules.confirmation_window(m)
        return window.date if window else None

    def get_confirmation_window_ends_on_provisional(self, m) -> bool:
        window = rules.confirmation_window(m)
        return bool(window and window.provisional)


class WorkloadSerializer(serializers.Serializer):
    mediator = serializers.SerializerMethodField()
    in_progress = serializers.IntegerField()
    follow_up = serializers.IntegerField()
    open_total = serializers.IntegerField()
    due_soon = serializers.IntegerField()

    @extend_schema_field(UserSummarySerializer)
    def get_mediator(self, user):
        return UserSummarySerializer(user).data


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "refused"])
    court_case_number = serializers.CharField()
    mediation = serializers.CharField(help_text="Number of the mediation created, or of the one it duplicates.")
    mediation_id = serializers.IntegerField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


class ImportReportSerializer(serializers.Serializer):
    filename = serializers.CharField()
    format = serializers.CharField()
    encoding = serializers.CharField()
    total = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    refused = serializers.IntegerField()
    rows = ImportRowSerializer(many=True)


# --------------------------------------------------------------------------------------------------
# Input: referral intake
# --------------------------------------------------------------------------------------------------


class ClaimantInputSerializer(serializers.Serializer):
    worker = serializers.IntegerField(required=False, help_text="An existing worker's id; or give name + id_number.")
    name = TextField(required=False, allow_blank=True, max_length=100)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=32, write_only=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    occupation = serializers.CharField(required=False, allow_blank=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "worker" in value:
            worker = Worker.objects.filter(pk=value["worker"]).first()
            if worker is None:
                raise serializers.ValidationError({"worker": [_("未找到该劳动者。")]})
            value["worker"] = worker
        return value


class RespondentInputSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False)
    name = TextField(required=False, allow_blank=True, max_length=200)
    credit_code = serializers.CharField(required=False, allow_blank=True, max_length=32)
    kind = serializers.CharField(required=False, allow_blank=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value.get("organisation") is not None:
            return value["organisation"]
        return value


class MediationClaimInputSerializer(serializers.Serializer):
    description = TextField(max_length=300)
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    category = serializers.CharField(required=False, allow_blank=True, default="")


class MediationCreateSerializer(serializers.Serializer):
    """Single entry of a referral (the same checks as a row of a bulk import)."""

    source = serializers.ChoiceField(choices=Source.choices)
    court = serializers.PrimaryKeyRelatedField(queryset=COURTS, required=False, allow_null=True, default=None)
    court_case_number = TextField(required=False, allow_blank=True, max_length=100, default="")
    procedure = serializers.ChoiceField(choices=Procedure.choices, required=False, allow_blank=True, default="")
    referred_on = DateField(required=False, allow_null=True, default=None)
    title = TextField(required=False, allow_blank=True, max_length=200, default="")
    facts = TextField(multiline=True, required=False, allow_blank=True, default="")
    claimants = ClaimantInputSerializer(many=True)
    respondents = RespondentInputSerializer(many=True)
    claims = MediationClaimInputSerializer(many=True, required=False, default=list)
    comment = TextField(multiline=True, required=False, allow_blank=True, default="")


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or JSON, UTF-8 or GBK.")
    court = serializers.PrimaryKeyRelatedField(queryset=COURTS, required=False, allow_null=True, default=None,
                                               help_text="The court whose list this is (rows may name their own).")
    source = serializers.ChoiceField(choices=Source.choices, required=False, allow_null=True, default=None)


# --------------------------------------------------------------------------------------------------
# Input: transitions (fields named as the service's keyword arguments) and other actions
# --------------------------------------------------------------------------------------------------

ACTIVE_USERS = User.objects.filter(is_active=True)


class SessionInputSerializer(serializers.Serializer):
    held_at = serializers.DateTimeField()
    mode = serializers.ChoiceField(choices=MediationSession.Mode.choices)
    location = TextField(required=False, allow_blank=True, max_length=200, default="")
    attendees = serializers.ListField(child=TextField(max_length=100), allow_empty=True)
    minutes = TextField(multiline=True, allow_blank=True)


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    paid_on = DateField()
    instalment = serializers.IntegerField(required=False, allow_null=True, default=None,
                                          help_text="Instalment number (seq) the payment starts on; default: the earliest unpaid.")
    reference = TextField(required=False, allow_blank=True, max_length=100, default="")
    note = TextField(required=False, allow_blank=True, max_length=300, default="")


class RecuseInputSerializer(serializers.Serializer):
    reason = TextField(multiline=True)
    replacement = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_USERS, required=False, allow_null=True, default=None)
    comment = TextField(multiline=True, required=False, allow_blank=True, default="")


class ReassignInputSerializer(serializers.Serializer):
    mediator = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_USERS)
    comment = TextField(multiline=True, required=False, allow_blank=True, default="")


class CommentInputSerializer(serializers.Serializer):
    comment = TextField(multiline=True, required=False, allow_blank=True, default="")
