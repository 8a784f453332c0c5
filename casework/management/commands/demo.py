"""`manage.py demo`: seed a realistic data set and walk cases through every path of the Case machine,
and mediations through every transition of the Mediation machine (mediation/demo.py).

Everything goes through `casework.services`, the same path the admin, the API and the flows use;
only the user accounts (and their StaffProfile and API token), which have no service, are created
here directly. The data itself (names, ID numbers, credit codes) is in `casework/demo_data.py`.

The whole run is one transaction: if any case ends outside its expected state or the journal does
not verify, the command fails (non-zero) and nothing it wrote stays in the database.
"""

import datetime
import os
import unicodedata
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from casework import demo_data as data
from casework import documents, journal, legal_calendar, services
from casework.demo_data import Titles
from casework.models import Case, Notification, Organisation, StaffProfile
from casework.permissions import Role
from casework.transitions import TransitionRefused
from mediation.demo import MediationDemo

SUPERUSER = "admin"


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _yuan(amount) -> str:
    return "—" if amount is None else f"¥{Decimal(amount):,.2f}"


class Command(BaseCommand):
    help = (
        "Seed a demo data set (users for every role, organisations, workers) and walk cases through "
        "every path of the Case machine; run it on an empty database (`make demo` builds one)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default="demo-output",
            help="Folder for the documents the demo generates (created if missing). Default: demo-output/",
        )

    # ----------------------------------------------------------------------------------------------

    def handle(self, *args, output, **options):
        usernames = [*data.STAFF, SUPERUSER]
        present = sorted(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
        org_names = [spec["name"] for spec in data.ORGANISATIONS.values()]
        present_orgs = list(Organisation.objects.filter(name__in=org_names).values_list("name", flat=True))
        if present or present_orgs:
            found = ", ".join(present) if present else "、".join(present_orgs)
            raise CommandError(
                f"This database already holds demo data ({found}). The demo runs once, on an empty "
                "database: `make demo` recreates one, or point DATABASE_URL at a new database, "
                "run `manage.py migrate`, then `manage.py demo`."
            )

        self.today = timezone.localdate()
        self.output_dir = Path(output).expanduser().resolve()
        self.output_dir.mkdir(parents=True, exist_ok=True)

        # The demo's addresses are *.example: hold every notification e-mail in memory (they go out
        # when the run's transaction commits) and list them, rather than hand them to whatever
        # backend is configured (the console one would dump MIME).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            try:
                with transaction.atomic():
                    self.seed_people()
                    self.walk_cases()
                    self.mediations.walk()
                    self.sweep()
                    self.mediations.sweep()
                    self.mediations.finish_group_case(self.act)
                    problems = self.check_final_states() + self.mediations.check()
                    self.print_table()
                    self.mediations.print_table()
                    checked, broken = journal.verify()
                    if broken:
                        problems.append(f"journal broken at {broken} ({checked} events before it verified)")
                    if problems:
                        raise CommandError("Demo failed; nothing was saved:\n  " + "\n  ".join(problems))
            except (ValidationError, PermissionDenied, TransitionRefused) as exc:
                detail = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(getattr(exc, "detail", exc))
                raise CommandError(f"Demo failed: a service refused a step ({detail}); nothing was saved.") from exc
            emails = list(mail.outbox)
        self.section("E-mail (held by the demo, not sent)")
        for email in emails:
            self.line(f"to {', '.join(email.to)}: {email.subject}")

        # Again after the commit: anything journaled by on-commit work (documents) is covered too.
        checked, broken = journal.verify()
        if broken:
            raise CommandError(f"Journal broken at {broken} ({checked} events before it verified).")
        self.section("Journal")
        self.line(self.style.SUCCESS(f"verified: {checked} events, hash chain intact"))
        self.print_sign_in()
        self.write_documents()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo complete: every case and mediation is in its expected state."))

    def write_documents(self):
        """Every document each case and mediation may have in its final state, rendered and copied to the output."""
        self.section("Documents")
        written = 0
        for case in Case.objects.order_by("number"):
            for document in documents.issue_all_now(case, directory=self.output_dir):
                self.line(f"{case.number}  {document.title:<8} {document.pages} 页  {document.size // 1024} KiB  "
                          f"核验码 {document.verification_code}")
                written += 1
        written += self.mediations.write_documents(self.output_dir)
        self.line(f"{written} PDF(s) in {self.output_dir}")

    # --- output helpers ---------------------------------------------------------------------------

    def section(self, title):
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(title))

    def line(self, text):
        self.stdout.write(f"  {text}")

    def act(self, case, action, actor, note="", **kwargs):
        """Run one service transition on `case` as `actor` and log it on one line."""
        before = case.state
        getattr(services, action)(case=case, actor=actor, **kwargs)
        self.line(f"{case.number}  {action:<21} {before:>14} → {case.state:<14} {actor.username:<13} {note}".rstrip())
        return case

    def refused(self, case, action, who, exc):
        message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        self.line(self.style.WARNING(f"{case.number}  {action:<21} refused ({who}): {message}"))

    def ago(self, days):
        return self.today - datetime.timedelta(days=days)

    def working_days_ago(self, n):
        day, left = self.today, n
        while left:
            day -= datetime.timedelta(days=1)
            if legal_calendar.is_working_day(day):
                left -= 1
        return day

    # --- people and organisations -----------------------------------------------------------------

    def seed_people(self):
        User = get_user_model()
        self.users = {}
        for username, (full_name, role, org_key, _acts_for) in data.STAFF.items():
            user = User.objects.create_user(
                username=username, password=data.PASSWORD, first_name=full_name,
                email=f"{username}@{data.EMAIL_DOMAIN[org_key]}",
                is_staff=role in data.ADMIN_SITE_ROLES,
            )
            user.groups.add(Group.objects.get(name=role))
            StaffProfile.objects.create(user=user)
            Token.objects.create(user=user)
            self.users[username] = user
        User.objects.create_superuser(
            username=SUPERUSER, password=data.PASSWORD, email=f"{SUPERUSER}@{data.EMAIL_DOMAIN['union']}",
            first_name="系统管理员",
        )
        u = self.users
        self.intake, self.supervisor = u["zhou.min"], u["zheng.li"]
        self.lawyer, self.conflicted_lawyer = u["chen.jianguo"], u["lin.haitao"]
        self.volunteer = u["huang.xiaoyu"]

        self.section("Organisations (registered by the supervisor; credit codes pass GB 32100)")
        self.orgs = {}
        for key, spec in data.ORGANISATIONS.items():
            spec = dict(spec)
            if "parent" in spec:
                spec["parent"] = self.orgs[spec["parent"]]
            org = services.register_organisation(actor=self.supervisor, **spec)
            self.orgs[key] = org
            parent = f"  (part of {org.parent.name})" if org.parent else ""
            self.line(f"{org.credit_code or '(no code)':<18}  {_pad(org.get_kind_display(), 20)} {org.name}{parent}")

        self.section(f"Users (one password for all: {data.PASSWORD})")
        for username, (full_name, role, org_key, acts_for) in data.STAFF.items():
            profile = self.users[username].profile
            profile.organisation = self.orgs[org_key]
            profile.save(update_fields=["organisation"])
            profile.acts_for.set([self.orgs[k] for k in acts_for])
            retained = f"  retained by {'、'.join(self.orgs[k].name for k in acts_for)}" if acts_for else ""
            self.line(f"{username:<13} {_pad(full_name, 10)} {_pad(Role.LABELS[role], 16)} {self.orgs[org_key].name}{retained}")
        self.line(f"{SUPERUSER:<13} {_pad('系统管理员', 10)} {_pad('超级用户', 16)} (no role: browses the admin)")

        self.mediations = MediationDemo(self)
        self.mediations.seed_people()

        self.section("Workers (resident IDs pass GB 11643, stored encrypted, shown masked)")
        self.workers = {}
        for key, (name, occupation, _region, _born, _male, phone, platforms, relationship, member) in data.WORKERS.items():
            worker = services.register_worker(
                actor=self.intake, name=name, id_number=data.worker_id_number(key), occupation=occupation,
                phone=phone, platforms=[self.orgs[k] for k in platforms], relationship_type=relationship,
                is_union_member=member,
            )
            self.workers[key] = worker
            self.line(f"{_pad(name, 7)} {worker.id_number_masked}  {worker.phone}  {worker.get_occupation_display()}")

    # --- the cases --------------------------------------------------------------------------------

    def create(self, *, title, claimants, respondents, categories, claims, received_on, known_on,
               channel, facts, representatives=(), handler=None, employment_ended_on=None):
        case = services.create_case(
            actor=self.intake, title=title, channel=channel, facts=facts,
            claimants=[self.workers[k] for k in claimants],
            representatives=[self.workers[k] for k in representatives],
            respondents=[self.orgs[k] for k in respondents], categories=categories, claims=claims,
            received_on=received_on, infringement_known_on=known_on,
            employment_ended_on=employment_ended_on, handler=handler,
        )
        self.line(
            f"{case.number}  {'create':<21} {'':>14} → {case.state:<14} {self.intake.username:<13} "
            f"「{title}」 {len(claimants)} claimant(s), claims {_yuan(case.claim_total)}, received {received_on}"
        )
        return case

    def walk_cases(self):
        self.section("Cases (one line per step: number, transition, from → to, by whom)")
        # In the order they came in, so case numbers follow the registration dates.
        self.case_litigation()
        self.case_group()
        self.case_legal_aid()
        self.case_reopened()
        self.case_arbitration()
        self.case_rejected()
        self.case_consultation()
        self.case_limitation_override()
        self.case_fresh()

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
        self.act(case, "file_lawsuit", self.volunteer, court=self.orgs["court"],
                 comment="仲裁裁决未确认劳动关系，申请人不服，于法定期限内起诉。", note="不服仲裁裁决，向思明区人民法院起诉")

    def case_group(self):
        """Eleven deactivated drivers: a group case, mediated to full recovery and closed."""
        case = self.create(
            title=Titles.GROUP, claimants=data.GROUP_DRIVERS, representatives=data.GROUP_REPRESENTATIVES,
            respondents=["ride_platform", "ride_agent"], categories=["unlawful_termination", "algorithm"],
            channel=Case.Channel.HOTLINE, received_on=self.ago(85), known_on=self.ago(96),
            claims=[
                {"category": "unlawful_termination",
                 "description": f"{self.workers[k].name}：恢复账号，赔偿封号停运期间收入损失及经济补偿",
                 "amount": Decimal(data.GROUP_CLAIMS[k])}
                for k in data.GROUP_DRIVERS
            ],
            facts="平台以系统判定“异常订单”为由，未经告知和申诉复核，同日封禁11名司机账号；"
                  "代理商随即扣留车辆保证金并停止派单。司机推举陈志强、林文斌、黄建明为代表。",
        )
        services.add_evidence(
            case=case, actor=self.intake, description="11名司机的封号通知截图及近三个月接单流水汇总",
            file=ContentFile("封号通知与接单流水汇总（演示数据）\n".encode(), name="封号通知汇总.txt"),
        )
        self.line(f"{case.number}  {'add_evidence':<21} {'':>14}   {case.state:<14} {self.intake.username:<13} 封号通知汇总.txt (SHA-256 recorded)")
        self.act(case, "start_screening", self.intake)
        self.act(case, "accept", self.intake, note="11名申请人，3名推举代表：群体性案件")
        # The drivers sued with the union's help; the court referred the dispute, before filing, to
        # the union's mediation centre (诉前委派调解). Resolved and closed once the agreement is
        # performed (mediations.finish_group_case, after the sweeps).
        referral = self.mediations.group_referral_kwargs()
        self.act(case, "refer_to_mediation", self.intake, **referral,
                 note=f"思明区人民法院诉前委派 {referral['court_case_number']}，转{self.orgs['mediation_centre'].name}")
        self.mediations.group(case)

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
        try:
            services.assign_legal_aid(case=case, actor=self.supervisor, lawyer=self.conflicted_lawyer)
        except ValidationError as exc:
            self.refused(case, "assign_legal_aid", f"{self.supervisor.username} assigning {self.conflicted_lawyer.username}", exc)
        else:
            raise CommandError(f"{case.number}: the conflicted lawyer was assigned; the conflict check did not refuse him")
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
        self.act(case, "refer_to_mediation", self.intake, mediator_organisation=self.orgs["mediation_centre"],
                 referred_on=self.ago(12), note="工会调解")
        self.mediations.union_fails(case)
        self.act(case, "refer_to_arbitration", self.lawyer, commission=data.ARBITRATION_COMMISSION,
                 note=f"调解不成，申请{data.ARBITRATION_COMMISSION}仲裁")

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
            received_on=self.ago(10), known_on=self.today - relativedelta(months=14),
            claims=[{"category": "penalties", "description": "退还台风天气期间的超时罚款", "amount": Decimal("1860.00")}],
            facts="台风期间平台未放宽配送时限，申请人被判超时罚款；此后申请人因交通事故重伤住院约五个月。",
        )
        self.act(case, "start_screening", self.intake)
        try:
            services.accept(case=case, actor=self.intake)
        except ValidationError as exc:
            self.refused(case, "accept", self.intake.username, exc)
        else:
            raise CommandError(f"{case.number}: accepted although its limitation period has run")
        self.act(case, "accept", self.supervisor, override_limitation=True,
                 override_reason="申请人知道权利受侵害后因交通事故重伤住院治疗约五个月（有住院病历），"
                                 "属劳动争议调解仲裁法第二十七条第三款规定的时效中止情形。",
                 note="主管时效例外受理（第二十七条第三款中止）")

    def case_fresh(self):
        """Registered several working days ago and never screened: the deadline sweep reports it."""
        self.create(
            title=Titles.FRESH, claimants=["shi_jun"], respondents=["ride_platform"], categories=["commission"],
            channel=Case.Channel.HOTLINE, received_on=self.working_days_ago(6), known_on=self.ago(350),
            claims=[{"category": "commission", "description": "退还超出公示标准的抽成", "amount": Decimal("9350.00")}],
            facts="平台公示抽成上限为20%，申请人近一年多笔订单实际抽成超过28%。",
        )

    # --- sweep, checks, summary -------------------------------------------------------------------

    def sweep(self):
        self.section("Deadline sweep (services.sweep_case_deadlines)")
        before = set(Notification.objects.values_list("pk", flat=True))
        result = services.sweep_case_deadlines()
        self.line(
            f"screening overdue: {result['overdue_cases']} case(s); limitation ending within the warning "
            f"period: {result['expiring_cases']} case(s); notifications sent: "
            f"{result['screening_overdue'] + result['limitation_ending']}"
        )
        for note in Notification.objects.exclude(pk__in=before).select_related("recipient").order_by("id"):
            self.line(f"→ {note.recipient.username}: {note.message}")
        self.sweep_result = result

    def check_final_states(self) -> list[str]:
        problems = []
        for title, (state, amount) in data.EXPECTED.items():
            case = Case.objects.filter(title=title).first()
            if case is None:
                problems.append(f"case 「{title}」 is missing")
                continue
            if case.state != state:
                problems.append(f"{case.number} 「{title}」 is {case.state}, expected {state}")
            if amount is not None and case.amount_recovered != Decimal(amount):
                problems.append(f"{case.number} recovered {_yuan(case.amount_recovered)}, expected {_yuan(amount)}")
        group = Case.objects.filter(title=Titles.GROUP).first()
        if group is not None:
            reps = group.case_claimants.filter(is_representative=True).count()
            if not group.is_group or group.claimant_count() != len(data.GROUP_DRIVERS) or reps != 3:
                problems.append(f"{group.number}: expected a group case of 11 claimants with 3 representatives")
        legal_aid = Case.objects.filter(title=Titles.LEGAL_AID).first()
        if legal_aid is not None and legal_aid.legal_aid_by_id != self.lawyer.pk:
            problems.append(f"{legal_aid.number}: expected legal aid by {self.lawyer.username}")
        if self.sweep_result["overdue_cases"] < 1:
            problems.append("the deadline sweep found no overdue screening")
        return problems

    def print_table(self):
        self.section("Cases")
        cases = list(Case.objects.filter(title__in=data.EXPECTED).order_by("number"))
        header = f"{'number':<15} {_pad('state', 24)} {'claimants':>9} {'claimed':>13} {'recovered':>13}  title"
        self.line(header)
        self.line("-" * (_width(header) + 30))
        for case in cases:
            state = f"{case.state} {case.get_state_display()}"
            group = " [群体]" if case.is_group else ""
            self.line(
                f"{case.number:<15} {_pad(state, 24)} {case.claimant_count():>9} {_yuan(case.claim_total):>13} "
                f"{_yuan(case.amount_recovered):>13}  {case.title}{group}"
            )

    def print_sign_in(self):
        self.section("Sign in")
        url = os.environ.get("DATABASE_URL")
        run = f"DATABASE_URL={url} python manage.py runserver" if url else "python manage.py runserver"
        self.line(f"start the server:  {run}   (`make run` serves the `make demo` database)")
        self.line("admin:             http://127.0.0.1:8000/admin/        (union staff and the superuser)")
        self.line("API docs:          http://127.0.0.1:8000/api/v1/docs/  (after signing in, or with the token below)")
        self.line(f"password for every account: {data.PASSWORD}")
        self.line("")
        self.line(f"{'username':<13} {_pad('role', 36)} {'admin':<6} API token")
        tokens = dict(Token.objects.filter(user__username__in=data.STAFF).values_list("user__username", "key"))
        for username, (_name, role, _org, _acts_for) in data.STAFF.items():
            admin = "yes" if role in data.ADMIN_SITE_ROLES else "no"
            self.line(f"{username:<13} {_pad(f'{role} {Role.LABELS[role]}', 36)} {admin:<6} {tokens.get(username, '')}")
        self.line(f"{SUPERUSER:<13} {_pad('superuser (no role)', 36)} {'yes':<6}")
