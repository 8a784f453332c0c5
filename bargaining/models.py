"""Collective bargaining (集体协商): proposal, reply, rounds per topic, draft, vote, contract.

The machine (DESIGN.md, "Negotiation"):

    preparing ─send_proposal→ proposed ─accept_proposal→ negotiating ⇄ suspended (suspend/resume)
                                 └refuse_proposal→ refused
    negotiating ─draft_agreement→ drafted ─submit_for_vote→ voting ─record_vote→ ratified | negotiating
    ratified ─sign→ signed ─file→ filed ─take_effect→ effective ─expire→ expired
                                  └object→ negotiating

State changes happen only in `bargaining.services`; who may run each transition is its
declaration (bargaining/transitions.py); the figures (20-day reply, 10-day filing, the 15-day
objection window, the 2/3 and 1/2 of the vote) are in `core/legal_figures.py` and `rules.py`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from core.models import Organisation, Worker
from core.transitions import declared


class NegotiationState(models.TextChoices):
    PREPARING = "preparing", _("筹备中")
    PROPOSED = "proposed", _("已发出要约")
    REFUSED = "refused", _("要约被拒绝")
    NEGOTIATING = "negotiating", _("协商中")
    SUSPENDED = "suspended", _("协商中止")
    DRAFTED = "drafted", _("草案已拟定")
    VOTING = "voting", _("表决中")
    RATIFIED = "ratified", _("草案已通过")
    SIGNED = "signed", _("已签订")
    FILED = "filed", _("已报送审查")
    EFFECTIVE = "effective", _("已生效")
    EXPIRED = "expired", _("已期满")


S = NegotiationState
TERMINAL_STATES = [S.REFUSED, S.EXPIRED]
OPEN_STATES = [s for s in S if s not in TERMINAL_STATES]
# Rounds and positions are recorded while the sides are at the table.
TABLE_STATES = [S.NEGOTIATING]
# The team may still change until the contract is signed.
TEAM_STATES = [S.PREPARING, S.PROPOSED, S.NEGOTIATING, S.SUSPENDED, S.DRAFTED]


class Level(models.TextChoices):
    """Labor Contract Law Art. 53: enterprise, industry or regional (county level and below)."""

    ENTERPRISE = "enterprise", _("企业（平台）")
    INDUSTRY = "industry", _("行业性")
    REGIONAL = "regional", _("区域性（县级以下）")


class Procedure(models.TextChoices):
    """Jiangsu 集体协商条例: only the ordinary procedure may sign a contract or lower standards."""

    ORDINARY = "ordinary", _("一般程序")
    SIMPLE = "simple", _("简易程序")
    EMERGENCY = "emergency", _("紧急程序")


class Unit(models.TextChoices):
    YUAN_PER_ORDER = "yuan_per_order", _("元/单")
    PERCENT = "percent", _("%")
    MINUTES = "minutes", _("分钟")
    HOURS = "hours", _("小时")
    YUAN_PER_MONTH = "yuan_per_month", _("元/月")
    YUAN_PER_HOUR = "yuan_per_hour", _("元/小时")
    TEXT = "text", _("文字")


class Costing(models.TextChoices):
    """How a numeric position is costed against the platform's order statistics."""

    NONE = "", _("不测算")
    PIECE_RATE = "piece_rate", _("计件单价（元/单）")
    COMMISSION = "commission", _("抽成比例（%）")
    SURCHARGE = "surcharge", _("补贴加价（元/单，限时段或天气）")


# --- conditions (each with a hint: what a refused user is told) ----------------------------------


def _has_topics(n) -> bool:
    return n.topics.exists()


_has_topics.hint = _("要约至少须列明一个协商议题。")


def _team_is_lawful(n) -> bool:
    from .rules import composition_problems

    return not composition_problems(n)


_team_is_lawful.hint = _("协商代表的组成不符合《集体合同规定》（双方人数相等、各不少于3人、各有1名首席代表、"
                         "外聘专家不超过本方三分之一且不得任首席、任何人不得同时代表双方）。")


def _agreement_reached(n) -> bool:
    agreed = n.topics.filter(agreed=True)
    return agreed.exists() and agreed.filter(core_common=True).exists()


