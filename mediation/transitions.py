"""The Mediation machine's transitions, one declaration each (core/transitions.py says what is
made from them). The FSM edges are on `mediation.models.Mediation`; the rules and data of each
transition are the service of the same name in `mediation.services`. `expire`, `fulfil` and
`default` are timed: the sweeps run them over a queryset (`changes` is what they write), and by
hand they are the same code on one row, so both journal, notify and issue documents alike."""

from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from core import inputs
from core.models import Organisation
from core.notices import Field, Notice, RoleMembers, RoleOfOrganisation, money
from core.roles import Role, is_mediator, is_supervisor
from core.transitions import Machine, Transition
from core.legal_figures import PAYMENT_ORDER_AGREEMENT_BASES

from .forms import InstalmentsField, WorkloadMixin
from .models import COURT_SOURCES, Agreement, Mediation, MediationState, Procedure
from .rules import NEXT_STEP_TEXT, is_liaison_of_its_court, works_mediation

S = MediationState
EXPIRY_REASON = _("调解期限届满未达成调解协议。")
mediator_or_supervisors = Field("mediator").otherwise(RoleMembers(Role.SUPERVISOR))


def _courts():
    return Organisation.objects.filter(kind=Organisation.Kind.COURT).order_by("name")


def _mediation_organisations():
    return Organisation.objects.filter(kind__in=[Organisation.Kind.MEDIATION_ORGANISATION, Organisation.Kind.UNION])


def returned_to_court(what):
    """A court referral that ends without agreement goes back to the court: its liaisons hear."""
    return Notice(
        "returned_to_court", to=RoleOfOrganisation(Role.COURT_LIAISON, "court"), when=Q(source__in=COURT_SOURCES),
        text=_("%(court)s 委派/委托的调解 %(number)s（案号 %(court_case_number)s）%(what)s，已退回法院依法处理。"),
        context={"court": "court__name", "number": "number", "court_case_number": "court_case_number"},
        params={"what": what},
        digest=_("%(count)d 件委派/委托调解已退回法院"),
    )


EXPIRED = Notice(
    "expired", to=mediator_or_supervisors,
    text=_("调解 %(number)s 的期限已于 %(deadline)s 届满，未达成调解协议，调解终结；调解终结书已生成。"),
    context={"number": "number", "deadline": "deadline"},
    digest=_("%(count)d 件调解期满未达成协议，调解终结"),
)
CONFIRMATION_REJECTED = Notice(
    "confirmation_rejected:%(ruling_date)s", to=Field("mediator"),
    text=_("调解 %(number)s 的司法确认申请被驳回：%(reason)s。双方可变更原协议或达成新协议（恢复调解），也可申请仲裁或起诉。"),
    context={"number": "number", "reason": "confirmation_rejection_reason", "ruling_date": "ruling_date"},
)
DEFAULTED = Notice(
    "defaulted", to=mediator_or_supervisors,
    text=_("调解 %(number)s 的协议未按期履行（已履行 %(paid)s，协议总额 %(total)s）。下一步：%(next)s"),
    context={"number": "number", "paid": ("agreement__amount_paid", money), "total": ("agreement__total", money),
             "next": ("next_step", lambda step: str(NEXT_STEP_TEXT.get(step, "")))},
    digest=_("%(count)d 件调解协议未按期履行"),
)


def _ended(today):
    """What a mediation ending without agreement writes (a court referral goes back to the court)."""
    return {"ended_on": today,
            "returned_to_court_on": Case(When(source__in=COURT_SOURCES, then=Value(today)), default=None)}


def _default_changes(today):
    payment_order = Exists(Agreement.objects.filter(pk=OuterRef("agreement_id"), basis__in=PAYMENT_ORDER_AGREEMENT_BASES))
    return {
        "defaulted_on": today,
        # After a default: enforce a confirmed agreement; a payment order for pay, injury costs and
        # compensation (LDMAL Art. 16); else arbitrate or sue on it. (SET reads the row before it.)
        "next_step": Case(
            When(Q(state=S.CONFIRMED) | ~Q(ruling_number=""), then=Value("enforcement")),
            When(payment_order, then=Value("payment_order")),
            default=Value("arbitration"),
        ),
    }


