"""The Django admin for the legal check-up: transitions as buttons (with forms) and bulk actions.

Every transition runs through `legal_checkup.services` (core.admin.TransitionAdminMixin, from
legal_checkup/transitions.py), so the admin refuses what the API refuses. The assessments, replies
and letters are shown read-only (the fieldwork, the company and the escalation record them through
the services); a finding's text is edited inline while drafting, through `edit_finding`.
Checklists: a published version is read-only; a new version is made (`new_version`), its items
edited (`set_item`) and published (`publish`) through the services, by supervisors.

The admin is the union's: company contacts have none (not even of their own company's checkups),
so the assessors' notes and interviews shown here never reach them.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core import errors
from core.admin import TransitionAdminMixin

from . import services
from .models import (
    Assessment,
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Checkup,
    CheckupState,
    Finding,
    Letter,
    OfferedClause,
    Reply,
)
from .rules import checkup_staff, is_union_staff, score
from .services.checklists import ITEM_FIELDS

CHANGE = "legal_checkup.change_checkup"


class UnionOnly:
    """Union staff doing check-ups only, whatever the model permissions say: a company contact may
    *view* their own issued checkup through the API and the pages, never here."""

    def has_module_permission(self, request):
        return self.has_view_permission(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_union_staff(request.user) and checkup_staff(request.user)

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the journal and the checkups refer to them


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssessmentInline(ReadOnlyInline):
    """The fieldwork's results, with the union-internal notes and interviews (union staff only)."""

    model = Assessment
    fields = readonly_fields = ["item", "result", "not_applicable_reason", "examined", "sample_checked",
                                "sample_total", "notes", "interviews", "assessed_by", "assessed_at",
                                "reassessed_result"]


FINDING_FIELDS = ["item", "severity", "legal_basis", "found", "risk", "recommendation", "review_comment", "due_on",
                  "status", "escalation", "repeat_of", "reassessed_result", "reassessed_on", "reassessment_note"]
FINDING_TEXTS = ("found", "risk", "recommendation")


def _nothing_saved(formsets):
    """The admin's change message reads what each formset saved; these are saved by the services."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _may_edit_findings(request, checkup) -> bool:
    return (checkup is not None and checkup.state == CheckupState.DRAFTING
            and request.user.has_perm(CHANGE, checkup))


def _save_finding_texts(model_admin, request, forms):
    """Each changed finding's text through `edit_finding` (no ID or phone numbers); a refusal is shown."""
    for form in forms:
        changed = [f for f in FINDING_TEXTS if f in form.changed_data]
        if not changed or not form.has_changed():
            continue
        finding = Finding.objects.select_related("checkup", "item").get(pk=form.instance.pk)
        try:
            services.edit_finding(finding=finding, actor=request.user, **{f: form.cleaned_data[f] for f in changed})
        except errors.HANDLED as exc:
            model_admin.message_user(request, f"{finding.item.code}：{errors.describe(exc).message}", messages.ERROR)


class FindingInline(admin.StackedInline):
    """What was found, the risk and the recommendation are edited here while drafting (edit_finding);
    the rest is set by the services. Its replies and letters: the finding's own page."""

    model = Finding
    extra = 0
    can_delete = False
    show_change_link = True
    fields = FINDING_FIELDS

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return _may_edit_findings(request, obj)

    def get_readonly_fields(self, request, obj=None):
        editable = _may_edit_findings(request, obj)
        return [f for f in self.fields if not (editable and f in FINDING_TEXTS)]


class ReplyInline(ReadOnlyInline):
    """The company's replies (made by its contacts, or by the team for them)."""

    model = Reply
    fields = readonly_fields = ["plan", "responsible", "target_on", "done", "created_by", "created_at"]


class LetterInline(ReadOnlyInline):
    """The supervision letters (提示函 → 意见书 → 建议书), sent by `escalate`."""

    model = Letter
    fields = readonly_fields = ["kind", "issued_on", "reply_due", "replied_on", "reply_text", "addressee",
                                "issued_by"]


