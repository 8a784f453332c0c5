"""Dispute intake (维权受理) and the shared foundation: parties, the journal, the legal calendar.

State changes happen only in `casework.services`; models hold data and the FSM definition.
"""

import hashlib
import hmac

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from encrypted_fields.fields import EncryptedCharField

from . import identifiers
from . import permissions as perms
from .rules_of_law import GROUP_CASE_MIN_CLAIMANTS

# --------------------------------------------------------------------------------------------------
# People and organisations
# --------------------------------------------------------------------------------------------------


class Organisation(models.Model):
    class Kind(models.TextChoices):
        UNION = "union", _("工会")
        PLATFORM = "platform", _("平台企业")
        AGENT = "agent", _("平台代理商")
        FRANCHISEE = "franchisee", _("加盟商")
        LABOR_DISPATCH = "labor_dispatch", _("劳务派遣单位")
        INDUSTRY_ASSOCIATION = "industry_association", _("行业协会")
        COURT = "court", _("人民法院")
        LABOR_BUREAU = "labor_bureau", _("人力资源和社会保障局")
        MEDIATION_ORGANISATION = "mediation_organisation", _("调解组织")

    EMPLOYER_KINDS = (Kind.PLATFORM, Kind.AGENT, Kind.FRANCHISEE, Kind.LABOR_DISPATCH)

    name = models.CharField(_("名称"), max_length=200, unique=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, null=True, unique=True
    )
    # A code that fails the GB 32100 checksum is kept only with a supervisor's recorded override.
    credit_code_override_reason = models.TextField(_("校验码例外说明"), blank=True)
    credit_code_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("所属平台/上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partners",
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def credit_code_checksum_ok(self) -> bool:
        return not self.credit_code or identifiers.credit_code_checksum_ok(self.credit_code)


def resident_id_digest(number: str) -> str:
    """A keyed hash of the ID number: lets staff look a worker up by ID without decrypting rows."""
    key = settings.FIELD_ENCRYPTION_KEY.encode()
    return hmac.new(key, identifiers.normalise_resident_id(number).encode(), hashlib.sha256).hexdigest()


class Worker(models.Model):
    class Occupation(models.TextChoices):
        RIDER = "rider", _("外卖骑手")
        RIDE_HAILING_DRIVER = "ride_hailing_driver", _("网约车司机")
        COURIER = "courier", _("快递员")
        TRUCK_DRIVER = "truck_driver", _("货车司机")
        STREAMER = "streamer", _("网络主播")
        OTHER = "other", _("其他")

    class Relationship(models.TextChoices):
        EMPLOYMENT = "employment", _("劳动关系")
        NOT_FULLY_EMPLOYMENT = "not_fully_employment", _("不完全符合确立劳动关系情形")
        CIVIL = "civil", _("民事关系")
        UNKNOWN = "unknown", _("待确认")

    name = models.CharField(_("姓名"), max_length=100)
    id_number = EncryptedCharField(_("身份证号码"), max_length=18)
    id_number_digest = models.CharField(max_length=64, unique=True, editable=False)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True, db_index=True)
    occupation = models.CharField(_("职业"), max_length=32, choices=Occupation.choices)
    platforms = models.ManyToManyField(
        Organisation, verbose_name=_("服务平台"), blank=True, related_name="workers"
    )
    relationship_type = models.CharField(
        _("用工关系"), max_length=32, choices=Relationship.choices, default=Relationship.UNKNOWN
    )
    is_union_member = models.BooleanField(_("工会会员"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("劳动者")
        verbose_name_plural = _("劳动者")
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name}（{self.id_number_masked}）"

    def save(self, *args, **kwargs):
        self.id_number = identifiers.normalise_resident_id(self.id_number)
        self.id_number_digest = resident_id_digest(self.id_number)
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return identifiers.mask_resident_id(self.id_number)


class StaffProfile(models.Model):
    """What the permission and conflict-of-interest rules need to know about a user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("工会工作人员所在工会；企业联系人所在企业；法院联络员所在法院。"),
    )
    # Organisations this person acts for (a lawyer's clients, a former employer's retainer...).
    # Assigning them to a case against one of these is a conflict of interest.
    acts_for = models.ManyToManyField(
        Organisation, verbose_name=_("代理或受聘单位"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("人员档案")
        verbose_name_plural = _("人员档案")

    def __str__(self):
        return str(self.user)


# --------------------------------------------------------------------------------------------------
# The Case machine
# --------------------------------------------------------------------------------------------------


class Category(models.Model):
    """Dispute categories; seeded by a data migration, extendable by staff."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)

    class Meta:
        verbose_name = _("争议类别")
        verbose_name_plural = _("争议类别")
        ordering = ["id"]

    def __str__(self):
        return self.name


class CaseNumberSequence(models.Model):
    """One row per year; locked while a number is taken so numbers never repeat or skip."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


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
    # journals the change, in one transaction. Permissions are the rules predicates in permissions.py.

    @transition(field=state, source=S.RECEIVED, target=S.SCREENING, permission=perms.transition_perm("start_screening"))
    def start_screening(self):
        pass

    @transition(field=state, source=S.SCREENING, target=S.ACCEPTED, conditions=[_has_parties], permission=perms.transition_perm("accept"))
    def accept(self):
        pass

    @transition(field=state, source=S.SCREENING, target=S.REJECTED, permission=perms.transition_perm("reject"))
    def reject(self):
        pass

    @transition(field=state, source=S.ACCEPTED, target=S.CONSULTING, permission=perms.transition_perm("provide_consultation"))
    def provide_consultation(self):
        pass

    @transition(field=state, source=S.ACCEPTED, target=S.LEGAL_AID, permission=perms.transition_perm("assign_legal_aid"))
    def assign_legal_aid(self):
        pass

    @transition(field=state, source=[S.ACCEPTED, S.CONSULTING, S.LEGAL_AID], target=S.IN_MEDIATION, permission=perms.transition_perm("refer_to_mediation"))
    def refer_to_mediation(self):
        pass

    @transition(field=state, source=[S.ACCEPTED, S.LEGAL_AID, S.IN_MEDIATION], target=S.IN_ARBITRATION, permission=perms.transition_perm("refer_to_arbitration"))
    def refer_to_arbitration(self):
        pass

    @transition(field=state, source=[S.LEGAL_AID, S.IN_ARBITRATION, S.IN_MEDIATION], target=S.IN_LITIGATION, permission=perms.transition_perm("file_lawsuit"))
    def file_lawsuit(self):
        pass

    @transition(field=state, source=WORKING_STATES, target=S.RESOLVED, permission=perms.transition_perm("resolve"))
    def resolve(self):
        pass

    @transition(field=state, source=S.RESOLVED, target=S.CLOSED, permission=perms.transition_perm("close"))
    def close(self):
        pass

    @transition(field=state, source=[S.CLOSED, S.REJECTED], target=S.SCREENING, permission=perms.transition_perm("reopen"))
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


class Claim(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims")
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT)
    description = models.CharField(_("请求事项"), max_length=300)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("非金钱请求留空。"),
    )

    class Meta:
        verbose_name = _("请求事项")
        verbose_name_plural = _("请求事项")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="claim_amount_not_negative",
            )
        ]

    def __str__(self):
        return self.description


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


# --------------------------------------------------------------------------------------------------
# The journal: one append-only, hash-chained table for every module's state changes
# --------------------------------------------------------------------------------------------------


class Event(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The name as it was when the event happened; a renamed or removed user leaves history intact.
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()
    comment = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["content_type", "object_id", "id"])]
        triggers = [
            pgtrigger.Protect(
                name="journal_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.transition} {self.from_state}→{self.to_state}"


# --------------------------------------------------------------------------------------------------
# The legal calendar
# --------------------------------------------------------------------------------------------------


class CalendarDay(models.Model):
    """A day that breaks the weekday/weekend pattern: a statutory holiday or a make-up workday (调休).

    Seeded from `chinese-calendar`; staff add the next year when the State Council publishes it.
    A year with no rows here is counted by weekends alone and its deadlines are marked provisional.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("调休上班"), default=False)
    name = models.CharField(_("名称"), max_length=60, blank=True)
    source = models.CharField(_("来源"), max_length=40, default="staff")

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self):
        kind = _("调休上班") if self.is_workday else _("法定节假日")
        return f"{self.date} {self.name} ({kind})"


