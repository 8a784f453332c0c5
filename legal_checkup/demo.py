"""The legal check-up's part of `manage.py demo` (the framework: core/demo.py).

- The ride-hailing platform is audited on version 2 of the checklist, which includes the clauses
  of its effective collective contract (offered by bargaining through core): graded B, its
  medium findings are replied to, rectified and re-assessed; closed with its final score.
- The food-delivery platform is capped at C by a high-severity finding (no rest prompt or
  dispatch pause after continuous work): overdue, escalated to a reminder letter (提示函) and
  then an opinion letter (意见书), answered, followed up and closed.
- A conflicted lawyer is refused as a team member.

Everything goes through legal_checkup.services inside the demo's transaction; dates are days before today.
"""

import datetime
import shutil
from pathlib import Path

from core import documents
from core.demo import DemoPart, pad, register
from core.models import Event
from core.transitions import transition_names

from . import services
from .models import Checklist, Checkup, OfferedClause

RIDE_RESULTS = {"10": "partial", "18": "partial", "21": "non_compliant", "23": "non_compliant", "25": "non_compliant"}
FOOD_RESULTS = {"07": "non_compliant", "11": "partial"}
FOUND = {
    "07": "抽查骑手连续在线记录：系统在连续配送4小时后既无休息提示，也不暂停派单；最长连续在线达6小时40分。",
    "11": "超时判定按全部骑手的最快10%送达时间设定，高峰时段超时率达23%。",
    "10": "规则修改仅在App弹窗提示当日生效，未提前公示。",
    "18": "雨天应急措施未形成书面制度，防护用品发放记录不全。",
    "21": "申诉渠道仅有在线客服，无处理时限和书面答复。",
    "23": "春节期间“冲单奖”实为变相要求加班，加班报酬未单独结算。",
    "25": "离职人员未出具解除或终止证明。",
}


