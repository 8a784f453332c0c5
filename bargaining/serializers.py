"""API serializers for collective bargaining: output shapes, and input shapes that only parse.

Input serializers turn JSON into the keyword arguments a service takes; every rule about the values
lives in `bargaining.services`, so the API, the pages, the admin and the demo refuse the same
things with the same messages. The transitions' input serializers are made from their declarations
(bargaining/transitions.py).

The union side's internal notes (UnionNote: priority, target, walk-away figure) are in one
serializer only, `UnionNoteSerializer`, served by one route that is union staff's alone; no other
serializer here has a field that reads them, so no other response can carry them.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import legal_calendar
from core.models import Organisation, Worker
from core.serializers import DateField, OrganisationSummarySerializer, StatefulSerializer, TextField, UserSummarySerializer

from .models import (
    Costing,
    ContractVersion,
    Elector,
    Level,
    Negotiation,
    NegotiationTopic,
    Negotiator,
    Position,
    Procedure,
    Round,
    Side,
    Topic,
    UnionNote,
    Unit,
    Vote,
)
from .rules import VoteResult

User = get_user_model()
FIGURE = {"max_digits": 12, "decimal_places": 2}
ELECTORATE_KINDS = Negotiation._meta.get_field("electorate_kind").choices


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


class CatalogueTopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "code", "name", "unit", "costing", "core_common", "order"]
        read_only_fields = fields


class NegotiatorSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(read_only=True)
    user = UserSummarySerializer(read_only=True)
    worker = serializers.PrimaryKeyRelatedField(read_only=True)
    replaces = serializers.PrimaryKeyRelatedField(read_only=True)
    vacant = serializers.SerializerMethodField()

    class Meta:
        model = Negotiator
        fields = ["id", "side", "role", "name", "title", "user", "worker", "organisation", "is_union_chair",
                  "delegation_reference", "vacated_on", "vacancy_reason", "replaces", "vacant"]
        read_only_fields = fields

    def get_vacant(self, seat) -> bool:
        """Vacated and no successor seated yet (to be filled within 15 days)."""
        return seat.vacated_on is not None and not hasattr(seat, "successor")


class TopicSerializer(serializers.ModelSerializer):
    """A topic on the table. Never the union's notes on it (UnionNoteSerializer, union staff only)."""

    code = serializers.SlugRelatedField(source="topic", slug_field="code", read_only=True, allow_null=True,
                                        help_text="The catalogue topic's code; null for a custom topic.")
    demand_value = serializers.DecimalField(**FIGURE, read_only=True, allow_null=True)
    agreed_value = serializers.DecimalField(**FIGURE, read_only=True, allow_null=True)

    class Meta:
        model = NegotiationTopic
        fields = ["id", "code", "name", "unit", "costing", "core_common", "surcharge_time_band",
                  "surcharge_weather", "demand_value", "demand_text", "agreed", "agreed_value", "agreed_text", "order"]
        read_only_fields = fields


class UnionNoteSerializer(serializers.ModelSerializer):
    """The union side's own brief on a topic: only ever served to union staff."""

    topic = serializers.PrimaryKeyRelatedField(read_only=True)
    target_value = serializers.DecimalField(**FIGURE, read_only=True, allow_null=True)
    walk_away_value = serializers.DecimalField(**FIGURE, read_only=True, allow_null=True)
    # null until the union writes its first note on the topic.
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = UnionNote
        fields = ["topic", "priority", "target_value", "walk_away_value", "note", "updated_at"]
        read_only_fields = fields


class PositionSerializer(serializers.ModelSerializer):
    topic_name = serializers.CharField(source="topic.name", read_only=True)
    union_value = serializers.DecimalField(**FIGURE, read_only=True, allow_null=True)
    employer_value = serializers.DecimalField(**FIGURE, read_only=True, allow_null=True)
    gap = serializers.DecimalField(**FIGURE, read_only=True, allow_null=True,
                                   help_text="union_value − employer_value, when both are numbers.")

    class Meta:
        model = Position
        fields = ["topic", "topic_name", "union_value", "union_text", "employer_value", "employer_text", "agreed", "gap"]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    positions = PositionSerializer(many=True, read_only=True)
    recorded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Round
        fields = ["id", "number", "held_on", "mode", "place", "attendees", "minutes", "positions", "recorded_by",
                  "created_at"]
        read_only_fields = fields


class ComparisonRoundSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    held_on = serializers.DateField()
    union_value = serializers.DecimalField(**FIGURE, allow_null=True)
    union_text = serializers.CharField()
    employer_value = serializers.DecimalField(**FIGURE, allow_null=True)
    employer_text = serializers.CharField()
    gap = serializers.DecimalField(**FIGURE, allow_null=True)
    agreed = serializers.BooleanField()


