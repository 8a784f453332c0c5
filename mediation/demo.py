"""Mediation's part of `manage.py demo` (the framework: core/demo.py).

- The eleven drivers' group case, referred by dispute intake, goes to court pre-suit mediation
  (委派): two sessions, an agreement of ¥660,000 in three instalments, judicially confirmed, paid,
  fulfilled by the sweep; the mediation then resolves the case with the amount paid
  (`resolve_linked_case`, through core.links).
- The truck driver's case goes to union mediation, which fails.
- The court liaison imports the court's referral list (GBK CSV: a duplicate and three bad rows are
  reported); of its referrals one expires after an extension (returned to the court), one asks for
  judicial confirmation too late (refused, shown) and then defaults (next step: a payment order),
  one is declined, one withdrawn, one has its confirmation rejected and resumes mediating.

Everything goes through mediation.services / importers / sweeps, inside the demo's transaction.

Hand-over (core.demo's `run.shared`):
- reads "casework.referred" in `walk`: {marker: a case} for Marker.GROUP and Marker.ARBITRATION;
  their mediations are the ones the referrals opened (`services.opened_for`). The cases are read
  by duck typing (`number`, `state`, `amount_recovered`), never by importing their module;
- writes "mediation.outcomes" in `settle`: {case: the state its mediation ended in}.
"""

import datetime
import shutil
from decimal import Decimal
from pathlib import Path

from core import documents
from core.demo import DemoPart, pad, register, yuan
from core.demo_data import (
    EMAIL_DOMAIN,
    GROUP_CLAIMS,
    GROUP_DRIVERS,
    GROUP_TOTAL,
    resident_id,
)
from core.models import Event, Notification
from core.roles import Role
from core.transitions import transition_names

from . import demo_data as data
from . import importers, services
from .demo_data import Marker
from .models import Mediation
from .rules import confirmation_window


