"""The Negotiation machine's transitions, one declaration each (core/transitions.py says what is
made from them). The FSM edges are on `bargaining.models.Negotiation`; the rules and data of each
transition are the service of the same name in `bargaining.services`. `take_effect` (15 days
after filing with no objection) and `expire` (the end of the term) are timed: the sweeps run them
over a queryset, and by hand they are the same code on one row."""

import datetime

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from core import inputs
from core.models import Organisation
from core.notices import Field, Notice, RoleMembers
from core.roles import Role
from core.transitions import Machine, Transition

from .forms import BallotsField
from .models import Negotiation, Vote
from .notices import EmployerContacts
from .rules import is_employer_contact, works_bargaining

officer_or_supervisors = Field("officer").otherwise(RoleMembers(Role.SUPERVISOR))


def _labor_bureaus():
    return Organisation.objects.filter(kind=Organisation.Kind.LABOR_BUREAU).order_by("name")


PROPOSAL_SENT = Notice(
    "proposal_sent", to=EmployerContacts(),
    text=_("%(union)s 就“%(title)s”向贵单位发出集体协商要约（%(number)s），请于 %(due)s 前书面回应。"),
    context={"union": "union__name", "title": "title", "number": "number", "due": "reply_due"},
)
PROPOSAL_ANSWERED = Notice(
    "proposal_answered", to=officer_or_supervisors,
    text=_("集体协商 %(number)s 的要约已获企业方书面回应：%(what)s。"),
    context={"number": "number"}, params={"what": _("同意协商")},
)
PROPOSAL_REFUSED = Notice(
    "proposal_refused", to=officer_or_supervisors,
    text=_("集体协商 %(number)s 的要约被企业方拒绝：%(reason)s"),
    context={"number": "number", "reason": "refusal_reason"},
)
VOTE_FAILED = Notice(
    "vote_failed", to=officer_or_supervisors,
    text=_("集体合同草案 %(number)s 未获表决通过，回到协商。"), context={"number": "number"},
)
OBJECTED = Notice(
    "objected", to=officer_or_supervisors,
    text=_("集体合同 %(number)s 被审查机关提出异议，回到协商：%(reason)s"),
    context={"number": "number", "reason": "objection_reason"},
)
TOOK_EFFECT = Notice(
    "took_effect", to=officer_or_supervisors + EmployerContacts(),
    text=_("集体合同 %(number)s 自 %(effective_on)s 起生效，期满日 %(expires_on)s。"),
    context={"number": "number", "effective_on": "effective_on", "expires_on": "expires_on"},
    digest=_("%(count)d 份集体合同已生效"),
)
EXPIRED = Notice(
    "expired", to=officer_or_supervisors,
    text=_("集体合同 %(number)s 已于 %(expires_on)s 期满。"),
    context={"number": "number", "expires_on": "expires_on"},
    digest=_("%(count)d 份集体合同已期满"),
)

def _effect_by_lapse(today):
    """No objection within the window: in force from the day after it ended (Art. 47), whenever
    the sweep runs; the term's end was counted from that day at filing."""
    return {"effective_on": F("objection_window_ends") + datetime.timedelta(days=1), "effect_basis": "lapse"}


reason = inputs.Text(_("理由"), multiline=True)
on_day = inputs.Date(_("日期"), required=False, help_text=_("默认今天。"))

