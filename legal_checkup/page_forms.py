"""Forms of the check-up pages for the steps that are not transitions (the transitions' forms are
made from legal_checkup/transitions.py): a new checkup, a team member, an item's assessment with
its evidence, a finding's text, its re-assessment, the next supervision letter, the company's
reply, a letter's reply; and the supervisors' checklist versions and items.

A form only parses; every rule about the values is in legal_checkup.services (the same for the API).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.inputs import DATE_INPUT, DateFormField, InputForm, ModelChoice, TextFormField, UserChoiceField, staff_users
from core.models import Organisation
from core.roles import Role

from .models import CheckupState, Profile, Result, Severity

GRADE_CHOICES = [("", _("全部")), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]
AUDITOR_ROLES = (Role.AUDITOR, Role.LAWYER, Role.LEGAL_AID_VOLUNTEER, Role.SUPERVISOR)


def comment_field():
    return TextFormField(label=_("备注"), required=False, multiline=True, widget=forms.Textarea(attrs={"rows": 2}))


def text_area(label, *, rows=3, required=False, **kw):
    return TextFormField(label=label, required=required, multiline=True, widget=forms.Textarea(attrs={"rows": rows}), **kw)


class CheckupFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("体检编号或企业名称"), "type": "search"}))
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(CheckupState.choices))
    company = ModelChoice(label=_("受检企业"), required=False, empty_label=_("全部"),
                                     queryset=Organisation.objects.none())
    grade = forms.ChoiceField(label=_("等级"), required=False, choices=GRADE_CHOICES)

    def __init__(self, *args, companies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies if companies is not None else Organisation.objects.none()


class CheckupForm(forms.Form):
    """A request for a check-up (services.create_checkup)."""

    company = ModelChoice(label=_("受检企业"), queryset=Organisation.objects.none(),
                                     help_text=_("平台企业、平台代理商、加盟商或劳务派遣单位。"))
    union = ModelChoice(label=_("实施体检的工会"), required=False, queryset=Organisation.objects.none(),
                                   empty_label=_("（本人所在工会）"))
    reason = text_area(_("体检缘由"), help_text=_("例如：年度法治体检计划、劳动者投诉集中、企业申请。"))
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every organisation is offered: the service says why one that is not an employer cannot be audited.
        self.fields["company"].queryset = Organisation.objects.exclude(kind=Organisation.Kind.UNION).order_by("name")
        self.fields["union"].queryset = Organisation.objects.filter(kind=Organisation.Kind.UNION).order_by("name")


class TeamMemberForm(InputForm):
    """A member of the audit team (services.add_team_member: the conflict check)."""

    member = UserChoiceField(label=_("检查组成员"), queryset=get_user_model().objects.none())
    comment = comment_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        checkup = self.subject
        taken = [checkup.lead_id, *checkup.team.values_list("pk", flat=True)]
        self.fields["member"].queryset = staff_users(*AUDITOR_ROLES).exclude(pk__in=[pk for pk in taken if pk])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Any number of files (each at most the evidence limit), checked before anything is written."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("可多选；每个文件不超过 %(mb)d MB，系统记录其 SHA-256 与上传时间。") % {
            "mb": settings.WEIQUAN_EVIDENCE_MAX_BYTES // (1024 * 1024)})
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            files = [single(d, initial) for d in data if d]
        else:
            files = [single(data, initial)] if data else []
        errors = []
        for f in files:
            if not f.size:
                errors.append(_("文件 %(name)s 是空的。") % {"name": f.name})
            elif f.size > settings.WEIQUAN_EVIDENCE_MAX_BYTES:
                errors.append(_("文件 %(name)s 超过 %(mb)d MB。") % {"name": f.name, "mb": settings.WEIQUAN_EVIDENCE_MAX_BYTES // (1024 * 1024)})
        if errors:
            raise forms.ValidationError(errors)
        return files


class AssessForm(InputForm):
    """One item's result in the fieldwork (services.assess) and the files examined (add_evidence).
    The notes and the interviews are union-internal: they never reach the company or a document."""

    result = forms.ChoiceField(label=_("评估结论"), choices=[("", "—")] + list(Result.choices),
                               error_messages={"required": _("请选择评估结论。")})
    not_applicable_reason = TextFormField(label=_("不适用理由"), max_length=300, required=False,
                                          help_text=_("结论为“不适用”时必填。"))
    examined = TextFormField(label=_("查阅情况"), max_length=300, required=False,
                             help_text=_("写入报告：如“劳动合同 抽查12份/共40份”。不得填写劳动者身份证号码或手机号码。"))
    sample_checked = forms.IntegerField(label=_("抽查数"), required=False, min_value=0)
    sample_total = forms.IntegerField(label=_("总数"), required=False, min_value=0)
    notes = text_area(_("评估人员备注（内部）"), help_text=_("仅工会方可见，不进入报告。"))
    interviews = text_area(_("访谈劳动者记录（内部）"), help_text=_("仅工会方可见，不进入报告。"))
    evidence = EvidenceFilesField(label=_("证据材料"))
    comment = comment_field()

    def __init__(self, *args, assessment=None, **kwargs):
        if assessment is not None:
            kwargs.setdefault("initial", {
                "result": assessment.result, "not_applicable_reason": assessment.not_applicable_reason,
                "examined": assessment.examined, "sample_checked": assessment.sample_checked,
                "sample_total": assessment.sample_total, "notes": assessment.notes,
                "interviews": assessment.interviews})
        super().__init__(*args, **kwargs)


class FindingForm(InputForm):
    """A finding's text while the report is drafted (services.edit_finding)."""

    found = text_area(_("发现的问题"), rows=4, required=True,
                      help_text=_("写入报告：不得包含劳动者身份证号码或手机号码；已登记劳动者的姓名出具时自动隐去。"))
    risk = text_area(_("法律风险"))
    recommendation = text_area(_("整改建议"))
    comment = comment_field()

    def __init__(self, *args, finding=None, **kwargs):
        if finding is not None:
            kwargs.setdefault("initial", {"found": finding.found, "risk": finding.risk,
                                          "recommendation": finding.recommendation})
        super().__init__(*args, **kwargs)