reason = inputs.Text(_("理由"), multiline=True)

machine = Machine(Mediation, subject="mediation", transitions=[
    Transition(
        "accept", label=_("受理"), style="primary", allowed=is_mediator | is_supervisor,
        inputs={
            "accepted_on": inputs.HappenedOn(_("受理日期"), help_text=_("默认今天；调解期限自受理日起按法定日历计算。")),
            "procedure": inputs.Choice(_("适用程序（诉中委托调解）"), choices=Procedure.choices, required=False,
                                       help_text=_("诉中委托调解：普通程序与简易程序的调解期限不同。")),
            "organisation": inputs.Model(_("调解组织"), queryset=_mediation_organisations,
                                         api_queryset=Organisation.objects.all, required=False,
                                         help_text=_("默认：您所在的工会或调解中心。")),
        },
        journal={"accepted_on": "accepted_on", "deadline": "deadline", "provisional": "deadline_provisional"},
        documents=("acceptance_notice",),
    ),
    Transition(
        "decline", label=_("不予受理"), style="danger", allowed=is_mediator | is_supervisor,
        inputs={"reason": reason, "ended_on": inputs.HappenedOn(_("决定日期"))},
        journal={"reason": "decline_reason", "ended_on": "ended_on", "returned_to_court_on": "returned_to_court_on"},
        notices=(returned_to_court(_("不予受理")),),
    ),
    Transition(
        "assign_mediator", label=_("指定调解员"), style="primary", allowed=is_mediator | is_supervisor,
        inputs={"mediator": inputs.User(_("调解员"), roles=[Role.MEDIATOR])},
        journal={"mediator": "mediator"}, form_bases=(WorkloadMixin,),
    ),
    Transition(
        "extend", label=_("延长调解期限"), allowed=works_mediation,
        inputs={
            "days": inputs.Integer(_("延长天数"), min_value=1),
            "claimant_consent_on": inputs.Date(_("申请人同意日期"), null=True),
            "respondent_consent_on": inputs.Date(_("被申请人同意日期"), null=True),
            "consent_note": inputs.Text(_("同意情况说明"), multiline=True, required=False),
        },
        journal={"deadline": "deadline"},
    ),
    Transition(
        "reach_agreement", label=_("达成调解协议"), style="primary", allowed=works_mediation,
        inputs={
            "total": inputs.Money(_("协议总额（元）")),
            "basis": inputs.Choice(_("款项性质"), choices=Agreement.Basis.choices,
                                   help_text=_("劳动报酬、工伤医疗费、经济补偿或赔偿金：未履行时可申请支付令。")),
            "instalments": inputs.Rows(
                _("分期履行（履行期限、金额）"), required=False, form_field=InstalmentsField,
                columns={"due_on": inputs.Date(_("履行期限"), past=False), "amount": inputs.Money(_("金额（元）"))},
                help_text=_("一次付清即填一期；各期合计须等于协议总额。"),
            ),
            "obligations": inputs.Text(_("非金钱义务"), multiline=True, required=False),
            "terms": inputs.Text(_("其他约定"), multiline=True, required=False),
            "signed_on": inputs.HappenedOn(_("签订日期"), help_text=_("默认今天；不早于本期调解起算日。")),
            "effective_on": inputs.Date(_("生效日期"), required=False, past=False, help_text=_("默认签订日。")),
        },
        journal={"agreement": "agreement", "total": "agreement__total", "basis": "agreement__basis",
                 "signed_on": "agreement__signed_on", "effective_on": "agreement__effective_on"},
        documents=("agreement",),
    ),
    Transition(
        "fail", label=_("调解终结"), style="danger", allowed=works_mediation,
        inputs={"reason": reason, "ended_on": inputs.HappenedOn(_("调解终结日期"))},
        journal={"reason": "failure_reason", "ended_on": "ended_on", "returned_to_court_on": "returned_to_court_on"},
        notices=(returned_to_court(_("调解不成")),), documents=("termination_notice",),
    ),
    Transition(
        # The deadline sweep does this over every mediation that ran out; a supervisor may by hand.
        "expire", label=_("期满终结"), style="danger", allowed=is_supervisor,
        changes=lambda today: {"failure_reason": str(EXPIRY_REASON), "expired": True, **_ended(today)},
        journal={"deadline": "deadline", "returned_to_court_on": "returned_to_court_on"},
        notices=(EXPIRED, returned_to_court(_("期满未达成协议"))), documents=("termination_notice",),
    ),
    Transition(
        "withdraw", label=_("撤回"), allowed=is_mediator | is_supervisor,
        inputs={"reason": inputs.Text(_("撤回理由（哪一方撤回）"), multiline=True),
                "ended_on": inputs.HappenedOn(_("撤回日期"))},
        journal={"reason": "withdrawal_reason", "ended_on": "ended_on", "returned_to_court_on": "returned_to_court_on"},
        notices=(returned_to_court(_("已撤回")),), documents=("termination_notice",),
    ),
    Transition(
        "request_confirmation", label=_("申请司法确认"), style="primary", allowed=works_mediation,
        inputs={"court": inputs.Model(_("受理司法确认的人民法院"), queryset=_courts, required=False,
                                      help_text=_("默认：委派/委托法院。")),
                "requested_on": inputs.HappenedOn(_("申请日期"), help_text=_(
                    "默认今天；事后补记的，填写双方实际提出申请的日期（不早于协议签订日期，不晚于今天）；"
                    "是否在申请期限内按该日判断。"))},
        journal={"court": "confirmation_court", "requested_on": "confirmation_requested_on"},
        documents=("confirmation_application",),
    ),
    Transition(
        # The court's ruling is reported by its liaison, or recorded by the mediator who received it.
        "confirm", label=_("登记确认裁定"), style="primary", allowed=works_mediation | is_liaison_of_its_court,
        inputs={"ruling_number": inputs.Text(_("裁定书文号"), max_length=100), "ruling_date": inputs.Date(_("裁定日期"))},
        journal={"ruling_number": "ruling_number", "ruling_date": "ruling_date"},
    ),
    Transition(
        "reject_confirmation", label=_("登记驳回裁定"), style="danger", allowed=works_mediation | is_liaison_of_its_court,
        inputs={
            "reason": inputs.Text(_("驳回理由"), multiline=True),
            "ruling_number": inputs.Text(_("裁定书文号"), max_length=100, required=False),
            "ruling_date": inputs.Date(_("裁定日期"), required=False),
        },
        journal={"reason": "confirmation_rejection_reason", "ruling_number": "ruling_number", "ruling_date": "ruling_date"},
        notices=(CONFIRMATION_REJECTED,),
    ),
    Transition("resume", label=_("恢复调解"), allowed=works_mediation,
               journal={"period_started_on": "period_started_on", "deadline": "deadline"}),
    Transition(
        # The performance sweep does these two set-based (mediation/services/sweeps.py).
        "fulfil", label=_("履行完毕"), style="primary", allowed=works_mediation,
        changes=lambda today: {"fulfilled_on": today},
        journal={"total": "agreement__total", "paid": "agreement__amount_paid"},
    ),
    Transition(
        "default", label=_("认定未履行"), style="danger", allowed=works_mediation, changes=_default_changes,
        journal={"next_step": "next_step", "total": "agreement__total", "paid": "agreement__amount_paid"},
        notices=(DEFAULTED,),
    ),
], events={
    "create": _("登记"),
    "edit": _("修改登记信息"),
    "record_session": _("记录调解"),
    "record_payment": _("登记履行款项"),
    "recuse": _("调解员回避"),
    "reassign_mediator": _("改派调解员"),
    "recount_deadline": _("按节假日数据重算期限"),
})
