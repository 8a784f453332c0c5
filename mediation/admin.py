"""The Django admin for mediation: transitions as buttons (with forms) and bulk actions.

Every transition runs through `mediation.services` (casework.admin.TransitionAdminMixin), so the
admin refuses what the API refuses. Sessions, payments, extensions and agreements are shown
read-only: they are recorded through the services (the API; the web interface's forms).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model

from casework.admin import CommentForm, ReasonForm, TransitionAdminMixin
from casework.models import Organisation

from . import services
from .models import (
    Agreement,
    Extension,
    Instalment,
    Mediation,
    MediationClaim,
    MediationSession,
    Payment,
    Procedure,
)

# --- transition forms (the fields each transition asks for) ---------------------------------------


class AcceptForm(CommentForm):
    accepted_on = forms.DateField(label="受理日期（默认今天）", required=False)
    procedure = forms.ChoiceField(label="适用程序（诉中委托调解）", choices=[("", "—"), *Procedure.choices], required=False)


class MediatorChoiceField(forms.ModelChoiceField):
    """Mediators with their workload in the label: what the assigner needs to see."""

    def label_from_instance(self, user):
        return (f"{user.get_full_name() or user.username}（调解中 {user.in_progress} 件，"
                f"待确认或履行 {user.follow_up} 件，三日内到期 {user.due_soon} 件）")


class AssignMediatorForm(CommentForm):
    mediator = MediatorChoiceField(label="调解员", queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = services.mediator_workload()


class ExtendForm(CommentForm):
    days = forms.IntegerField(label="延长天数", min_value=1)
    claimant_consent_on = forms.DateField(label="申请人同意日期")
    respondent_consent_on = forms.DateField(label="被申请人同意日期")
    consent_note = forms.CharField(label="同意情况说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AgreementForm(CommentForm):
    total = forms.DecimalField(label="协议总额（元）", min_value=0, decimal_places=2)
    basis = forms.ChoiceField(label="款项性质", choices=Agreement.Basis.choices)
    instalments = forms.CharField(
        label="分期（每行：履行期限 金额，如 2026-12-31 220000）", required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    obligations = forms.CharField(label="非金钱义务", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    terms = forms.CharField(label="其他约定", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    signed_on = forms.DateField(label="签订日期（默认今天）", required=False)
    effective_on = forms.DateField(label="生效日期（默认签订日）", required=False)

    def clean_instalments(self):
        rows = []
        for n, line in enumerate((self.cleaned_data.get("instalments") or "").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                day, amount = line.split()
                rows.append({"due_on": datetime.date.fromisoformat(day), "amount": Decimal(amount.replace(",", ""))})
            except (ValueError, InvalidOperation):
                raise forms.ValidationError(f"第 {n} 行应为“日期 金额”，如 2026-12-31 220000") from None
        return rows


class CourtForm(CommentForm):
    court = forms.ModelChoiceField(label="受理法院（默认委派法院）", required=False,
                                   queryset=Organisation.objects.filter(kind=Organisation.Kind.COURT))


class ConfirmForm(CommentForm):
    ruling_number = forms.CharField(label="裁定书文号")
    ruling_date = forms.DateField(label="裁定日期")


class RejectConfirmationForm(ReasonForm):
    ruling_number = forms.CharField(label="裁定书文号", required=False)
    ruling_date = forms.DateField(label="裁定日期", required=False)


# --- read-only inlines ------------------------------------------------------------------------------


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
    transition_services = services
    service_object_kwarg = "mediation"
    list_display = ["number", "title", "state", "source", "court", "court_case_number", "mediator", "deadline"]
    list_filter = ["state", "source", "court", "expired"]
    search_fields = ["number", "court_case_number", "title", "claimants__name", "respondents__name"]
    date_hierarchy = "referred_on"
    fields = [
        "number", "state", "source", "procedure", "title", "facts", "court", "court_case_number", "case",
        "organisation", "claimants", "respondents", "referred_on", "accepted_on", "period_started_on", "deadline",
        "deadline_provisional", "extensions_in_period", "extended_days", "mediator", "mediator_assigned_at",
        "agreement", "confirmation_requested_on", "confirmation_court", "ruling_number", "ruling_date",
        "confirmation_rejection_reason", "decline_reason", "failure_reason", "expired", "withdrawal_reason",
        "ended_on", "returned_to_court_on", "fulfilled_on", "defaulted_on", "next_step",
    ]
    # Only the description of the dispute is edited here; everything else moves with the services.
    readonly_fields = [f for f in fields if f not in ("title", "facts")]
    inlines = [ClaimInline, ExtensionInline, SessionInline, PaymentInline]
    fsm_forms = {
        "accept": AcceptForm,
        "decline": ReasonForm,
        "assign_mediator": AssignMediatorForm,
        "extend": ExtendForm,
        "reach_agreement": AgreementForm,
        "fail": ReasonForm,
        "withdraw": ReasonForm,
        "request_confirmation": CourtForm,
        "confirm": ConfirmForm,
        "reject_confirmation": RejectConfirmationForm,
    }

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

