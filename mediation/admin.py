"""The Django admin for mediation: transitions as buttons (with forms) and bulk actions.

Every transition runs through `mediation.services` (core.admin.TransitionAdminMixin, from
mediation/transitions.py), so the admin refuses what the API refuses. Sessions, payments,
extensions and agreements are shown read-only: they are recorded through the services (the API;
the web interface's forms).
"""

from django.contrib import admin

from core.admin import TransitionAdminMixin

from . import services
from .models import (
    Agreement,
    Extension,
    Instalment,
    Mediation,
    MediationClaim,
    MediationSession,
    Payment,
)

class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimInline(ReadOnlyInline):
    model = MediationClaim
    fields = readonly_fields = ["category", "description", "amount"]


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = readonly_fields = ["days", "previous_deadline", "new_deadline", "claimant_consent_on",
                                "respondent_consent_on", "consent_note", "recorded_by"]


class SessionInline(ReadOnlyInline):
    model = MediationSession
    fields = readonly_fields = ["seq", "held_at", "mode", "location", "attendees", "recorded_by"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = readonly_fields = ["agreement", "instalment", "amount", "paid_on", "reference", "recorded_by"]


@admin.register(Mediation)
class MediationAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["number", "title", "state", "source", "court", "court_case_number", "mediator", "deadline"]
    list_filter = ["state", "source", "court", "expired"]
    search_fields = ["number", "court_case_number", "title", "claimants__name", "respondents__name"]
    date_hierarchy = "referred_on"
    fields = [
        "number", "state", "source", "procedure", "title", "facts", "court", "court_case_number", "origin_type", "origin_id",
        "organisation", "claimants", "respondents", "referred_on", "accepted_on", "period_started_on", "deadline",
        "deadline_provisional", "extensions_in_period", "extended_days", "mediator", "mediator_assigned_at",
        "agreement", "confirmation_requested_on", "confirmation_court", "ruling_number", "ruling_date",
        "confirmation_rejection_reason", "decline_reason", "failure_reason", "expired", "withdrawal_reason",
        "ended_on", "returned_to_court_on", "fulfilled_on", "defaulted_on", "next_step",
    ]
    # Only the description of the dispute is edited here; everything else moves with the services.
    readonly_fields = [f for f in fields if f not in ("title", "facts")]
    inlines = [ClaimInline, ExtensionInline, SessionInline, PaymentInline]
    def has_add_permission(self, request):
        return False  # intake checks parties and numbers: single entry through the API, lists through import

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("court", "mediator")

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ("title", "facts")}
        if changes:  # a transition button also posts this form, usually unchanged
            services.edit_mediation(mediation=obj, actor=request.user, changes=changes)


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["mediation", "version", "total", "amount_paid", "basis", "effective_on"]
    readonly_fields = ["mediation", "version", "total", "basis", "obligations", "terms", "signed_on",
                       "effective_on", "amount_paid", "recorded_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Instalment)
class InstalmentAdmin(admin.ModelAdmin):
    list_display = ["agreement", "seq", "due_on", "amount", "paid"]
    readonly_fields = ["agreement", "seq", "due_on", "amount", "paid"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