@admin.register(Checkup)
class CheckupAdmin(UnionOnly, TransitionAdminMixin, admin.ModelAdmin):
    list_display = ["number", "company", "state", "profile", "lead", "planned_on", "issued_on", "score", "grade",
                    "grade_capped", "final_grade"]
    list_filter = ["state", "grade", "grade_capped", "profile"]
    search_fields = ["number", "company__name", "company__credit_code"]
    date_hierarchy = "created_at"
    fields = [
        "number", "state", "company", "union", "reason", "checklist_version", "profile", "lead", "team",
        "planned_on", "scope", "fieldwork_started_on", "drafted_by", "score", "grade", "grade_capped",
        "computation", "review_comment", "approved_by", "approved_on", "issued_on", "acknowledged_on",
        "follow_up_on", "closed_on", "final_score", "final_grade", "cancel_reason", "replies", "letters",
        "created_by", "created_at",
    ]
    # Everything moves with the services; the admin shows it, runs the transitions, edits findings' text.
    readonly_fields = fields
    inlines = [AssessmentInline, FindingInline]

    def has_change_permission(self, request, obj=None):
        # The transitions' buttons post the change form: the team and the supervisors.
        if not self.has_view_permission(request, obj):
            return False
        return request.user.has_perm(CHANGE, obj) if obj is not None else True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company", "lead", "checklist_version__checklist")

    @admin.display(description=_("计分"))
    def computation(self, obj):
        if obj.score is None and not obj.grade:
            return "—"
        return score((a.item.severity, a.result) for a in obj.assessments.select_related("item")).explain()

    @admin.display(description=_("企业答复"))
    def replies(self, obj):
        rows = Reply.objects.filter(finding__checkup=obj).select_related("finding__item").order_by("finding__order", "id")
        return format_html_join(
            "", "<div><strong>{}</strong>：{}（责任人 {}，计划 {}，{}）</div>",
            ((r.finding.item.code, r.plan, r.responsible, r.target_on, _("已完成") if r.done else _("未完成"))
             for r in rows)) or "—"

    @admin.display(description=_("监督文书"))
    def letters(self, obj):
        rows = Letter.objects.filter(finding__checkup=obj).select_related("finding__item").order_by("finding__order", "id")
        return format_html_join(
            "", "<div><strong>{}</strong>：{} {}，答复期限 {}，{}</div>",
            ((r.finding.item.code, r.get_kind_display(), r.issued_on, r.reply_due,
              (_("已答复") + f" {r.replied_on}") if r.replied_on else _("未答复")) for r in rows)) or "—"

    def save_model(self, request, obj, form, change):
        pass  # nothing of the checkup is edited here (a transition button also posts this form, unchanged)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            if formset.model is Finding and _may_edit_findings(request, form.instance):
                _save_finding_texts(self, request, formset.forms)
        _nothing_saved(formsets)


@admin.register(Finding)
class FindingAdmin(UnionOnly, admin.ModelAdmin):
    """A finding with the company's replies and the supervision letters, inline and read-only."""

    list_display = ["checkup", "item", "severity", "due_on", "status", "escalation", "repeat_of"]
    list_filter = ["severity", "status", "escalation"]
    search_fields = ["checkup__number", "checkup__company__name", "item__code", "item__title"]
    list_select_related = ["checkup__company", "item"]
    fields = ["checkup", *FINDING_FIELDS]
    inlines = [ReplyInline, LetterInline]

    def get_readonly_fields(self, request, obj=None):
        editable = _may_edit_findings(request, obj.checkup if obj is not None else None)
        return [f for f in self.fields if not (editable and f in FINDING_TEXTS)]

    def has_change_permission(self, request, obj=None):
        if not self.has_view_permission(request, obj):
            return False
        return request.user.has_perm(CHANGE, obj.checkup) if obj is not None else True

    def save_model(self, request, obj, form, change):
        if _may_edit_findings(request, obj.checkup):
            _save_finding_texts(self, request, [form])

    def save_related(self, request, form, formsets, change):
        _nothing_saved(formsets)


# --------------------------------------------------------------------------------------------------
# Checklists
# --------------------------------------------------------------------------------------------------


class VersionInline(ReadOnlyInline):
    model = ChecklistVersion
    fields = readonly_fields = ["number", "note", "published_at", "created_by", "created_at"]
    show_change_link = True


