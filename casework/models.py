"""Dispute intake (维权受理): the Case machine, its parties, claims and evidence.

State changes happen only in `casework.services`; models hold data and the FSM definition.
"""

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.legal_figures import GROUP_CASE_MIN_CLAIMANTS
from core.models import Category, ClaimItem, Organisation, Worker
from core.transitions import declared

# --------------------------------------------------------------------------------------------------
# The Case machine
# --------------------------------------------------------------------------------------------------


class CaseState(models.TextChoices):
    RECEIVED = "received", _("已登记")
    SCREENING = "screening", _("审查中")
    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    CONSULTING = "consulting", _("法律咨询")
    LEGAL_AID = "legal_aid", _("法律援助")
    IN_MEDIATION = "in_mediation", _("调解中")
    IN_ARBITRATION = "in_arbitration", _("仲裁中")
    IN_LITIGATION = "in_litigation", _("诉讼中")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已结案")


S = CaseState
# States in which a case is being worked and can be resolved.
WORKING_STATES = [S.CONSULTING, S.LEGAL_AID, S.IN_MEDIATION, S.IN_ARBITRATION, S.IN_LITIGATION]
OPEN_STATES = [S.RECEIVED, S.SCREENING, S.ACCEPTED, *WORKING_STATES]


def _has_parties(case) -> bool:
    return case.claimants.exists() and case.respondents.exists() and case.categories.exists()


_has_parties.hint = _("至少需要一名申请人、一个被申请单位和一个争议类别。")


