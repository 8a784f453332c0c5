"""MediationFlow: who works a mediation in each state (the inbox's routing; see core/workflow.py).

One `StateTask` per state that calls for human work; the `dispatch` Switch picks it from the
mediation's state. The tasks follow the journal (core.workflow.follow_journal), so they are right
whoever moved the mediation: a screen, the API, the admin, an import or a set-based sweep (those
journal with `record_many`, and their tasks follow in bulk: `StateFlow.sync_many`).

    referred ─► review (受理审查)            pool: mediators, supervisors (anyone of them accepts it)
    accepted ─► assign (指定调解员)          pool: mediators (claiming = assigning oneself), supervisors
    in_progress ─► mediate (组织调解)        the mediator; deadline: the mediation deadline
    agreed ─► follow_agreement               the mediator; deadline: the confirmation window or the next instalment
    confirmation_pending ─► await_ruling     the mediator (the court's liaison may record the ruling)
    confirmation_rejected ─► after_rejection the mediator (resume, or tell the parties their remedies)
    confirmed ─► follow_performance          the mediator; deadline: the next instalment
    declined, failed, withdrawn, fulfilled, defaulted ─► end

Assignment comes from the mediation: its mediator, while active and allowed to act in the state
(`core.roles.may_act`, i.e. mediation/transitions.py). Before a mediator is assigned, or
when the mediator recused without a replacement or left, the task waits in its pool. Supervisors
see the whole team's work and reassign it (assign_mediator before the mediation starts,
reassign_mediator after). A court liaison gets no tasks: their work (a ruling on a confirmation)
is recorded from the mediation page, which they see only for their own court's referrals.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition
from viewflow import this
from viewflow.workflow import flow

from core import legal_calendar
from core import legal_figures as law
from core.errors import TransitionRefused
from core.roles import Role, is_mediator, is_supervisor
from core.workflow import StateFlow, StateTask, in_state

from . import rules, services
from .models import Agreement, Instalment, Mediation, MediationState as S

INTAKE_POOL = is_mediator | is_supervisor
# Work that has a mediator: waits for a supervisor to reassign it when the mediator cannot act.
ORPHAN_POOL = is_supervisor


def _assign(mediation, actor, user):
    """Before mediation starts, handing it to someone is assigning its mediator (a transition). The
    inbox's claim and reassign answer ValidationError and PermissionDenied; a mediation that moved on
    meanwhile is said the same way."""
    try:
        return services.assign_mediator(mediation=mediation, actor=actor, mediator=user)
    except (TransitionRefused, ConcurrentTransition):
        raise ValidationError(_("该调解刚刚已被他人处理（当前状态：%(state)s），请刷新后查看。") % {
            "state": Mediation.objects.get(pk=mediation.pk).get_state_display()}) from None


def _reassign(mediation, actor, user):
    return services.reassign_mediator(mediation=mediation, actor=actor, mediator=user)


def _mediator_task(title, description):
    return StateTask(title=title, description=description, assignee="mediator", pool=ORPHAN_POOL,
                     reassign=_reassign, candidates=[Role.MEDIATOR])


class MediationFlow(StateFlow):
    """诉调对接

    Routes the work each state of a mediation calls for to the mediator who does it.
    """

    model = Mediation
    url_name = "mediation:mediations:detail"

    start = flow.StartHandle(this.begin).Annotation(title=_("登记委派/调解申请")).Next(this.dispatch)

    dispatch = (
        flow.Switch()
        .Annotation(title=_("按调解状态分派"))
        .Case(this.review, in_state(S.REFERRED))
        .Case(this.assign, in_state(S.ACCEPTED))
        .Case(this.mediate, in_state(S.IN_PROGRESS))
        .Case(this.follow_agreement, in_state(S.AGREED))
        .Case(this.await_ruling, in_state(S.CONFIRMATION_PENDING))
        .Case(this.after_rejection, in_state(S.CONFIRMATION_REJECTED))
        .Case(this.follow_performance, in_state(S.CONFIRMED))
        .Default(this.end)  # declined, failed, withdrawn, fulfilled, defaulted
    )

    review = StateTask(
        title=_("受理审查"), description=_("受理委派（确定调解期限），或说明理由不予受理。"),
        assignee="mediator", pool=INTAKE_POOL,
    ).Next(this.dispatch)
    assign = StateTask(
        title=_("指定调解员"), description=_("查看各调解员的在办数量，指定无利益冲突的调解员。"),
        assignee="mediator", pool=INTAKE_POOL, reassign=_assign, candidates=[Role.MEDIATOR],
    ).Next(this.dispatch)
    mediate = _mediator_task(_("组织调解"), _("组织调解并记录笔录；期限内达成协议，或终结调解；经双方同意可延长期限。")).Next(this.dispatch)
    follow_agreement = _mediator_task(
        _("申请司法确认、跟进履行"), format_lazy(_("协议生效起{days}日内可共同申请司法确认；登记履行款项。"),
                                         days=law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS),
    ).Next(this.dispatch)
    await_ruling = _mediator_task(_("等待法院确认裁定"), _("登记法院的确认或驳回裁定；期间照常登记履行款项。")).Next(this.dispatch)
    after_rejection = _mediator_task(
        _("司法确认被驳回后续"), _("双方可变更协议或达成新协议（恢复调解），也可申请仲裁或起诉。"),
    ).Next(this.dispatch)
    follow_performance = _mediator_task(_("跟进协议履行"), _("登记履行款项；逾期未履行可申请强制执行。")).Next(this.dispatch)

    end = flow.End().Annotation(title=_("调解结束"))

    # --- who may claim ------------------------------------------------------------------------------

    def can_claim(self, user, task) -> bool:
        """Claiming makes the claimant the mediator: only a mediator may, and after mediation has
        started only one who may also reassign (a supervisor who mediates)."""
        return super().can_claim(user, task) and is_mediator(user) and (
            task.flow_task is self.assign or user.has_perm("mediation.reassign_mediator")
        )

    # --- presentation -------------------------------------------------------------------------------

    @staticmethod
    def next_instalment_due():
        """The due date of the current agreement's earliest instalment not fully paid."""
        return Subquery(
            Instalment.objects.filter(agreement_id=OuterRef("agreement_id"), paid__lt=F("amount"))
            .order_by("due_on", "seq").values("due_on")[:1],
            output_field=models.DateField(),
        )

    @staticmethod
    def confirmation_window_expression(today=None):
        """The last day to apply for judicial confirmation, where it has not passed yet.

        The window (30 days from the agreement taking effect, rolled past rest days and holidays)
        comes from the legal calendar, not SQL: it is computed for the few effective dates of
        agreements still inside it (one small query) and handed to the database as a CASE.
        """
        today = today or timezone.localdate()
        horizon = today - datetime.timedelta(days=law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS + 31)
        effective_dates = (
            Agreement.objects.filter(pk__in=Mediation.objects.filter(state=S.AGREED).values("agreement_id"),
                                     effective_on__gte=horizon)
            .order_by().values_list("effective_on", flat=True).distinct()
        )
        whens = []
        for day in effective_dates:
            last = legal_calendar.deadline(day, law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS).date
            if last >= today:
                whens.append(models.When(agreement__effective_on=day, then=models.Value(last)))
        return models.Case(*whens, default=None, output_field=models.DateField())

    def deadline_expression(self):
        """accepted / in progress: the mediation deadline; agreed: the confirmation window or the next
        instalment, whichever comes first; awaiting or after confirmation: the next instalment."""
        next_due = self.next_instalment_due()
        window = self.confirmation_window_expression()
        agreed = Least(Coalesce(window, next_due), Coalesce(next_due, window))
        return models.Case(
            models.When(state__in=[S.ACCEPTED, S.IN_PROGRESS], then=F("deadline")),
            models.When(state=S.AGREED, then=agreed),
            models.When(state__in=[S.CONFIRMATION_PENDING, S.CONFIRMED], then=next_due),
            default=None, output_field=models.DateField(),
        )

    def deadline_label(self, mediation, due):
        if mediation.state in (S.ACCEPTED, S.IN_PROGRESS):
            return _("调解期限")
        if mediation.state == S.AGREED:
            window = rules.confirmation_window(mediation)
            if window is not None and window.date == due:
                return _("申请司法确认截止")
        return _("分期履行期限")

    def inbox_queryset(self):
        return Mediation.objects.select_related("mediator", "agreement", "court")

    def sync_queryset(self):
        # what the router (state) and the rules predicates (mediator, court) read: see sync_many
        return Mediation.objects.only("pk", "state", "mediator", "court", "source")
