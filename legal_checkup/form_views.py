"""The forms on one checkup that are not transitions (core.views.ObjectFormView): the team, an item's
assessment and its evidence, a finding's text and its re-assessment, the next supervision letter,
the company's reply on a finding, a letter's reply; and the downloads of evidence and letters.

Each calls one service (or, with files, the service and `add_evidence` in one transaction: a
refused file leaves nothing written). A refusal re-renders the form with what was typed and the
reason beside the field (400), or 403/409 as core/errors.py says.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from core.roles import is_company_contact
from core.views import ObjectFormView

from . import page_forms as f
from . import selectors, services
from .models import Evidence, Letter
from .views import DETAIL, TRANSITION, is_staff_viewer


class CheckupFormView(ObjectFormView):
    template_name = "legal_checkup/object_form.html"
    visible = staticmethod(selectors.visible_to)
    detail_url_name = DETAIL
    transition_url_name = TRANSITION
    permission = "legal_checkup.change_checkup"
    side_template = None
    multipart = False

    def may(self, user) -> bool:
        return not self.permission or user.has_perm(self.permission, self.obj)

    def dispatch(self, request, pk, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.obj = get_object_or_404(self.visible(request.user), pk=pk)
        self.load(**kwargs)
        if not self.may(request.user):
            raise PermissionDenied
        return View.dispatch(self, request, pk, **kwargs)

    def load(self, **kwargs):
        """Find the row the form is about (an assessment, a finding, a letter) on this checkup."""

    def build(self, data, files):
        return self.form_class(data, files, subject=self.obj)

    def get_form(self, data=None):
        return self.build(data, self.request.FILES if data is not None else None)

    def context(self, form):
        return {"multipart": self.multipart, **self.extra()}

    def extra(self) -> dict:
        return {}

    def post(self, request, pk, **kwargs):
        return super().post(request, pk)


class TeamMemberView(CheckupFormView):
    label = _lazy("加入检查组成员")
    form_class = f.TeamMemberForm
    anchor = "#team"

    def run(self, form):
        self.member = form.cleaned_data["member"]
        services.add_team_member(checkup=self.obj, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("%(name)s 已加入检查组（利益冲突审查通过）。") % {
            "name": self.member.get_full_name() or self.member.get_username()}


# --- assessments -------------------------------------------------------------------------------------


class AssessView(CheckupFormView):
    form_class = f.AssessForm
    side_template = "legal_checkup/item_guide.html"
    multipart = True

    def load(self, apk, **kwargs):
        self.assessment = get_object_or_404(self.obj.assessments.select_related("item"), pk=apk)
        item = self.assessment.item
        self.label = _("评估事项 %(code)s") % {"code": item.code}
        self.anchor = f"#item-{self.assessment.pk}"

    def build(self, data, files):
        return self.form_class(data, files, subject=self.obj, assessment=self.assessment)

    def extra(self):
        return {"item": self.assessment.item, "evidence": list(self.assessment.evidence.all()),
                "assessment": self.assessment}

    def run(self, form):
        data = dict(form.cleaned_data)
        files = data.pop("evidence", [])
        with transaction.atomic():
            services.assess(assessment=self.assessment, actor=self.request.user, **data)
            for upload in files:
                services.add_evidence(actor=self.request.user, file=upload, assessment=self.assessment)
        self.files = files

    def success_message(self):
        message = _("已评估事项 %(code)s：%(result)s。") % {"code": self.assessment.item.code,
                                                     "result": self.assessment.get_result_display()}
        if self.files:
            message += _("上传证据 %(n)d 份。") % {"n": len(self.files)}
        return message


class ItemReassessView(CheckupFormView):
    form_class = f.ItemReassessForm
    side_template = "legal_checkup/item_guide.html"

    def load(self, apk, **kwargs):
        self.assessment = get_object_or_404(self.obj.assessments.select_related("item"), pk=apk)
        self.label = _("复查事项 %(code)s") % {"code": self.assessment.item.code}
        self.anchor = f"#item-{self.assessment.pk}"

    def extra(self):
        return {"item": self.assessment.item, "assessment": self.assessment}

    def run(self, form):
        services.reassess_item(assessment=self.assessment, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已复查事项 %(code)s。") % {"code": self.assessment.item.code}


# --- findings ------------------------------------------------------------------------------------------


class FindingFormView(CheckupFormView):
    side_template = "legal_checkup/finding_side.html"

    def load(self, fpk, **kwargs):
        self.finding = get_object_or_404(self.obj.findings.select_related("item", "assessment"), pk=fpk)
        self.anchor = f"#finding-{self.finding.pk}"
        self.label = self.label_for(self.finding)

    def label_for(self, finding):
        return str(self.label)

    def extra(self):
        return {"finding": self.finding, "item": self.finding.item}


class FindingEditView(FindingFormView):
    form_class = f.FindingForm

    def label_for(self, finding):
        return _("修改问题 %(code)s") % {"code": finding.item.code}

    def build(self, data, files):
        return self.form_class(data, subject=self.obj, finding=self.finding)

    def run(self, form):
        services.edit_finding(finding=self.finding, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已保存问题 %(code)s。") % {"code": self.finding.item.code}


class ReassessView(FindingFormView):
    form_class = f.ReassessForm

    def label_for(self, finding):
        return _("复查问题 %(code)s") % {"code": finding.item.code}

    def run(self, form):
        services.reassess(finding=self.finding, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        self.finding.refresh_from_db()
        return _("已复查问题 %(code)s：%(status)s。") % {"code": self.finding.item.code,
                                                 "status": self.finding.get_status_display()}


class EscalateView(FindingFormView):
    """The next letter on the ladder 提示函 → 意见书 → 建议书 (the last to the labour administration)."""

    form_class = f.EscalateForm
    permission = "legal_checkup.escalate"

    def label_for(self, finding):
        if finding.escalation < len(Letter.LADDER):
            return _("发出%(kind)s（问题 %(code)s）") % {"kind": Letter.LADDER[finding.escalation].label,
                                                   "code": finding.item.code}
        return _("督促问题 %(code)s") % {"code": finding.item.code}

    def run(self, form):
        self.letter = services.escalate(finding=self.finding, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        letter = self.letter
        message = _("已发出%(kind)s，致 %(to)s，答复期限 %(due)s。") % {
            "kind": letter.get_kind_display(), "to": letter.addressee.name, "due": f"{letter.reply_due:%Y-%m-%d}"}
        if letter.kind == Letter.Kind.RECOMMENDATION:
            message += _("该问题已移交劳动行政部门。")
        return message


class ReplyView(FindingFormView):
    """The company's reply on a finding (its contact; or the team, for a reply received on paper)."""

    form_class = f.ReplyForm
    permission = None
    multipart = True

    def may(self, user):
        return user.has_perm("legal_checkup.reply", self.obj) or user.has_perm("legal_checkup.change_checkup", self.obj)

    def label_for(self, finding):
        return _("答复整改情况：%(code)s") % {"code": finding.item.code}

    def extra(self):
        from .services.common import redact_workers

        f_ = self.finding
        # The company's side: the finding as the report says it (names redacted), nothing internal.
        return {"finding_public": {"code": f_.item.code, "title": f_.item.title, "severity": f_.get_severity_display(),
                                   "legal_basis": f_.legal_basis, "found": redact_workers(f_.found),
                                   "recommendation": redact_workers(f_.recommendation), "due_on": f_.due_on,
                                   "status": f_.get_status_display()},
                "finding": None, "item": None}

    def run(self, form):
        data = dict(form.cleaned_data)
        files = data.pop("evidence", [])
        with transaction.atomic():
            reply = services.reply(finding=self.finding, actor=self.request.user, **data)
            for upload in files:
                services.add_evidence(actor=self.request.user, file=upload, reply=reply)
        self.reply, self.files = reply, files

    def success_message(self):
        message = _("已答复问题 %(code)s：%(state)s。") % {
            "code": self.finding.item.code, "state": _("已完成整改") if self.reply.done else _("整改中")}
        if self.files:
            message += _("上传材料 %(n)d 份。") % {"n": len(self.files)}
        return message


