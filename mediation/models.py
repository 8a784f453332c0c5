"""Court-plus-union mediation (法院+工会 诉调对接): referral, mediation, agreement, confirmation, performance.

The machine (DESIGN.md, "Mediation"):

    referred ─accept→ accepted ─assign_mediator→ in_progress ─reach_agreement→ agreed
       │decline         │                      │ extend (in_progress → in_progress)
       ↓                ↓ expire               ↓ fail / expire
    declined          failed ←─────────────── failed
    referred, accepted, in_progress ─withdraw→ withdrawn
    agreed ─request_confirmation→ confirmation_pending ─confirm→ confirmed
                                                     └reject_confirmation→ confirmation_rejected ─resume→ in_progress
    agreed, confirmed ─fulfil→ fulfilled      agreed, confirmed ─default→ defaulted

State changes happen only in `mediation.services` (the timed ones, set-based, through
`core.transitions.bulk_transition`); models hold the data and the FSM definition, and who may run
each transition is its declaration (mediation/transitions.py). Deadlines come from
`core.legal_calendar`.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core import legal_figures as law
from core.models import Category, ClaimItem, Organisation, Worker
from core.transitions import declared


class MediationState(models.TextChoices):
    REFERRED = "referred", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("不予受理")
    IN_PROGRESS = "in_progress", _("调解中")
    AGREED = "agreed", _("达成协议")
    FAILED = "failed", _("调解不成")
    WITHDRAWN = "withdrawn", _("已撤回")
    CONFIRMATION_PENDING = "confirmation_pending", _("司法确认中")
    CONFIRMED = "confirmed", _("已司法确认")
    CONFIRMATION_REJECTED = "confirmation_rejected", _("司法确认被驳回")
    FULFILLED = "fulfilled", _("已履行")
    DEFAULTED = "defaulted", _("未履行")


S = MediationState
# Running against a deadline: the sweep expires these when the deadline passes without agreement.
DEADLINE_STATES = [S.ACCEPTED, S.IN_PROGRESS]
# An agreement is being performed: the performance sweep fulfils or defaults these.
PERFORMANCE_STATES = [S.AGREED, S.CONFIRMED]
# Payments may be recorded while an agreement stands (also after a default: enforcement goes on).
PAYMENT_STATES = [S.AGREED, S.CONFIRMATION_PENDING, S.CONFIRMED, S.DEFAULTED]
TERMINAL_STATES = [S.DECLINED, S.FAILED, S.WITHDRAWN, S.FULFILLED, S.DEFAULTED]
OPEN_STATES = [s for s in S if s not in TERMINAL_STATES]
# A mediator's own work in hand (the workload shown at assignment).
MEDIATOR_ACTIVE_STATES = [S.IN_PROGRESS, S.CONFIRMATION_REJECTED]
MEDIATOR_FOLLOW_UP_STATES = [S.AGREED, S.CONFIRMATION_PENDING, S.CONFIRMED]


class Source(models.TextChoices):
    COURT_PRE_SUIT = "court_pre_suit", _("法院委派（诉前调解）")
    COURT_IN_SUIT = "court_in_suit", _("法院委托（诉中调解）")
    UNION = "union", _("工会调解")


COURT_SOURCES = (Source.COURT_PRE_SUIT, Source.COURT_IN_SUIT)


class Procedure(models.TextChoices):
    ORDINARY = "ordinary", _("普通程序")
    SIMPLE = "simple", _("简易程序")


# --- conditions (each with a hint: what a refused user is told) ----------------------------------


def _deadline_passed(m) -> bool:
    return m.deadline is not None and m.deadline < timezone.localdate()


_deadline_passed.hint = _("调解期限尚未届满。")


def _confirmation_window_open(m) -> bool:
    from .rules import confirmation_window

    window = confirmation_window(m)
    # the day the application was made, when the service records it later (else today)
    day = getattr(m, "_confirmation_applied_on", None) or timezone.localdate()
    return window is not None and day <= window.date


_confirmation_window_open.hint = format_lazy(
    _("已超过申请司法确认的期限：须自调解协议生效之日起{days}日内提出（民事诉讼法第二百零五条）。"),
    days=law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS,
)


def _payments_cover_total(m) -> bool:
    agreement = m.agreement
    return agreement is not None and agreement.amount_paid >= agreement.total


_payments_cover_total.hint = _("已记录的履行款项尚未达到协议总额。")


def _instalment_overdue(m) -> bool:
    from .rules import payment_cutoff

    agreement = m.agreement
    return agreement is not None and agreement.instalments.filter(
        paid__lt=models.F("amount"), due_on__lte=payment_cutoff(timezone.localdate())
    ).exists()


_instalment_overdue.hint = _("没有超过宽限期仍未付清的分期款项。")


def _has_mediator(m) -> bool:
    return m.mediator_id is not None


_has_mediator.hint = _("请先指定调解员。")


class Mediation(ConcurrentTransitionMixin, models.Model):
    # Unique by a constraint (Meta), not `unique=True`: that would add a second, pattern-ops index
    # no query uses (the search is icontains).
    number = models.CharField(_("调解编号"), max_length=20, editable=False)
    # Indexed with the deadline while one runs (Meta.indexes): a sweep rewrites the state of many
    # rows at once, and every index on the table costs each of those rows an entry, so the table
    # keeps few.
    state = FSMField(_("状态"), default=S.REFERRED, choices=MediationState.choices, protected=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    procedure = models.CharField(
        _("适用程序"), max_length=10, choices=Procedure.choices, blank=True,
        help_text=format_lazy(_("诉中委托调解的期限取决于适用程序：普通程序{ordinary}日，简易程序{simple}日。"),
                              ordinary=law.COURT_IN_SUIT_MEDIATION_DAYS["ordinary"],
                              simple=law.COURT_IN_SUIT_MEDIATION_DAYS["simple"]),
    )
    title = models.CharField(_("案由"), max_length=200)
    facts = models.TextField(_("纠纷简要情况"), blank=True)

    court = models.ForeignKey(
        Organisation, verbose_name=_("委派/委托法院"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="mediation_referrals", limit_choices_to={"kind": Organisation.Kind.COURT},
        db_index=False,  # indexed where set (Meta.indexes)
    )
    court_case_number = models.CharField(_("法院案号"), max_length=100, blank=True)
    # The object this mediation was opened for (a dispute case, when casework referred it): a
    # generic link, so mediation needs no other module (core.links); both journals record it.
    # One index (origin_id) serves "the mediations of this case"; every index costs a sweep's rows.
    origin_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    db_index=False)
    origin_id = models.PositiveBigIntegerField(_("来源对象"), null=True, blank=True)  # indexed where set (Meta)
    case = GenericForeignKey("origin_type", "origin_id")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("调解组织"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="mediations_conducted", db_index=False,
    )
    claimants = models.ManyToManyField(Worker, verbose_name=_("申请人"), related_name="mediations", blank=True)
    respondents = models.ManyToManyField(
        Organisation, verbose_name=_("被申请单位"), related_name="mediations_as_respondent", blank=True,
    )

    referred_on = models.DateField(_("委派/申请日期"))
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    # The current mediation period starts on acceptance (again on `resume`); the deadline moves only
    # through `extend`.
    period_started_on = models.DateField(_("本期调解起算日"), null=True, blank=True)
    deadline = models.DateField(_("调解期限"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("期限待节假日数据确认"), default=False)
    extensions_in_period = models.PositiveSmallIntegerField(_("本期延长次数"), default=0)
    extended_days = models.PositiveIntegerField(_("本期延长天数"), default=0)

    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调解员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="mediations", db_index=False,  # indexed where set (Meta.indexes)
    )
    mediator_assigned_at = models.DateTimeField(null=True, blank=True)

    decline_reason = models.TextField(_("不予受理理由"), blank=True)
    failure_reason = models.TextField(_("调解终结理由"), blank=True)
    expired = models.BooleanField(_("期满未达成协议"), default=False)
    ended_on = models.DateField(_("调解终结日期"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("撤回理由"), blank=True)
    # A court referral that ends without agreement (declined, failed, expired, withdrawn) goes back
    # to the court; the court liaison is told.
    returned_to_court_on = models.DateField(_("退回法院日期"), null=True, blank=True)

    agreement = models.ForeignKey(
        "Agreement", verbose_name=_("现行调解协议"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    confirmation_requested_on = models.DateField(_("申请司法确认日期"), null=True, blank=True)
    confirmation_court = models.ForeignKey(
        Organisation, verbose_name=_("司法确认法院"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"kind": Organisation.Kind.COURT}, db_index=False,
    )
    ruling_number = models.CharField(_("司法确认裁定书文号"), max_length=100, blank=True)
    ruling_date = models.DateField(_("裁定日期"), null=True, blank=True)
    confirmation_rejection_reason = models.TextField(_("驳回理由"), blank=True)
    fulfilled_on = models.DateField(_("履行完毕日期"), null=True, blank=True)
    defaulted_on = models.DateField(_("认定未履行日期"), null=True, blank=True)
    # After a default: "payment_order" (支付令, LDMAL Art. 16), "enforcement" (a confirmed agreement,
    # CPL Art. 250) or "arbitration" (the agreement is a contract: arbitrate or sue on it).
    next_step = models.CharField(_("后续救济途径"), max_length=20, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("调解")
        verbose_name_plural = _("调解")
        ordering = ["-id"]
        # A sweep rewrites many rows at once, and each new row version costs an entry in every
        # index whose condition it meets; so each index holds only the rows it is for. The sweeps
        # find running deadlines by state and deadline (only the states in which one runs); court,
        # case and mediator are found where set (a court liaison's list, a case's mediations, a
        # mediator's workload): a union mediation has no court, a court referral no case.
        indexes = [
            models.Index(fields=["state", "deadline"], name="mediation_deadline_running",
                         condition=models.Q(state__in=DEADLINE_STATES)),
            models.Index(fields=["court"], name="mediation_court_set", condition=models.Q(court__isnull=False)),
            models.Index(fields=["origin_id"], name="mediation_origin_set", condition=models.Q(origin_id__isnull=False)),
            models.Index(fields=["mediator"], name="mediation_mediator_set", condition=models.Q(mediator__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="unique_mediation_number"),
            # A court's referral list imported twice creates nothing the second time.
            models.UniqueConstraint(
                fields=["court", "court_case_number"], condition=~models.Q(court_case_number=""),
                name="unique_court_referral",
            ),
            models.CheckConstraint(
                condition=models.Q(source="union") | models.Q(court__isnull=False),
                name="court_referral_names_its_court",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_court_referral(self) -> bool:
        return self.source in COURT_SOURCES

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # The transition bodies only move the state; services.py validates input, sets the data and
    # journals the change, in one transaction. Who may run each is its declaration (transitions.py).

    @transition(field=state, source=S.REFERRED, target=S.ACCEPTED, permission=declared("accept"))
    def accept(self):
        pass

    @transition(field=state, source=S.REFERRED, target=S.DECLINED, permission=declared("decline"))
    def decline(self):
        pass

    @transition(field=state, source=S.ACCEPTED, target=S.IN_PROGRESS, permission=declared("assign_mediator"))
    def assign_mediator(self):
        pass

    @transition(field=state, source=S.IN_PROGRESS, target=S.IN_PROGRESS, conditions=[_has_mediator],
                permission=declared("extend"))
    def extend(self):
        pass

    @transition(field=state, source=S.IN_PROGRESS, target=S.AGREED, conditions=[_has_mediator],
                permission=declared("reach_agreement"))
    def reach_agreement(self):
        pass

    @transition(field=state, source=S.IN_PROGRESS, target=S.FAILED, permission=declared("fail"))
    def fail(self):
        pass

    @transition(field=state, source=DEADLINE_STATES, target=S.FAILED, conditions=[_deadline_passed],
                permission=declared("expire"))
    def expire(self):
        pass

    @transition(field=state, source=[S.REFERRED, S.ACCEPTED, S.IN_PROGRESS], target=S.WITHDRAWN,
                permission=declared("withdraw"))
    def withdraw(self):
        pass

    @transition(field=state, source=S.AGREED, target=S.CONFIRMATION_PENDING, conditions=[_confirmation_window_open],
                permission=declared("request_confirmation"))
    def request_confirmation(self):
        pass

    @transition(field=state, source=S.CONFIRMATION_PENDING, target=S.CONFIRMED, permission=declared("confirm"))
    def confirm(self):
        pass

    @transition(field=state, source=S.CONFIRMATION_PENDING, target=S.CONFIRMATION_REJECTED,
                permission=declared("reject_confirmation"))
    def reject_confirmation(self):
        pass

    @transition(field=state, source=S.CONFIRMATION_REJECTED, target=S.IN_PROGRESS, conditions=[_has_mediator],
                permission=declared("resume"))
    def resume(self):
        pass

    @transition(field=state, source=PERFORMANCE_STATES, target=S.FULFILLED, conditions=[_payments_cover_total],
                permission=declared("fulfil"))
    def fulfil(self):
        pass

    @transition(field=state, source=PERFORMANCE_STATES, target=S.DEFAULTED, conditions=[_instalment_overdue],
                permission=declared("default"))
    def default(self):
        pass


class MediationClaim(ClaimItem):
    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="claims")
    # A court's referral list may not name a category.
    category = models.ForeignKey(Category, verbose_name=_("类别"), null=True, blank=True, on_delete=models.PROTECT)

    class Meta(ClaimItem.Meta):
        verbose_name = _("调解请求事项")
        verbose_name_plural = _("调解请求事项")


class Extension(models.Model):
    """One consented extension of the mediation period (`extend`)."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveIntegerField(_("延长天数"))
    previous_deadline = models.DateField(_("原期限"))
    new_deadline = models.DateField(_("延长后期限"))
    claimant_consent_on = models.DateField(_("申请人同意日期"))
    respondent_consent_on = models.DateField(_("被申请人同意日期"))
    consent_note = models.TextField(_("同意情况说明"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("延长调解期限")
        verbose_name_plural = _("延长调解期限")
        ordering = ["id"]

    def __str__(self):
        return f"+{self.days} → {self.new_deadline}"


class MediationSession(models.Model):
    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("现场调解")
        VIDEO = "video", _("视频调解")
        PHONE = "phone", _("电话调解")

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="sessions")
    seq = models.PositiveSmallIntegerField(_("次序"))
    held_at = models.DateTimeField(_("调解时间"))
    mode = models.CharField(_("方式"), max_length=10, choices=Mode.choices)
    location = models.CharField(_("地点/平台"), max_length=200, blank=True)
    attendees = models.JSONField(_("参加人员"), default=list, help_text=_("每人一项：姓名及身份，如“陈志强（申请人代表）”。"))
    minutes = models.TextField(_("调解笔录"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("调解会")
        verbose_name_plural = _("调解会")
        ordering = ["mediation", "seq"]
        constraints = [models.UniqueConstraint(fields=["mediation", "seq"], name="unique_mediation_session_seq")]

    def __str__(self):
        return f"{self.mediation.number} 第{self.seq}次调解"

    @property
    def number(self) -> str:
        """The reference printed on the session record: TJ-2026-000001-S1."""
        return f"{self.mediation.number}-S{self.seq}"

    @property
    def handler(self):
        return self.mediation.mediator


class Agreement(models.Model):
    """The terms of a mediation agreement (调解协议). A resumed mediation may sign a new version."""

    class Basis(models.TextChoices):
        # LDMAL Art. 16: the first three open the payment-order route (支付令) on a default.
        WAGES = "wages", _("劳动报酬")
        INJURY_MEDICAL = "injury_medical", _("工伤医疗费")
        COMPENSATION = "compensation", _("经济补偿或赔偿金")
        OTHER = "other", _("其他")

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="agreements")
    version = models.PositiveSmallIntegerField(_("版本"))
    total = models.DecimalField(_("协议总额（元）"), max_digits=14, decimal_places=2)
    basis = models.CharField(_("款项性质"), max_length=20, choices=Basis.choices)
    obligations = models.TextField(_("非金钱义务"), blank=True)
    terms = models.TextField(_("其他约定"), blank=True)
    signed_on = models.DateField(_("签订日期"))
    effective_on = models.DateField(_("生效日期"))
    # Sum of the payments recorded against this agreement (kept with them, under the mediation's lock).
    amount_paid = models.DecimalField(_("已履行金额（元）"), max_digits=14, decimal_places=2, default=Decimal("0"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("调解协议")
        verbose_name_plural = _("调解协议")
        ordering = ["mediation", "version"]
        constraints = [
            models.UniqueConstraint(fields=["mediation", "version"], name="unique_agreement_version"),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="agreement_total_not_negative"),
        ]

    def __str__(self):
        return f"{self.mediation.number} 调解协议（第{self.version}版）"

    @property
    def outstanding(self) -> Decimal:
        return max(self.total - self.amount_paid, Decimal("0"))


class Instalment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="instalments")
    seq = models.PositiveSmallIntegerField(_("期数"))
    due_on = models.DateField(_("履行期限"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    paid = models.DecimalField(_("已付（元）"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("分期履行")
        verbose_name_plural = _("分期履行")
        ordering = ["agreement", "seq"]
        indexes = [models.Index(fields=["agreement", "due_on"])]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "seq"], name="unique_instalment_seq"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(condition=models.Q(paid__gte=0) & models.Q(paid__lte=models.F("amount")),
                                   name="instalment_paid_within_amount"),
        ]

    def __str__(self):
        return f"第{self.seq}期 {self.due_on} ¥{self.amount}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


class Payment(models.Model):
    """Money received under an agreement, allocated to one instalment (a transfer covering several
    instalments is recorded as one row per instalment, with the same reference)."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="payments")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="payments")
    instalment = models.ForeignKey(Instalment, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("支付日期"))
    reference = models.CharField(_("凭证号"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("履行记录")
        verbose_name_plural = _("履行记录")
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.paid_on} ¥{self.amount}"
