"""The checklists' pages: every version and its items for the check-up staff; for supervisors a new
version (a copy of the last, edited until published), its items, the clauses offered by effective
collective contracts, and publishing (a published version never changes: checkups pin one)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View

from core import errors
from core.models import Organisation
from core.views import refusal_message, service_errors

from . import page_forms as f
from . import services
from .models import Checklist, ChecklistVersion, OfferedClause, Profile

VERSION = "legal_checkup:checklists:version"


def require(user, perm):
    if not user.has_perm(perm):
        raise PermissionDenied


class ChecklistListView(LoginRequiredMixin, View):
    def get(self, request):
        require(request.user, "legal_checkup.view_checklist")
        return render(request, "legal_checkup/checklist_list.html", list_context(request))


def list_context(request) -> dict:
    checklists = []
    for c in Checklist.objects.order_by("name"):
        versions = list(c.versions.annotate(n_items=Count("items", distinct=True),
                                            n_checkups=Count("checkups", distinct=True)).order_by("-number"))
        checklists.append({"c": c, "versions": versions, "can_new": not versions or versions[0].published})
    return {"checklists": checklists, "manage": request.user.has_perm("legal_checkup.manage_checklists"),
            "form": f.NewVersionForm(), "import_form": f.ImportForm()}


class NewVersionView(LoginRequiredMixin, View):
    def post(self, request, cpk):
        require(request.user, "legal_checkup.manage_checklists")
        checklist = get_object_or_404(Checklist, pk=cpk)
        form = f.NewVersionForm(request.POST)
        if form.is_valid():
            try:
                version = services.new_version(checklist=checklist, actor=request.user, **form.cleaned_data)
            except errors.HANDLED as exc:
                messages.error(request, refusal_message(exc))
            else:
                messages.success(request, _("已新建 %(name)s v%(n)d（复制自上一版本），发布前可修改事项。") % {
                    "name": checklist.name, "n": version.number})
                return HttpResponseRedirect(reverse(VERSION, args=[version.pk]))
        return HttpResponseRedirect(reverse("legal_checkup:checklists:index"))


def kinds_label(codes):
    labels = dict(Organisation.Kind.choices)
    return "、".join(str(labels.get(c, c)) for c in codes) if codes else _("全部")


def profiles_label(codes):
    labels = dict(Profile.choices)
    return "、".join(str(labels.get(c, c)) for c in codes) if codes else _("基础与深度")


class VersionView(LoginRequiredMixin, View):
    def get(self, request, vpk):
        require(request.user, "legal_checkup.view_checklist")
        return render(request, "legal_checkup/checklist_version.html", version_context(request, vpk))


def version_context(request, vpk, **extra):
    version = get_object_or_404(ChecklistVersion.objects.select_related("checklist", "created_by"), pk=vpk)
    manage = request.user.has_perm("legal_checkup.manage_checklists")
    items = [{"i": i, "kinds": kinds_label(i.company_kinds), "profiles": profiles_label(i.profiles)}
             for i in version.items.all()]
    offers = list(OfferedClause.objects.filter(used_in__isnull=True).prefetch_related("employers")) if (
        manage and not version.published) else []
    return {"version": version, "items": items, "manage": manage, "editable": manage and not version.published,
            "offers": offers, "pinned": version.checkups.count(), **extra}


class PublishView(LoginRequiredMixin, View):
    def post(self, request, vpk):
        require(request.user, "legal_checkup.manage_checklists")
        version = get_object_or_404(ChecklistVersion, pk=vpk)
        try:
            services.publish(version=version, actor=request.user)
        except errors.HANDLED as exc:
            return render(request, "legal_checkup/checklist_version.html",
                          version_context(request, vpk, refusal=errors.describe(exc).message),
                          status=errors.describe(exc).status)
        messages.success(request, _("已发布 %(v)s：此后新制定的体检计划可以选用，已发布版本不再修改。") % {"v": version})
        return HttpResponseRedirect(reverse(VERSION, args=[version.pk]))


class IncludeClausesView(LoginRequiredMixin, View):
    def post(self, request, vpk):
        require(request.user, "legal_checkup.manage_checklists")
        version = get_object_or_404(ChecklistVersion, pk=vpk)
        ids = [int(x) for x in request.POST.getlist("offer") if x.isdigit()]
        offers = list(OfferedClause.objects.filter(pk__in=ids, used_in__isnull=True))
        if not offers:
            return render(request, "legal_checkup/checklist_version.html",
                          version_context(request, vpk, refusal=_("请选择要纳入的集体合同条款。")), status=400)
        try:
            items = services.include_offered_clauses(version=version, actor=request.user, offers=offers)
        except errors.HANDLED as exc:
            return render(request, "legal_checkup/checklist_version.html",
                          version_context(request, vpk, refusal=errors.describe(exc).message),
                          status=errors.describe(exc).status)
        messages.success(request, _("已将 %(n)d 条集体合同条款纳入清单。") % {"n": len(items)})
        return HttpResponseRedirect(reverse(VERSION, args=[version.pk]))


class ItemView(LoginRequiredMixin, View):
    """Add an item to an unpublished version, or change one (?code=…)."""

    template_name = "legal_checkup/checklist_item.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(request.user, "legal_checkup.manage_checklists")
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, version, form, status=200):
        return render(self.request, self.template_name, {"version": version, "form": form,
                                                         "label": _("修改清单事项") if form.initial.get("code") else _("增加清单事项")},
                      status=status)

    def get(self, request, vpk):
        version = get_object_or_404(ChecklistVersion, pk=vpk)
        item = version.items.filter(code=request.GET.get("code", "")).first() if request.GET.get("code") else None
        return self.render_form(version, f.ItemForm(item=item))

    def post(self, request, vpk):
        version = get_object_or_404(ChecklistVersion, pk=vpk)
        form = f.ItemForm(request.POST)
        if not form.is_valid():
            return self.render_form(version, form, status=400)
        try:
            item = services.set_item(version=version, actor=request.user, **form.service_values())
        except errors.HANDLED as exc:
            service_errors(exc, form)
            return self.render_form(version, form, status=errors.describe(exc).status)
        messages.success(request, _("已保存事项 %(code)s。") % {"code": item.code})
        return HttpResponseRedirect(reverse(VERSION, args=[version.pk]) + f"#item-{item.code}")


# --- import and export (services/transfer.py; docs/legal_checkup.md, "The checklist file") -----------

CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ExportView(LoginRequiredMixin, View):
    def get(self, request, vpk):
        require(request.user, "legal_checkup.view_checklist")
        version = get_object_or_404(ChecklistVersion.objects.select_related("checklist"), pk=vpk)
        fmt = request.GET.get("format", "xlsx")
        if fmt not in CONTENT_TYPES:
            raise Http404
        data = services.export_checklist(version, format=fmt)
        response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = content_disposition_header(
            True, f"{version.checklist.code}-v{version.number}.{fmt}")
        return response


class ImportView(LoginRequiredMixin, View):
    """A checklist file becomes a new unpublished version, or nothing is written and every bad row
    is listed with its line, field and reason."""

    def post(self, request, cpk):
        require(request.user, "legal_checkup.manage_checklists")
        checklist = get_object_or_404(Checklist, pk=cpk)
        form = f.ImportForm(request.POST, request.FILES)
        problem, report = None, None
        if not form.is_valid():
            problem = " ".join(str(m) for errors_ in form.errors.values() for m in errors_)
        else:
            upload = form.cleaned_data["file"]
            try:
                report = services.import_checklist(checklist=checklist, actor=request.user, data=upload.read(),
                                                   filename=upload.name, note=form.cleaned_data.get("note", ""))
            except errors.HANDLED as exc:
                problem = refusal_message(exc)
        if report is not None and report.ok:
            messages.success(request, _("已导入 %(n)d 个事项，生成未发布的 v%(v)d：请核对后发布。") % {
                "n": report.written, "v": report.version.number})
            return HttpResponseRedirect(reverse(VERSION, args=[report.version.pk]))
        context = list_context(request)
        context.update(import_checklist=checklist, import_problem=problem,
                       import_errors=report.as_dict()["errors"] if report is not None else [])
        return render(request, "legal_checkup/checklist_list.html", context, status=400)
