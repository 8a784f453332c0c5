"""NegotiationFlow: who works a negotiation in each state (the inbox's routing; see core/workflow.py).

One `StateTask` per state that calls for human work; the `dispatch` Switch picks it from the
negotiation. The tasks follow the journal (core.workflow.follow_journal), so they are right whoever
moved the negotiation: a screen, the API, the admin or the daily sweep.

    a seat left vacant (any team state but proposed) ─► fill_seat   deadline: 15 days from the vacancy
    preparing   ─► prepare        the team and the topics, then send the proposal
    proposed    ─► await_reply    deadline: the reply due (20 days); overdue is flagged
    negotiating ─► negotiate      record the rounds, draft when agreed
    suspended   ─► suspended      resume (or keep waiting)
    drafted     ─► prepare_vote   the roll, the text, submit for the vote
    voting      ─► count_vote     record the vote
    ratified    ─► sign_contract
    signed      ─► file_contract  deadline: filing due (10 days); late filing is flagged, not refused
    filed       ─► await_review   deadline: the end of the objection window (15 days)
    effective, within 3 months of its end and not renewed yet ─► renew   deadline: the term's end
    refused, expired, effective outside the renewal window ─► end

Every task is the officer's (the negotiation's `officer`, while active and allowed to act); without
one, it waits for a supervisor (who may also reassign it: the officer changes, journaled).

The employer side answers the proposal itself: while a negotiation is `proposed`, each active
company contact of its employer-side organisations holds an `employer_reply` task of their own, in
a companion process beside the officer's (the engine's processes carry one task each). They are kept
in step by the same journal events (`sync` below) and settled as soon as the proposal is answered.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.status import PROCESS, STATUS

from core import journal
from core.roles import Role, is_bargaining_officer, is_supervisor
from core.workflow import OPEN, StateFlow, StateTask, in_state

from .models import TEAM_STATES, Negotiation, NegotiationState as S, Negotiator
from .rules import renewal_opens, seat_fill_due

# The states where an empty seat is the officer's first job; while proposed the employer's reply
# keeps the inbox's deadline (the vacancy is on the negotiation's page).
SEAT_STATES = [s for s in TEAM_STATES if s != S.PROPOSED]
COMPANION = "employer_reply"


def has_vacant_seat(activation) -> bool:
    n = activation.process.artifact
    return (str(n.state) in SEAT_STATES
            and n.negotiators.filter(vacated_on__isnull=False, successor__isnull=True).exists())


def renewal_due(activation) -> bool:
    n = activation.process.artifact
    return (str(n.state) == S.EFFECTIVE and n.expires_on is not None
            and (n.renewal_notified_on is not None or timezone.localdate() >= renewal_opens(n.expires_on))
            and not n.renewals.exists())


def _reassign(negotiation, actor, user):
    """Hand the negotiation (and so its tasks) to another bargaining officer (journaled)."""
    if not is_supervisor(actor):
        raise PermissionDenied(_("只有主管可以改派集体协商。"))
    if not (is_bargaining_officer(user) or is_supervisor(user)) or not user.is_active:
        raise ValidationError(_("只能交给集体协商专员或主管。"))
    with transaction.atomic():
        fresh = Negotiation.objects.select_for_update().get(pk=negotiation.pk)
        previous = fresh.officer_id
        Negotiation.objects.filter(pk=fresh.pk).update(officer=user, updated_at=timezone.now())
        fresh.refresh_from_db()
        journal.record(subject=fresh, transition="edit", from_state=fresh.state, to_state=fresh.state, actor=actor,
                       payload={"officer": user.pk, "previous_officer": previous})
    return fresh


def _officer_task(title, description):
    return StateTask(title=title, description=description, assignee="officer", pool=is_supervisor,
                     reassign=_reassign, candidates=[Role.BARGAINING_OFFICER, Role.SUPERVISOR])


class NegotiationFlow(StateFlow):
    """集体协商

    Routes the work each state of a negotiation calls for to its bargaining officer, and the
    proposal's reply to the employer side's company contacts.
    """

    model = Negotiation
    url_name = "bargaining:negotiations:detail"

    start = flow.StartHandle(this.begin).Annotation(title=_("登记集体协商")).Next(this.dispatch)

    dispatch = (
        flow.Switch()
        .Annotation(title=_("按协商状态分派"))
        .Case(this.fill_seat, has_vacant_seat)
        .Case(this.prepare, in_state(S.PREPARING))
        .Case(this.await_reply, in_state(S.PROPOSED))
        .Case(this.negotiate, in_state(S.NEGOTIATING))
        .Case(this.suspended, in_state(S.SUSPENDED))
        .Case(this.prepare_vote, in_state(S.DRAFTED))
        .Case(this.count_vote, in_state(S.VOTING))
        .Case(this.sign_contract, in_state(S.RATIFIED))
        .Case(this.file_contract, in_state(S.SIGNED))
        .Case(this.await_review, in_state(S.FILED))
        .Case(this.renew, renewal_due)
        .Default(this.end)  # refused, expired, effective outside the renewal window
    )

    fill_seat = _officer_task(
        _("补齐出缺的协商代表"), _("协商代表出缺的，应自出缺之日起15日内按原产生方式补齐（《集体合同规定》第三十一条）。"),
    ).Next(this.dispatch)
    prepare = _officer_task(
        _("筹备集体协商"), _("确定双方协商代表（人数相等、各不少于3人、各1名首席代表）和协商议题，然后发出要约。"),
    ).Next(this.dispatch)
    await_reply = _officer_task(
        _("等待企业方书面回应"), _("企业方应在收到要约之日起20日内书面回应；逾期未回应的，可催告或提请协调处理。"
                            "收到书面回应的，在此登记。"),
    ).Next(this.dispatch)
    negotiate = _officer_task(
        _("组织协商会议"), _("记录每轮会议双方就各议题的立场；就核心共性问题达成一致后拟定合同草案。"),
    ).Next(this.dispatch)
    suspended = _officer_task(_("协商中止"), _("中止原因消除后恢复协商。")).Next(this.dispatch)
    prepare_vote = _officer_task(
        _("提交职工表决"), _("登记表决名册（职工代表大会代表或全体职工），定稿后提交表决。"),
    ).Next(this.dispatch)
    count_vote = _officer_task(
        _("登记表决结果"), _("应有三分之二以上应到人员出席，全体应到人员过半数同意，草案方获通过。"),
    ).Next(this.dispatch)
    sign_contract = _officer_task(_("签订集体合同"), _("由双方首席代表签字，约定合同期限（1至3年）。")).Next(this.dispatch)
    file_contract = _officer_task(
        _("报送劳动行政部门审查"), _("集体合同签订后10日内报送；逾期报送的将被标记。"),
    ).Next(this.dispatch)
    await_review = _officer_task(
        _("等待审查意见"), _("登记审查机关的无异议或异议；收到文本之日起15日内未提出异议的，合同自期满次日生效。"),
    ).Next(this.dispatch)
    renew = _officer_task(_("启动续订协商"), _("集体合同期满前3个月内，可以提出续订要求。")).Next(this.dispatch)

    # The company contacts' task while the proposal awaits their reply (a companion, see the module doc).
    employer_reply = StateTask(
        title=_("回应集体协商要约"), description=_("请在期限内书面回应：同意协商，或说明理由拒绝。"),
    )

    end = flow.End().Annotation(title=_("协商结束"))

    # --- presentation -------------------------------------------------------------------------------

    @staticmethod
    def seat_fill_expression():
        """The fill-by day of the earliest vacancy not filled yet: the legal calendar's answer for
        the few vacancy dates there are, handed to the database as a CASE."""
        earliest = Subquery(
            Negotiator.objects.filter(negotiation_id=OuterRef("pk"), vacated_on__isnull=False, successor__isnull=True)
            .order_by("vacated_on").values("vacated_on")[:1], output_field=models.DateField())
        days = (Negotiator.objects.filter(vacated_on__isnull=False, successor__isnull=True)
                .order_by().values_list("vacated_on", flat=True).distinct())
        whens = [models.When(Exact(earliest, models.Value(day)), then=models.Value(seat_fill_due(day).date))
                 for day in days]
        return models.Case(*whens, default=None, output_field=models.DateField())

    def deadline_expression(self):
        """A vacant seat's fill-by day first (where it is the task); else the state's own period."""
        by_state = models.Case(
            models.When(state=S.PROPOSED, then=F("reply_due")),
            models.When(state=S.SIGNED, then=F("filing_due")),
            models.When(state=S.FILED, then=F("objection_window_ends")),
            models.When(state=S.EFFECTIVE, then=F("expires_on")),
            default=None, output_field=models.DateField(),
        )
        return models.Case(
            models.When(state__in=SEAT_STATES, then=Coalesce(self.seat_fill_expression(), by_state)),
            default=by_state, output_field=models.DateField(),
        )

    def deadline_label(self, negotiation, due):
        for _seat, fill in self._vacancies(negotiation):
            if fill.date == due:
                return _("补齐协商代表期限")
        return {S.PROPOSED: _("书面回应期限"), S.SIGNED: _("报送期限"), S.FILED: _("审查异议期限"),
                S.EFFECTIVE: _("合同期满")}.get(negotiation.state, "")

    @staticmethod
    def _vacancies(negotiation):
        if negotiation.state not in SEAT_STATES:
            return []
        return [(seat, seat_fill_due(seat.vacated_on)) for seat in
                negotiation.negotiators.filter(vacated_on__isnull=False, successor__isnull=True)]

    def inbox_queryset(self):
        return Negotiation.objects.select_related("officer", "union")

    def sync_queryset(self):
        return Negotiation.objects.only("pk", "state", "officer", "expires_on", "renewal_notified_on")

    # --- the company contacts' companion tasks --------------------------------------------------------

    def _companions(self):
        return self.process_class._default_manager.filter(flow_class=type(self), data__companion=COMPANION)

    def open_process(self, obj):
        return (self._open_processes()
                .filter(artifact_content_type=ContentType.objects.get_for_model(obj), artifact_object_id=obj.pk)
                .order_by("-pk").first())

    def _open_processes(self):
        return super()._open_processes().exclude(pk__in=self._companions().values("pk"))

    def sync(self, obj, event=None) -> None:
        super().sync(obj, event=event)
        self.sync_replies(obj)

    def sync_many(self, ids) -> None:
        super().sync_many(ids)
        # A set-based change never leaves a negotiation proposed: settle any reply task left open.
        for obj in Negotiation.objects.filter(pk__in=list(ids)).exclude(state=S.PROPOSED).filter(
                pk__in=self._open_reply_tasks().values("artifact_object_id")):
            self.sync_replies(obj)

    def _open_reply_tasks(self):
        return self.task_class._default_manager.filter(process__in=self._companions(), status__in=OPEN,
                                                       flow_task_type="HUMAN")

    def reply_contacts(self, negotiation):
        """The company contacts who answer this proposal: active, of an employer-side organisation."""
        if negotiation.state != S.PROPOSED:
            return []
        orgs = negotiation.employers.values("pk")
        return list(get_user_model().objects.filter(groups__name=Role.COMPANY_CONTACT, is_active=True,
                                                    profile__organisation__in=orgs).distinct().order_by("pk"))

    def sync_replies(self, negotiation) -> None:
        """One open `employer_reply` task per company contact while the proposal awaits its reply;
        none otherwise (answered, or the contact left)."""
        ct = ContentType.objects.get_for_model(Negotiation)
        wanted = {u.pk: u for u in self.reply_contacts(negotiation)}
        tasks = list(self._open_reply_tasks().filter(artifact_object_id=negotiation.pk))
        now = timezone.now()
        stale = [t.pk for t in tasks if t.owner_id not in wanted]
        if stale:
            self.task_class._default_manager.filter(pk__in=stale).update(status=STATUS.DONE, finished=now)
        have = {t.owner_id for t in tasks if t.owner_id in wanted}
        missing = [u for pk, u in wanted.items() if pk not in have]
        process = self._companions().filter(artifact_content_type=ct, artifact_object_id=negotiation.pk,
                                            finished__isnull=True).order_by("-pk").first()
        if missing:
            if process is None:
                process = self.process_class._default_manager.create(
                    flow_class=type(self), artifact_content_type=ct, artifact_object_id=negotiation.pk,
                    data={"companion": COMPANION}, status=PROCESS.NEW)
            token = self.task_class._meta.get_field("token").get_default()
            self.task_class._default_manager.bulk_create([self.task_class(
                process=process, flow_task=self.employer_reply, flow_task_type="HUMAN", token=token, data={},
                owner=user, status=STATUS.ASSIGNED, assigned=now, owner_permission=None,
                artifact_content_type=ct, artifact_object_id=negotiation.pk) for user in missing])
        elif process is not None and not wanted:
            process.status, process.finished = PROCESS.DONE, now
            process.save(update_fields=["status", "finished"])
