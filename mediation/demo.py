"""The mediation part of `manage.py demo` (casework/management/commands/demo.py calls it).

- The eleven drivers' group case goes to court pre-suit mediation (委派): two sessions, an agreement of
  ¥660,000 in three instalments, judicially confirmed, paid, fulfilled by the sweep; the case then
  resolves with the amount and closes.
- The truck driver's case goes to union mediation, which fails; the case goes on to arbitration.
- The court liaison imports the court's referral list (GBK CSV: a duplicate and three bad rows are
  reported); of its referrals one expires after an extension (returned to the court), one asks for
  judicial confirmation too late (refused, shown) and then defaults (next step: a payment order),
  one is declined, one withdrawn, one has its confirmation rejected and resumes mediating.

Everything goes through mediation.services / importers / sweeps, inside the demo's transaction.
"""

import datetime
import shutil
import unicodedata
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from casework import demo_data as case_data
from casework import documents
from casework.models import Notification, StaffProfile
from casework.permissions import Role
from casework.transitions import TransitionRefused, transition_names

from . import demo_data as data
from . import importers, services, sweeps
from .demo_data import Marker
from .models import Mediation, MediationState

S = MediationState


def _pad(text: str, width: int) -> str:
    """Pad to `width` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def _yuan(amount) -> str:
    return "—" if amount is None else f"¥{Decimal(amount):,.2f}"


class MediationDemo:
    def __init__(self, command):
        self.cmd = command
        self.m: dict[str, Mediation] = {}

    # --- helpers ------------------------------------------------------------------------------------

    def ago(self, days):
        return self.cmd.today - datetime.timedelta(days=days)

    def at(self, days, hour=10):
        return timezone.make_aware(datetime.datetime.combine(self.ago(days), datetime.time(hour)))

    def line(self, text):
        self.cmd.line(text)

    def act(self, m, action, actor, note="", **kwargs):
        before = m.state
        getattr(services, action)(mediation=m, actor=actor, **kwargs)
        m.refresh_from_db()
        self.line(f"{m.number}  {action:<21} {before:>21} → {m.state:<21} {actor.username:<11} {note}".rstrip())
        return m

    def refused(self, m, action, who, exc):
        message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(getattr(exc, "detail", exc))
        self.line(self.cmd.style.WARNING(f"{m.number}  {action:<21} refused ({who}): {message}"))

    def session(self, m, spec):
        session = services.record_session(
            mediation=m, actor=m.mediator, held_at=self.at(spec["days_ago"], spec["hour"]), mode=spec["mode"],
            location=spec["location"], attendees=spec["attendees"], minutes=spec["minutes"],
        )
        self.line(f"{m.number}  {'record_session':<21} {'':>21}   {m.state:<21} {m.mediator.username:<11} "
                  f"第{session.seq}次 {session.get_mode_display()} {self.ago(spec['days_ago'])}（调解笔录 {session.number}）")
        return session

    # --- people --------------------------------------------------------------------------------------

    def seed_people(self):
        User = get_user_model()
        for username, (full_name, org_key, acts_for) in data.MEDIATORS.items():
            user = User.objects.create_user(
                username=username, password=case_data.PASSWORD, first_name=full_name,
                email=f"{username}@{case_data.EMAIL_DOMAIN[org_key]}", is_staff=True,
            )
            user.groups.add(Group.objects.get(name=Role.MEDIATOR))
            profile = StaffProfile.objects.create(user=user, organisation=self.cmd.orgs[org_key])
            profile.acts_for.set([self.cmd.orgs[k] for k in acts_for])
            Token.objects.create(user=user)
            self.cmd.users[username] = user
            retained = "、".join(self.cmd.orgs[k].name for k in acts_for)
            self.line(f"{username:<13} {full_name:<8} 调解员  {self.cmd.orgs[org_key].name}  retained by {retained}")
        u = self.cmd.users
        self.mediator, self.other, self.liaison = u["wu.qiong"], u["fang.lei"], u["cai.jing"]
        self.supervisor, self.intake = self.cmd.supervisor, self.cmd.intake
        self.court, self.centre = self.cmd.orgs["court"], self.cmd.orgs["mediation_centre"]

    # --- the group case: court pre-suit, confirmed, paid ----------------------------------------------

    def group_referral_kwargs(self):
        referred_on = self.ago(45)
        return {
            "mediator_organisation": self.centre, "source": "court_pre_suit", "court": self.court,
            "court_case_number": data.GROUP_NUMBER.format(year=referred_on.year), "referred_on": referred_on,
        }

    def group(self, case):
        m = self.m[Marker.GROUP] = case.mediations.get()
        self.act(m, "accept", self.mediator, accepted_on=self.ago(44), organisation=self.centre, note="委派调解 30 日")
        try:
            services.assign_mediator(mediation=m, actor=self.supervisor, mediator=self.other)
        except ValidationError as exc:
            self.refused(m, "assign_mediator", f"{self.supervisor.username} assigning {self.other.username}", exc)
        else:
            raise RuntimeError("the conflicted mediator was assigned")
        self.act(m, "assign_mediator", self.supervisor, mediator=self.mediator,
                 note=f"{self.mediator.first_name}（在办 {services.workload_of(self.mediator)['in_progress']} 件）")
        for spec in data.GROUP_SESSIONS:
            self.session(m, spec)
        shares = "；".join(f"{self.cmd.workers[k].name} {case_data.GROUP_CLAIMS[k]:,}元" for k in case_data.GROUP_DRIVERS)
        third = Decimal(case_data.GROUP_TOTAL) / 3
        self.act(m, "reach_agreement", self.mediator, total=Decimal(case_data.GROUP_TOTAL), basis="compensation",
                 signed_on=self.ago(25), effective_on=self.ago(25), obligations=data.GROUP_OBLIGATIONS,
                 terms=f"补偿款按各申请人的请求金额分配：{shares}。",
                 instalments=[{"due_on": self.ago(days), "amount": third} for days in (24, 14, 4)],
                 note=f"{_yuan(case_data.GROUP_TOTAL)}，三期")
        for n, days in enumerate((24, 14, 4), start=1):
            services.record_payment(mediation=m, actor=self.mediator, amount=third, paid_on=self.ago(days),
                                    reference=f"YF{self.ago(days):%Y%m%d}{n:02d}")
            m.refresh_from_db()
            self.line(f"{m.number}  {'record_payment':<21} {'':>21}   {m.state:<21} {self.mediator.username:<11} "
                      f"第{n}期 {_yuan(third)}（{self.ago(days)}），累计 {_yuan(m.agreement.amount_paid)}")
        window = services.confirmation_window(m).date
        self.act(m, "request_confirmation", self.mediator, note=f"申请期限至 {window}")
        self.act(m, "confirm", self.liaison, ruling_number=f"（{self.cmd.today.year}）闽0203民特1216号",
                 ruling_date=self.cmd.today, note="法院联络员登记确认裁定")

    # --- the truck driver: union mediation fails ------------------------------------------------------

    def union_fails(self, case):
        m = self.m[Marker.ARBITRATION] = case.mediations.get()
        self.act(m, "accept", self.mediator, accepted_on=self.ago(11), organisation=self.centre,
                 note="工会调解 15 日")
        self.act(m, "assign_mediator", self.supervisor, mediator=self.other)
        self.session(m, data.ARBITRATION_SESSION)
        self.act(m, "fail", self.other, reason="被申请人否认存在劳动关系，明确表示不同意继续调解，双方无法达成协议。",
                 note="调解终结：可申请仲裁")

    # --- the court's list ------------------------------------------------------------------------------

    def referral_list(self) -> bytes:
        header = "法院,案号,调解类型,适用程序,委派日期,案由,申请人,身份证号码,联系电话,被申请人,统一社会信用代码,请求事项,金额"
        rows = [header]
        for marker, (source, procedure, number, days, org_key, title, claims) in data.REFERRALS.items():
            w, org, day = data.REFERRAL_WORKERS[marker], self.cmd.orgs[org_key], self.ago(days)
            rows.append(",".join([
                self.court.name, number.format(year=day.year), source, procedure, day.isoformat(), title, w["name"],
                w["id_number"], w["phone"], org.name, org.credit_code or "", ";".join(c for c, _a in claims),
                ";".join(a for _c, a in claims),
            ]))
            if marker == Marker.EXPIRED:
                rows.append(rows[-1])  # the court sent this one twice
        for bad in data.BAD_ROWS:
            day = self.ago(6)
            id_number = case_data.resident_id("350203", datetime.date(1990, 5, 5), bad["seq"], True)
            if bad.get("bad_id"):
                id_number = id_number[:17] + ("1" if id_number[17] != "1" else "2")
            rows.append(",".join([
                bad["court"] or self.court.name, bad["number"].format(year=day.year), "委派", "普通程序", day.isoformat(),
                "拖欠劳动报酬", bad["name"], id_number, "", self.cmd.orgs["food_platform"].name, "", "支付拖欠报酬", bad["amount"],
            ]))
        return ("\n".join(rows) + "\n").encode("gbk")

    def import_list(self):
        self.cmd.section(f"Referral import (mediation.importers; as {self.liaison.username}, court liaison)")

        def progress(done, total, report):
            if done:
                self.line(f"progress: {done}/{total} rows, created {report.created}, duplicates {report.duplicates}, "
                          f"refused {report.refused}")

        report = importers.import_referrals(
            actor=self.liaison, data=self.referral_list(), filename="思明区人民法院委派调解名单.csv", court=self.court,
            progress=progress,
        )
        self.line(f"{report.filename}: {report.format.upper()}, {report.encoding}, {report.total} rows")
        for row in report.rows:
            text = f"row {row.row}  {row.status:<9} {row.court_case_number}  {row.mediation}"
            if row.reasons:
                text += "  " + "；".join(row.reasons)
            style = self.cmd.style.SUCCESS if row.status == "created" else self.cmd.style.WARNING
            self.line(style(text.rstrip()))
        self.report = report
        numbers = {}
        for marker, (_s, _p, number, days, *_rest) in data.REFERRALS.items():
            numbers[number.format(year=self.ago(days).year)] = marker
        for m in Mediation.objects.filter(court=self.court, court_case_number__in=numbers):
            self.m[numbers[m.court_case_number]] = m

    def walk(self):
        self.import_list()
        self.cmd.section("Mediations (one line per step: number, action, from → to, by whom)")
        m = self.m[Marker.EXPIRED]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(34), organisation=self.centre, note="诉中委托，简易程序 7 日")
        try:
            services.assign_mediator(mediation=m, actor=self.supervisor, mediator=self.other)
        except ValidationError as exc:
            self.refused(m, "assign_mediator", f"{self.supervisor.username} assigning {self.other.username}", exc)
        else:
            raise RuntimeError("the mediator related to the respondent's group was assigned")
        self.act(m, "assign_mediator", self.supervisor, mediator=self.mediator)
        self.session(m, {"days_ago": 31, "hour": 15, "mode": "phone", "location": "电话调解",
                         "attendees": ["郭俊峰（申请人）", "刘洋（云帆出行科技有限公司）"],
                         "minutes": "平台同意核对封号前七日的订单流水，请求延长调解期限以便核对。申请人同意。"})
        self.act(m, "extend", self.mediator, days=7, claimant_consent_on=self.ago(28), respondent_consent_on=self.ago(28),
                 consent_note="双方在电话调解中同意延长七日，并书面确认。", note="经双方同意延长 7 日")

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
        try:
            services.request_confirmation(mediation=m, actor=self.other)
        except TransitionRefused as exc:
            self.refused(m, "request_confirmation", self.other.username, exc)
        else:
            raise RuntimeError("a confirmation request 45 days after the agreement took effect was accepted")

        self.act(self.m[Marker.DECLINED], "decline", self.mediator,
                 reason="被申请人书面答复不同意调解，要求通过诉讼解决。", note="退回法院立案")

        m = self.m[Marker.WITHDRAWN]
        self.act(m, "accept", self.mediator, accepted_on=self.ago(9), organisation=self.centre)
        self.act(m, "withdraw", self.mediator, reason="平台已退还超时罚款，申请人申请撤回调解。", note="自行和解，退回法院")

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
                 ruling_number=f"（{self.cmd.today.year}）闽0203民特1390号", ruling_date=self.cmd.today,
                 note="法院裁定驳回申请")
        self.act(m, "resume", self.other, note="重新调解，新的调解期限")

    # --- sweeps and the group case's end ----------------------------------------------------------------

    def sweep(self):
        self.cmd.section("Mediation sweeps (mediation.sweeps: deadlines, then performance)")
        before = set(Notification.objects.values_list("pk", flat=True))
        self.deadlines = sweeps.sweep_deadlines()
        self.performance = sweeps.sweep_performance()
        d, p = self.deadlines, self.performance
        self.line(f"deadlines: expired {d['expired']} (returned to the court {d['returned_to_court']}), "
                  f"warned {d['warned']}; performance: fulfilled {p['fulfilled']}, defaulted {p['defaulted']} "
                  f"(instalments due on or before {p['cutoff']} count as overdue)")
        for note in Notification.objects.exclude(pk__in=before).select_related("recipient").order_by("id"):
            self.line(f"→ {note.recipient.username}: {note.message}")

    def finish_group_case(self, act_on_case):
        """The agreement is performed: the group case resolves with the amount and closes."""
        m = self.m[Marker.GROUP]
        m.refresh_from_db()
        case = m.case
        before = case.state
        services.resolve_linked_case(mediation=m, actor=self.intake)
        case.refresh_from_db()
        self.cmd.line(f"{case.number}  {'resolve':<21} {before:>14} → {case.state:<14} {self.intake.username:<13} "
                      f"调解成功（{m.number} 已履行），挽回 {_yuan(case.amount_recovered)}")
        act_on_case(case, "close", self.supervisor)

    # --- checks, summary, documents ----------------------------------------------------------------------

    EXPECTED = {
        Marker.GROUP: S.FULFILLED, Marker.ARBITRATION: S.FAILED, Marker.EXPIRED: S.FAILED, Marker.LATE: S.DEFAULTED,
        Marker.DECLINED: S.DECLINED, Marker.WITHDRAWN: S.WITHDRAWN, Marker.REJECTED: S.IN_PROGRESS,
    }

    def check(self) -> list[str]:
        problems = []
        for marker, state in self.EXPECTED.items():
            m = self.m.get(marker)
            if m is None:
                problems.append(f"mediation “{marker}” is missing")
                continue
            m.refresh_from_db()
            if m.state != state:
                problems.append(f"{m.number} ({marker}) is {m.state}, expected {state}")
        g = self.m[Marker.GROUP]
        if not (g.ruling_number and g.agreement and g.agreement.amount_paid == Decimal(case_data.GROUP_TOTAL)
                and g.sessions.count() == 2 and g.agreement.instalments.count() == 3 and g.claimants.count() == 11):
            problems.append(f"{g.number}: expected 11 claimants, two sessions, ¥660,000 in three instalments, confirmed, paid")
        if g.case.state != "closed" or g.case.amount_recovered != Decimal(case_data.GROUP_TOTAL):
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
        from casework.models import Event

        walked = set(Event.objects.filter(content_type__app_label="mediation").values_list("transition", flat=True))
        missing = set(transition_names(Mediation)) - walked
        if missing:
            problems.append(f"mediation transitions never walked: {', '.join(sorted(missing))}")
        return problems

    def print_table(self):
        self.cmd.section("Mediations")
        header = (f"{'number':<15} {_pad('state', 34)} {'source':<15} {_pad('court case number', 32)} "
                  f"{'agreed':>12} {'paid':>12}  title")
        self.line(header)
        self.line("-" * (len(header) + 40))
        for m in Mediation.objects.select_related("agreement").order_by("number"):
            agreed = m.agreement.total if m.agreement else None
            paid = m.agreement.amount_paid if m.agreement else None
            self.line(f"{m.number:<15} {_pad(f'{m.state} {m.get_state_display()}', 34)} {m.source:<15} "
                      f"{_pad(m.court_case_number or '—', 32)} {_yuan(agreed):>12} {_yuan(paid):>12}  {m.title}")

    def write_documents(self, directory) -> int:
        """Every document of every mediation and session: those its final state may have, and those
        issued on the way (the agreement when agreed, the confirmation application...)."""
        written = 0
        for m in Mediation.objects.order_by("number"):
            for obj in [m, *m.sessions.order_by("seq")]:
                documents.issue_all_now(obj)
                for document in documents.documents_for(obj).order_by("id"):
                    if document.status != document.Status.READY:
                        document = documents.render_and_store(document.pk)
                    target = Path(directory) / f"{document.number} {document.title}.pdf"
                    with document.file.open("rb") as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    self.line(f"{m.number}  {_pad(document.title, 14)} {document.pages} 页  {document.size // 1024} KiB  "
                              f"{document.number}（{document.owner_state or '—'}）  核验码 {document.verification_code}")
                    written += 1
        return written
