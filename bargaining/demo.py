"""Bargaining's part of `manage.py demo` (the framework: core/demo.py).

- The municipal federation bargains with the food-delivery platform and its franchisee over rest,
  hourly pay floors, penalties, algorithm time estimates, the piece rate and the rain surcharge
  (modelled on the 2025 platform agreements): the platform's contact accepts the proposal; its
  order statistics (GBK CSV) cost every pay-rule position; three rounds, suspended and resumed
  between the first two; the first vote fails on the quorum, the second passes by ballots; signed
  and filed; the labour administration objects; one more round, a third vote, signed and filed
  again; the sweep brings it into effect when the objection window passes.
- The franchisee's contact refuses a proposal on labour quotas, with a reason.
- The ride-hailing platform's one-year contract of last year expires by the sweep, and its
  renewal opens a new negotiation seeded from the contract's clauses.
- The freight platform's contract enters its last three months: the sweep sends the renewal notice.

Everything goes through bargaining.services inside the demo's transaction; dates are days before today.
"""

import csv
import io
import shutil
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta

from core import documents
from core.demo import DemoPart, pad, register
from core.models import Event, Notification
from core.roles import Role
from core.transitions import transition_names

from . import demo_data as data
from . import services
from .models import Negotiation, Negotiator, Side, Topic

CHIEF, NEGOTIATOR = Negotiator.SeatRole.CHIEF, Negotiator.SeatRole.NEGOTIATOR