@register
class MediationDemo(DemoPart):
    subject = "mediation"

    def __init__(self, run):
        super().__init__(run)
        self.m: dict[str, Mediation] = {}

    # --- helpers ------------------------------------------------------------------------------------

    def act(self, m, action, actor, note="", **kwargs):
        before = m.state
        getattr(services, action)(mediation=m, actor=actor, **kwargs)
        m.refresh_from_db()
        self.run.line(f"{m.number}  {action:<21} {before:>21} → {m.state:<21} {actor.username:<11} {note}".rstrip())
        return m

    def session(self, m, spec):
        session = services.record_session(
            mediation=m, actor=m.mediator, held_at=self.run.at(spec["days_ago"], spec["hour"]), mode=spec["mode"],
            location=spec["location"], attendees=spec["attendees"], minutes=spec["minutes"],
        )
        self.run.line(f"{m.number}  {'record_session':<21} {'':>21}   {m.state:<21} {m.mediator.username:<11} "
                      f"第{session.seq}次 {session.get_mode_display()} {self.ago(spec['days_ago'])}（调解笔录 {session.number}）")
        return session

    def refuse_mediator(self, m, mediator, otherwise):
        """The supervisor tries `mediator`, whom the conflict check must refuse."""
        self.run.expect_refusal(
            m.number, "assign_mediator", f"{self.supervisor.username} assigning {mediator.username}",
            lambda: services.assign_mediator(mediation=m, actor=self.supervisor, mediator=mediator),
            otherwise=otherwise,
        )

    # --- people --------------------------------------------------------------------------------------

    def seed_staff(self):
        """The second mediator, listed with the other users."""
        for username, (full_name, org_key, acts_for) in data.MEDIATORS.items():
            self.run.create_account(
                username, full_name=full_name, role=Role.MEDIATOR, email_domain=EMAIL_DOMAIN[org_key], admin_site=True,
                organisation=self.organisations[org_key], acts_for=[self.organisations[k] for k in acts_for],
            )
            retained = "、".join(self.organisations[k].name for k in acts_for)
            self.run.line(f"{username:<13} {full_name:<8} 调解员  {self.organisations[org_key].name}  retained by {retained}")

    def seed(self):
        u = self.users
        self.mediator, self.other, self.liaison = u["wu.qiong"], u["fang.lei"], u["cai.jing"]
        self.supervisor, self.intake = u["zheng.li"], u["zhou.min"]
        self.court, self.centre = self.organisations["court"], self.organisations["mediation_centre"]

    # --- walk ----------------------------------------------------------------------------------------

    def walk(self):
        referred = self.shared["casework.referred"]
        for marker in (Marker.GROUP, Marker.ARBITRATION):
            self.m[marker] = services.opened_for(referred[marker]).get()
        self.import_list()
        self.run.section("Mediations (one line per step: number, action, from → to, by whom)")
        self.group()
        self.union_fails()
        self.expired()
        self.late()
        self.act(self.m[Marker.DECLINED], "decline", self.mediator,
                 reason="被申请人书面答复不同意调解，要求通过诉讼解决。", note="退回法院立案")
        self.withdrawn()
        self.confirmation_rejected()

    def group(self):
        """The group case, court pre-suit: two sessions, an agreement in three instalments, all
        paid, judicially confirmed (the sweep fulfils it)."""
        m = self.m[Marker.GROUP]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(44), organisation=self.centre, note="委派调解 30 日")
        self.refuse_mediator(m, self.other, "the conflicted mediator was assigned")
        self.act(m, "assign_mediator", self.supervisor, mediator=self.mediator,
                 note=f"{self.mediator.first_name}（在办 {services.workload_of(self.mediator)['in_progress']} 件）")
        for spec in data.GROUP_SESSIONS:
            self.session(m, spec)
        shares = "；".join(f"{self.workers[k].name} {GROUP_CLAIMS[k]:,}元" for k in GROUP_DRIVERS)
        third = Decimal(GROUP_TOTAL) / 3
        self.act(m, "reach_agreement", self.mediator, total=Decimal(GROUP_TOTAL), basis="compensation",
                 signed_on=self.ago(25), effective_on=self.ago(25), obligations=data.GROUP_OBLIGATIONS,
                 terms=f"补偿款按各申请人的请求金额分配：{shares}。",
                 instalments=[{"due_on": self.ago(days), "amount": third} for days in (24, 14, 4)],
                 note=f"{yuan(GROUP_TOTAL)}，三期")
        for n, days in enumerate((24, 14, 4), start=1):
            services.record_payment(mediation=m, actor=self.mediator, amount=third, paid_on=self.ago(days),
                                    reference=f"YF{self.ago(days):%Y%m%d}{n:02d}")
            m.refresh_from_db()
            self.run.line(f"{m.number}  {'record_payment':<21} {'':>21}   {m.state:<21} {self.mediator.username:<11} "
                          f"第{n}期 {yuan(third)}（{self.ago(days)}），累计 {yuan(m.agreement.amount_paid)}")
        self.act(m, "request_confirmation", self.mediator, note=f"申请期限至 {confirmation_window(m).date}")
        self.act(m, "confirm", self.liaison, ruling_number=f"（{self.run.today.year}）闽0203民特1216号",
                 ruling_date=self.run.today, note="法院联络员登记确认裁定")

    def union_fails(self):
        """The truck driver's union mediation: the platform denies any employment; it fails."""
        m = self.m[Marker.ARBITRATION]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(11), organisation=self.centre, note="工会调解 15 日")
        self.act(m, "assign_mediator", self.supervisor, mediator=self.other)
        self.session(m, data.ARBITRATION_SESSION)
        self.act(m, "fail", self.other, reason="被申请人否认存在劳动关系，明确表示不同意继续调解，双方无法达成协议。",
                 note="调解终结：可申请仲裁")

    def expired(self):
        """In-suit, simple procedure: extended once by consent; the deadline sweep expires it."""
        m = self.m[Marker.EXPIRED]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(34), organisation=self.centre, note="诉中委托，简易程序 7 日")
        self.refuse_mediator(m, self.other, "the mediator related to the respondent's group was assigned")
        self.act(m, "assign_mediator", self.supervisor, mediator=self.mediator)
        self.session(m, {"days_ago": 31, "hour": 15, "mode": "phone", "location": "电话调解",
                         "attendees": ["郭俊峰（申请人）", "刘洋（云帆出行科技有限公司）"],
                         "minutes": "平台同意核对封号前七日的订单流水，请求延长调解期限以便核对。申请人同意。"})
        self.act(m, "extend", self.mediator, days=7, claimant_consent_on=self.ago(28), respondent_consent_on=self.ago(28),
                 consent_note="双方在电话调解中同意延长七日，并书面确认。", note="经双方同意延长 7 日")

    def late(self):
        """Agreed, but judicial confirmation asked for 45 days on: refused; unpaid, it defaults."""
        m = self.m[Marker.LATE]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(70), organisation=self.centre)
        self.act(m, "assign_mediator", self.supervisor, mediator=self.other)
        self.session(m, {"days_ago": 62, "hour": 10, "mode": "on_site", "location": "厦门市总工会新就业形态劳动争议调解中心",
                         "attendees": ["谢丽萍（申请人）", "钟凯（厦门鹭递配送服务有限公司）"],
                         "minutes": "被申请人承认拖欠配送费36,000元，因资金周转困难请求分两期支付。申请人同意。"})
        self.act(m, "reach_agreement", self.other, total=Decimal("36000"), basis="wages",
                 signed_on=self.ago(45), effective_on=self.ago(45),
                 instalments=[{"due_on": self.ago(35), "amount": Decimal("18000")},
                              {"due_on": self.ago(5), "amount": Decimal("18000")}],
                 note="¥36,000.00，两期（劳动报酬）")
        self.run.expect_refusal(
            m.number, "request_confirmation", self.other.username,
            lambda: services.request_confirmation(mediation=m, actor=self.other),
            otherwise="a confirmation request 45 days after the agreement took effect was accepted",
        )

    def withdrawn(self):
        m = self.m[Marker.WITHDRAWN]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(9), organisation=self.centre)
        self.act(m, "withdraw", self.mediator, reason="平台已退还超时罚款，申请人申请撤回调解。", note="自行和解，退回法院")

    def confirmation_rejected(self):
        """The agreement waives work-injury insurance: the court refuses to confirm it; mediation resumes."""
        m = self.m[Marker.REJECTED]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(40), organisation=self.centre)
        self.act(m, "assign_mediator", self.supervisor, mediator=self.other)
        self.session(m, {"days_ago": 35, "hour": 9, "mode": "video", "location": "人民法院调解平台（视频）",
                         "attendees": ["赖永明（申请人）", "钟凯（厦门鹭递配送服务有限公司）"],
                         "minutes": "被申请人同意一次性赔偿48,000元，但要求申请人放弃今后的工伤保险待遇。申请人同意。"})
        self.act(m, "reach_agreement", self.other, total=Decimal("48000"), basis="injury_medical",
                 signed_on=self.ago(20), effective_on=self.ago(20),
                 instalments=[{"due_on": self.ago(-10), "amount": Decimal("48000")}],
                 terms="申请人收到上述款项后，自愿放弃依法享有的工伤保险待遇，不再主张任何权利。")
        self.act(m, "request_confirmation", self.other)
        self.act(m, "reject_confirmation", self.liaison, reason="协议约定劳动者放弃依法享有的工伤保险待遇，违反法律强制性规定，不予确认。",
                 ruling_number=f"（{self.run.today.year}）闽0203民特1390号", ruling_date=self.run.today,
                 note="法院裁定驳回申请")
        self.act(m, "resume", self.other, note="重新调解，新的调解期限")

    # --- the court's list ------------------------------------------------------------------------------

    def referral_list(self) -> bytes:
        header = "法院,案号,调解类型,适用程序,委派日期,案由,申请人,身份证号码,联系电话,被申请人,统一社会信用代码,请求事项,金额"
        rows = [header]
        for marker, (source, procedure, number, days, org_key, title, claims) in data.REFERRALS.items():
            w, org, day = data.REFERRAL_WORKERS[marker], self.organisations[org_key], self.ago(days)
            rows.append(",".join([
                self.court.name, number.format(year=day.year), source, procedure, day.isoformat(), title, w["name"],
                w["id_number"], w["phone"], org.name, org.credit_code or "", ";".join(c for c, _a in claims),
                ";".join(a for _c, a in claims),
            ]))
            if marker == Marker.EXPIRED:
                rows.append(rows[-1])  # the court sent this one twice
        for bad in data.BAD_ROWS:
            day = self.ago(6)
            id_number = resident_id("350203", datetime.date(1990, 5, 5), bad["seq"], True)
            if bad.get("bad_id"):
                id_number = id_number[:17] + ("1" if id_number[17] != "1" else "2")
            rows.append(",".join([
                bad["court"] or self.court.name, bad["number"].format(year=day.year), "委派", "普通程序", day.isoformat(),
                "拖欠劳动报酬", bad["name"], id_number, "", self.organisations["food_platform"].name, "", "支付拖欠报酬",
                bad["amount"],
            ]))
        return ("\n".join(rows) + "\n").encode("gbk")

    def import_list(self):
        self.run.section(f"Referral import (mediation.importers; as {self.liaison.username}, court liaison)")

        def progress(done, total, report):
            if done:
                self.run.line(f"progress: {done}/{total} rows, created {report.created}, duplicates {report.duplicates}, "
                              f"refused {report.refused}")

        report = importers.import_referrals(
            actor=self.liaison, data=self.referral_list(), filename="思明区人民法院委派调解名单.csv", court=self.court,
            progress=progress,
        )
        self.run.line(f"{report.filename}: {report.format.upper()}, {report.encoding}, {report.total} rows")
        for row in report.rows:
            text = f"row {row.row}  {row.status:<9} {row.court_case_number}  {row.mediation}"
            if row.reasons:
                text += "  " + "；".join(row.reasons)
            style = self.run.style.SUCCESS if row.status == "created" else self.run.style.WARNING
            self.run.line(style(text.rstrip()))
        self.report = report
        numbers = {}
        for marker, (_s, _p, number, days, *_rest) in data.REFERRALS.items():
            numbers[number.format(year=self.ago(days).year)] = marker
        for m in Mediation.objects.filter(court=self.court, court_case_number__in=numbers):
            self.m[numbers[m.court_case_number]] = m

    # --- sweeps, and the outcome for the cases ----------------------------------------------------------

    def sweep(self):
        self.run.section("Mediation sweeps (mediation.sweeps: deadlines, then performance)")
        before = set(Notification.objects.values_list("pk", flat=True))
        self.deadlines = services.sweep_deadlines()
        self.performance = services.sweep_performance()
        d, p = self.deadlines, self.performance
        self.run.line(f"deadlines: expired {d['expired']} (returned to the court {d['returned_to_court']}), "
                      f"warned {d['warned']}; performance: fulfilled {p['fulfilled']}, defaulted {p['defaulted']} "
                      f"(instalments due on or before {p['cutoff']} count as overdue)")
        for note in Notification.objects.exclude(pk__in=before).select_related("recipient").order_by("id"):
            self.run.line(f"→ {note.recipient.username}: {note.message}")

    def settle(self):
        """The group agreement is performed: the mediation resolves its case with the amount paid,
        by the intake officer and under the case's own rules (core.links.resolve_origin). Then
        every handed-over case learns how its mediation ended."""
        self.run.section("Mediation outcomes (services.resolve_linked_case → the case's own module)")
        m = self.m[Marker.GROUP]
        m.refresh_from_db()
        case = m.case
        before = case.state
        services.resolve_linked_case(mediation=m, actor=self.intake)
        case.refresh_from_db()
        self.run.line(f"{case.number}  {'resolve':<21} {before:>14} → {case.state:<14} {self.intake.username:<13} "
                      f"调解成功（{m.number} 已履行），挽回 {yuan(case.amount_recovered)}")
        outcomes = {}
        for marker in (Marker.GROUP, Marker.ARBITRATION):
            self.m[marker].refresh_from_db()
            outcomes[self.m[marker].case] = self.m[marker].state
        self.shared["mediation.outcomes"] = outcomes

    # --- checks, summary, documents ----------------------------------------------------------------------

    def check(self) -> list[str]:
        problems = []
        for marker, state in data.EXPECTED.items():
            m = self.m.get(marker)
            if m is None:
                problems.append(f"mediation “{marker}” is missing")
                continue
            m.refresh_from_db()
            if m.state != state:
                problems.append(f"{m.number} ({marker}) is {m.state}, expected {state}")
        if len(self.m) < len(data.EXPECTED):
            return problems  # the paths' checks below need every mediation
        return problems + self.check_paths()

    def check_paths(self) -> list[str]:
        """What each mediation's path must have left behind, and the cases they came from."""
        problems = []
        g = self.m[Marker.GROUP]
        if not (g.ruling_number and g.agreement and g.agreement.amount_paid == Decimal(GROUP_TOTAL)
                and g.sessions.count() == 2 and g.agreement.instalments.count() == 3 and g.claimants.count() == 11):
            problems.append(f"{g.number}: expected 11 claimants, two sessions, ¥660,000 in three instalments, confirmed, paid")
        if g.case.state != "closed" or g.case.amount_recovered != Decimal(GROUP_TOTAL):
            problems.append(f"{g.case.number}: expected closed with ¥660,000 recovered")
        if self.m[Marker.ARBITRATION].case.state != "in_arbitration":
            problems.append("the truck driver's case should have gone to arbitration")
        e = self.m[Marker.EXPIRED]
        if not (e.expired and e.returned_to_court_on and e.extensions.count() == 1):
            problems.append(f"{e.number}: expected expired after one extension and returned to the court")
        late = self.m[Marker.LATE]
        if late.next_step != "payment_order" or late.confirmation_requested_on is not None:
            problems.append(f"{late.number}: expected no confirmation and a payment order as the next step")
        if (self.report.created, self.report.duplicates, self.report.refused) != (5, 1, 3):
            problems.append(f"import: created {self.report.created}, duplicates {self.report.duplicates}, "
                            f"refused {self.report.refused}; expected 5, 1, 3")
        walked = set(Event.objects.filter(content_type__app_label="mediation").values_list("transition", flat=True))
        missing = set(transition_names(Mediation)) - walked
        if missing:
            problems.append(f"mediation transitions never walked: {', '.join(sorted(missing))}")
        return problems

    def print_table(self):
        self.run.section("Mediations")
        header = (f"{'number':<15} {pad('state', 34)} {'source':<15} {pad('court case number', 32)} "
                  f"{'agreed':>12} {'paid':>12}  title")
        self.run.line(header)
        self.run.line("-" * (len(header) + 40))
        for m in Mediation.objects.select_related("agreement").order_by("number"):
            agreed = m.agreement.total if m.agreement else None
            paid = m.agreement.amount_paid if m.agreement else None
            self.run.line(f"{m.number:<15} {pad(f'{m.state} {m.get_state_display()}', 34)} {m.source:<15} "
                          f"{pad(m.court_case_number or '—', 32)} {yuan(agreed):>12} {yuan(paid):>12}  {m.title}")

    def write_documents(self) -> int:
        """Every document of every mediation and session: those its final state may have, and those
        issued on the way (the agreement when agreed, the confirmation application...)."""
        written = 0
        for m in Mediation.objects.order_by("number"):
            for obj in [m, *m.sessions.order_by("seq")]:
                documents.issue_all_now(obj)
                for document in documents.documents_for(obj).order_by("id"):
                    written += self.copy_document(m, document)
        return written

    def copy_document(self, m, document) -> int:
        if document.status != document.Status.READY:
            document = documents.render_and_store(document.pk)
        target = Path(self.run.output_dir) / f"{document.number} {document.title}.pdf"
        with document.file.open("rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        self.run.line(f"{m.number}  {pad(document.title, 14)} {document.pages} 页  {document.size // 1024} KiB  "
                      f"{document.number}（{document.owner_state or '—'}）  核验码 {document.verification_code}")
        return 1
