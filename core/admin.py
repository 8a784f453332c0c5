"""The Django admin: the foundation's models, and the transition buttons every module's admin gets.

The admin obeys the same rules as the API and the screens: transitions, intake and registration go
through the modules' services (never `obj.save()` on state). `TransitionAdminMixin` makes, from a
model's transition declarations, one button per transition the user may run now, with the
declaration's label and form, and a bulk action for each transition without inputs.
"""

from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django_fsm.admin import FSMAdminMixin

from . import documents, errors
from .models import CalendarDay, Category, Document, Event, Notification, Organisation, StaffProfile, Worker
from .selectors import visible_organisations, visible_workers
from .transitions import machine_for, transition_names


class TransitionAdminMixin(FSMAdminMixin):
    """FSMAdminMixin's buttons and forms, from the declarations; every transition runs its service."""

    fsm_fields = ["state"]
    fsm_default_disallow_transition = True

    @property
    def machine(self):
        return machine_for(self.model)

    @property
    def fsm_forms(self):
        return {t.name: t.form for t in self.machine if t.inputs}

    def get_fsm_label(self, transition):
        return self.machine.get(transition.name).label

    def get_fsm_block_label(self, fsm_field_name):
        return str(self.model._meta.get_field(fsm_field_name).verbose_name)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        declared = self.machine.get(transition_name)
        try:
            declared.run(obj, actor=request.user, **(kwargs or {}))
        except errors.HANDLED as exc:
            self.message_user(request, f"{declared.label}：{errors.describe(exc).message}", level=messages.ERROR)
            return False
        self.message_user(request, f"{declared.label}：{gettext('已完成。')}", level=messages.SUCCESS)
        return True

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name in transition_names(self.model):
            if not self.machine.get(name).inputs:
                label = self.machine.get(name).label
                actions[f"bulk_{name}"] = (self._bulk_action(name), f"bulk_{name}", f"{gettext('批量执行')}：{label}")
        return actions

    def _bulk_action(self, name):
        def action(modeladmin, request, queryset):
            done = sum(
                modeladmin._apply_fsm_transition(obj=obj, transition_name=name, request=request)
                for obj in queryset
            )
            modeladmin.message_user(request, f"{self.machine.get(name).label}：{done}/{queryset.count()}")

        return action


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["credit_code_overridden_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=visible_organisations(request.user).values("pk"))


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

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=visible_workers(request.user).values("pk"))


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


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Rows are made by the pipeline (core/documents.py); staff read them and queue failed renders again."""

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
