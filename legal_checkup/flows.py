"""CheckupFlow: who works a checkup in each state (the inbox's routing; see core/workflow.py).

One `StateTask` per state that calls for the union's work; the `dispatch` Switch picks it from the
checkup. The tasks follow the journal (core.workflow.follow_journal), so they are right whoever
moved the checkup: a screen, the API, the admin or the daily sweep.

    requested  ─► plan_checkup     who registered it (else the supervisors): the plan, its lead and team
    planned    ─► start_work       the lead: start the fieldwork           deadline: the planned date
    fieldwork  ─► fieldwork        the lead: assess every applicable item, then compile the findings
    drafting   ─► drafting         the lead: the findings' text, then submit for review
    review     ─► review           the supervisors (not the drafter): approve, or return with comments
    approved   ─► issue_report     the lead: issue the report to the company
    rectifying, follow_up with a finding overdue that may be escalated now
               ─► escalate         the lead: the next supervision letter (提示函 → 意见书 → 建议书)
    rectifying, every finding answered as done ─► start_follow_up   the lead: start the follow-up
    follow_up  ─► follow_up        the lead: re-assess every finding, then close
    issued, rectifying still awaiting the company, closed, cancelled ─► end (no union work)

Every lead task is the lead's while they are active and may act; without one it waits for the
supervisors. Deadlines: the earliest rectification date of a finding not yet rectified (so an
overdue finding puts the checkup first), or the planned date.

The company does its own part: each active company contact of the audited company holds, in a
companion process beside the union's (the engine's processes carry one task each),

    issued                        ─► acknowledge   签收法治体检报告
    rectifying, follow_up with a finding still to answer ─► reply_findings   逐项答复整改情况

kept in step by the same journal events (`sync` below). Overdue findings turn into the union's task
by the daily sweep (it journals them; legal_checkup.tasks also re-routes every checkup in
rectification, so a letter whose reply date passed is followed up the next morning).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.status import PROCESS, STATUS

from core.roles import Role, is_supervisor
from core.workflow import OPEN, StateFlow, StateTask, in_state

from .models import Checkup, CheckupState as S, Finding, Letter

COMPANION = "company"
REPLY_STATES = (S.RECTIFYING, S.FOLLOW_UP)


def open_findings(findings):
    """Findings still to rectify: not rectified, and no reply saying it is done."""
    return findings.exclude(status=Finding.Status.RECTIFIED).exclude(replies__done=True)


def escalatable(checkup, today=None):
    """Overdue findings the union may escalate now: below the last rung, and no letter still
    within its reply period."""
    today = today or timezone.localdate()
    waiting = Letter.objects.filter(finding=OuterRef("pk"), replied_on__isnull=True, reply_due__gte=today)
    return open_findings(checkup.findings.filter(due_on__lt=today, escalation__lt=len(Letter.LADDER))).exclude(
        Exists(waiting))


def overdue_to_escalate(activation) -> bool:
    c = activation.process.artifact
    return str(c.state) in REPLY_STATES and escalatable(c).exists()


def ready_for_follow_up(activation) -> bool:
    c = activation.process.artifact
    return str(c.state) == S.RECTIFYING and not open_findings(c.findings.all()).exists()


def _lead_task(title, description):
    return StateTask(title=title, description=description, assignee="lead", pool=is_supervisor)


class CheckupFlow(StateFlow):
    """法治体检

    Routes the work each state of a checkup calls for to its lead (the review to the supervisors),
    and the report's acknowledgement and the replies per finding to the company's contacts.
    """

    model = Checkup
    url_name = "legal_checkup:checkups:detail"

    start = flow.StartHandle(this.begin).Annotation(title=_("登记体检申请")).Next(this.dispatch)

    dispatch = (
        flow.Switch()
        .Annotation(title=_("按体检状态分派"))
        .Case(this.plan_checkup, in_state(S.REQUESTED))
        .Case(this.start_work, in_state(S.PLANNED))
        .Case(this.fieldwork, in_state(S.FIELDWORK))
        .Case(this.drafting, in_state(S.DRAFTING))
        .Case(this.review, in_state(S.REVIEW))
        .Case(this.issue_report, in_state(S.APPROVED))
        .Case(this.escalate, overdue_to_escalate)
        .Case(this.start_follow_up, ready_for_follow_up)
        .Case(this.follow_up, in_state(S.FOLLOW_UP))
        .Default(this.end)  # issued, rectifying awaiting the company, closed, cancelled
    )

    plan_checkup = StateTask(
        title=_("制定体检计划"), description=_("确定清单版本、评估类型（基础/深度）、检查组长和成员（利益冲突审查），发出体检通知书。"),
        assignee="created_by", pool=is_supervisor,
    ).Next(this.dispatch)
    start_work = _lead_task(_("开始现场检查"), _("按计划进场：开始后为每个适用事项生成评估表。")).Next(this.dispatch)
    fieldwork = _lead_task(
        _("现场检查"), _("逐项评估（符合、部分符合、不符合、不适用并说明理由），记录查阅情况并上传证据；全部评估后汇总问题并计分。"),
    ).Next(this.dispatch)
    drafting = _lead_task(_("起草体检报告"), _("完善每项问题的事实、法律风险和整改建议，然后提交审核。")).Next(this.dispatch)
    review = StateTask(
        title=_("审核体检报告"), description=_("由起草人以外的主管审核：通过，或逐项写明意见退回修改。"),
        pool=is_supervisor,
    ).Next(this.dispatch)
    issue_report = _lead_task(_("出具体检报告"), _("出具报告和整改通知书；企业联系人随即可以查看、签收并逐项答复。")).Next(this.dispatch)
    escalate = _lead_task(
        _("督促逾期整改"), _("有问题逾期未整改：依次发出提示函、意见书、建议书（建议书移交劳动行政部门）。"),
    ).Next(this.dispatch)
    start_follow_up = _lead_task(_("开始复查"), _("企业已就全部问题答复整改完成：开始复查。")).Next(this.dispatch)
    follow_up = _lead_task(_("复查整改情况"), _("逐项复查问题（必要时复查全部事项），每项都有企业答复和复查结论后结束体检。")).Next(this.dispatch)

    # The company contacts' tasks (companions, see the module doc).
    acknowledge = StateTask(title=_("签收法治体检报告"), description=_("查看并下载报告，签收后进入整改。"))
    reply_findings = StateTask(title=_("逐项答复整改情况"),
                               description=_("就每项问题答复整改措施、责任人和完成日期，上传整改材料；整改完成后更新答复。"))

    end = flow.End().Annotation(title=_("体检结束或等待企业"))

    # --- presentation -------------------------------------------------------------------------------

    def deadline_expression(self):
        earliest = Subquery(
            open_findings(Finding.objects.filter(checkup_id=OuterRef("pk"), due_on__isnull=False))
            .order_by("due_on").values("due_on")[:1], output_field=models.DateField())
        return models.Case(
            models.When(state__in=[S.ISSUED, S.RECTIFYING, S.FOLLOW_UP], then=earliest),
            models.When(state=S.PLANNED, then=F("planned_on")),
            default=None, output_field=models.DateField(),
        )

    def deadline_label(self, checkup, due):
        return _("计划检查日期") if checkup.state == S.PLANNED else _("整改期限")

    def inbox_queryset(self):
        # The inbox row names the object by `number` and `title`: a checkup's title is its company.
        return Checkup.objects.select_related("company", "lead").annotate(title=F("company__name"))

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
        self.sync_company(obj)

    def sync_many(self, ids) -> None:
        super().sync_many(ids)
        for obj in Checkup.objects.filter(pk__in=list(ids)):
            self.sync_company(obj)

    def _open_company_tasks(self):
        return self.task_class._default_manager.filter(process__in=self._companions(), status__in=OPEN,
                                                       flow_task_type="HUMAN")

    def company_node(self, checkup):
        """The company's work now: acknowledge the issued report, or answer the findings."""
        state = str(checkup.state)
        if state == S.ISSUED:
            return self.acknowledge
        if state in REPLY_STATES:
            findings = checkup.findings.all()
            if findings.filter(replies__isnull=True).exists():
                return self.reply_findings
            if state == S.RECTIFYING and open_findings(findings).exists():
                return self.reply_findings
        return None

    def company_contacts(self, checkup):
        return list(get_user_model().objects.filter(groups__name=Role.COMPANY_CONTACT, is_active=True,
                                                    profile__organisation_id=checkup.company_id)
                    .distinct().order_by("pk"))

    def sync_company(self, checkup) -> None:
        """One open task per active company contact for the company's work now; none otherwise."""
        ct = ContentType.objects.get_for_model(Checkup)
        node = self.company_node(checkup)
        wanted = {u.pk: u for u in self.company_contacts(checkup)} if node is not None else {}
        tasks = list(self._open_company_tasks().filter(artifact_object_id=checkup.pk))
        now = timezone.now()
        stale = [t.pk for t in tasks if t.owner_id not in wanted or t.flow_task is not node]
        if stale:
            self.task_class._default_manager.filter(pk__in=stale).update(status=STATUS.DONE, finished=now)
        have = {t.owner_id for t in tasks if t.pk not in stale}
        missing = [u for pk, u in wanted.items() if pk not in have]
        process = self._companions().filter(artifact_content_type=ct, artifact_object_id=checkup.pk,
                                            finished__isnull=True).order_by("-pk").first()
        if missing:
            if process is None:
                process = self.process_class._default_manager.create(
                    flow_class=type(self), artifact_content_type=ct, artifact_object_id=checkup.pk,
                    data={"companion": COMPANION}, status=PROCESS.NEW)
            token = self.task_class._meta.get_field("token").get_default()
            self.task_class._default_manager.bulk_create([self.task_class(
                process=process, flow_task=node, flow_task_type="HUMAN", token=token, data={},
                owner=user, status=STATUS.ASSIGNED, assigned=now, owner_permission=None,
                artifact_content_type=ct, artifact_object_id=checkup.pk) for user in missing])
        elif process is not None and not wanted:
            process.status, process.finished = PROCESS.DONE, now
            process.save(update_fields=["status", "finished"])