@register
class BargainingDemo(DemoPart):
    subject = "negotiation"

    def __init__(self, run):
        super().__init__(run)
        self.n: dict[str, Negotiation] = {}

    # --- people --------------------------------------------------------------------------------------

    def seed_staff(self):
        for username, (full_name, org_key) in data.CONTACTS.items():
            self.run.create_account(username, full_name=full_name, role=Role.COMPANY_CONTACT,
                                    email_domain="example.com", admin_site=False,
                                    organisation=self.organisations[org_key])
            self.run.line(f"{username:<13} {full_name:<8} 企业联系人  {self.organisations[org_key].name}")

    def seed(self):
        u = self.users
        self.officer, self.supervisor = u["he.zhiyong"], u["zheng.li"]
        self.food_contact, self.franchisee_contact, self.ride_contact = u["fang.ting"], u["zhong.kai"], u["liu.yang"]
        self.union, self.bureau = self.organisations["union"], self.organisations["labor_bureau"]

    # --- helpers ---------------------------------------------------------------------------------------

    def act(self, n, action, actor, note="", **kwargs):
        before = n.state
        getattr(services, action)(negotiation=n, actor=actor, **kwargs)
        n.refresh_from_db()
        self.run.line(f"{n.number}  {action:<17} {before:>12} → {n.state:<12} {actor.username:<11} {note}".rstrip())

    def new(self, key, *, title, employers, topics, team=None, **kw):
        n = services.create_negotiation(actor=self.officer, title=title, union=self.union, employers=employers,
                                        covered_cities="厦门、泉州", **kw)
        self.seat(n, team or self.default_team(employers))
        for code, (value, text) in topics.items():
            services.set_topic(negotiation=n, actor=self.officer, topic=Topic.objects.get(code=code),
                               demand_value=value, demand_text=text,
                               surcharge_weather="雨" if code == "bad_weather_surcharge" else "")
        self.n[key] = n
        self.run.line(f"{n.number}  {'create':<17} {'':>12}   {n.state:<12} {self.officer.username:<11} {title}")
        return n

    def seat(self, n, team):
        for side, members in team.items():
            for role, name, title, delegation in members:
                services.set_negotiator(negotiation=n, actor=self.officer, side=side, role=role, name=name,
                                        title=title, delegation_reference=delegation)

    def default_team(self, employers):
        org = employers[0].name
        return {
            Side.UNION: [(CHIEF, "王志华", "市总工会副主席", "市总工会委托书〔2026〕7号"),
                         (NEGOTIATOR, "陈志强", "司机代表", ""), (NEGOTIATOR, "吴国平", "司机代表", "")],
            Side.EMPLOYER: [(CHIEF, f"{org}代表甲", "人力资源总监", ""), (NEGOTIATOR, f"{org}代表乙", "运营经理", ""),
                            (NEGOTIATOR, f"{org}代表丙", "法务经理", "")],
        }

    def round(self, n, days_ago, positions):
        by_code = {t.topic.code: t for t in n.topics.select_related("topic") if t.topic}
        rows = [{"topic": by_code[code].pk, "union_value": uv, "union_text": ut, "employer_value": ev,
                 "employer_text": et, "agreed": agreed} for code, (uv, ut, ev, et, agreed) in positions.items()]
        r = services.record_round(negotiation=n, actor=self.officer, held_on=self.ago(days_ago), positions=rows,
                                  attendees="职工方、企业方协商代表；市人社局劳动关系处列席",
                                  minutes="双方逐项交换意见。\n一致事项写入纪要，分歧事项下轮继续协商。")
        agreed = [by_code[c].name for c, p in positions.items() if p[-1]]
        self.run.line(f"{n.number}  {'record_round':<17} {'':>12}   {n.state:<12} {self.officer.username:<11} "
                      f"第{r.number}轮 {self.ago(days_ago)}" + (f"，一致：{'、'.join(agreed)}" if agreed else ""))

    def agree_everything(self, n, days_ago):
        self.round(n, days_ago, {t.topic.code: (t.demand_value, t.demand_text, t.demand_value, "同意", True)
                                 for t in n.topics.select_related("topic")})

    def roll(self, n, size):
        services.set_electorate(negotiation=n, actor=self.officer, kind="congress", electors=[
            {"reference": f"D{i:03d}", "name": f"职工代表{i:02d}"} for i in range(1, size + 1)])
        n.refresh_from_db()

    def to_effective(self, n, start):
        """A whole path from the proposal to the reviewer's no-objection, `start` days ago."""
        self.act(n, "send_proposal", self.officer, proposed_on=self.ago(start))
        self.act(n, "accept_proposal", self.officer, replied_on=self.ago(start - 8), note="书面回应（工作人员登记）")
        self.agree_everything(n, start - 15)
        self.act(n, "draft_agreement", self.officer)
        self.roll(n, 21)
        self.act(n, "submit_for_vote", self.officer)
        self.act(n, "record_vote", self.officer, method="counted", held_on=self.ago(start - 25), attendance=19, approvals=17)
        self.act(n, "sign", self.officer, term_years=1, signed_on=self.ago(start - 27))
        self.act(n, "file", self.officer, authority=self.bureau, filed_on=self.ago(start - 30))
        self.act(n, "take_effect", self.officer, no_objection_on=self.ago(start - 36), note="审查机关书面无异议")

    # --- walk ----------------------------------------------------------------------------------------

    def walk(self):
        self.run.section("Negotiations (one line per step: number, action, from → to, by whom)")
        self.food()
        self.refused()
        n = self.new("ride", title="网约车司机抽成比例与工作时长集体协商",
                     employers=[self.organisations["ride_platform"], self.organisations["ride_agent"]],
                     topics={"commission": (Decimal("20"), "平台抽成比例上限20%"),
                             "working_hours": (Decimal("10"), "连续驾驶满4小时强制休息，日在线不超过10小时")})
        self.to_effective(n, 540)
        n = self.new("freight", title="货车司机运价与休息集体协商", employers=[self.organisations["freight_platform"]],
                     topics={"rest": (Decimal("20"), "连续驾驶4小时休息不少于20分钟"),
                             "rewards_penalties": (None, "取消压车罚款")})
        self.to_effective(n, 320)

    def food(self):
        o = self.organisations
        n = self.new("food", title="外卖骑手休息、报酬与算法规则集体协商",
                     employers=[o["food_platform"], o["food_franchisee"]], topics=data.DEMANDS,
                     team={Side.UNION: data.UNION_TEAM, Side.EMPLOYER: data.EMPLOYER_TEAM},
                     covered_occupations=["rider"], covered_headcount=5000)
        union_chief = n.negotiators.get(side=Side.UNION, role=CHIEF)
        services.set_union_note(topic=n.topics.get(topic__code="piece_rate"), actor=self.officer, priority=1,
                                target_value=Decimal("5.10"), walk_away_value=Decimal("5.00"),
                                note="底线5元；可用雨天加价换取单价让步")
        self.run.line(f"{n.number}  union chief {union_chief.name}: {union_chief.delegation_reference}")
        self.act(n, "send_proposal", self.officer, proposed_on=self.ago(120))
        self.act(n, "accept_proposal", self.food_contact, replied_on=self.ago(112), reply_text="同意就所列议题开展协商",
                 note="企业联系人在线回应")
        self.import_statistics(n)
        for days_ago, positions in data.ROUNDS_BEFORE_SUSPENSION:
            self.round(n, days_ago, positions)
        self.act(n, "suspend", self.officer, reason="平台调整华东区配送政策，双方同意暂停两周")
        self.act(n, "resume", self.officer)
        for days_ago, positions in data.ROUNDS_AFTER_RESUMING:
            self.round(n, days_ago, positions)
        self.act(n, "draft_agreement", self.officer)
        self.roll(n, 45)
        self.act(n, "submit_for_vote", self.officer)
        self.act(n, "record_vote", self.officer, method="counted", held_on=self.ago(65), attendance=29, approvals=27,
                 note="出席29/45，不足三分之二")
        self.round(n, *data.ROUND_AFTER_FAILED_VOTE)
        self.act(n, "draft_agreement", self.officer)
        clauses = n.current_version().clauses
        clauses.append({"topic": None, "title": "履行与监督", "text": "双方每季度通报本合同履行情况，职工方可就算法规则调整提出协商。"})
        services.revise_contract(negotiation=n, actor=self.officer, clauses=clauses, note="增加履行监督条款")
        self.act(n, "submit_for_vote", self.officer)
        ballots = [{"elector": f"D{i:03d}", "approve": i <= 30} for i in range(1, 37)]
        self.act(n, "record_vote", self.officer, method="ballots", held_on=self.ago(55), ballots=ballots,
                 note="逐人投票：36人参加，30人赞成")
        self.act(n, "sign", self.officer, term_years=2, signed_on=self.ago(50))
        self.act(n, "file", self.officer, authority=self.bureau, filed_on=self.ago(45))
        self.act(n, "object", self.officer, objected_on=self.ago(40),
                 reason="小时报酬下限应按本市2026年调整后的最低工资标准（每小时24元）执行")
        self.round(n, *data.ROUND_AFTER_OBJECTION)
        self.act(n, "draft_agreement", self.officer)
        self.act(n, "submit_for_vote", self.officer)
        self.act(n, "record_vote", self.officer, method="counted", held_on=self.ago(33), attendance=40, approvals=38)
        self.act(n, "sign", self.officer, term_years=2, signed_on=self.ago(31))
        self.act(n, "file", self.officer, authority=self.bureau, filed_on=self.ago(28))

    def refused(self):
        o = self.organisations
        n = self.new("refused", title="配送站点劳动定额集体协商", employers=[o["food_franchisee"]],
                     topics={"labor_quota": (None, "每日派单量上限与站点考核指标公开并协商确定")})
        self.act(n, "send_proposal", self.officer, proposed_on=self.ago(30))
        self.run.expect_refusal(n.number, "refuse_proposal", self.franchisee_contact.username,
                                lambda: services.refuse_proposal(negotiation=n, actor=self.franchisee_contact, reason=" "),
                                otherwise="a refusal went through without a reason")
        self.act(n, "refuse_proposal", self.franchisee_contact, replied_on=self.ago(25),
                 reason="站点正在调整经营范围，暂不具备协商条件", note="企业联系人在线回应")

    def import_statistics(self, n):
        statistics = getattr(services, "import_order_statistics", None)
        if statistics is None:
            return
        report = statistics(negotiation=n, actor=self.officer, data=self.order_statistics(), filename="订单统计.csv")
        summary = report.as_dict()
        self.run.line(f"{n.number}  order statistics: {summary['rows']} rows, written {summary['written']}, "
                      f"errors {len(summary['errors'])}")
        from .costing import cost_negotiation

        for row in cost_negotiation(n):
            demand = (row.get("demand") or {}).get("costing")
            if demand:
                gain = demand["gain_per_worker"]
                self.run.line(f"{n.number}  costing {row['name']} {demand['value']}: the platform pays "
                              f"¥{demand['monthly_cost']}/month more; per worker ¥{gain['median']} a month "
                              f"(median; ¥{gain['p25']}–¥{gain['p75']})")

    def order_statistics(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["城市", "月份", "时段", "天气", "订单量", "计件单价", "平均距离", "在线骑手数", "配送费", "抽成比例"])
        today = self.run.today
        for city, (rate, riders) in data.CITIES.items():
            for m in range(data.MONTHS, 0, -1):
                month = today.replace(day=1) - relativedelta(months=m)
                total = riders * data.ORDERS_PER_WORKER_MONTH
                for band, band_share in data.BANDS.items():
                    for weather, weather_share in data.WEATHER.items():
                        writer.writerow([city, f"{month:%Y-%m}", band, weather, int(total * band_share * weather_share),
                                         rate, "3.2", riders, "6.50", "18.00"])
        return out.getvalue().encode("gbk")

    # --- sweep, renewal --------------------------------------------------------------------------------

    def sweep(self):
        self.run.section("Bargaining sweep (bargaining.services.sweep: effect by lapse, expiry, replies, renewals)")
        result = services.sweep()
        self.run.line(f"took effect {result.took_effect}, expired {result.expired}, "
                      f"reply overdue {result.reply_overdue}, renewal due {result.renewal_due}")
        for note in Notification.objects.filter(key__contains="renewal_due").order_by("id"):
            self.run.line(f"→ {note.recipient.username}: {note.message}")

    def close(self):
        self.run.section("Renewal (services.start_renewal: a new negotiation seeded from the contract's clauses)")
        ride = self.n["ride"]
        ride.refresh_from_db()
        renewal = services.start_renewal(negotiation=ride, actor=self.officer)
        self.n["renewal"] = renewal
        self.run.line(f"{ride.number}  {'start_renewal':<17} {ride.state:>12}   → {renewal.number} "
                      f"（{renewal.topics.count()} 个议题取自原合同条款）")

    # --- checks, summary, documents ----------------------------------------------------------------------

    EXPECTED = {"food": "effective", "refused": "refused", "ride": "expired", "freight": "effective",
                "renewal": "preparing"}

    def check(self) -> list[str]:
        problems = []
        for key, state in self.EXPECTED.items():
            n = self.n.get(key)
            if n is None:
                problems.append(f"negotiation “{key}” is missing")
                continue
            n.refresh_from_db()
            if n.state != state:
                problems.append(f"{n.number} ({key}) is {n.state}, expected {state}")
        food = self.n.get("food")
        if food is not None:
            if [v.passed for v in food.votes.order_by("id")] != [False, True, True]:
                problems.append(f"{food.number}: expected a failed vote, then two that passed")
            if food.effect_basis != "lapse":
                problems.append(f"{food.number}: expected effect by the sweep (lapse)")
        if "freight" in self.n and not Notification.objects.filter(key__contains="renewal_due").exists():
            problems.append("no renewal notice was sent for the freight contract")
        walked = set(Event.objects.filter(content_type__app_label="bargaining").values_list("transition", flat=True))
        missing = set(transition_names(Negotiation)) - walked
        if missing:
            problems.append(f"bargaining transitions never walked: {', '.join(sorted(missing))}")
        return problems

    def print_table(self):
        self.run.section("Negotiations")
        for n in Negotiation.objects.order_by("number"):
            self.run.line(f"{n.number:<15} {pad(f'{n.state} {n.get_state_display()}', 26)} "
                          f"{n.effective_on or '—'!s:<11} {n.expires_on or '—'!s:<11} {n.title}")

    def write_documents(self) -> int:
        written = 0
        for n in Negotiation.objects.order_by("number"):
            for obj in [n, *n.rounds.order_by("number")]:
                documents.issue_all_now(obj)
                for document in documents.documents_for(obj).order_by("id"):
                    written += self.copy_document(n, document)
        return written

    def copy_document(self, n, document) -> int:
        if document.status != document.Status.READY:
            document = documents.render_and_store(document.pk)
        if document.status != document.Status.READY:
            self.run.warn(f"{n.number}  {document.title}: not rendered ({document.status})")
            return 0
        target = Path(self.run.output_dir) / f"{document.number} {document.title}.pdf"
        with document.file.open("rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        self.run.line(f"{n.number}  {pad(document.title, 16)} {document.pages} 页  {document.size // 1024} KiB  "
                      f"{document.number}（{document.owner_state or '—'}）")
        return 1
