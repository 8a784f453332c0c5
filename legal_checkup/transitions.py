"""The Checkup machine's transitions, one declaration each (core/transitions.py says what is made
from them). The FSM edges are on `legal_checkup.models.Checkup`; the rules and data of each
transition are the service of the same name in `legal_checkup.services`."""

from django.utils.translation import gettext_lazy as _

from core import inputs
from core.notices import Field, Notice, RoleMembers, RoleOfOrganisation
from core.roles import Role, is_supervisor
from core.transitions import Machine, Transition

from .forms import FindingCommentsField
from .models import Checkup, ChecklistVersion, Profile
from .rules import checkup_staff, is_company_of, is_drafter, works_checkup

lead_or_supervisors = Field("lead").otherwise(RoleMembers(Role.SUPERVISOR))
company_contacts = RoleOfOrganisation(Role.COMPANY_CONTACT, "company")


def _published_versions():
    return ChecklistVersion.objects.filter(published_at__isnull=False).select_related("checklist")


SUBMITTED = Notice(
    "submitted_for_review", to=RoleMembers(Role.SUPERVISOR),
    text=_("法治体检 %(number)s（%(company)s）的报告已提交审核。"),
    context={"number": "number", "company": "company__name"},
)
RETURNED = Notice(
    "returned_for_changes", to=lead_or_supervisors,
    text=_("法治体检 %(number)s 的报告被退回修改：%(comment)s"),
    context={"number": "number", "comment": "review_comment"},
)
ISSUED = Notice(
    "issued", to=company_contacts,
    text=_("%(union)s 已向贵单位出具法治体检报告（%(number)s，等级 %(grade)s）。请登录查看报告、签收并逐项答复整改情况。"),
    context={"union": "union__name", "number": "number", "grade": "grade"},
)
ACKNOWLEDGED = Notice(
    "acknowledged", to=lead_or_supervisors,
    text=_("%(company)s 已签收法治体检报告 %(number)s，进入整改。"),
    context={"company": "company__name", "number": "number"},
)

machine = Machine(Checkup, subject="checkup", transitions=[
    Transition(
        "plan", label=_("制定体检计划"), style="primary", allowed=checkup_staff,
        inputs={
            "checklist_version": inputs.Model(_("清单版本"), queryset=_published_versions),
            "profile": inputs.Choice(_("评估类型"), choices=Profile.choices),
            "lead": inputs.User(_("检查组长"), roles=[Role.AUDITOR, Role.LAWYER, Role.SUPERVISOR]),
            "planned_on": inputs.Date(_("计划检查日期"), required=False, help_text=_("可以是将来的日期。")),
            "scope": inputs.Text(_("检查范围与方法"), multiline=True, required=False),
        },
        journal={"checklist_version": "checklist_version", "profile": "profile", "lead": "lead",
                 "planned_on": "planned_on"},
        documents=("engagement_notice",),
    ),
    Transition("start_fieldwork", label=_("开始现场检查"), style="primary", allowed=works_checkup,
               inputs={"started_on": inputs.Date(_("开始日期"), required=False, help_text=_("默认今天。"))},
               journal={"started_on": "fieldwork_started_on"}),
    Transition("compile_findings", label=_("汇总问题并计分"), style="primary", allowed=works_checkup,
               journal={"score": "score", "grade": "grade", "capped": "grade_capped"}),
    Transition("submit_for_review", label=_("提交审核"), style="primary", allowed=works_checkup,
               journal={"drafted_by": "drafted_by"}, notices=(SUBMITTED,)),
    # Four eyes: never the drafter (the service says why when asked anyway).
    Transition("approve", label=_("审核通过"), style="primary", allowed=is_supervisor & ~is_drafter,
               inputs={"approved_on": inputs.Date(_("审核日期"), required=False, help_text=_("默认今天。"))},
               journal={"approved_by": "approved_by", "approved_on": "approved_on"}),
    Transition(
        "return_for_changes", label=_("退回修改"), style="danger", allowed=is_supervisor,
        inputs={
            "comment_text": inputs.Text(_("审核意见"), multiline=True),
            "finding_comments": inputs.Rows(
                _("逐项意见（每行：事项编号 意见）"), required=False, form_field=FindingCommentsField,
                columns={"item": inputs.Text(_("事项编号"), max_length=40), "comment": inputs.Text(_("意见"))}),
        },
        journal={"review_comment": "review_comment"}, notices=(RETURNED,),
    ),
    Transition(
        "issue", label=_("出具报告"), style="primary", allowed=is_supervisor | works_checkup,
        inputs={"issued_on": inputs.Date(_("出具日期"), required=False, help_text=_("默认今天；整改期限自此起算。"))},
        journal={"issued_on": "issued_on", "score": "score", "grade": "grade"},
        notices=(ISSUED,), documents=("report", "rectification_notice"),
    ),
    Transition(
        "start_rectification", label=_("签收报告并开始整改"), style="primary", allowed=is_company_of | works_checkup,
        inputs={"acknowledged_on": inputs.Date(_("签收日期"), required=False, help_text=_("默认今天。"))},
        journal={"acknowledged_on": "acknowledged_on"}, notices=(ACKNOWLEDGED,),
    ),
    Transition("follow_up", label=_("开始复查"), style="primary", allowed=works_checkup,
               inputs={"follow_up_on": inputs.Date(_("复查日期"), required=False, help_text=_("默认今天。"))},
               journal={"follow_up_on": "follow_up_on"}),
    Transition("close", label=_("结束体检"), style="primary", allowed=works_checkup,
               journal={"final_score": "final_score", "final_grade": "final_grade"},
               documents=("follow_up_report",)),
    Transition("cancel", label=_("取消体检"), style="danger", allowed=checkup_staff,
               inputs={"reason": inputs.Text(_("取消原因"), multiline=True)}, journal={"reason": "cancel_reason"}),
], events={
    "create": _("登记体检申请"),
    "add_team_member": _("加入检查组"),
    "assess": _("评估事项"),
    "add_evidence": _("上传证据"),
    "edit_finding": _("修改问题"),
    "reply": _("企业答复"),
    "reassess": _("复查问题"),
    "escalate": _("发出监督文书"),
    "letter_reply": _("登记文书答复"),
    "due_reminder": _("整改到期提醒"),
    "overdue": _("整改逾期"),
})