@register
class CheckupDemo(DemoPart):
    subject = "checkup"

    def __init__(self, run):
        super().__init__(run)
        self.c: dict[str, Checkup] = {}

    def seed(self):
        u = self.users
        self.auditor, self.supervisor, self.lawyer = u["xu.wen"], u["zheng.li"], u["chen.jianguo"]
        self.conflicted = u["lin.haitao"]  # retained by the ride-hailing platform's agent
        self.ride_contact, self.food_contact = u["liu.yang"], u["fang.ting"]

    def act(self, c, action, actor, note="", **kwargs):
        before = c.state
        getattr(services, action)(checkup=c, actor=actor, **kwargs)
        c.refresh_from_db()
        self.run.line(f"{c.number}  {action:<19} {before:>10} → {c.state:<10} {actor.username:<11} {note}".rstrip())

    def walk(self):
        self.run.section("Legal check-ups (one line per step: number, action, from → to, by whom)")
        self.version = self.version_with_contract_clauses()
        self.ride()
        self.food()

    def version_with_contract_clauses(self):
        checklist = Checklist.objects.get(code="platform-employment")
        offers = list(OfferedClause.objects.filter(employers=self.organisations["ride_platform"]).distinct())
        version = services.new_version(checklist=checklist, actor=self.supervisor, note="纳入网约车集体合同条款")
        services.include_offered_clauses(version=version, actor=self.supervisor, offers=offers)
        services.publish(version=version, actor=self.supervisor)
        self.run.line(f"checklist v{version.number}: {version.items.count()} items, {len(offers)} from collective "
                      f"contract clauses ({', '.join(o.title for o in offers)})")
        return version

    def audit(self, key, company, results, *, days_ago, lead, version, send_back=False):
        c = services.create_checkup(actor=self.auditor, company=company, reason="2026年度平台企业法治体检")
        self.c[key] = c
        self.run.line(f"{c.number}  {'create':<19} {'':>10}   {c.state:<10} {self.auditor.username:<11} {company.name}")
        self.act(c, "plan", self.auditor, checklist_version=version, profile="basic", lead=lead,
                 planned_on=self.ago(days_ago), scope="查阅劳动用工台账、规则与算法说明、结算记录；访谈站点负责人与骑手（司机）。")
        services.add_team_member(checkup=c, actor=self.auditor, member=self.lawyer)
        self.act(c, "start_fieldwork", lead, started_on=self.ago(days_ago))
        for a in c.assessments.select_related("item"):
            result = results.get(a.item.code, "compliant")
            services.assess(assessment=a, actor=lead, result=result, examined="劳动合同 抽查12份/共40份",
                            notes="站点负责人称规则由总部统一制定", interviews="访谈骑手3名")
        self.act(c, "compile_findings", lead)
        self.run.line(f"{c.number}  score {c.score}, grade {c.grade}{'（高风险事项不符合，封顶为C）' if c.grade_capped else ''}; "
                      f"{c.findings.count()} finding(s)")
        for f in c.findings.select_related("item"):
            if f.item.code in FOUND:
                services.edit_finding(finding=f, actor=lead, found=FOUND[f.item.code],
                                      risk="可能引发劳动争议和行政处罚。")
        self.act(c, "submit_for_review", lead)
        if send_back:
            first = c.findings.select_related("item").first()
            self.act(c, "return_for_changes", self.supervisor, comment_text="请写明抽查范围",
                     finding_comments=[{"item": first.item.code, "comment": "补充抽查的样本数量"}])
            services.edit_finding(finding=first, actor=lead, found=f"{FOUND.get(first.item.code, first.found)}（抽查40人）")
            self.act(c, "submit_for_review", lead)
        self.act(c, "approve", self.supervisor, approved_on=self.ago(days_ago - 3))
        self.act(c, "issue", self.supervisor, issued_on=self.ago(days_ago - 4))
        return c

    def ride(self):
        c = services.create_checkup(actor=self.auditor, company=self.organisations["ride_agent"], reason="代理商体检")
        self.run.expect_refusal(c.number, "add_team_member", self.conflicted.username,
                                lambda: services.add_team_member(checkup=c, actor=self.auditor, member=self.conflicted),
                                otherwise="a lawyer retained by the audited company's agent joined the team")
        self.act(c, "cancel", self.auditor, reason="与平台体检合并进行")
        c = self.audit("ride", self.organisations["ride_platform"], RIDE_RESULTS, days_ago=80, lead=self.auditor,
                       version=self.version, send_back=True)
        self.act(c, "start_rectification", self.ride_contact, acknowledged_on=self.ago(74), note="企业联系人签收")
        for f in c.findings.select_related("item"):
            services.reply(finding=f, actor=self.ride_contact, plan=f"已修订：{f.item.title[:20]}……", responsible="人力资源部 刘洋",
                           target_on=self.ago(30), done=True)
        self.act(c, "follow_up", self.auditor, follow_up_on=self.ago(10))
        for f in c.findings.all():
            services.reassess(finding=f, actor=self.auditor, result="compliant", note="复查确认已整改", reassessed_on=self.ago(10))
        self.act(c, "close", self.auditor)
        self.run.line(f"{c.number}  final score {c.final_score}, grade {c.final_grade}")

    def food(self):
        # The seeded version: the contract clauses of v2 are the ride-hailing platform's.
        c = self.audit("food", self.organisations["food_platform"], FOOD_RESULTS, days_ago=80, lead=self.auditor,
                       version=Checklist.objects.get(code="platform-employment").versions.get(number=1))
        self.act(c, "start_rectification", self.food_contact, acknowledged_on=self.ago(75), note="企业联系人签收")
        rest = c.findings.get(item__code="07")
        other = c.findings.get(item__code="11")
        services.reply(finding=other, actor=self.food_contact, plan="超时判定改按中位送达时间", responsible="算法策略部 孙磊",
                       target_on=self.ago(20), done=True)
        letter = services.escalate(finding=rest, actor=self.auditor, issued_on=rest.due_on + datetime.timedelta(days=1))
        self.run.line(f"{c.number}  escalate            {letter.get_kind_display()}，答复期限 {letter.reply_due}")
        letter = services.escalate(finding=rest, actor=self.auditor, issued_on=letter.reply_due + datetime.timedelta(days=1))
        self.run.line(f"{c.number}  escalate            {letter.get_kind_display()}，答复期限 {letter.reply_due}")
        services.letter_reply(letter=letter, actor=self.food_contact, replied_on=letter.issued_on,
                              reply_text="已上线连续配送4小时强制休息20分钟功能。")
        services.reply(finding=rest, actor=self.food_contact, plan="上线休息提醒与暂停派单", responsible="运营部 方婷",
                       target_on=letter.issued_on, done=True)
        self.act(c, "follow_up", self.auditor, follow_up_on=letter.issued_on)
        services.reassess(finding=rest, actor=self.auditor, result="compliant", note="系统已强制休息", reassessed_on=letter.issued_on)
        services.reassess(finding=other, actor=self.auditor, result="partial", note="高峰时段仍偏严", reassessed_on=letter.issued_on)
        self.act(c, "close", self.auditor)
        self.run.line(f"{c.number}  final score {c.final_score}, grade {c.final_grade}")

    EXPECTED = {"ride": ("closed", "B"), "food": ("closed", "C")}

    def check(self) -> list[str]:
        problems = []
        for key, (state, grade) in self.EXPECTED.items():
            c = self.c.get(key)
            if c is None:
                problems.append(f"checkup “{key}” is missing")
                continue
            c.refresh_from_db()
            if (c.state, c.grade) != (state, grade):
                problems.append(f"{c.number} ({key}) is {c.state}/{c.grade}, expected {state}/{grade}")
        food = self.c.get("food")
        if food is not None and not food.grade_capped:
            problems.append(f"{food.number}: expected the grade capped at C")
        if food is not None and sorted(food.findings.get(item__code="07").letters.values_list("kind", flat=True)) != ["opinion", "reminder"]:
            problems.append(f"{food.number}: expected a reminder and an opinion letter")
        walked = set(Event.objects.filter(content_type__app_label="legal_checkup").values_list("transition", flat=True))
        missing = set(transition_names(Checkup)) - walked
        if missing:
            problems.append(f"check-up transitions never walked: {', '.join(sorted(missing))}")
        return problems

    def print_table(self):
        self.run.section("Legal check-ups")
        for c in Checkup.objects.select_related("company").order_by("number"):
            self.run.line(f"{c.number:<16} {pad(f'{c.state} {c.get_state_display()}', 24)} "
                          f"{c.score or '—'!s:>5} {c.grade or '—':<2} → {c.final_score or '—'!s:>5} {c.final_grade or '—':<2} {c.company.name}")

    def write_documents(self) -> int:
        written = 0
        for c in Checkup.objects.order_by("number"):
            documents.issue_all_now(c)
            # Each letter has its own document, asked for when it was issued (services.escalate).
            letters = [letter for f in c.findings.all() for letter in f.letters.all()]
            for obj in [c, *letters]:
                for document in documents.documents_for(obj).order_by("id"):
                    written += self.copy_document(c, document)
        return written

    def copy_document(self, c, document) -> int:
        if document.status != document.Status.READY:
            document = documents.render_and_store(document.pk)
        if document.status != document.Status.READY:
            self.run.warn(f"{c.number}  {document.title}: not rendered ({document.status})")
            return 0
        target = Path(self.run.output_dir) / f"{document.number} {document.title}.pdf"
        with document.file.open("rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        self.run.line(f"{c.number}  {pad(document.title, 18)} {document.pages} 页  {document.size // 1024} KiB  {document.number}")
        return 1
