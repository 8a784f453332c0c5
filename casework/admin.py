"""The Django admin: every model registered, transitions as buttons and bulk actions.

It is the staff interface until the viewflow UI exists, so it obeys the same rules as the API:
transitions, intake and registration go through casework.services (never `obj.save()` on state).
"""

from django import forms
from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import ConcurrentTransition
from django_fsm.admin import FSMAdminMixin

from . import documents, services
from .models import (
    CalendarDay,
    Case,
    CaseClaimant,
    Category,
    Claim,
    Document,
    Event,
    Evidence,
    Notification,
    Organisation,
    StaffProfile,
    Worker,
)
from .permissions import Role
from .transitions import TransitionRefused, transition_names


def error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(getattr(exc, "detail", exc))


class TransitionAdminMixin(FSMAdminMixin):
    """FSMAdminMixin's buttons and forms, but every transition runs through the module's services.

    Subclasses name the services module and the keyword the services take the object by.
    Transition methods without a form also become bulk actions on the change list.
    """

    fsm_fields = ["state"]
    transition_services = services
    service_object_kwarg = "case"
    fsm_default_disallow_transition = True

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        service = getattr(self.transition_services, transition_name)
        try:
            service(**{self.service_object_kwarg: obj}, actor=request.user, **(kwargs or {}))
        except (ValidationError, PermissionDenied, TransitionRefused, ConcurrentTransition) as exc:
            self.message_user(request, f"{transition_name}：{error_text(exc)}", level=messages.ERROR)
            return False
        self.message_user(request, f"{transition_name}：已完成。", level=messages.SUCCESS)
        return True

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name in transition_names(self.model):
            if name not in self.fsm_forms:
                actions[f"bulk_{name}"] = (self._bulk_action(name), f"bulk_{name}", f"批量执行：{name}")
        return actions

    def _bulk_action(self, name):
        def action(modeladmin, request, queryset):
            done = sum(
                modeladmin._apply_fsm_transition(obj=obj, transition_name=name, request=request)
                for obj in queryset
            )
            modeladmin.message_user(request, f"{name}：{done}/{queryset.count()} 件已完成。")

        return action


# --- transition forms (the fields each transition asks for) ---------------------------------------


class CommentForm(forms.Form):
    comment = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AcceptForm(CommentForm):
    override_limitation = forms.BooleanField(label="时效例外受理（主管）", required=False)
    override_reason = forms.CharField(label="例外理由", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(CommentForm):
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 3}))


class AssignLegalAidForm(CommentForm):
    lawyer = forms.ModelChoiceField(
        label="律师/志愿者",
        queryset=get_user_model().objects.filter(
            groups__name__in=[Role.LAWYER, Role.LEGAL_AID_VOLUNTEER], is_active=True
        ).distinct(),
    )


class ResolveForm(CommentForm):
    outcome = forms.ChoiceField(label="处理结果", choices=Case.Outcome.choices)
    amount_recovered = forms.DecimalField(label="挽回金额（元）", min_value=0, decimal_places=2)
    outcome_detail = forms.CharField(label="结果说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))


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
        return obj is None or obj.state in services.EDITABLE_STATES

    has_add_permission = has_delete_permission = has_change_permission


class ClaimantInline(admin.TabularInline):
    model = CaseClaimant
    extra = 0
    autocomplete_fields = ["worker"]

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.state in services.EDITABLE_STATES

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
    fsm_forms = {
        "accept": AcceptForm,
        "reject": ReasonForm,
        "reopen": ReasonForm,
        "assign_legal_aid": AssignLegalAidForm,
        "resolve": ResolveForm,
    }

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
        if obj.state not in services.EDITABLE_STATES:
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


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["credit_code_overridden_by"]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "id_number_masked", "phone", "occupation", "relationship_type", "is_union_member"]
    list_filter = ["occupation", "relationship_type", "is_union_member"]
    search_fields = ["name", "phone"]
    exclude = ["id_number"]
    readonly_fields = ["id_number_masked"]
    filter_horizontal = ["platforms"]

    def has_add_permission(self, request):
        return False  # registration validates and encrypts the ID number: use the API or intake form


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation"]
    filter_horizontal = ["acts_for"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_workday", "source"]
    list_filter = ["is_workday", "source"]
    date_hierarchy = "date"


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only the system writes: the journal, generated documents."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The journal is append-only (and on PostgreSQL the database enforces it)."""

    list_display = ["id", "content_type", "object_id", "transition", "from_state", "to_state", "actor_name", "created_at"]
    list_filter = ["content_type", "transition"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "message", "created_at", "read_at", "emailed"]
    list_filter = ["emailed"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["original_name", "case", "sha256", "size", "uploaded_at"]
    readonly_fields = ["case", "file", "original_name", "sha256", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Rows are made by the pipeline (casework.documents); staff read them and queue failed renders again."""

    list_display = ["number", "title", "owner_link", "owner_state", "version", "status", "pages", "size_kib", "created_at"]
    list_filter = ["status", "kind", "content_type"]
    search_fields = ["number", "verification_code", "sha256", "object_id"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    actions = ["render_again"]
    fields = [
        "number", "title", "kind", "content_type", "object_id", "owner_state", "version", "template_version",
        "issuer", "status", "file_link", "verification_code", "verify_link", "sha256", "size", "pages",
        "pdf_variant", "attempts", "error", "requested_by", "created_at", "rendered_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("content_type", "requested_by")

    @admin.display(description="所属对象")
    def owner_link(self, obj):
        ct = obj.content_type
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[obj.object_id])
        except NoReverseMatch:
            return f"{ct.model} #{obj.object_id}"
        return format_html('<a href="{}">{} #{}</a>', url, ct.name, obj.object_id)

    @admin.display(description="大小")
    def size_kib(self, obj):
        return f"{obj.size / 1024:.0f} KiB" if obj.size else ""

    @admin.display(description="文件")
    def file_link(self, obj):
        if obj.status != Document.Status.READY:
            return "—"
        try:
            url = reverse("document-download", args=[obj.pk])
        except NoReverseMatch:
            return obj.file.name
        return format_html('<a href="{}">下载 PDF</a>', url)

    @admin.display(description="核验页面")
    def verify_link(self, obj):
        return format_html('<a href="{0}" target="_blank">{0}</a>', documents.verify_path(obj.verification_code))

    @admin.action(description="重新生成所选的未完成文书（生成中或失败）")
    def render_again(self, request, queryset):
        queued = 0
        for document in queryset.exclude(status=Document.Status.READY):
            Document.objects.filter(pk=document.pk).update(status=Document.Status.PENDING, error="")
            documents.enqueue_render(document.pk)
            queued += 1
        self.message_user(request, f"已重新排队 {queued} 份文书；已生成的文书不受影响（如需新版本请在案件中重新生成）。",
                          messages.SUCCESS)
