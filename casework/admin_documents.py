"""Admin for generated documents (imported by casework/admin.py).

Read-only: rows are made by the pipeline (casework.documents), never by hand. Staff can see status,
hash and errors, download the PDF, and queue a failed or stuck render again.
"""

from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from . import documents
from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
