"""The Django admin for collective bargaining: transitions as buttons (with forms) and bulk actions.

Every transition runs through `bargaining.services` (core.admin.TransitionAdminMixin, from
bargaining/transitions.py), so the admin refuses what the API refuses. The team, topics, rounds,
contract versions and votes are shown read-only: they are recorded through the services (the API;
the web interface's forms). Supervisors keep the topic catalogue. The union side's internal notes
(UnionNote) are shown and edited only for union staff, and edited through `set_union_note`.
"""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import TransitionAdminMixin

from . import services
from .models import ContractVersion, Negotiation, NegotiationTopic, Negotiator, Round, Topic, UnionNote, Vote

UNION_NOTES = "bargaining.view_union_notes"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NegotiatorInline(ReadOnlyInline):
    model = Negotiator
    fields = readonly_fields = ["side", "role", "name", "title", "organisation", "is_union_chair",
                                "delegation_reference", "vacated_on", "vacancy_reason", "replaces"]


class TopicInline(ReadOnlyInline):
    """The topics on the table: the union's demand and where the sides ended up (never its notes)."""

    model = NegotiationTopic
    fields = readonly_fields = ["name", "unit", "costing", "core_common", "demand_value", "demand_text", "agreed",
                                "agreed_value", "agreed_text"]


class RoundInline(ReadOnlyInline):
    model = Round
    fields = readonly_fields = ["number", "held_on", "mode", "place", "attendees", "recorded_by"]


class VersionInline(ReadOnlyInline):
    model = ContractVersion
    fields = readonly_fields = ["number", "note", "created_by", "created_at"]


class VoteInline(ReadOnlyInline):
    model = Vote
    fields = readonly_fields = ["held_on", "method", "electorate", "attendance", "approvals", "passed", "recorded_by"]


@admin.register(Negotiation)
class NegotiationAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["number", "title", "state", "level", "procedure", "union", "officer", "reply_due", "filing_due",
                    "expires_on"]
    list_filter = ["state", "level", "procedure", "filed_late"]
    search_fields = ["number", "title", "employers__name"]
    date_hierarchy = "created_at"
    fields = [
        "number", "state", "title", "level", "procedure", "region", "union", "employers", "officer",
        "covered_occupations", "covered_cities", "covered_headcount", "electorate_kind", "proposal_text",
        "proposed_on", "reply_due", "reply_due_provisional", "replied_on", "reply_text", "refusal_reason",
        "suspension_reason", "signed_on", "term_years", "filing_due", "filed_on", "filed_late", "filing_authority",
        "objection_window_ends", "objection_reason", "effective_on", "effect_basis", "expires_on", "renewal_of",
    ]
    # Everything moves with the services; the admin shows it and runs the transitions.
    readonly_fields = [*fields, "union_notes"]
    inlines = [NegotiatorInline, TopicInline, RoundInline, VersionInline, VoteInline]

    def has_add_permission(self, request):
        return False  # create_negotiation checks the parties and the scope: the API or the web interface

    def has_delete_permission(self, request, obj=None):
        return False  # the journal refers to it

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("union", "officer")

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if "union_notes" in fields:
            fields.remove("union_notes")
        if obj is not None and request.user.has_perm(UNION_NOTES):
            fields.append("union_notes")
        return fields

    @admin.display(description=_("工会内部议题备忘"))
    def union_notes(self, obj):
        notes = UnionNote.objects.filter(topic__negotiation=obj).select_related("topic").order_by("topic__order")
        return format_html_join(
            "", "<div><strong>{}</strong>：优先级 {}，目标 {}，底线 {}。{}</div>",
            ((n.topic.name, n.priority or "—", n.target_value if n.target_value is not None else "—",
              n.walk_away_value if n.walk_away_value is not None else "—", n.note) for n in notes),
        ) or "—"

    def save_model(self, request, obj, form, change):
        pass  # nothing is edited here (a transition button also posts this form, unchanged)

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    """The topic catalogue: bargaining staff read it, supervisors add to it and edit it."""

    list_display = ["code", "name", "unit", "costing", "core_common", "order"]
    list_filter = ["unit", "costing", "core_common"]
    search_fields = ["code", "name"]
    ordering = ["order", "code"]

    def has_delete_permission(self, request, obj=None):
        return False  # negotiations' topics refer to it


@admin.register(UnionNote)
class UnionNoteAdmin(admin.ModelAdmin):
    """The union side's own brief on a topic: union staff only (rules: bargaining.view_union_notes),
    written through `set_union_note` by those who work the negotiation."""

    list_display = ["topic", "negotiation", "priority", "target_value", "walk_away_value", "updated_at"]
    list_select_related = ["topic__negotiation"]
    search_fields = ["topic__name", "topic__negotiation__number"]
    fields = ["topic", "priority", "target_value", "walk_away_value", "note"]
    raw_id_fields = ["topic"]

    @admin.display(description=_("集体协商"))
    def negotiation(self, obj):
        return obj.topic.negotiation.number

    def _may_write(self, request):
        return request.user.has_perm(UNION_NOTES) and request.user.has_perm("bargaining.change_negotiation")

    def has_module_permission(self, request):
        return request.user.has_perm(UNION_NOTES) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(UNION_NOTES)

    def has_add_permission(self, request):
        return self._may_write(request)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["topic"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = services.set_union_note(topic=obj.topic, actor=request.user, priority=obj.priority,
                                        target_value=obj.target_value, walk_away_value=obj.walk_away_value,
                                        note=obj.note)
        obj.pk = saved.pk