class ReassessForm(InputForm):
    """The follow-up's re-assessment of a finding (services.reassess)."""

    result = forms.ChoiceField(label=_("复查结论"), choices=[("", "—")] + [
        c for c in Result.choices if c[0] != Result.NOT_APPLICABLE], error_messages={"required": _("请选择复查结论。")})
    note = text_area(_("复查说明"), help_text=_("写入复查报告。"))
    reassessed_on = DateFormField(label=_("复查日期"), required=False, widget=DATE_INPUT, help_text=_("默认今天。"))
    comment = comment_field()


class ItemReassessForm(InputForm):
    """At the follow-up, an item without a finding re-assessed (the whole checklist, when chosen)."""

    result = forms.ChoiceField(label=_("复查结论"), choices=[("", "—")] + list(Result.choices),
                               error_messages={"required": _("请选择复查结论。")})
    comment = comment_field()


class EscalateForm(InputForm):
    """The next supervision letter on an overdue finding (services.escalate)."""

    issued_on = DateFormField(label=_("发出日期"), required=False, widget=DATE_INPUT, help_text=_("默认今天。"))
    comment = comment_field()


class ReplyForm(InputForm):
    """The company's reply on a finding (services.reply) and its evidence (add_evidence)."""

    plan = text_area(_("整改措施"), rows=4, required=True)
    responsible = TextFormField(label=_("责任人"), max_length=100, help_text=_("部门与职务，如“人力资源部 经理”。"))
    target_on = DateFormField(label=_("计划完成日期"), past=False, widget=DATE_INPUT)
    done = forms.BooleanField(label=_("已完成整改"), required=False)
    evidence = EvidenceFilesField(label=_("整改材料"))
    comment = comment_field()


class LetterReplyForm(InputForm):
    """The addressee's reply to a supervision letter (services.letter_reply)."""

    reply_text = text_area(_("答复内容"), rows=4, required=True)
    replied_on = DateFormField(label=_("答复日期"), required=False, widget=DATE_INPUT, help_text=_("默认今天。"))
    comment = comment_field()


# --- checklists (supervisors) ------------------------------------------------------------------------


class NewVersionForm(forms.Form):
    note = TextFormField(label=_("修订说明"), max_length=200, required=False)


class ImportForm(forms.Form):
    """A checklist file (JSON, CSV or XLSX) to become a new version (services.import_checklist)."""

    file = forms.FileField(label=_("清单文件"), help_text=_("JSON、CSV（UTF-8 或 GBK）或 XLSX；列名可用中文或英文。"),
                           error_messages={"required": _("请选择要导入的清单文件。")})
    note = TextFormField(label=_("修订说明"), max_length=200, required=False)


class ItemForm(forms.Form):
    """An item of an unpublished version, added or changed by its code (services.set_item)."""

    code = TextFormField(label=_("编号"), max_length=40)
    title = TextFormField(label=_("检查事项"), max_length=300)
    legal_basis = TextFormField(label=_("法律依据"), max_length=300)
    severity = forms.ChoiceField(label=_("风险等级"), choices=Severity.choices)
    guidance = text_area(_("检查指引"))
    questions = text_area(_("询问要点"))
    evidence = text_area(_("查阅材料"))
    company_kinds = forms.MultipleChoiceField(
        label=_("适用企业类型"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(k.value, k.label) for k in Organisation.EMPLOYER_KINDS], help_text=_("不选：适用于全部类型。"))
    profiles = forms.MultipleChoiceField(label=_("适用评估"), required=False, widget=forms.CheckboxSelectMultiple,
                                         choices=Profile.choices, help_text=_("不选：基础评估与深度评估都适用。"))
    order = forms.IntegerField(label=_("排序"), required=False, min_value=0)

    def __init__(self, *args, item=None, **kwargs):
        if item is not None:
            kwargs.setdefault("initial", {f: getattr(item, f) for f in (
                "code", "title", "legal_basis", "severity", "guidance", "questions", "evidence", "company_kinds",
                "profiles", "order")})
        super().__init__(*args, **kwargs)

    def service_values(self):
        data = dict(self.cleaned_data)
        if data.get("order") is None:
            data.pop("order", None)
        return data