machine = Machine(Negotiation, subject="negotiation", transitions=[
    Transition(
        "send_proposal", label=_("发出要约"), style="primary", allowed=works_bargaining,
        inputs={"proposed_on": inputs.Date(_("要约发出日期"), required=False,
                                           help_text=_("默认今天；书面回应期限自此按法定日历计算。"))},
        journal={"proposed_on": "proposed_on", "reply_due": "reply_due", "provisional": "reply_due_provisional"},
        notices=(PROPOSAL_SENT,), documents=("proposal",),
    ),
    Transition(
        # The employer side answers: its company contact through the site, or staff who received it.
        "accept_proposal", label=_("同意协商"), style="primary", allowed=works_bargaining | is_employer_contact,
        inputs={"replied_on": on_day, "reply_text": inputs.Text(_("回应意见"), multiline=True, required=False)},
        journal={"replied_on": "replied_on", "reply_due": "reply_due"},
        notices=(PROPOSAL_ANSWERED,), documents=("reply",),
    ),
    Transition(
        "refuse_proposal", label=_("拒绝要约"), style="danger", allowed=works_bargaining | is_employer_contact,
        inputs={"reason": inputs.Text(_("拒绝理由"), multiline=True), "replied_on": on_day},
        journal={"reason": "refusal_reason", "replied_on": "replied_on"},
        notices=(PROPOSAL_REFUSED,), documents=("reply",),
    ),
    Transition("suspend", label=_("中止协商"), allowed=works_bargaining, inputs={"reason": reason},
               journal={"reason": "suspension_reason"}),
    Transition("resume", label=_("恢复协商"), style="primary", allowed=works_bargaining),
    Transition(
        "draft_agreement", label=_("拟定合同草案"), style="primary", allowed=works_bargaining,
        inputs={"note": inputs.Text(_("说明"), max_length=200, required=False)},
        documents=("draft_contract",),
    ),
    Transition("submit_for_vote", label=_("提交表决"), style="primary", allowed=works_bargaining),
    Transition(
        "record_vote", label=_("登记表决结果"), style="primary", allowed=works_bargaining,
        inputs={
            "held_on": inputs.Date(_("表决日期"), required=False, help_text=_("默认今天。")),
            "method": inputs.Choice(_("表决方式"), choices=Vote.Method.choices),
            "attendance": inputs.Integer(_("实到人数（现场计票）"), min_value=0, required=False),
            "approvals": inputs.Integer(_("赞成票（现场计票）"), min_value=0, required=False),
            "ballots": inputs.Rows(
                _("逐人投票（每行：名册编号 赞成/不赞成）"), required=False, form_field=BallotsField,
                columns={"elector": inputs.Text(_("名册编号"), max_length=40), "approve": inputs.Boolean(_("赞成"))},
                help_text=_("只记录谁参加了表决，不记录每人的投票内容。"),
            ),
        },
        notices=(VOTE_FAILED,), documents=("vote_record",),
    ),
    Transition(
        "sign", label=_("签订合同"), style="primary", allowed=works_bargaining,
        inputs={"signed_on": on_day, "term_years": inputs.Integer(_("合同期限（年）"), min_value=1)},
        journal={"signed_on": "signed_on", "term_years": "term_years", "filing_due": "filing_due"},
        documents=("contract",),
    ),
    Transition(
        "file", label=_("报送审查"), style="primary", allowed=works_bargaining,
        inputs={"filed_on": on_day,
                "authority": inputs.Model(_("劳动行政部门"), queryset=_labor_bureaus, api_queryset=Organisation.objects.all)},
        journal={"filed_on": "filed_on", "late": "filed_late", "authority": "filing_authority",
                 "objection_window_ends": "objection_window_ends"},
        documents=("filing_pack",),
    ),
    Transition(
        # By hand: the reviewer's written no-objection. The sweep: the objection window passed.
        "take_effect", label=_("合同生效"), style="primary", allowed=works_bargaining,
        inputs={"no_objection_on": inputs.Date(
            _("审查机关无异议日期"), required=False,
            help_text=_("留空：报送审查后法定期限内未提出异议，合同依法自期满次日生效。"))},
        changes=_effect_by_lapse,
        journal={"effective_on": "effective_on", "basis": "effect_basis", "expires_on": "expires_on"},
        notices=(TOOK_EFFECT,),
    ),
    Transition(
        "object", label=_("登记审查异议"), style="danger", allowed=works_bargaining,
        inputs={"reason": inputs.Text(_("审查意见"), multiline=True), "objected_on": on_day},
        journal={"reason": "objection_reason"}, notices=(OBJECTED,),
    ),
    Transition(
        "expire", label=_("合同期满"), style="danger", allowed=works_bargaining,
        changes=lambda today: {}, journal={"expires_on": "expires_on"}, notices=(EXPIRED,),
    ),
], events={
    "create": _("登记"),
    "edit": _("修改登记信息"),
    "set_negotiator": _("登记协商代表"),
    "vacate_seat": _("协商代表出缺"),
    "set_topic": _("登记议题"),
    "record_round": _("记录协商会议"),
    "import_order_statistics": _("导入订单统计"),
    "revise_contract": _("修改合同文本"),
    "set_electorate": _("登记表决名册"),
    "reply_overdue": _("要约逾期未回应"),
    "renewal_due": _("合同即将期满"),
    "start_renewal": _("启动续订"),
})
