"""API serializers every module shares: people, the parties register, the journal, the 409 body.

Output serializers never expose a resident ID number in clear: only `id_number_masked`. Input
serializers only parse; every rule about the values lives in the services.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .inputs import MONEY, DateField, TextField  # noqa: F401  (modules' serializers take them from here)
from .models import Event, Organisation, Worker

User = get_user_model()


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


class StrictBooleanField(serializers.BooleanField):
    """true or false in JSON (a form's "true"/"false" text too), not a number: DRF takes 0 and 1."""

    def to_internal_value(self, data):
        if not isinstance(data, (bool, str)):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    """401, 403, 404 and 405 bodies (DRF's shape): one message for the person who asked."""

    detail = serializers.CharField()


class CodedErrorSerializer(serializers.Serializer):
    """409 (`conflict`, `refused`, `document_not_allowed`…), 413 and 429 bodies (core/errors.py)."""

    code = serializers.CharField()
    detail = serializers.CharField()


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

    name = TextField(max_length=200)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, allow_null=True)
    override_credit_code = StrictBooleanField(required=False, default=False)
    override_reason = TextField(multiline=True, required=False, allow_blank=True, default="")
    parent = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False, allow_null=True)
    address = TextField(max_length=300, required=False, allow_blank=True, default="")
    contact_person = TextField(max_length=100, required=False, allow_blank=True, default="")
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

    name = TextField(max_length=100, allow_blank=True)
    id_number = serializers.CharField(max_length=32, write_only=True)
    occupation = serializers.ChoiceField(choices=Worker.Occupation.choices)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    platforms = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), many=True, required=False, default=list)
    relationship_type = serializers.ChoiceField(
        choices=Worker.Relationship.choices, required=False, default=Worker.Relationship.UNKNOWN
    )
    is_union_member = serializers.BooleanField(required=False, default=False)


class StatefulSerializer(serializers.ModelSerializer):
    """Base of a stateful object's detail: `allowed_transitions` for the requesting user."""

    allowed_transitions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj) -> list[str]:
        from .transitions import allowed_transitions

        return allowed_transitions(obj, self.context["request"].user)


def claim_serializer(model):
    """The read-only shape of a module's claims (core.models.ClaimItem): the same for every module."""

    class Meta:
        fields = ["id", "category", "description", "amount"]
        read_only_fields = fields

    Meta.model = model
    return type(f"{model.__name__}Serializer", (serializers.ModelSerializer,), {
        "category": serializers.SlugRelatedField(slug_field="code", read_only=True),
        "amount": serializers.DecimalField(**MONEY, read_only=True, allow_null=True),
        "Meta": Meta,
    })