_agreement_reached.hint = _("须至少就一个议题达成一致，且其中至少一个是核心共性问题。")


def _has_electorate(n) -> bool:
    return n.electors.exists()


_has_electorate.hint = _("请先登记表决名册（职工代表或全体职工）。")


def _ordinary_procedure(n) -> bool:
    return n.procedure == Procedure.ORDINARY


_ordinary_procedure.hint = _("只有一般程序可以签订集体合同（《江苏省集体协商条例》）。")


def _has_draft(n) -> bool:
    return n.versions.exists()


_has_draft.hint = _("还没有合同草案文本。")


class Negotiation(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("协商编号"), max_length=20, unique=True, editable=False)
    state = FSMField(_("状态"), default=S.PREPARING, choices=NegotiationState.choices, protected=True)
    title = models.CharField(_("协商事项"), max_length=200)
    level = models.CharField(_("协商层级"), max_length=20, choices=Level.choices, default=Level.ENTERPRISE)
    procedure = models.CharField(_("协商程序"), max_length=20, choices=Procedure.choices, default=Procedure.ORDINARY)
    region = models.CharField(_("区域（县级以下）"), max_length=100, blank=True)

    union = models.ForeignKey(Organisation, verbose_name=_("工会方"), on_delete=models.PROTECT,
                              related_name="negotiations_as_union", limit_choices_to={"kind": Organisation.Kind.UNION})
    employers = models.ManyToManyField(Organisation, verbose_name=_("企业方"), related_name="negotiations_as_employer")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("集体协商专员"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="negotiations")

    covered_occupations = models.JSONField(_("覆盖职业"), default=list, blank=True)
    covered_cities = models.CharField(_("覆盖城市"), max_length=200, blank=True)
    covered_headcount = models.PositiveIntegerField(_("覆盖劳动者人数（估计）"), null=True, blank=True)
    electorate_kind = models.CharField(_("表决主体"), max_length=20, blank=True, choices=[
        ("congress", _("职工代表大会代表")), ("all_workers", _("全体职工（覆盖劳动者）"))])

    proposal_text = models.TextField(_("要约说明"), blank=True)
    proposed_on = models.DateField(_("要约发出日期"), null=True, blank=True)
    reply_due = models.DateField(_("书面回应期限"), null=True, blank=True)
    reply_due_provisional = models.BooleanField(default=False)
    reply_overdue_notified_on = models.DateField(null=True, blank=True)
    replied_on = models.DateField(_("回应日期"), null=True, blank=True)
    reply_text = models.TextField(_("回应意见"), blank=True)
    refusal_reason = models.TextField(_("拒绝理由"), blank=True)
    suspension_reason = models.TextField(_("中止理由"), blank=True)

    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("合同期限（年）"), null=True, blank=True,
                                                  validators=[MinValueValidator(1), MaxValueValidator(3)])
    filing_due = models.DateField(_("报送期限"), null=True, blank=True)
    filed_on = models.DateField(_("报送日期"), null=True, blank=True)
    filed_late = models.BooleanField(_("逾期报送"), default=False)
    filing_authority = models.ForeignKey(Organisation, verbose_name=_("审查机关"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+",
                                         limit_choices_to={"kind": Organisation.Kind.LABOR_BUREAU})
    objection_window_ends = models.DateField(_("审查异议期限"), null=True, blank=True)
    objection_reason = models.TextField(_("审查意见（异议）"), blank=True)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    # "no_objection": the reviewer said so; "lapse": 15 days after filing passed with no objection.
    effect_basis = models.CharField(_("生效依据"), max_length=20, blank=True)
    expires_on = models.DateField(_("期满日期"), null=True, blank=True)
    renewal_notified_on = models.DateField(null=True, blank=True)
    renewal_of = models.ForeignKey("self", verbose_name=_("续订自"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="renewals")
    # Set by record_vote's service before the FSM method reads it.
    _vote_passed = None

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("集体协商")
        verbose_name_plural = _("集体协商")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "reply_due"])]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def current_version(self):
        return self.versions.order_by("-number").first()

    # The transition bodies only move the state; services.py validates input, sets the data and
    # journals the change. Who may run each is its declaration (transitions.py).

    @transition(field=state, source=S.PREPARING, target=S.PROPOSED, conditions=[_has_topics, _team_is_lawful],
                permission=declared("send_proposal"))
    def send_proposal(self):
        pass

    @transition(field=state, source=S.PROPOSED, target=S.NEGOTIATING, permission=declared("accept_proposal"))
    def accept_proposal(self):
        pass

    @transition(field=state, source=S.PROPOSED, target=S.REFUSED, permission=declared("refuse_proposal"))
    def refuse_proposal(self):
        pass

    @transition(field=state, source=S.NEGOTIATING, target=S.SUSPENDED, permission=declared("suspend"))
    def suspend(self):
        pass

    @transition(field=state, source=S.SUSPENDED, target=S.NEGOTIATING, permission=declared("resume"))
    def resume(self):
        pass

    @transition(field=state, source=S.NEGOTIATING, target=S.DRAFTED, conditions=[_agreement_reached],
                permission=declared("draft_agreement"))
    def draft_agreement(self):
        pass

    @transition(field=state, source=S.DRAFTED, target=S.VOTING, conditions=[_has_draft, _has_electorate],
                permission=declared("submit_for_vote"))
    def submit_for_vote(self):
        pass

    @transition(field=state, source=S.VOTING, target=RETURN_VALUE(S.RATIFIED, S.NEGOTIATING),
                permission=declared("record_vote"))
    def record_vote(self):
        return S.RATIFIED if self._vote_passed else S.NEGOTIATING

    @transition(field=state, source=S.RATIFIED, target=S.SIGNED, conditions=[_ordinary_procedure],
                permission=declared("sign"))
    def sign(self):
        pass

    @transition(field=state, source=S.SIGNED, target=S.FILED, permission=declared("file"))
    def file(self):
        pass

    @transition(field=state, source=S.FILED, target=S.EFFECTIVE, permission=declared("take_effect"))
    def take_effect(self):
        pass

    @transition(field=state, source=S.FILED, target=S.NEGOTIATING, permission=declared("object"))
    def object(self):
        pass

    @transition(field=state, source=S.EFFECTIVE, target=S.EXPIRED, permission=declared("expire"))
    def expire(self):
        pass