# --------------------------------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------------------------------


class Notification(models.Model):
    """An in-app message; the same one is also e-mailed when the recipient has an address."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    # Identifies "this warning about this object for this period": a sweep run twice sends it once.
    key = models.CharField(max_length=200)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="unique_notification_key")
        ]

    def __str__(self):
        return self.message[:60]


# --------------------------------------------------------------------------------------------------
# Documents: one row per generated PDF (the pipeline is casework/documents.py)
# --------------------------------------------------------------------------------------------------


def document_upload_to(instance, filename):
    return (
        f"documents/{instance.content_type.app_label}/{instance.content_type.model}/"
        f"{instance.object_id}/{instance.kind}-v{instance.version}-{instance.verification_code}.pdf"
    )


class Document(models.Model):
    """A PDF generated for an object (a case, a mediation, a checkup...) in one of its states.

    Asked for once per (owner, kind, owner_state); asking again returns the same row unless a
    regeneration is asked for, which adds the next `version` and keeps the old ones. A row is
    `pending` until the render task has stored the file; it is `ready` only with its file and hash.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    owner = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("文书类型"), max_length=64)
    title = models.CharField(_("文书名称"), max_length=100)
    owner_state = models.CharField(_("生成时状态"), max_length=32, blank=True)
    version = models.PositiveIntegerField(_("版本"))
    template_version = models.CharField(_("模板版本"), max_length=20)
    number = models.CharField(_("文书编号"), max_length=64, unique=True)
    verification_code = models.CharField(_("核验码"), max_length=16, unique=True)
    issuer = models.CharField(_("出具单位"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    file = models.FileField(_("文件"), upload_to=document_upload_to, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    pdf_variant = models.CharField(_("PDF 标准"), max_length=16, blank=True)
    attempts = models.PositiveSmallIntegerField(_("生成尝试次数"), default=0)
    error = models.TextField(_("失败原因"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("文书")
        verbose_name_plural = _("文书")
        ordering = ["-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "kind", "owner_state"])]
        constraints = [
            # Versions of one kind of document for one object are numbered 1, 2, 3...; two requests
            # racing for the same next version meet here and the loser re-reads (documents.request).
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "version"], name="unique_document_version"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | (~models.Q(sha256="") & ~models.Q(file="")),
                name="ready_document_has_file",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"
