"""The foundation every module stands on: parties, reference data, the journal, the legal calendar,
notifications, documents and numbering.

Module models point at these (a mediation's claimants are `core.Worker`s, every module's state
changes land in `core.Event`); `core` knows nothing of any module's models.
"""

import hashlib
import hmac

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from . import identifiers

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
# Reference data shared by the modules
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


class ClaimItem(models.Model):
    """One thing a worker asks for (a module's claims: a case's, a mediation's), with an amount
    when it is money. Abstract: each module keeps its claims beside the object they belong to."""

    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT)
    description = models.CharField(_("请求事项"), max_length=300)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True, help_text=_("非金钱请求留空。"),
    )

    class Meta:
        abstract = True
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="%(app_label)s_%(class)s_amount_not_negative",
            )
        ]

    def __str__(self):
        return self.description


class NumberSequence(models.Model):
    """One row per (prefix, year): WQ-2026-…, TJ-2026-…. Locked while numbers are taken
    (`core.services.next_numbers`), so numbers never repeat or skip."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="unique_number_sequence")]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


# --------------------------------------------------------------------------------------------------
# The journal: one append-only, hash-chained table for every module's state changes
# --------------------------------------------------------------------------------------------------


class Event(models.Model):
    # Neither foreign key has a constraint in the database (db_constraint=False), only the ORM's
    # PROTECT: a sweep appends 100,000 events in one transaction, and PostgreSQL would check each
    # one's keys again at the COMMIT (about a second), for rows written from the objects themselves.
    # content_type has no index of its own either: the (content_type, object_id, id) index leads
    # with it.
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False, db_constraint=False)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_constraint=False, db_index=False,  # indexed where set (Meta): a sweep's events have no actor
    )
    # The name as it was when the event happened; a renamed or removed user leaves history intact.
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()
    comment = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    # Unique by a constraint (Meta), not `unique=True`, which would add a pattern-ops index too.
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "id"]),
            models.Index(fields=["actor"], name="core_event_actor_set", condition=models.Q(actor__isnull=False)),
        ]
        constraints = [models.UniqueConstraint(fields=["hash"], name="unique_event_hash")]
        triggers = [
            pgtrigger.Protect(
                name="journal_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            # TRUNCATE fires no row trigger: a statement-level one refuses it (docs/journal.md).
            pgtrigger.Trigger(
                name="journal_refuses_truncate",
                operation=pgtrigger.Truncate,
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                func="RAISE EXCEPTION 'pgtrigger: Cannot truncate the % table', TG_TABLE_NAME;",
            ),
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
    """An in-app message; the same one is also e-mailed when the recipient has an address.

    Sent by a transition's declared notices (core/notices.py), by sweeps and by services. When a
    set-based transition tells one person about many objects, they get one digest listing them."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    # Identifies "this warning about this object for this period": a sweep run twice sends it once.
    key = models.CharField(max_length=200)
    message = models.TextField()
    # A digest (a sweep moved many objects a person is told about) lists them here, one
    # [object_id, key, message] each; `message` then sums them up. A single notice has none.
    items = models.JSONField(default=list, blank=True)
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


class PendingNotices(models.Model):
    """The notices a large set-based transition owes, written in its own transaction and sent by a
    worker once it has committed (core.notices.send_after_commit): a sweep that expires a whole
    backlog holds its rows' locks for the change alone. A row outlives a lost task: the beat sends
    whatever is still here (core.tasks.send_pending_notices), and sending deletes it in the same
    transaction, so each is sent once."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    transition = models.CharField(max_length=64)
    ids = models.JSONField()
    digest = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("待发提醒")
        verbose_name_plural = _("待发提醒")

    def __str__(self):
        return f"{self.content_type.model}.{self.transition} × {len(self.ids)}"


# --------------------------------------------------------------------------------------------------
# Documents: one row per generated PDF (the pipeline is core/documents.py)
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
