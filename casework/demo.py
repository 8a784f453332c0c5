"""Dispute intake's part of `manage.py demo` (the framework: core/demo.py).

Nine cases walk every path of the Case machine through `casework.services`: legal aid and a
lawsuit, a group case of eleven drivers, a conflicted lawyer refused, a rejection reopened, a
rejection that stands, a consultation, a limitation overridden by a supervisor, a fresh case the
deadline sweep reports. Two cases go to mediation; the mediation module (when installed) opens
their mediations, reacting to `refer_to_mediation` through core.

Hand-over (core.demo's `run.shared`):
- writes "casework.referred" in `walk`: {"group": the group case (court pre-suit mediation),
  "arbitration": the truck driver's case (union mediation)};
- reads "mediation.outcomes" in `close`, if a part wrote it: {case: the state its mediation ended
  in}. A case whose mediation failed goes on to arbitration; one its mediation resolved is closed.
"""

from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile

from core import documents
from core.demo import DemoPart, pad, register, width, yuan
from core.demo_data import GROUP_CLAIMS, GROUP_DRIVERS
from core.models import Notification

from . import demo_data as data
from . import services
from .demo_data import Titles
from .models import Case, CaseState


@register
class CaseworkDemo(DemoPart):
    subject = "case"

    def seed(self):
        u = self.users
        self.intake, self.supervisor = u["zhou.min"], u["zheng.li"]
        self.lawyer, self.conflicted_lawyer = u["chen.jianguo"], u["lin.haitao"]
        self.volunteer = u["huang.xiaoyu"]
        self.referred: dict[str, Case] = {}

    # --- helpers -----------------------------------------------------------------------------------

    def act(self, case, action, actor, note="", **kwargs):
        """Run one service transition on `case` as `actor` and log it on one line."""
        before = case.state
        getattr(services, action)(case=case, actor=actor, **kwargs)
        self.run.line(f"{case.number}  {action:<21} {before:>14} → {case.state:<14} {actor.username:<13} {note}".rstrip())
        return case

    def create(self, *, title, claimants, respondents, categories, claims, received_on, known_on,
               channel, facts, representatives=(), handler=None, employment_ended_on=None):
        case = services.create_case(
            actor=self.intake, title=title, channel=channel, facts=facts,
            claimants=[self.workers[k] for k in claimants],
            representatives=[self.workers[k] for k in representatives],
            respondents=[self.organisations[k] for k in respondents], categories=categories, claims=claims,
            received_on=received_on, infringement_known_on=known_on,
            employment_ended_on=employment_ended_on, handler=handler,
        )
        self.run.line(
            f"{case.number}  {'create':<21} {'':>14} → {case.state:<14} {self.intake.username:<13} "
            f"「{title}」 {len(claimants)} claimant(s), claims {yuan(case.claim_total)}, received {received_on}"
        )
        return case

    # --- walk: the cases, in the order they came in (case numbers follow the registration dates) ---

    def walk(self):
        self.run.section("Cases (one line per step: number, transition, from → to, by whom)")
        self.case_litigation()
        self.case_group()
        self.case_legal_aid()
        self.case_reopened()
        self.case_arbitration()
        self.case_rejected()
        self.case_consultation()
        self.case_limitation_override()
        self.case_fresh()
        self.shared["casework.referred"] = self.referred

    def case_litigation(self):
        """Legal aid by a volunteer, arbitration, then a lawsuit against the award: left in litigation."""
        case = self.create(
            title=Titles.LITIGATION, claimants=["luo_xiaojuan"], respondents=["food_franchisee", "food_platform"],
            categories=["relationship_confirmation", "injury"], channel=Case.Channel.WALK_IN,
            received_on=self.ago(170), known_on=self.ago(185),
            claims=[
                {"category": "relationship_confirmation", "description": "确认申请人与厦门鹭递配送服务有限公司存在劳动关系", "amount": None},
                {"category": "injury", "description": "赔偿医疗费、误工费、护理费", "amount": Decimal("86500.00")},
            ],
            facts="申请人系专送骑手，由配送站排班、考勤并按月结算。配送途中为避让行人摔伤致右腿骨折，"
                  "配送站以“众包合作”为由拒绝承担医疗费用。",
        )
        self.act(case, "start_screening", self.intake)
        self.act(case, "accept", self.intake)
        self.act(case, "assign_legal_aid", self.supervisor, lawyer=self.volunteer, note="法律援助志愿者承办")
        self.act(case, "refer_to_arbitration", self.volunteer, commission=data.ARBITRATION_COMMISSION,
                 note=f"申请{data.ARBITRATION_COMMISSION}仲裁")
        self.act(case, "file_lawsuit", self.volunteer, court=self.organisations["court"],
                 comment="仲裁裁决未确认劳动关系，申请人不服，于法定期限内起诉。", note="不服仲裁裁决，向思明区人民法院起诉")

    def case_group(self):
        """Eleven deactivated drivers: a group case the court refers to the union's mediation
        centre before filing; resolved by its mediation and closed (`close`)."""
        case = self.create(
            title=Titles.GROUP, claimants=GROUP_DRIVERS, representatives=data.GROUP_REPRESENTATIVES,
            respondents=["ride_platform", "ride_agent"], categories=["unlawful_termination", "algorithm"],
            channel=Case.Channel.HOTLINE, received_on=self.ago(85), known_on=self.ago(96),
            claims=[
                {"category": "unlawful_termination",
                 "description": f"{self.workers[k].name}：恢复账号，赔偿封号停运期间收入损失及经济补偿",
                 "amount": Decimal(GROUP_CLAIMS[k])}
                for k in GROUP_DRIVERS
            ],
            facts="平台以系统判定“异常订单”为由，未经告知和申诉复核，同日封禁11名司机账号；"
                  "代理商随即扣留车辆保证金并停止派单。司机推举陈志强、林文斌、黄建明为代表。",
        )
        services.add_evidence(
            case=case, actor=self.intake, description="11名司机的封号通知截图及近三个月接单流水汇总",
            file=ContentFile("封号通知与接单流水汇总（演示数据）\n".encode(), name="封号通知汇总.txt"),
        )
        self.run.line(f"{case.number}  {'add_evidence':<21} {'':>14}   {case.state:<14} {self.intake.username:<13} "
                      "封号通知汇总.txt (SHA-256 recorded)")
        self.act(case, "start_screening", self.intake)
        self.act(case, "accept", self.intake, note="11名申请人，3名推举代表：群体性案件")
        referred_on = self.ago(data.GROUP_REFERRED_DAYS_AGO)
        number = data.GROUP_COURT_CASE_NUMBER.format(year=referred_on.year)
        centre = self.organisations["mediation_centre"]
        self.act(case, "refer_to_mediation", self.intake, mediator_organisation=centre, source="court_pre_suit",
                 court=self.organisations["court"], court_case_number=number, referred_on=referred_on,
                 note=f"思明区人民法院诉前委派 {number}，转{centre.name}")
        self.referred["group"] = case

    def case_legal_aid(self):
        """Legal aid: the conflicted lawyer is refused first, the other lawyer settles it."""
        case = self.create(
            title=Titles.LEGAL_AID, claimants=["you_zhenyu"], respondents=["ride_agent"],
            categories=["unpaid_pay", "penalties"], channel=Case.Channel.WALK_IN,
            received_on=self.ago(70), known_on=self.ago(88), employment_ended_on=self.ago(88),
            claims=[
                {"category": "unpaid_pay", "description": "支付被扣留的两个月流水", "amount": Decimal("13600.00")},
                {"category": "penalties", "description": "退还车辆保证金", "amount": Decimal("5000.00")},
            ],
            facts="申请人经代理商注册接入平台，退出合作后代理商以“违约”为由扣留最后两个月流水和保证金。",
        )
        self.act(case, "start_screening", self.intake)
        self.act(case, "accept", self.intake)
        self.run.expect_refusal(
            case.number, "assign_legal_aid", f"{self.supervisor.username} assigning {self.conflicted_lawyer.username}",
            lambda: services.assign_legal_aid(case=case, actor=self.supervisor, lawyer=self.conflicted_lawyer),
            otherwise="the conflicted lawyer was assigned; the conflict check did not refuse him",
        )
        self.act(case, "assign_legal_aid", self.supervisor, lawyer=self.lawyer, note=f"改派 {self.lawyer.first_name}")
        self.act(case, "resolve", self.lawyer, outcome=Case.Outcome.SETTLED, amount_recovered=Decimal("16800.00"),
                 outcome_detail="律师发函后双方和解：代理商支付流水13,600元，退还保证金3,200元（扣除经确认的车辆损失1,800元）。",
                 note="协商和解，挽回 ¥16,800.00")
        self.act(case, "close", self.supervisor)

    def case_reopened(self):
        """Rejected for want of proof, reopened by a supervisor when the worker brought the records."""
        case = self.create(
            title=Titles.REOPENED, claimants=["wen_yating"], respondents=["food_platform"],
            categories=["unpaid_pay", "unlawful_termination"], channel=Case.Channel.ONLINE,
            received_on=self.ago(60), known_on=self.ago(66), employment_ended_on=self.ago(66),
            claims=[{"category": "unpaid_pay", "description": "支付当月配送费", "amount": Decimal("6420.00")}],
            facts="申请人称平台无故停止派单并扣发当月配送费，登记时未能提供接单记录。",
        )
        self.act(case, "start_screening", self.intake)
        self.act(case, "reject", self.intake, reason="申请人未能提供与被申请单位存在用工或合作关系的初步证据，已告知补充材料后可再次申请。",
                 note="缺乏初步证据")
        self.act(case, "reopen", self.supervisor, reason="申请人补交了平台账号接单记录和配送费结算截图，重新审查。",
                 note="补交证据后重新审查")

    def case_arbitration(self):
        """The truck driver: union mediation, which fails; then arbitration (`close`)."""
        case = self.create(
            title=Titles.ARBITRATION, claimants=["lyu_guodong"], respondents=["freight_platform"],
            categories=["relationship_confirmation", "unpaid_pay"], channel=Case.Channel.OUTREACH,
            received_on=self.ago(50), known_on=self.ago(58), employment_ended_on=self.ago(58),
            claims=[
                {"category": "relationship_confirmation", "description": "确认与鹭通货运信息科技有限公司存在劳动关系", "amount": None},
                {"category": "unpaid_pay", "description": "支付拖欠运费", "amount": Decimal("42000.00")},
            ],
            facts="申请人驾驶平台提供的挂靠车辆，按平台指令承运并由平台统一结算，平台拖欠三个月运费。",
        )
        self.act(case, "start_screening", self.intake)
        self.act(case, "accept", self.intake)
        self.act(case, "refer_to_mediation", self.intake, mediator_organisation=self.organisations["mediation_centre"],
                 referred_on=self.ago(12), note="工会调解")
        self.referred["arbitration"] = case

    def case_rejected(self):
        case = self.create(
            title=Titles.REJECTED, claimants=["jiang_haibo"], respondents=["ride_agent"],
            categories=["other"], channel=Case.Channel.HOTLINE, received_on=self.ago(45), known_on=self.ago(47),
            claims=[{"category": "other", "description": "退还租车押金", "amount": Decimal("3000.00")}],
            facts="申请人向代理商租赁车辆，退租后代理商以车辆划痕为由未退还押金。",
        )
        self.act(case, "start_screening", self.intake)
        self.act(case, "reject", self.intake,
                 reason="车辆租赁押金纠纷属平等主体之间的民事合同纠纷，不属于劳动争议维权受理范围；已告知可向人民法院起诉或向市场监管部门投诉。",
                 note="不属于受理范围")

    def case_consultation(self):
        case = self.create(
            title=Titles.CONSULTATION, claimants=["zeng_fanyu"], respondents=["food_platform", "food_franchisee"],
            categories=["penalties", "algorithm"], channel=Case.Channel.ONLINE, handler=self.lawyer,
            received_on=self.ago(20), known_on=self.ago(21),
            claims=[{"category": "penalties", "description": "咨询超时罚款、差评扣款的合法性", "amount": None}],
            facts="申请人询问平台按系统预估时间判定超时并扣款、因差评扣款是否合法，以及如何申诉。",
        )
        self.act(case, "start_screening", self.intake)
        self.act(case, "accept", self.intake)
        self.act(case, "provide_consultation", self.lawyer)
        self.act(case, "resolve", self.lawyer, outcome=Case.Outcome.ADVICE_GIVEN, amount_recovered=Decimal("0"),
                 outcome_detail="已书面答复：平台奖惩规则应公示并听取劳动者意见，恶劣天气等情形应合理放宽时限；可先向平台申诉。",
                 note="书面答复")
        self.act(case, "close", self.lawyer)

    def case_limitation_override(self):
        """The limitation ran out two months ago: refused to the intake officer, accepted by a supervisor."""
        case = self.create(
            title=Titles.LIMITATION_OVERRIDE, claimants=["qiu_wentao"], respondents=["food_platform"],
            categories=["penalties"], channel=Case.Channel.WALK_IN,
            received_on=self.ago(10), known_on=self.run.today - relativedelta(months=14),
            claims=[{"category": "penalties", "description": "退还台风天气期间的超时罚款", "amount": Decimal("1860.00")}],
            facts="台风期间平台未放宽配送时限，申请人被判超时罚款；此后申请人因交通事故重伤住院约五个月。",
        )
        self.act(case, "start_screening", self.intake)
        self.run.expect_refusal(
            case.number, "accept", self.intake.username, lambda: services.accept(case=case, actor=self.intake),
            otherwise="accepted although its limitation period has run",
        )
        self.act(case, "accept", self.supervisor, override_limitation=True,
                 override_reason="申请人知道权利受侵害后因交通事故重伤住院治疗约五个月（有住院病历），"
                                 "属劳动争议调解仲裁法第二十七条第三款规定的时效中止情形。",
                 note="主管时效例外受理（第二十七条第三款中止）")

    def case_fresh(self):
        """Registered several working days ago and never screened: the deadline sweep reports it."""
        self.create(
            title=Titles.FRESH, claimants=["shi_jun"], respondents=["ride_platform"], categories=["commission"],
            channel=Case.Channel.HOTLINE, received_on=self.run.working_days_ago(6), known_on=self.ago(350),
            claims=[{"category": "commission", "description": "退还超出公示标准的抽成", "amount": Decimal("9350.00")}],
            facts="平台公示抽成上限为20%，申请人近一年多笔订单实际抽成超过28%。",
        )

    # --- sweep, after mediation, checks, summary, documents ------------------------------------------

    def sweep(self):
        self.run.section("Deadline sweep (services.sweep_case_deadlines)")
        before = set(Notification.objects.values_list("pk", flat=True))
        result = services.sweep_case_deadlines()
        self.run.line(
            f"screening overdue: {result['overdue_cases']} case(s); limitation ending within the warning "
            f"period: {result['expiring_cases']} case(s); notifications sent: "
            f"{result['screening_overdue'] + result['limitation_ending']}"
        )
        for note in Notification.objects.exclude(pk__in=before).select_related("recipient").order_by("id"):
            self.run.line(f"→ {note.recipient.username}: {note.message}")
        self.sweep_result = result

    def close(self):
        """The referred cases once their mediations have ended: a case resolved by its mediation
        is closed by the supervisor; a case whose mediation failed goes to arbitration (LDMAL
        Art. 5: a failed mediation opens arbitration)."""
        outcomes = self.shared.get("mediation.outcomes", {})
        self.run.section("Cases after mediation (casework's next step on each mediation's outcome)")
        for case in self.referred.values():
            case.refresh_from_db()
            if case.state == CaseState.RESOLVED:
                self.act(case, "close", self.supervisor)
            elif outcomes.get(case) == "failed":
                self.act(case, "refer_to_arbitration", self.lawyer, commission=data.ARBITRATION_COMMISSION,
                         note=f"调解不成，申请{data.ARBITRATION_COMMISSION}仲裁")

    def check(self) -> list[str]:
        problems = []
        for title, (state, amount) in data.EXPECTED.items():
            case = Case.objects.filter(title=title).first()
            if case is None:
                problems.append(f"case 「{title}」 is missing")
                continue
            if case.state != state:
                problems.append(f"{case.number} 「{title}」 is {case.state}, expected {state}")
            if amount is not None and case.amount_recovered != Decimal(amount):
                problems.append(f"{case.number} recovered {yuan(case.amount_recovered)}, expected {yuan(amount)}")
        group = Case.objects.filter(title=Titles.GROUP).first()
        if group is not None:
            reps = group.case_claimants.filter(is_representative=True).count()
            if not group.is_group or group.claimant_count() != len(GROUP_DRIVERS) or reps != len(data.GROUP_REPRESENTATIVES):
                problems.append(f"{group.number}: expected a group case of 11 claimants with 3 representatives")
        legal_aid = Case.objects.filter(title=Titles.LEGAL_AID).first()
        if legal_aid is not None and legal_aid.legal_aid_by_id != self.lawyer.pk:
            problems.append(f"{legal_aid.number}: expected legal aid by {self.lawyer.username}")
        if self.sweep_result["overdue_cases"] < 1:
            problems.append("the deadline sweep found no overdue screening")
        return problems

    def print_table(self):
        self.run.section("Cases")
        header = f"{'number':<15} {pad('state', 24)} {'claimants':>9} {'claimed':>13} {'recovered':>13}  title"
        self.run.line(header)
        self.run.line("-" * (width(header) + 30))
        for case in Case.objects.filter(title__in=data.EXPECTED).order_by("number"):
            state = f"{case.state} {case.get_state_display()}"
            group = " [群体]" if case.is_group else ""
            self.run.line(
                f"{case.number:<15} {pad(state, 24)} {case.claimant_count():>9} {yuan(case.claim_total):>13} "
                f"{yuan(case.amount_recovered):>13}  {case.title}{group}"
            )

    def write_documents(self) -> int:
        """Every document each case may have in its final state, rendered and copied to the output."""
        written = 0
        for case in Case.objects.order_by("number"):
            for document in documents.issue_all_now(case, directory=self.run.output_dir):
                self.run.line(f"{case.number}  {document.title:<8} {document.pages} 页  {document.size // 1024} KiB  "
                              f"核验码 {document.verification_code}")
                written += 1
        return written