class LetterReplyView(CheckupFormView):
    form_class = f.LetterReplyForm
    permission = None
    side_template = "legal_checkup/letter_side.html"

    def load(self, lpk, **kwargs):
        letters = Letter.objects.filter(finding__checkup=self.obj).select_related("finding__item", "addressee")
        if is_company_contact(self.request.user):
            letters = letters.filter(addressee=self.obj.company)  # the recommendation goes to the labour bureau
        self.letter = get_object_or_404(letters, pk=lpk)
        self.label = _("登记%(kind)s的答复") % {"kind": self.letter.get_kind_display()}
        self.anchor = f"#finding-{self.letter.finding_id}"

    def may(self, user):
        return user.has_perm("legal_checkup.reply", self.obj) or user.has_perm("legal_checkup.escalate", self.obj)

    def extra(self):
        return {"letter": self.letter}

    def run(self, form):
        services.letter_reply(letter=self.letter, actor=self.request.user, **form.cleaned_data)

    def success_message(self):
        return _("已登记%(kind)s的答复。") % {"kind": self.letter.get_kind_display()}


# --- downloads -----------------------------------------------------------------------------------------


class EvidenceDownloadView(View):
    """An evidence file with its SHA-256. Union staff: any on a checkup they see; a company contact:
    only the files sent with their company's replies (never what the assessors examined)."""

    def get(self, request, pk, epk):
        if not request.user.is_authenticated:
            raise Http404
        checkup = get_object_or_404(selectors.visible_to(request.user), pk=pk)
        evidence = Evidence.objects.filter(pk=epk)
        if is_company_contact(request.user) or not is_staff_viewer(request.user):
            evidence = evidence.filter(reply__finding__checkup=checkup)
        else:
            evidence = evidence.filter(assessment__checkup=checkup) | evidence.filter(reply__finding__checkup=checkup)
        e = get_object_or_404(evidence)
        response = FileResponse(e.file.open("rb"), as_attachment=True, filename=e.name)
        response["X-Evidence-SHA256"] = e.sha256
        response["Cache-Control"] = "private, no-store"
        return response


class LetterDocumentView(View):
    """A supervision letter's PDF (the newest ready version): for the union, and for the company it
    is addressed to (the 建议书 goes to the labour administration, not to the company)."""

    def get(self, request, pk, lpk):
        from core import documents

        if not request.user.is_authenticated:
            raise Http404
        checkup = get_object_or_404(selectors.visible_to(request.user), pk=pk)
        letters = Letter.objects.filter(finding__checkup=checkup)
        if not is_staff_viewer(request.user):
            letters = letters.filter(addressee=checkup.company)
        letter = get_object_or_404(letters, pk=lpk)
        document = documents.documents_for(letter).filter(status="ready").order_by("-version").first()
        if document is None:
            raise Http404(_("该文书尚未生成。"))
        response = FileResponse(document.file.open("rb"), content_type="application/pdf", as_attachment=True,
                                filename=f"{document.number} {document.title}.pdf")
        response["X-Document-SHA256"] = document.sha256
        response["Cache-Control"] = "private, no-store"
        return response
