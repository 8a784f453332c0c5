"""CaseFlow: who works a dispute case in each state (the inbox's routing; see core/workflow.py).

One `StateTask` per state that calls for human work; the `dispatch` Switch picks it from the case's
state. The tasks follow the journal, so they are right whoever moved the case (screen, API, admin,
Celery). Assignment comes from the case itself: the handler (承办人), or in legal aid the lawyer or
volunteer (援助律师/志愿者); when that person cannot act, the task waits, unassigned, for anyone in
its `pool` to claim it. Supervisors see and reassign everything.
"""

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from core import roles as p
from core.workflow import StateFlow, StateTask, in_state

from . import services
from .models import Case, CaseState as S

# Every task a handler does; a legal-aid task is the lawyer's or volunteer's.
HANDLER_POOL_SCREENING = p.is_intake_officer | p.is_supervisor
HANDLER_POOL_WORKING = p.is_intake_officer | p.is_lawyer | p.is_supervisor


def _reassign_handler(case, actor, user):
    return services.reassign_handler(case=case, actor=actor, handler=user)


def _reassign_legal_aid(case, actor, user):
    return services.reassign_legal_aid(case=case, actor=actor, lawyer=user)


def _handler_task(title, description, pool):
    return StateTask(
        title=title, description=description, assignee="handler", pool=pool, reassign=_reassign_handler,
        candidates=[p.Role.INTAKE_OFFICER, p.Role.LAWYER, p.Role.MEDIATOR, p.Role.SUPERVISOR],
    )


class CaseFlow(StateFlow):
    """维权案件办理

    Routes the work each state of a dispute case calls for to the person who does it.
    """

    model = Case
    url_name = "casework:cases:detail"

    start = flow.StartHandle(this.begin).Annotation(title=_("登记案件")).Next(this.dispatch)

    dispatch = (
        flow.Switch()
        .Annotation(title=_("按案件状态分派"))
        .Case(this.triage, in_state(S.RECEIVED))
        .Case(this.screen, in_state(S.SCREENING))
        .Case(this.choose_path, in_state(S.ACCEPTED))
        .Case(this.consult, in_state(S.CONSULTING))
        .Case(this.legal_aid, in_state(S.LEGAL_AID))
        .Case(this.follow_mediation, in_state(S.IN_MEDIATION))
        .Case(this.follow_arbitration, in_state(S.IN_ARBITRATION))
        .Case(this.follow_litigation, in_state(S.IN_LITIGATION))
        .Case(this.close_file, in_state(S.RESOLVED))
        .Default(this.end)  # rejected, closed: nothing to do (a supervisor may reopen)
    )

    triage = _handler_task(_("开始审查"), _("新登记的投诉：核对当事人和请求，开始审查。"), HANDLER_POOL_SCREENING).Next(this.dispatch)
    screen = _handler_task(_("审查并决定是否受理"), _("受理或不予受理（说明理由）。"), HANDLER_POOL_SCREENING).Next(this.dispatch)
    choose_path = _handler_task(
        _("确定处理方式"), _("法律咨询、法律援助、调解或仲裁。"), HANDLER_POOL_WORKING
    ).Next(this.dispatch)
    consult = _handler_task(_("提供法律咨询"), _("答复后登记处理结果。"), HANDLER_POOL_WORKING).Next(this.dispatch)
    legal_aid = StateTask(
        title=_("法律援助办理"), description=_("代理调解、仲裁或诉讼，办结后登记结果。"),
        assignee="legal_aid_by", pool=p.is_lawyer, reassign=_reassign_legal_aid,
        candidates=[p.Role.LAWYER, p.Role.LEGAL_AID_VOLUNTEER],
    ).Next(this.dispatch)
    follow_mediation = _handler_task(_("跟进调解"), _("调解成功或失败后登记结果或转仲裁、诉讼。"), HANDLER_POOL_WORKING).Next(this.dispatch)
    follow_arbitration = _handler_task(_("跟进仲裁"), _("裁决后登记结果，或不服裁决起诉。"), HANDLER_POOL_WORKING).Next(this.dispatch)
    follow_litigation = _handler_task(_("跟进诉讼"), _("判决或调解后登记结果。"), HANDLER_POOL_WORKING).Next(this.dispatch)
    close_file = _handler_task(_("结案归档"), _("核对结果和文书后结案。"), HANDLER_POOL_SCREENING).Next(this.dispatch)

    end = flow.End().Annotation(title=_("办结"))

    # --- presentation -----------------------------------------------------------------------------

    def deadline_expression(self):
        """Before a decision: the screening deadline (or the limitation, if sooner); until arbitration
        is applied for: the arbitration limitation; afterwards the proceedings set their own."""
        screening = models.Case(
            models.When(limitation_ends_on__lt=F("screening_due_on"), then=F("limitation_ends_on")),
            default=F("screening_due_on"), output_field=models.DateField(),
        )
        return models.Case(
            models.When(state__in=[S.RECEIVED, S.SCREENING], then=screening),
            # accepted despite a run limitation (a supervisor's reasoned override): no date to chase
            models.When(limitation_overridden=True, then=None),
            models.When(state__in=[S.ACCEPTED, S.CONSULTING, S.LEGAL_AID], then=F("limitation_ends_on")),
            default=None, output_field=models.DateField(),
        )

    def deadline_label(self, case, due):
        if case.state in (S.RECEIVED, S.SCREENING) and due == case.screening_due_on:
            return _("审查期限")
        return _("仲裁时效届满")

    def inbox_queryset(self):
        return Case.objects.select_related("handler", "legal_aid_by")
