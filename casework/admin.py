"""The Django admin of dispute intake: cases with their claimants, claims and evidence.

Transitions are buttons (core.admin.TransitionAdminMixin, from casework/transitions.py); intake
and edits go through casework.services, never `obj.save()` on state.
"""

from django import forms
from django.contrib import admin

from core.admin import TransitionAdminMixin
from core.models import Worker

from . import services
from .models import Case, CaseClaimant, Claim, Evidence
from .rules import EDITABLE_STATES


# --- intake ---------------------------------------------------------------------------------------


class CaseIntakeForm(forms.ModelForm):
    """The add form: what services.create_case needs, claimants and representatives included."""

    claimants_field = forms.ModelMultipleChoiceField(label="申请人", queryset=Worker.objects.all())
    representatives_field = forms.ModelMultipleChoiceField(
        label="推举代表", queryset=Worker.objects.all(), required=False
    )

    class Meta:
        model = Case
        fields = [
            "title", "channel", "facts", "received_on", "infringement_known_on",
            "employment_ended_on", "limitation_interrupted_on", "respondents", "categories", "handler",
        ]


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 1

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.state in EDITABLE_STATES

    has_add_permission = has_delete_permission = has_change_permission


class ClaimantInline(admin.TabularInline):
    model = CaseClaimant
    extra = 0
    autocomplete_fields = ["worker"]

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.state in EDITABLE_STATES

    has_add_permission = has_delete_permission = has_change_permission


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["original_name", "description", "sha256", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through services.add_evidence (the API), which hashes the file


@admin.register(Case)
class CaseAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["number", "title", "state", "channel", "is_group", "handler", "screening_due_on", "limitation_ends_on"]
    list_filter = ["state", "channel", "is_group", "categories"]
    search_fields = ["number", "title", "claimants__name", "respondents__name"]
    readonly_fields = [
        "number", "state", "is_group", "screening_due_on", "limitation_ends_on", "legal_aid_by",
        "limitation_overridden", "limitation_override_reason", "rejection_reason", "outcome",
        "outcome_detail", "amount_recovered", "accepted_at", "resolved_at", "closed_at", "created_by",
    ]
    filter_horizontal = ["respondents", "categories"]
    inlines = [ClaimantInline, ClaimInline, EvidenceInline]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CaseIntakeForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*CaseIntakeForm.Meta.fields[:3], "claimants_field", "representatives_field", *CaseIntakeForm.Meta.fields[3:]]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.state not in EDITABLE_STATES:
            return [f.name for f in Case._meta.fields if f.editable] + ["respondents", "categories"]
        return super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return [ClaimInline] if obj is None else self.inlines

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            if changes:  # a transition button also posts this form, usually unchanged
                services.edit_case(case=obj, actor=request.user, changes=changes)
            return
        data = form.cleaned_data
        created = services.create_case(
            actor=request.user, title=data["title"], channel=data["channel"], facts=data["facts"],
            received_on=data["received_on"], infringement_known_on=data["infringement_known_on"],
            employment_ended_on=data["employment_ended_on"],
            limitation_interrupted_on=data["limitation_interrupted_on"],
            claimants=list(data["claimants_field"]), representatives=list(data["representatives_field"]),
            respondents=list(data["respondents"]), categories=[c.code for c in data["categories"]],
            handler=data["handler"],
        )
        # The admin goes on to save inlines against `obj`: make it the row the service created.
        obj.__dict__.update(created.__dict__)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the service has set the many-to-many fields already
            self.save_formset(request, form, formset, change)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["original_name", "case", "sha256", "size", "uploaded_at"]
    readonly_fields = ["case", "file", "original_name", "sha256", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False
