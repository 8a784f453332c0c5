"""Legal health check (法治体检) of platform employers: checklists, audits, findings, replies, letters.

The machine (DESIGN.md, "Checkup"):

    requested ─plan→ planned ─start_fieldwork→ fieldwork ─compile_findings→ drafting
    drafting ─submit_for_review→ review ─approve→ approved ─issue→ issued
                                    └return_for_changes→ drafting
    issued ─start_rectification→ rectifying ─follow_up→ follow_up ─close→ closed
    requested, planned ─cancel→ cancelled

State changes happen only in `legal_checkup.services`; who may run each transition is its
declaration (legal_checkup/transitions.py); the score, the grade and the rectification periods
are in `rules.py`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.models import Organisation, Worker
from core.transitions import declared


class Severity(models.TextChoices):
    HIGH = "H", _("高")
    MEDIUM = "M", _("中")
    LOW = "L", _("低")


class Profile(models.TextChoices):
    BASIC = "basic", _("基础评估")
    IN_DEPTH = "in_depth", _("深度评估")


class Result(models.TextChoices):
    COMPLIANT = "compliant", _("符合")
    PARTIAL = "partial", _("部分符合")
    NON_COMPLIANT = "non_compliant", _("不符合")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class Checklist(models.Model):
    """A checklist (e.g. 平台企业用工法治体检清单); its content lives in versions."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("体检清单")
        verbose_name_plural = _("体检清单")

    def __str__(self):
        return self.name


class ChecklistVersion(models.Model):
    """One version of a checklist. Published versions are never changed (a checkup pins one);
    a change is a new version."""

    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("清单版本")
        verbose_name_plural = _("清单版本")
        ordering = ["checklist", "-number"]
        constraints = [models.UniqueConstraint(fields=["checklist", "number"], name="one_checklist_version_number")]

    def __str__(self):
        return f"{self.checklist.name} v{self.number}"

    @property
    def published(self) -> bool:
        return self.published_at is not None