class ComparisonSerializer(serializers.Serializer):
    """One topic's positions across the rounds (bargaining.selectors.comparison)."""

    topic = TopicSerializer()
    rounds = ComparisonRoundSerializer(many=True)


class ClauseSerializer(serializers.Serializer):
    topic = serializers.IntegerField(allow_null=True, required=False,
                                     help_text="The negotiation topic it was drafted from, or null.")
    title = serializers.CharField()
    text = serializers.CharField()


class ContractVersionSerializer(serializers.ModelSerializer):
    clauses = ClauseSerializer(many=True, read_only=True)
    created_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = ContractVersion
        fields = ["id", "number", "note", "clauses", "created_by", "created_at"]
        read_only_fields = fields


class TextOpSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"])
    text = serializers.CharField()


class RedlineClauseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["added", "removed", "changed", "unchanged"])
    topic = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    from_number = serializers.IntegerField(allow_null=True, help_text="Its article number in the older version.")
    to_number = serializers.IntegerField(allow_null=True, help_text="Its article number in the newer version.")
    from_title = serializers.CharField(allow_null=True)
    to_title = serializers.CharField(allow_null=True)
    from_text = serializers.CharField(allow_null=True)
    to_text = serializers.CharField(allow_null=True)
    moved = serializers.BooleanField(required=False)
    diff = TextOpSerializer(many=True, help_text="For a changed clause: its title and text, marked up.")


class RedlineSummarySerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class RedlineSerializer(serializers.Serializer):
    # `from` is a Python keyword: the fields are named in get_fields.
    summary = RedlineSummarySerializer()
    clauses = RedlineClauseSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField(help_text="The older version's number.")
        fields["to"] = serializers.IntegerField(help_text="The newer version's number.")
        return fields


class ElectorSerializer(serializers.ModelSerializer):
    worker = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Elector
        fields = ["id", "reference", "name", "worker"]
        read_only_fields = fields


class VoteSerializer(serializers.ModelSerializer):
    """A vote's counts and result; per-voter ballots say only how many voted, never how."""

    version = serializers.IntegerField(source="version.number", read_only=True)
    quorate = serializers.SerializerMethodField()
    approved = serializers.SerializerMethodField()
    ballots = serializers.SerializerMethodField(help_text="How many per-voter ballots were recorded (method `ballots`).")
    recorded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = Vote
        fields = ["id", "version", "held_on", "method", "electorate", "attendance", "approvals", "quorate",
                  "approved", "passed", "ballots", "recorded_by", "created_at"]
        read_only_fields = fields

    def _result(self, vote):
        return VoteResult(electorate=vote.electorate, attendance=vote.attendance, approvals=vote.approvals)

    def get_quorate(self, vote) -> bool:
        """At least 2/3 of the whole electorate present."""
        return self._result(vote).quorate

    def get_approved(self, vote) -> bool:
        """More than half of the whole electorate approving."""
        return self._result(vote).approved

    def get_ballots(self, vote) -> int:
        counted = getattr(vote, "ballot_count", None)
        return counted if counted is not None else vote.ballots.count()


class NegotiationLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Negotiation
        fields = ["id", "number", "state", "title"]
        read_only_fields = fields


class ProvisionalDeadlines(serializers.Serializer):
    """Beside each deadline counted on the legal calendar and stored without its flag, whether it
    falls where a year's holidays are not loaded yet, so it may still move
    (core.legal_calendar.is_provisional). `reply_due_provisional` is stored with the reply date."""

    filing_due_provisional = serializers.SerializerMethodField(
        help_text="True when the filing period's last day falls in a year with no holiday data yet: the date may move.")

    def get_filing_due_provisional(self, n) -> bool:
        return legal_calendar.is_provisional(n.filing_due)


class NegotiationListSerializer(ProvisionalDeadlines, serializers.ModelSerializer):
    """One row of the list: everything from the list queryset's joins."""

    union = OrganisationSummarySerializer(read_only=True)
    employers = OrganisationSummarySerializer(many=True, read_only=True)
    officer = UserSummarySerializer(read_only=True)

    class Meta:
        model = Negotiation
        fields = ["id", "number", "state", "title", "level", "procedure", "union", "employers", "officer",
                  "proposed_on", "reply_due", "reply_due_provisional", "filing_due", "filing_due_provisional",
                  "effective_on", "expires_on", "updated_at"]
        read_only_fields = fields


class VacantSeatSerializer(serializers.Serializer):
    seat = serializers.IntegerField()
    name = serializers.CharField()
    side = serializers.CharField()
    vacated_on = serializers.DateField()
    fill_due = serializers.DateField()
    provisional = serializers.BooleanField()


