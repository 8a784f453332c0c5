"""The Case machine's transitions, one declaration each (core/transitions.py says what is made
from them). The FSM edges are on `casework.models.Case`; the rules and data of each transition are
the service of the same name in `casework.services`."""

from django.utils.translation import gettext_lazy as _

from core import inputs
from core.models import Organisation
from core.roles import Role, is_intake_officer, is_lawyer, is_supervisor
from core.transitions import Machine, Transition

from .models import Case
from .rules import can_work_case, is_case_handler, is_case_legal_aid

screeners = is_intake_officer | is_supervisor


def _mediation_organisations():
    return Organisation.objects.filter(kind__in=[Organisation.Kind.MEDIATION_ORGANISATION, Organisation.Kind.UNION])


def _courts():
    return Organisation.objects.filter(kind=Organisation.Kind.COURT)


machine = Machine(Case, subject="case", transitions=[
    Transition("start_screening", label=_("开始审查"), style="primary", allowed=screeners),
    Transition(
        "accept", label=_("受理"), style="primary", allowed=screeners,
        inputs={
            "override_limitation": inputs.Boolean(_("时效例外受理（仅主管）")),
            "override_reason": inputs.Text(_("例外理由"), multiline=True, required=False),
            "accepted_on": inputs.HappenedOn(_("受理日期"), help_text=_(
                "默认今天；事后补记的，填写实际受理日期（不早于登记日期，不晚于今天）；时效按该日判断。")),
        },
        journal={"limitation_ends_on": "limitation_ends_on", "limitation_overridden": "limitation_overridden",
                 "override_reason": "limitation_override_reason", "is_group": "is_group"},
        documents=("intake_record",),
    ),
    Transition(
        "reject", label=_("不予受理"), style="danger", allowed=screeners,
        inputs={"reason": inputs.Text(_("不予受理理由"), multiline=True)},
        journal={"reason": "rejection_reason"},
    ),
    Transition("provide_consultation", label=_("提供法律咨询"), style="primary",
               allowed=is_intake_officer | is_lawyer | is_supervisor),
    Transition(
        "assign_legal_aid", label=_("指派法律援助"), style="primary", allowed=is_supervisor,
        inputs={"lawyer": inputs.User(_("律师/志愿者"), roles=[Role.LAWYER, Role.LEGAL_AID_VOLUNTEER])},
        journal={"lawyer": "legal_aid_by"},
    ),
    Transition(
        "refer_to_mediation", label=_("转调解"),
        allowed=is_intake_officer | is_supervisor | is_case_handler | is_case_legal_aid,
        inputs={"mediator_organisation": inputs.Model(_("调解组织"), queryset=_mediation_organisations,
                                                      api_queryset=Organisation.objects.all, required=False)},
    ),
    Transition(
        "refer_to_arbitration", label=_("申请仲裁"),
        allowed=is_lawyer | is_supervisor | is_case_handler | is_case_legal_aid,
        inputs={"commission": inputs.Text(_("劳动人事争议仲裁委员会"), max_length=200, required=False)},
    ),
    Transition(
        "file_lawsuit", label=_("提起诉讼"), allowed=is_lawyer | is_supervisor | is_case_legal_aid,
        inputs={"court": inputs.Model(_("人民法院"), queryset=_courts, api_queryset=Organisation.objects.all, required=False)},
    ),
    Transition(
        "resolve", label=_("登记办理结果"), style="primary", allowed=can_work_case,
        inputs={
            "outcome": inputs.Choice(_("处理结果"), choices=Case.Outcome.choices),
            "amount_recovered": inputs.Money(_("挽回金额（元）"), min_value=0),
            "outcome_detail": inputs.Text(_("结果说明"), multiline=True, required=False),
        },
        journal={"outcome": "outcome", "amount_recovered": "amount_recovered"},
    ),
    Transition("close", label=_("结案"), style="primary", allowed=is_supervisor | is_case_handler,
               documents=("closing_report",)),
    Transition(
        "reopen", label=_("重新审查"), style="danger", allowed=is_supervisor,
        inputs={"reason": inputs.Text(_("重新审查理由"), multiline=True)},
    ),
], events={
    "create": _("登记案件"),
    "edit": _("修改登记信息"),
    "add_evidence": _("上传证据"),
    "reassign_handler": _("更换承办人"),
    "reassign_legal_aid": _("更换援助律师/志愿者"),
})