class ChecklistItem(models.Model):
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="items")
    code = models.CharField(_("编号"), max_length=40)
    title = models.CharField(_("检查事项"), max_length=300)
    legal_basis = models.CharField(_("法律依据"), max_length=300)
    severity = models.CharField(_("风险等级"), max_length=1, choices=Severity.choices)
    guidance = models.TextField(_("检查指引"), blank=True)
    questions = models.TextField(_("询问要点"), blank=True)
    evidence = models.TextField(_("查阅材料"), blank=True)
    # Empty: applies to every employer kind / relationship type.
    company_kinds = models.JSONField(_("适用企业类型"), default=list, blank=True)
    relationship_types = models.JSONField(_("适用用工关系"), default=list, blank=True)
    profiles = models.JSONField(_("适用评估"), default=list, blank=True)  # ["basic", "in_depth"]
    # Where an item came from beyond the seed: an effective collective contract's clause.
    source = models.CharField(_("来源"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("清单事项")
        verbose_name_plural = _("清单事项")
        ordering = ["version", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="one_item_code_per_version")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def applies_to(self, company, profile) -> bool:
        return ((not self.company_kinds or company.kind in self.company_kinds)
                and (not self.profiles or profile in self.profiles))


class CheckupState(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    PLANNED = "planned", _("已计划")
    FIELDWORK = "fieldwork", _("现场检查中")
    DRAFTING = "drafting", _("报告起草中")
    REVIEW = "review", _("审核中")
    APPROVED = "approved", _("已审核通过")
    ISSUED = "issued", _("报告已出具")
    RECTIFYING = "rectifying", _("整改中")
    FOLLOW_UP = "follow_up", _("复查中")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


S = CheckupState
# The company sees a checkup from the moment its report is issued.
ISSUED_STATES = [S.ISSUED, S.RECTIFYING, S.FOLLOW_UP, S.CLOSED]
OPEN_STATES = [s for s in S if s not in (S.CLOSED, S.CANCELLED)]


# --- conditions (each with a hint: what a refused user is told) ----------------------------------


def _planned_fully(c) -> bool:
    return c.checklist_version_id is not None and c.lead_id is not None


_planned_fully.hint = _("请先确定清单版本、评估类型和检查组长。")


def _all_assessed(c) -> bool:
    return c.assessments.exists() and not c.assessments.filter(result="").exists()


_all_assessed.hint = _("还有适用事项尚未评估。")


def _every_finding_followed_up(c) -> bool:
    findings = c.findings.all()
    return not findings.filter(replies__isnull=True).exists() and not findings.filter(reassessed_result="").exists()


_every_finding_followed_up.hint = _("每项问题都须有企业的答复和复查结论后方可结束。")


class Checkup(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("体检编号"), max_length=20, unique=True, editable=False)
    state = FSMField(_("状态"), default=S.REQUESTED, choices=CheckupState.choices, protected=True)
    company = models.ForeignKey(Organisation, verbose_name=_("受检企业"), on_delete=models.PROTECT,
                                related_name="checkups")
    union = models.ForeignKey(Organisation, verbose_name=_("工会"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="checkups_conducted")
    reason = models.TextField(_("体检缘由"), blank=True)
    checklist_version = models.ForeignKey(ChecklistVersion, verbose_name=_("清单版本"), null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="checkups")
    profile = models.CharField(_("评估类型"), max_length=10, choices=Profile.choices, default=Profile.BASIC)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("检查组长"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="checkups_led")
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("检查组成员"), blank=True,
                                  related_name="checkups")
    planned_on = models.DateField(_("计划检查日期"), null=True, blank=True)
    scope = models.TextField(_("检查范围与方法"), blank=True)
    fieldwork_started_on = models.DateField(_("现场检查开始日期"), null=True, blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("起草人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=4, decimal_places=1, null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=1, blank=True)
    grade_capped = models.BooleanField(_("因高风险事项不符合封顶为C"), default=False)
    review_comment = models.TextField(_("审核意见"), blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField(_("审核通过日期"), null=True, blank=True)
    issued_on = models.DateField(_("报告出具日期"), null=True, blank=True)
    acknowledged_on = models.DateField(_("企业签收日期"), null=True, blank=True)
    follow_up_on = models.DateField(_("复查日期"), null=True, blank=True)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    final_score = models.DecimalField(_("复查得分"), max_digits=4, decimal_places=1, null=True, blank=True)
    final_grade = models.CharField(_("复查等级"), max_length=1, blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("法治体检")
        verbose_name_plural = _("法治体检")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "company"])]

    def __str__(self):
        return f"{self.number} {self.company.name}"

    # The transition bodies only move the state; services.py does the rest.

    @transition(field=state, source=S.REQUESTED, target=S.PLANNED, permission=declared("plan"))
    def plan(self):
        pass

    @transition(field=state, source=S.PLANNED, target=S.FIELDWORK, conditions=[_planned_fully],
                permission=declared("start_fieldwork"))
    def start_fieldwork(self):
        pass

    @transition(field=state, source=S.FIELDWORK, target=S.DRAFTING, conditions=[_all_assessed],
                permission=declared("compile_findings"))
    def compile_findings(self):
        pass

    @transition(field=state, source=S.DRAFTING, target=S.REVIEW, permission=declared("submit_for_review"))
    def submit_for_review(self):
        pass

    @transition(field=state, source=S.REVIEW, target=S.APPROVED, permission=declared("approve"))
    def approve(self):
        pass

    @transition(field=state, source=S.REVIEW, target=S.DRAFTING, permission=declared("return_for_changes"))
    def return_for_changes(self):
        pass

    @transition(field=state, source=S.APPROVED, target=S.ISSUED, permission=declared("issue"))
    def issue(self):
        pass

    @transition(field=state, source=S.ISSUED, target=S.RECTIFYING, permission=declared("start_rectification"))
    def start_rectification(self):
        pass

    @transition(field=state, source=S.RECTIFYING, target=S.FOLLOW_UP, permission=declared("follow_up"))
    def follow_up(self):
        pass

    @transition(field=state, source=S.FOLLOW_UP, target=S.CLOSED, conditions=[_every_finding_followed_up],
                permission=declared("close"))
    def close(self):
        pass

    @transition(field=state, source=[S.REQUESTED, S.PLANNED], target=S.CANCELLED, permission=declared("cancel"))
    def cancel(self):
        pass


class Assessment(models.Model):
    """One applicable item, assessed in the fieldwork (and re-assessed at the follow-up)."""

    checkup = models.ForeignKey(Checkup, on_delete=models.CASCADE, related_name="assessments")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("评估结论"), max_length=16, choices=Result.choices, blank=True)
    not_applicable_reason = models.CharField(_("不适用理由"), max_length=300, blank=True)
    examined = models.CharField(_("查阅情况"), max_length=300, blank=True)  # "劳动合同 抽查12份/共40份"
    sample_checked = models.PositiveIntegerField(_("抽查数"), null=True, blank=True)
    sample_total = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    # Union-internal: the assessors' notes and the workers interviewed never leave the union.
    notes = models.TextField(_("评估人员备注（内部）"), blank=True)
    interviews = models.TextField(_("访谈劳动者记录（内部）"), blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    assessed_at = models.DateTimeField(null=True, blank=True)
    # The follow-up of the whole checklist, when chosen.
    reassessed_result = models.CharField(_("复查结论"), max_length=16, choices=Result.choices, blank=True)

    class Meta:
        verbose_name = _("事项评估")
        verbose_name_plural = _("事项评估")
        ordering = ["checkup", "item__order", "id"]
        constraints = [models.UniqueConstraint(fields=["checkup", "item"], name="one_assessment_per_item")]

    def __str__(self):
        return f"{self.item.code} {self.get_result_display() or '—'}"


def evidence_upload_to(instance, filename):
    return f"checkup-evidence/{instance.sha256[:2]}/{instance.sha256[:16]}-{filename}"


class Evidence(models.Model):
    """A file examined in the fieldwork (on an assessment) or sent by the company (on a reply)."""

    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    reply = models.ForeignKey("Reply", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=evidence_upload_to)
    name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")
        constraints = [models.CheckConstraint(
            condition=models.Q(assessment__isnull=False, reply__isnull=True) | models.Q(assessment__isnull=True, reply__isnull=False),
            name="evidence_belongs_to_one")]


class Finding(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        REPLIED = "replied", _("企业已答复")
        RECTIFIED = "rectified", _("已整改")
        NOT_RECTIFIED = "not_rectified", _("未整改")

    checkup = models.ForeignKey(Checkup, on_delete=models.CASCADE, related_name="findings")
    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="finding")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(_("风险等级"), max_length=1, choices=Severity.choices)
    legal_basis = models.CharField(_("法律依据"), max_length=300)
    found = models.TextField(_("发现的问题"))
    risk = models.TextField(_("法律风险"), blank=True)
    recommendation = models.TextField(_("整改建议"), blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    due_on = models.DateField(_("整改期限"), null=True, blank=True)
    repeat_of = models.ForeignKey("self", verbose_name=_("重复出现（上次体检）"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="repeats")
    status = models.CharField(_("整改状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    # Escalation along the union's labour-law supervision ladder: 0 none, 1 提示函, 2 意见书, 3 建议书.
    escalation = models.PositiveSmallIntegerField(_("督促级别"), default=0)
    reminded_on = models.DateField(null=True, blank=True)
    reassessed_result = models.CharField(_("复查结论"), max_length=16, choices=Result.choices, blank=True)
    reassessed_on = models.DateField(_("复查日期"), null=True, blank=True)
    reassessment_note = models.TextField(_("复查说明"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("发现问题")
        verbose_name_plural = _("发现问题")
        ordering = ["checkup", "order", "id"]

    def __str__(self):
        return f"{self.item.code} {self.item.title}"


class Reply(models.Model):
    """The company's reply on a finding: its plan, who answers for it, by when, done or not."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="replies")
    plan = models.TextField(_("整改措施"))
    responsible = models.CharField(_("责任人"), max_length=100)
    target_on = models.DateField(_("计划完成日期"))
    done = models.BooleanField(_("已完成整改"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("企业答复")
        verbose_name_plural = _("企业答复")
        ordering = ["finding", "id"]


class Letter(models.Model):
    """The union's labour-law supervision letters on an overdue finding: 提示函 → 意见书 → 建议书,
    each with a reply date; the last hands the matter to the labour administration."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("提示函")
        OPINION = "opinion", _("工会劳动法律监督意见书")
        RECOMMENDATION = "recommendation", _("工会劳动法律监督建议书")

    LADDER = [Kind.REMINDER, Kind.OPINION, Kind.RECOMMENDATION]

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(_("文书"), max_length=16, choices=Kind.choices)
    issued_on = models.DateField(_("发出日期"))
    reply_due = models.DateField(_("答复期限"))
    replied_on = models.DateField(_("答复日期"), null=True, blank=True)
    reply_text = models.TextField(_("答复内容"), blank=True)
    addressee = models.ForeignKey(Organisation, verbose_name=_("致送单位"), on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("监督文书")
        verbose_name_plural = _("监督文书")
        ordering = ["finding", "id"]
        constraints = [models.UniqueConstraint(fields=["finding", "kind"], name="one_letter_of_a_kind_per_finding")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.finding}"


__all__ = ["Worker"]


class OfferedClause(models.Model):
    """A clause of an effective collective contract, offered by bargaining (through core's
    `transitioned`) as a checklist item for the covered employers' next check-up."""

    source_label = models.CharField(max_length=60)  # "bargaining.negotiation"
    source_id = models.PositiveBigIntegerField()
    source_number = models.CharField(_("合同编号"), max_length=30)
    title = models.CharField(_("条款"), max_length=200)
    text = models.TextField(_("条款内容"))
    employers = models.ManyToManyField(Organisation, verbose_name=_("适用企业"), related_name="+")
    offered_on = models.DateField(_("提供日期"))
    used_in = models.ForeignKey(ChecklistVersion, verbose_name=_("已纳入清单版本"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("集体合同条款（待纳入清单）")
        verbose_name_plural = _("集体合同条款（待纳入清单）")
        constraints = [models.UniqueConstraint(fields=["source_label", "source_id", "title"], name="one_offer_per_clause")]