class Case(ConcurrentTransitionMixin, models.Model):
    class Channel(models.TextChoices):
        HOTLINE = "hotline", _("12351热线")
        WALK_IN = "walk_in", _("服务站来访")
        ONLINE = "online", _("网上申请")
        COURT_REFERRAL = "court_referral", _("法院转交")
        OUTREACH = "outreach", _("主动走访")

    class Outcome(models.TextChoices):
        SETTLED = "settled", _("协商和解")
        MEDIATED = "mediated", _("调解成功")
        AWARD = "award", _("仲裁裁决")
        JUDGMENT = "judgment", _("法院判决")
        ADVICE_GIVEN = "advice_given", _("咨询答复")
        WITHDRAWN = "withdrawn", _("撤回")
        UNSUCCESSFUL = "unsuccessful", _("未获支持")

    number = models.CharField(_("案件编号"), max_length=20, unique=True, editable=False)
    state = FSMField(_("状态"), default=S.RECEIVED, choices=CaseState.choices, protected=True, db_index=True)
    title = models.CharField(_("案由"), max_length=200)
    facts = models.TextField(_("事实与理由"), blank=True)
    channel = models.CharField(_("来源渠道"), max_length=20, choices=Channel.choices)
    categories = models.ManyToManyField(Category, verbose_name=_("争议类别"), blank=True)
    claimants = models.ManyToManyField(
        Worker, through="CaseClaimant", verbose_name=_("申请人"), related_name="cases"
    )
    respondents = models.ManyToManyField(
        Organisation, verbose_name=_("被申请单位"), blank=True, related_name="cases_as_respondent"
    )
    is_group = models.BooleanField(_("群体性案件"), default=False, db_index=True)

    received_on = models.DateField(_("登记日期"))
    infringement_known_on = models.DateField(_("知道或应当知道权利被侵害之日"), null=True, blank=True)
    # LDMAL Art. 27: a claim on the employer, a request to an authority or the employer agreeing to
    # pay interrupts the limitation period, which then runs again from that day.
    limitation_interrupted_on = models.DateField(_("时效中断日"), null=True, blank=True)
    # LDMAL Art. 27 para. 4: unpaid wages have no limit while employed; one year after it ends.
    employment_ended_on = models.DateField(_("劳动关系终止日"), null=True, blank=True)
    screening_due_on = models.DateField(_("审查期限"), null=True, blank=True)
    # Derived from the dates and categories above by services._refresh_derived (so lists can filter).
    limitation_ends_on = models.DateField(_("仲裁时效届满日"), null=True, blank=True, db_index=True)

    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承办人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="handled_cases",
    )
    legal_aid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("援助律师/志愿者"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="legal_aid_cases",
    )
    limitation_overridden = models.BooleanField(_("时效例外受理"), default=False)
    limitation_override_reason = models.TextField(_("时效例外理由"), blank=True)
    rejection_reason = models.TextField(_("不予受理理由"), blank=True)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_detail = models.TextField(_("结果说明"), blank=True)
    amount_recovered = models.DecimalField(
        _("挽回金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("维权案件")
        verbose_name_plural = _("维权案件")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "screening_due_on"])]

    def __str__(self):
        return f"{self.number} {self.title}"

    # The transition bodies only move the state; services.py validates input, sets the data and
    # journals the change, in one transaction. Who may run each is its declaration (transitions.py).

    @transition(field=state, source=S.RECEIVED, target=S.SCREENING, permission=declared("start_screening"))
    def start_screening(self):
        pass

    @transition(field=state, source=S.SCREENING, target=S.ACCEPTED, conditions=[_has_parties], permission=declared("accept"))
    def accept(self):
        pass

    @transition(field=state, source=S.SCREENING, target=S.REJECTED, permission=declared("reject"))
    def reject(self):
        pass

    @transition(field=state, source=S.ACCEPTED, target=S.CONSULTING, permission=declared("provide_consultation"))
    def provide_consultation(self):
        pass

    @transition(field=state, source=S.ACCEPTED, target=S.LEGAL_AID, permission=declared("assign_legal_aid"))
    def assign_legal_aid(self):
        pass

    @transition(field=state, source=[S.ACCEPTED, S.CONSULTING, S.LEGAL_AID], target=S.IN_MEDIATION, permission=declared("refer_to_mediation"))
    def refer_to_mediation(self):
        pass

    @transition(field=state, source=[S.ACCEPTED, S.LEGAL_AID, S.IN_MEDIATION], target=S.IN_ARBITRATION, permission=declared("refer_to_arbitration"))
    def refer_to_arbitration(self):
        pass

    @transition(field=state, source=[S.LEGAL_AID, S.IN_ARBITRATION, S.IN_MEDIATION], target=S.IN_LITIGATION, permission=declared("file_lawsuit"))
    def file_lawsuit(self):
        pass

    @transition(field=state, source=WORKING_STATES, target=S.RESOLVED, permission=declared("resolve"))
    def resolve(self):
        pass

    @transition(field=state, source=S.RESOLVED, target=S.CLOSED, permission=declared("close"))
    def close(self):
        pass

    @transition(field=state, source=[S.CLOSED, S.REJECTED], target=S.SCREENING, permission=declared("reopen"))
    def reopen(self):
        pass

    @cached_property
    def claim_total(self):
        return self.claims.aggregate(total=models.Sum("amount"))["total"]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def claimant_count(self) -> int:
        return self.case_claimants.count()

    def should_be_group(self) -> bool:
        return self.claimant_count() >= GROUP_CASE_MIN_CLAIMANTS


class CaseClaimant(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_claimants")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="case_claims")
    # LDMAL Art. 7: a group of ten or more elects representatives to act for it.
    is_representative = models.BooleanField(_("推举代表"), default=False)

    class Meta:
        verbose_name = _("申请人")
        verbose_name_plural = _("申请人")
        constraints = [models.UniqueConstraint(fields=["case", "worker"], name="unique_case_claimant")]
        ordering = ["id"]

    def __str__(self):
        return str(self.worker)


class Claim(ClaimItem):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims")

    class Meta(ClaimItem.Meta):
        verbose_name = _("请求事项")
        verbose_name_plural = _("请求事项")


def evidence_upload_to(instance, filename):
    return f"evidence/{instance.case.number}/{instance.sha256[:16]}-{filename}"


class Evidence(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=evidence_upload_to)
    original_name = models.CharField(_("原文件名"), max_length=255)
    description = models.CharField(_("证据说明"), max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证据")
        verbose_name_plural = _("证据")
        ordering = ["id"]

    def __str__(self):
        return self.original_name