class Side(models.TextChoices):
    UNION = "union", _("职工方")
    EMPLOYER = "employer", _("企业方")


class Negotiator(models.Model):
    """A seat at the table (集体合同规定 Arts. 19–24). A seat left vacant must be filled within 15
    days (Art. 31): `vacated_on` set and no successor yet."""

    class SeatRole(models.TextChoices):
        CHIEF = "chief", _("首席代表")
        NEGOTIATOR = "negotiator", _("协商代表")
        EXPERT = "expert", _("外聘专家")

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="negotiators")
    side = models.CharField(_("代表方"), max_length=10, choices=Side.choices)
    role = models.CharField(_("身份"), max_length=12, choices=SeatRole.choices, default=SeatRole.NEGOTIATOR)
    name = models.CharField(_("姓名"), max_length=100)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(Worker, verbose_name=_("劳动者代表"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    organisation = models.ForeignKey(Organisation, verbose_name=_("所属单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    # The workers' chief is the union chair, or someone the chair delegated in writing (Art. 20).
    is_union_chair = models.BooleanField(_("工会主席"), default=False)
    delegation_reference = models.CharField(_("书面委托书"), max_length=200, blank=True)
    vacated_on = models.DateField(_("出缺日期"), null=True, blank=True)
    vacancy_reason = models.CharField(_("出缺原因"), max_length=200, blank=True)
    replaces = models.OneToOneField("self", verbose_name=_("替补"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="successor")

    class Meta:
        verbose_name = _("协商代表")
        verbose_name_plural = _("协商代表")
        ordering = ["side", "role", "id"]

    def __str__(self):
        return f"{self.get_side_display()} {self.get_role_display()} {self.name}"


class Topic(models.Model):
    """The catalogue of bargaining topics (人社部发〔2021〕56号, the Guangdong measures, algorithm rules)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("议题"), max_length=60)
    unit = models.CharField(_("单位"), max_length=20, choices=Unit.choices, default=Unit.TEXT)
    costing = models.CharField(_("测算方式"), max_length=20, choices=Costing.choices, blank=True, default="")
    core_common = models.BooleanField(_("核心共性问题"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("协商议题目录")
        verbose_name_plural = _("协商议题目录")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class NegotiationTopic(models.Model):
    """A topic on this negotiation's table: the union's demand, and where the sides ended up."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="topics")
    topic = models.ForeignKey(Topic, verbose_name=_("目录议题"), null=True, blank=True, on_delete=models.PROTECT)
    name = models.CharField(_("议题"), max_length=100)
    unit = models.CharField(_("单位"), max_length=20, choices=Unit.choices, default=Unit.TEXT)
    costing = models.CharField(_("测算方式"), max_length=20, choices=Costing.choices, blank=True, default="")
    # A surcharge applies to the order statistics of one time band and/or weather.
    surcharge_time_band = models.CharField(_("加价时段"), max_length=40, blank=True)
    surcharge_weather = models.CharField(_("加价天气"), max_length=40, blank=True)
    core_common = models.BooleanField(_("核心共性问题"), default=False)
    demand_value = models.DecimalField(_("要约诉求（数值）"), max_digits=12, decimal_places=2, null=True, blank=True)
    demand_text = models.TextField(_("要约诉求"), blank=True)
    agreed = models.BooleanField(_("已达成一致"), default=False)
    agreed_value = models.DecimalField(_("一致数值"), max_digits=12, decimal_places=2, null=True, blank=True)
    agreed_text = models.TextField(_("一致内容"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("协商议题")
        verbose_name_plural = _("协商议题")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["negotiation", "name"], name="one_topic_name_per_negotiation")]

    def __str__(self):
        return self.name

    @property
    def numeric(self) -> bool:
        return self.unit != Unit.TEXT


class UnionNote(models.Model):
    """The union side's own brief on a topic: union staff only — never shown to the employer side,
    never in the API for them, never in a document that leaves the union. A table of its own, so
    no serializer or template of the topic can carry it by accident."""

    topic = models.OneToOneField(NegotiationTopic, on_delete=models.CASCADE, related_name="union_note")
    priority = models.PositiveSmallIntegerField(_("优先级（1最高）"), null=True, blank=True,
                                                validators=[MinValueValidator(1), MaxValueValidator(5)])
    target_value = models.DecimalField(_("目标值"), max_digits=12, decimal_places=2, null=True, blank=True)
    walk_away_value = models.DecimalField(_("底线值"), max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("内部备注"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("工会内部议题备忘")
        verbose_name_plural = _("工会内部议题备忘")


class Round(models.Model):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("现场会议")
        ONLINE = "online", _("线上会议")
        WRITTEN = "written", _("书面协商")

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("轮次"))
    held_on = models.DateField(_("会议日期"))
    mode = models.CharField(_("方式"), max_length=12, choices=Mode.choices, default=Mode.IN_PERSON)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    attendees = models.TextField(_("出席人员"), blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("协商会议")
        verbose_name_plural = _("协商会议")
        ordering = ["negotiation", "number"]
        constraints = [models.UniqueConstraint(fields=["negotiation", "number"], name="one_round_number")]

    def __str__(self):
        return _("第%(n)d轮") % {"n": self.number}


class Position(models.Model):
    """Both sides' positions on one topic in one round, and whether they agreed."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="positions")
    topic = models.ForeignKey(NegotiationTopic, on_delete=models.CASCADE, related_name="positions")
    union_value = models.DecimalField(_("职工方数值"), max_digits=12, decimal_places=2, null=True, blank=True)
    union_text = models.TextField(_("职工方立场"), blank=True)
    employer_value = models.DecimalField(_("企业方数值"), max_digits=12, decimal_places=2, null=True, blank=True)
    employer_text = models.TextField(_("企业方立场"), blank=True)
    agreed = models.BooleanField(_("达成一致"), default=False)

    class Meta:
        verbose_name = _("议题立场")
        verbose_name_plural = _("议题立场")
        ordering = ["round__number", "topic__order", "topic_id"]
        constraints = [models.UniqueConstraint(fields=["round", "topic"], name="one_position_per_topic_per_round")]

    @property
    def gap(self):
        if self.union_value is None or self.employer_value is None:
            return None
        return self.union_value - self.employer_value


class ContractVersion(models.Model):
    """One version of the contract text: clauses assembled from the agreed positions, then edited."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    # [{"topic": NegotiationTopic id or None, "title": …, "text": …}]
    clauses = models.JSONField(_("条款"), default=list)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("合同文本版本")
        verbose_name_plural = _("合同文本版本")
        ordering = ["negotiation", "number"]
        constraints = [models.UniqueConstraint(fields=["negotiation", "number"], name="one_version_number")]

    def __str__(self):
        return _("第%(n)d版") % {"n": self.number}

    @property
    def text(self) -> str:
        return "\n\n".join(f"第{i}条 {c['title']}\n{c['text']}" for i, c in enumerate(self.clauses, start=1))


class Elector(models.Model):
    """One person on the roll that votes on the draft (employee congress delegates or all covered workers)."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="electors")
    name = models.CharField(_("姓名"), max_length=100)
    worker = models.ForeignKey(Worker, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("名册编号"), max_length=40)

    class Meta:
        verbose_name = _("表决名册")
        verbose_name_plural = _("表决名册")
        ordering = ["negotiation", "reference"]
        constraints = [models.UniqueConstraint(fields=["negotiation", "reference"], name="one_elector_reference")]

    def __str__(self):
        return f"{self.reference} {self.name}"


class Vote(models.Model):
    """A vote on a draft (集体合同规定 Art. 36). `ballots`: who voted (never how); the approvals are
    a count."""

    class Method(models.TextChoices):
        COUNTED = "counted", _("现场计票（出席与赞成人数）")
        BALLOTS = "ballots", _("逐人投票")

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="votes")
    version = models.ForeignKey(ContractVersion, verbose_name=_("表决文本"), on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("表决日期"))
    method = models.CharField(_("表决方式"), max_length=10, choices=Method.choices, default=Method.COUNTED)
    electorate = models.PositiveIntegerField(_("应到人数"))
    attendance = models.PositiveIntegerField(_("实到人数"))
    approvals = models.PositiveIntegerField(_("赞成票"))
    passed = models.BooleanField(_("通过"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("表决")
        verbose_name_plural = _("表决")
        ordering = ["negotiation", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(attendance__lte=models.F("electorate"))
                                              & models.Q(approvals__lte=models.F("attendance")),
                                              name="vote_counts_fit_the_electorate")]


class Ballot(models.Model):
    """That an elector voted in a vote: each eligible voter once; how they voted is not kept."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    elector = models.ForeignKey(Elector, on_delete=models.PROTECT, related_name="ballots")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "elector"], name="one_ballot_per_elector")]


class OrderStatistic(models.Model):
    """The platform's order statistics one negotiation is costed against: one row per city, month,
    time band and weather."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="order_statistics")
    city = models.CharField(_("城市"), max_length=40)
    month = models.DateField(_("月份"))  # the first day of the month
    time_band = models.CharField(_("时段"), max_length=40)
    weather = models.CharField(_("天气"), max_length=40)
    orders = models.PositiveIntegerField(_("订单量"))
    piece_rate = models.DecimalField(_("现行计件单价（元/单）"), max_digits=8, decimal_places=2)
    avg_distance_km = models.DecimalField(_("平均配送距离（公里）"), max_digits=6, decimal_places=2)
    active_workers = models.PositiveIntegerField(_("在线骑手数"))
    # What the customer pays per order and the platform's current commission, for costing the ratio.
    fare = models.DecimalField(_("订单配送费（元/单）"), max_digits=8, decimal_places=2, null=True, blank=True)
    commission_pct = models.DecimalField(_("现行抽成比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("订单统计")
        verbose_name_plural = _("订单统计")
        indexes = [models.Index(fields=["negotiation", "city", "month"])]
        constraints = [models.UniqueConstraint(fields=["negotiation", "city", "month", "time_band", "weather"],
                                               name="one_statistic_per_cell")]