@admin.register(Checklist)
class ChecklistAdmin(UnionOnly, admin.ModelAdmin):
    """Checklists: check-up staff read them; supervisors make a new version (copying the last)."""

    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [VersionInline]
    actions = ["make_new_version"]

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and request.user.has_perm("legal_checkup.manage_checklists")

    def has_add_permission(self, request, *args):
        return self.has_change_permission(request)

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("legal_checkup.manage_checklists"):
            actions.pop("make_new_version", None)
        return actions

    @admin.action(description=_("新建清单版本（复制最新版本的事项）"))
    def make_new_version(self, request, queryset):
        for checklist in queryset:
            try:
                version = services.new_version(checklist=checklist, actor=request.user)
            except errors.HANDLED as exc:
                self.message_user(request, f"{checklist}：{errors.describe(exc).message}", messages.ERROR)
            else:
                self.message_user(request, f"{checklist}：{_('已新建')} v{version.number}", messages.SUCCESS)


class ItemInline(admin.StackedInline):
    """An unpublished version's items, saved through `set_item`; a published version's are read-only."""

    model = ChecklistItem
    extra = 0
    can_delete = False
    fields = list(ITEM_FIELDS)

    def _editable(self, request, obj):
        return obj is not None and not obj.published and request.user.has_perm("legal_checkup.manage_checklists")

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(UnionOnly, admin.ModelAdmin):
    """A version and its items. Published: read-only, for ever (checkups pin it)."""

    list_display = ["checklist", "number", "note", "published_at", "item_count", "created_by"]
    list_filter = ["checklist"]
    fields = ["checklist", "number", "note", "published_at", "created_by", "created_at"]
    readonly_fields = fields
    inlines = [ItemInline]
    actions = ["publish_versions"]

    @admin.display(description=_("事项数"))
    def item_count(self, obj):
        return obj.items.count()

    def has_change_permission(self, request, obj=None):
        may = self.has_view_permission(request, obj) and request.user.has_perm("legal_checkup.manage_checklists")
        return may and (obj is None or not obj.published)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("legal_checkup.manage_checklists"):
            actions.pop("publish_versions", None)
        return actions

    def save_model(self, request, obj, form, change):
        pass  # the version's own fields are the services'; its items are saved in save_related

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            for item_form in formset.forms:
                if not item_form.has_changed():
                    continue
                if item_form.instance.pk and "code" in item_form.changed_data:
                    self.message_user(request, _("事项编号不能修改：请新增一个事项。"), messages.ERROR)
                    continue
                try:
                    services.set_item(version=form.instance, actor=request.user,
                                      **{f: item_form.cleaned_data.get(f) for f in ITEM_FIELDS
                                         if f in item_form.cleaned_data})
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(request, errors.describe(exc).message, messages.ERROR)
        _nothing_saved(formsets)

    @admin.action(description=_("发布所选清单版本（发布后不可修改）"))
    def publish_versions(self, request, queryset):
        for version in queryset:
            try:
                services.publish(version=version, actor=request.user)
            except errors.HANDLED as exc:
                self.message_user(request, f"{version}：{errors.describe(exc).message}", messages.ERROR)
            else:
                self.message_user(request, f"{version}：{_('已发布')}", messages.SUCCESS)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(UnionOnly, admin.ModelAdmin):
    """Every item of every version, to search; changed only while its version is unpublished."""

    list_display = ["code", "title", "severity", "version", "source"]
    list_filter = ["severity", "version__checklist", "version"]
    search_fields = ["code", "title", "legal_basis"]
    list_select_related = ["version__checklist"]
    fields = ["version", *ITEM_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "code"] if obj is not None and not obj.version.published else self.fields

    def has_change_permission(self, request, obj=None):
        may = self.has_view_permission(request, obj) and request.user.has_perm("legal_checkup.manage_checklists")
        return may and (obj is None or not obj.version.published)

    def save_model(self, request, obj, form, change):
        try:
            services.set_item(version=obj.version, actor=request.user,
                              **{f: getattr(obj, f) for f in ITEM_FIELDS})
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, errors.describe(exc).message, messages.ERROR)


@admin.register(OfferedClause)
class OfferedClauseAdmin(UnionOnly, admin.ModelAdmin):
    """Clauses offered by effective collective contracts; made items with the API's
    include_offered_clauses (or the checklist pages)."""

    list_display = ["title", "source_number", "offered_on", "used_in"]
    list_filter = ["offered_on"]
    search_fields = ["title", "source_number"]
    fields = readonly_fields = ["source_label", "source_id", "source_number", "title", "text", "employers",
                                "offered_on", "used_in"]

    def has_change_permission(self, request, obj=None):
        return False