class NegotiationDetailSerializer(ProvisionalDeadlines, StatefulSerializer):
    """A negotiation with what the requesting user may do next. The same for both sides: nothing
    here is union-internal (the notes are at …/topics/{id}/union_note/, union staff only)."""

    union = OrganisationSummarySerializer(read_only=True)
    employers = OrganisationSummarySerializer(many=True, read_only=True)
    officer = UserSummarySerializer(read_only=True)
    filing_authority = OrganisationSummarySerializer(read_only=True)
    renewal_of = NegotiationLinkSerializer(read_only=True)
    renewals = NegotiationLinkSerializer(many=True, read_only=True)
    negotiators = NegotiatorSerializer(many=True, read_only=True)
    topics = TopicSerializer(many=True, read_only=True)
    vacant_seats = serializers.SerializerMethodField()
    current_version = serializers.SerializerMethodField()
    electorate = serializers.SerializerMethodField()
    rounds = serializers.SerializerMethodField()
    objection_window_ends_provisional = serializers.SerializerMethodField(
        help_text="True when the objection window's last day falls in a year with no holiday data yet: the date may move.")

    class Meta:
        model = Negotiation
        fields = [
            "id", "number", "state", "allowed_transitions", "title", "level", "procedure", "region",
            "union", "employers", "officer", "covered_occupations", "covered_cities", "covered_headcount",
            "electorate_kind", "electorate", "proposal_text", "proposed_on", "reply_due", "reply_due_provisional",
            "replied_on", "reply_text", "refusal_reason", "suspension_reason", "negotiators", "vacant_seats",
            "topics", "rounds", "current_version", "signed_on", "term_years", "filing_due", "filing_due_provisional",
            "filed_on", "filed_late", "filing_authority", "objection_window_ends", "objection_window_ends_provisional",
            "objection_reason", "effective_on", "effect_basis",
            "expires_on", "renewal_of", "renewals", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(VacantSeatSerializer(many=True))
    def get_vacant_seats(self, n):
        from .services import vacant_seats

        return [{"seat": seat.pk, "name": seat.name, "side": seat.side, "vacated_on": seat.vacated_on,
                 "fill_due": due.date, "provisional": due.provisional} for seat, due in vacant_seats(n)]

    def get_objection_window_ends_provisional(self, n) -> bool:
        return legal_calendar.is_provisional(n.objection_window_ends)

    def get_current_version(self, n) -> int | None:
        """The number of the contract text's latest version (…/versions/)."""
        version = n.current_version()
        return version.number if version else None

    def get_electorate(self, n) -> int:
        """How many are on the roll that votes on the draft."""
        return n.electors.count()

    def get_rounds(self, n) -> int:
        """How many rounds were held (…/rounds/)."""
        return n.rounds.count()


class OrderStatisticsSummarySerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    orders = serializers.IntegerField()
    cities = serializers.ListField(child=serializers.CharField())
    first_month = serializers.DateField(allow_null=True)
    last_month = serializers.DateField(allow_null=True)


class ChecklistItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable within the contract: its number and the article's.")
    title = serializers.CharField()
    text = serializers.CharField()
    employers = OrganisationSummarySerializer(many=True)


# --------------------------------------------------------------------------------------------------
# Input (fields named as the services' keyword arguments)
# --------------------------------------------------------------------------------------------------

ACTIVE_USERS = User.objects.filter(is_active=True)


def _comment():
    return TextField(multiline=True, required=False, allow_blank=True, default="")


class NegotiationCreateSerializer(serializers.Serializer):
    title = TextField(max_length=200)
    union = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(),
                                               help_text="The union representing the workers.")
    employers = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True,
        help_text="Platforms, agents/franchisees, labor-dispatch firms or (industry level) associations.")
    level = serializers.ChoiceField(choices=Level.choices, required=False, default=Level.ENTERPRISE)
    procedure = serializers.ChoiceField(choices=Procedure.choices, required=False, default=Procedure.ORDINARY)
    region = TextField(max_length=100, required=False, allow_blank=True, default="")
    covered_occupations = serializers.ListField(child=serializers.ChoiceField(choices=Worker.Occupation.choices),
                                                required=False, default=list)
    covered_cities = TextField(max_length=200, required=False, allow_blank=True, default="")
    covered_headcount = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    electorate_kind = serializers.ChoiceField(choices=ELECTORATE_KINDS, required=False, allow_blank=True, default="")
    proposal_text = TextField(multiline=True, required=False, allow_blank=True, default="")
    officer = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_USERS, required=False, allow_null=True, default=None,
                                                 help_text="Default: the user creating it.")
    comment = _comment()


class NegotiatorInputSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=Side.choices)
    role = serializers.ChoiceField(choices=Negotiator.SeatRole.choices, required=False,
                                   default=Negotiator.SeatRole.NEGOTIATOR)
    name = TextField(max_length=100, required=False, allow_blank=True, default="",
                     help_text="Default: the worker's or the user's name.")
    title = TextField(max_length=100, required=False, allow_blank=True, default="")
    user = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_USERS, required=False, allow_null=True, default=None)
    worker = serializers.PrimaryKeyRelatedField(queryset=Worker.objects.all(), required=False, allow_null=True,
                                                default=None)
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False,
                                                      allow_null=True, default=None)
    is_union_chair = serializers.BooleanField(required=False, default=False)
    delegation_reference = TextField(max_length=200, required=False, allow_blank=True, default="",
                                     help_text="The chair's written delegation, when the union's chief is not the chair.")
    replaces = serializers.PrimaryKeyRelatedField(queryset=Negotiator.objects.all(), required=False, allow_null=True,
                                                  default=None, help_text="The vacant seat this one fills.")
    comment = _comment()


class VacateInputSerializer(serializers.Serializer):
    vacated_on = DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    reason = TextField(max_length=200, required=False, allow_blank=True, default="")
    comment = _comment()


class TopicInputSerializer(serializers.Serializer):
    topic = serializers.SlugRelatedField(slug_field="code", queryset=Topic.objects.all(), required=False,
                                         allow_null=True, default=None,
                                         help_text="A catalogue topic's code (GET /api/v1/bargaining-topics/); "
                                                   "or leave out and give `name` and `unit`.")
    name = TextField(max_length=100, required=False, allow_blank=True, default="")
    unit = serializers.ChoiceField(choices=Unit.choices, required=False, allow_null=True, default=None)
    core_common = serializers.BooleanField(required=False, allow_null=True, default=None,
                                           help_text="Default: the catalogue's flag (false for a custom topic).")
    costing = serializers.ChoiceField(choices=Costing.choices, required=False, allow_null=True, default=None)
    demand_value = serializers.DecimalField(**FIGURE, required=False, allow_null=True, default=None)
    demand_text = TextField(multiline=True, required=False, allow_blank=True, default="")
    surcharge_time_band = TextField(max_length=40, required=False, allow_blank=True, default="")
    surcharge_weather = TextField(max_length=40, required=False, allow_blank=True, default="")
    comment = _comment()


class UnionNoteInputSerializer(serializers.Serializer):
    priority = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="1 (highest) to 5.")
    target_value = serializers.DecimalField(**FIGURE, required=False, allow_null=True, default=None)
    walk_away_value = serializers.DecimalField(**FIGURE, required=False, allow_null=True, default=None)
    note = TextField(multiline=True, required=False, allow_blank=True, default="")


class PositionInputSerializer(serializers.Serializer):
    topic = serializers.IntegerField(help_text="The negotiation topic's id.")
    union_value = serializers.DecimalField(**FIGURE, required=False, allow_null=True, default=None)
    union_text = TextField(multiline=True, required=False, allow_blank=True, default="")
    employer_value = serializers.DecimalField(**FIGURE, required=False, allow_null=True, default=None)
    employer_text = TextField(multiline=True, required=False, allow_blank=True, default="")
    agreed = serializers.BooleanField(required=False, default=False)


class RoundInputSerializer(serializers.Serializer):
    held_on = DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    mode = serializers.ChoiceField(choices=Round.Mode.choices, required=False, default=Round.Mode.IN_PERSON)
    place = TextField(max_length=200, required=False, allow_blank=True, default="")
    attendees = TextField(multiline=True, required=False, allow_blank=True, default="")
    minutes = TextField(multiline=True, required=False, allow_blank=True, default="")
    positions = PositionInputSerializer(many=True)
    comment = _comment()


class ClauseInputSerializer(serializers.Serializer):
    topic = serializers.IntegerField(required=False, allow_null=True, default=None)
    title = TextField(max_length=200, allow_blank=True)
    text = TextField(multiline=True, allow_blank=True)


class ReviseInputSerializer(serializers.Serializer):
    clauses = ClauseInputSerializer(many=True, allow_empty=True)
    note = TextField(max_length=200, required=False, allow_blank=True, default="")
    comment = _comment()


class ElectorInputSerializer(serializers.Serializer):
    reference = TextField(max_length=40, allow_blank=True)
    name = TextField(max_length=100, allow_blank=True)
    worker = serializers.PrimaryKeyRelatedField(queryset=Worker.objects.all(), required=False, allow_null=True,
                                                default=None)


class ElectorateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ELECTORATE_KINDS, required=False, allow_null=True, default=None)
    electors = ElectorInputSerializer(many=True, allow_empty=True)
    comment = _comment()


class OrderStatisticsImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The platform's order statistics: CSV or JSON, UTF-8 or GBK.")


class NegotiationCommentSerializer(serializers.Serializer):
    comment = _comment()
