"""The web interface for the legal check-up: who sees what (union staff every checkup; a company
contact only their own company's issued ones, as a report without the assessors' notes, the workers
interviewed or the review's comments), the list's filters, the page's panels (team and its
conflict check, assessments with evidence, findings with their repeat marker, score and its
computation, letters), and each form: done, or refused with the reason beside the field and
nothing written."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import journal
from core.models import Organisation
from core.roles import Role
from legal_checkup import services
from legal_checkup.models import Checkup, ChecklistVersion, Evidence, Letter, Reply
from tests.harness import on
from tests.legal_checkup.helpers import auditor, checkup_in_state, company, contact_of, seeded_version, today
from tests.scenarios import make_organisation, make_user, supervisor

pytestmark = pytest.mark.django_db

LIST = "/legal_checkup/checkups/"
CHECKLISTS = "/legal_checkup/checklists/"
# What the helpers write into the union-internal fields (tests/legal_checkup/helpers.py fill()).
NOTES, INTERVIEWS = "内部备注：访谈站长", "访谈骑手3名"
REVIEW_SECRET = "审核内部意见青鸟"
PRE_ISSUE = ["requested", "planned", "fieldwork", "drafting", "review", "approved", "cancelled"]
ISSUED = ["issued", "rectifying", "follow_up", "closed"]


def page_of(c, rest=""):
    return f"{LIST}{c.pk}/{rest}"


def text(response):
    return response.content.decode()


def login(client, user):
    client.force_login(user)
    return client


def listed(client, query=""):
    return set(re.findall(r"TJC-?\d{4}-?\d+", text(client.get(LIST + query))))


def assert_nothing_internal(html):
    for value in (NOTES, INTERVIEWS, REVIEW_SECRET, "仅工会方可见", "data-internal=", "审核意见", "评估人员备注"):
        assert value not in html, value


def upload(name="contract-scan.pdf", content=b"%PDF-1.4 scanned contract"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def labor_bureau():
    return make_organisation(kind=Organisation.Kind.LABOR_BUREAU, name="测试市人力资源和社会保障局")


# --- who sees what ------------------------------------------------------------------------------


def test_pages_need_sign_in(client):
    c = checkup_in_state("fieldwork")
    for url in (LIST, page_of(c), f"{LIST}new/", page_of(c, "team/"), CHECKLISTS):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/"), url


@pytest.mark.parametrize("state", PRE_ISSUE + ISSUED)
def test_every_page_for_auditor_supervisor_and_company_contact(client, state):
    lead = auditor()
    c = checkup_in_state(state, lead=lead)
    other = checkup_in_state("issued", lead=lead)
    contact = contact_of(c)
    for user in (lead, auditor(), supervisor()):
        response = login(client, user).get(page_of(c))
        assert response.status_code == 200, (user, state)
        assert c.number in text(response) and c.get_state_display() in text(response)
    login(client, contact)
    response = client.get(page_of(c))
    if state in ISSUED:
        assert response.status_code == 200 and c.number in text(response)
        assert "法治体检报告" in text(response)
        assert_nothing_internal(text(response))
    else:
        assert response.status_code == 404  # a draft, an unissued report: not there for the company
        assert c.number not in text(client.get(LIST))
    assert client.get(page_of(other)).status_code == 404  # another company's


def test_company_contact_home_lists_their_issued_checkups_with_what_to_do(client):
    lead = auditor()
    mine = checkup_in_state("issued", lead=lead, results={"07": "non_compliant"})
    draft = checkup_in_state("drafting", lead=lead, company_=mine.company)
    theirs = checkup_in_state("issued", lead=lead)
    contact = contact_of(mine)
    login(client, contact)
    home = text(client.get(LIST))
    assert listed(client) == {mine.number}
    assert draft.number not in home and theirs.number not in home
    assert "签收报告" in home
    finding = mine.findings.get(item__code="07")
    assert 'data-finding="07"' in home and f"{finding.due_on:%Y-%m-%d}" in home and "待整改" in home
    # the staff's filters mean nothing to them
    assert listed(client, f"?company={theirs.company.pk}&state=drafting") == {mine.number}
    assert_nothing_internal(home)


def test_other_roles_see_nothing(client):
    c = checkup_in_state("issued")
    stranger = make_user(Role.COMPANY_CONTACT)  # no organisation
    login(client, stranger)
    assert client.get(page_of(c)).status_code == 404
    assert c.number not in text(client.get(LIST))
    court = make_user(Role.COURT_LIAISON)
    login(client, court)
    assert client.get(page_of(c)).status_code in (403, 404)
    assert client.get(LIST).status_code in (403, 404)


def test_the_list_filters(client):
    lead = auditor()
    a = checkup_in_state("issued", lead=lead, results={"07": "non_compliant"})  # capped at C
    b = checkup_in_state("issued", lead=lead)  # B
    r = checkup_in_state("requested", lead=lead)
    login(client, supervisor())
    assert {a.number, b.number, r.number} <= listed(client)
    assert listed(client, "?state=requested") >= {r.number} and a.number not in listed(client, "?state=requested")
    assert listed(client, "?grade=C") >= {a.number} and b.number not in listed(client, "?grade=C")
    assert listed(client, f"?company={b.company.pk}") == {b.number}
    assert listed(client, f"?q={a.company.name}") == {a.number}
    assert listed(client, f"?q={b.number}") == {b.number}
    assert "剩" in text(client.get(LIST + f"?company={a.company.pk}"))  # the next due date, days left


# --- the page's panels ----------------------------------------------------------------------------------


def test_staff_page_shows_assessments_with_internal_notes_findings_and_score(client):
    lead = auditor()
    c = checkup_in_state("issued", lead=lead, results={"07": "non_compliant", "10": "partial"})
    page = text(login(client, lead).get(page_of(c)))
    assert NOTES in page and INTERVIEWS in page and "仅工会方可见" in page
    assert 'data-finding="07"' in page and 'data-finding="10"' in page
    assert "高风险" in page and "法律依据" in page and "整改建议" in page
    assert "得分 = 100 ×" in page and "封顶为C" in page  # rules.score(...).explain()
    c.refresh_from_db()
    assert c.grade == "C" and f'id="score-value">{c.score}<' in page
    assert 'data-item="01"' in page and "劳动合同 抽查12份/共40份" in page
    # the company's page: the same report, nothing internal
    contact_page = text(login(client, contact_of(c)).get(page_of(c)))
    assert "得分 = 100 ×" in contact_page and 'data-finding="07"' in contact_page
    assert "劳动合同 抽查12份/共40份" in contact_page  # what was examined is in the report
    assert_nothing_internal(contact_page)


def test_review_comments_stay_with_the_union(client):
    lead = auditor()
    boss = supervisor()
    c = checkup_in_state("review", lead=lead, results={"07": "non_compliant"})
    services.return_for_changes(checkup=c, actor=boss, comment_text=REVIEW_SECRET,
                                finding_comments=[{"item": "07", "comment": REVIEW_SECRET + "逐项"}])
    c.refresh_from_db()
    assert REVIEW_SECRET in text(login(client, lead).get(page_of(c)))
    services.submit_for_review(checkup=c, actor=lead)
    c.refresh_from_db()
    services.approve(checkup=c, actor=boss)
    c.refresh_from_db()
    services.issue(checkup=c, actor=boss)
    contact = contact_of(c)
    login(client, contact)
    finding = c.findings.get(item__code="07")
    for url in (page_of(c), LIST, "/work/inbox/", page_of(c, f"findings/{finding.pk}/reply/")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_nothing_internal(text(response))


def test_repeat_finding_links_the_earlier_checkup(client):
    lead = auditor()
    first = checkup_in_state("closed", lead=lead, results={"07": "non_compliant"})
    second = checkup_in_state("drafting", lead=lead, company_=first.company, results={"07": "partial"})
    finding = second.findings.get(item__code="07")
    assert finding.repeat_of.checkup == first
    page = text(login(client, lead).get(page_of(second)))
    assert f'data-repeat-of="{first.number}"' in page and page_of(first) in page


def test_team_shows_a_conflict_that_arose_after_joining(client):
    lead = auditor()
    c = checkup_in_state("fieldwork", lead=lead)
    member = make_user(Role.LAWYER, first_name="周律师")
    services.add_team_member(checkup=c, actor=lead, member=member)
    member.profile.acts_for.add(c.company)  # later retained by the company
    page = text(login(client, lead).get(page_of(c)))
    assert 'class="wq-errors wq-conflict"' in page and "代理或受聘于受检企业" in page


# --- forms: done, or refused with nothing written -----------------------------------------------------


def test_create_a_checkup(client):
    lead = auditor()
    platform = company()
    union = make_organisation(kind=Organisation.Kind.UNION, name="测试市总工会")
    login(client, lead)
    assert client.get(f"{LIST}new/").status_code == 200
    before = Checkup.objects.count()
    refused = client.post(f"{LIST}new/", {"company": labor_bureau().pk, "reason": "年度"})
    assert refused.status_code == 400 and "平台企业" in text(refused) and "wq-error" in text(refused)
    assert Checkup.objects.count() == before
    done = client.post(f"{LIST}new/", {"company": platform.pk, "union": union.pk, "reason": "年度法治体检"})
    c = Checkup.objects.get(company=platform)
    assert done.status_code == 302 and done["Location"].endswith(page_of(c))
    assert c.state == "requested" and c.union == union and c.created_by == lead
    login(client, make_user(Role.COMPANY_CONTACT, organisation=platform))
    assert client.get(f"{LIST}new/").status_code == 403


def test_plan_refuses_a_conflicted_lead(client):
    lead = auditor()
    c = checkup_in_state("requested", lead=lead)
    conflicted = make_user(Role.LAWYER, acts_for=[c.company])
    login(client, lead)
    data = {"checklist_version": seeded_version().pk, "profile": "basic", "lead": conflicted.pk}
    refused = client.post(page_of(c, "transitions/plan/"), data)
    assert refused.status_code == 400 and "代理或受聘于受检企业" in text(refused)
    c.refresh_from_db()
    assert c.state == "requested" and c.lead is None
    done = client.post(page_of(c, "transitions/plan/"), {**data, "lead": lead.pk})
    assert done.status_code == 302
    c.refresh_from_db()
    assert c.state == "planned" and c.lead == lead


def test_add_team_member_with_the_conflict_check(client):
    lead = auditor()
    c = checkup_in_state("planned", lead=lead)
    conflicted = make_user(Role.LAWYER, acts_for=[c.company])
    fine = make_user(Role.LEGAL_AID_VOLUNTEER, first_name="志愿者甲")
    login(client, lead)
    assert client.get(page_of(c, "team/")).status_code == 200
    events = journal.events_for(c).count()
    refused = client.post(page_of(c, "team/"), {"member": conflicted.pk})
    assert refused.status_code == 400 and "代理或受聘于受检企业" in text(refused)
    assert not c.team.exists() and journal.events_for(c).count() == events
    done = client.post(page_of(c, "team/"), {"member": fine.pk})
    assert done.status_code == 302 and list(c.team.all()) == [fine]
    assert "志愿者甲" in text(client.get(page_of(c)))


def test_assess_an_item_with_evidence(client):
    lead = auditor()
    c = checkup_in_state("fieldwork", lead=lead)
    a = c.assessments.get(item__code="02")
    url = page_of(c, f"assessments/{a.pk}/")
    login(client, lead)
    form = text(client.get(url))
    assert 'enctype="multipart/form-data"' in form and "抽查劳动合同的订立日期" in form  # the item's guidance
    events = journal.events_for(c).count()
    refused = client.post(url, {"result": "not_applicable", "examined": "不涉及"})
    assert refused.status_code == 400 and "须说明理由" in text(refused)
    refused = client.post(url, {"result": "partial", "examined": "骑手 350203199001011234 的合同",
                                "evidence": upload()})
    assert refused.status_code == 400 and "身份证号码" in text(refused)
    refused = client.post(url, {"result": "partial", "sample_checked": "50", "sample_total": "40"})
    assert refused.status_code == 400 and "抽查数不能多于总数" in text(refused)
    a.refresh_from_db()
    assert a.result == "" and not Evidence.objects.exists() and journal.events_for(c).count() == events
    done = client.post(url, {"result": "partial", "examined": "劳动合同 抽查12份/共40份", "sample_checked": "12",
                             "sample_total": "40", "notes": "站长称新人入职一月后才签", "interviews": "骑手两名",
                             "evidence": [upload(), upload("roster.xlsx", b"roster")]})
    assert done.status_code == 302 and done["Location"].endswith(f"#item-{a.pk}")
    a.refresh_from_db()
    assert a.result == "partial" and a.sample_total == 40 and a.notes == "站长称新人入职一月后才签"
    assert a.evidence.count() == 2
    evidence = a.evidence.get(name="contract-scan.pdf")
    page = text(client.get(page_of(c)))
    assert evidence.sha256[:16] in page and "站长称新人入职一月后才签" in page
    download = client.get(page_of(c, f"evidence/{evidence.pk}/"))
    assert download.status_code == 200 and download["X-Evidence-SHA256"] == evidence.sha256
    # after the fieldwork: refused, nothing changed
    c.refresh_from_db()
    for other in c.assessments.filter(result=""):
        services.assess(assessment=other, actor=lead, result="compliant")
    c.refresh_from_db()
    services.compile_findings(checkup=c, actor=lead)
    late = client.post(url, {"result": "compliant"})
    assert late.status_code == 400 and "只能在现场检查阶段" in text(late)
    a.refresh_from_db()
    assert a.result == "partial"


def test_edit_a_finding(client):
    lead = auditor()
    c = checkup_in_state("drafting", lead=lead, results={"07": "non_compliant"})
    finding = c.findings.get(item__code="07")
    url = page_of(c, f"findings/{finding.pk}/")
    login(client, lead)
    assert client.get(url).status_code == 200
    refused = client.post(url, {"found": "站长电话 13812345678 称无休息提示", "risk": "", "recommendation": ""})
    assert refused.status_code == 400 and "手机号码" in text(refused)
    refused = client.post(url, {"found": "", "risk": "x"})
    assert refused.status_code == 400
    finding.refresh_from_db()
    assert "13812345678" not in finding.found and finding.risk == ""
    done = client.post(url, {"found": "系统未设置连续工作4小时的休息提示。", "risk": "过劳与交通事故风险。",
                             "recommendation": "设置休息提示并暂停派单20分钟。"})
    assert done.status_code == 302
    finding.refresh_from_db()
    assert finding.risk == "过劳与交通事故风险。"
    assert "过劳与交通事故风险" in text(client.get(page_of(c)))


def test_company_acknowledges_and_replies_with_evidence(client):
    lead = auditor()
    c = checkup_in_state("issued", lead=lead, results={"07": "non_compliant"})
    contact = contact_of(c)
    login(client, contact)
    page = text(client.get(page_of(c)))
    assert 'data-transition="start_rectification"' in page and 'data-action="reply"' not in page
    assert 'id="document-form"' not in page
    form = client.get(page_of(c, "transitions/start_rectification/"))
    assert form.status_code == 200 and "wq-diagram" not in text(form)  # the union's steps are not drawn for them
    done = client.post(page_of(c, "transitions/start_rectification/"), {})
    assert done.status_code == 302
    c.refresh_from_db()
    assert c.state == "rectifying" and c.acknowledged_on == today()
    finding = c.findings.get(item__code="07")
    url = page_of(c, f"findings/{finding.pk}/reply/")
    form = text(client.get(url))
    assert 'enctype="multipart/form-data"' in form and "data-field=\"evidence\"" in form
    assert_nothing_internal(form)
    events = journal.events_for(c).count()
    refused = client.post(url, {"plan": "", "responsible": "", "evidence": upload()})
    assert refused.status_code == 400 and "wq-error" in text(refused)
    refused = client.post(url, {"plan": "修订规则", "responsible": "人力资源部",
                                "target_on": f"{c.issued_on - datetime.timedelta(days=1):%Y-%m-%d}"})
    assert refused.status_code == 400 and "不能早于报告出具日期" in text(refused)
    assert not Reply.objects.exists() and not Evidence.objects.exists() and journal.events_for(c).count() == events
    target = today() + datetime.timedelta(days=20)
    done = client.post(url, {"plan": "上线休息提示，连续配送4小时强制休息20分钟", "responsible": "运营部 经理",
                             "target_on": f"{target:%Y-%m-%d}", "evidence": upload("notice.pdf", b"%PDF notice")})
    assert done.status_code == 302
    reply = Reply.objects.get(finding=finding)
    assert reply.target_on == target and not reply.done and reply.created_by == contact
    evidence = reply.evidence.get()
    page = text(client.get(page_of(c)))
    assert "上线休息提示" in page and evidence.sha256[:16] in page and "更新整改答复" in page
    assert client.get(page_of(c, f"evidence/{evidence.pk}/")).status_code == 200
    # the files the assessors examined are not the company's to download
    a = c.assessments.get(item__code="01")
    staff_file = Evidence.objects.create(assessment=a, name="interview.m4a", sha256="0" * 64, size=1,
                                         file=SimpleUploadedFile("interview.m4a", b"x"))
    assert client.get(page_of(c, f"evidence/{staff_file.pk}/")).status_code == 404
    # and none of the team's forms
    for rest in ("team/", f"assessments/{a.pk}/", f"findings/{finding.pk}/", f"findings/{finding.pk}/reassess/",
                 f"findings/{finding.pk}/escalate/"):
        assert client.get(page_of(c, rest)).status_code == 403, rest
    assert client.post(page_of(c, "documents/"), {"kind": "report"}).status_code == 404
    assert client.get(page_of(c, "transitions/follow_up/")).status_code == 403


def test_escalate_an_overdue_finding_and_the_company_answers(client, django_capture_on_commit_callbacks):
    lead = auditor()
    labor_bureau()
    c = checkup_in_state("rectifying", lead=lead, results={"07": "non_compliant"})
    finding = c.findings.get(item__code="07")
    url = page_of(c, f"findings/{finding.pk}/escalate/")
    login(client, lead)
    early = client.post(url, {})
    assert early.status_code == 400 and "尚未届满" in text(early) and not Letter.objects.exists()
    with on(finding.due_on + datetime.timedelta(days=1)):
        client.force_login(lead)
        page = text(client.get(page_of(c)))
        assert 'data-action="escalate"' in page and "发出提示函" in page
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(url, {"comment": "逾期未整改"})
        assert done.status_code == 302
        letter = Letter.objects.get(finding=finding)
        assert letter.kind == "reminder" and letter.addressee == c.company
        page = text(client.get(page_of(c)))
        assert 'data-letter="reminder"' in page and "提示函" in page
        again = client.post(url, {})
        assert again.status_code == 400 and "答复期限" in text(again) and Letter.objects.count() == 1
        contact = contact_of(c)
        client.force_login(contact)
        page = text(client.get(page_of(c)))
        assert 'data-letter="reminder"' in page and "书面答复提示函" in page
        pdf = client.get(page_of(c, f"letters/{letter.pk}/pdf/"))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        reply_url = page_of(c, f"letters/{letter.pk}/reply/")
        refused = client.post(reply_url, {"reply_text": ""})
        assert refused.status_code == 400
        letter.refresh_from_db()
        assert letter.replied_on is None
        done = client.post(reply_url, {"reply_text": "已上线休息提示功能，附截图。"})
        assert done.status_code == 302
        letter.refresh_from_db()
        assert letter.replied_on is not None and letter.reply_text.startswith("已上线")


def test_follow_up_reassess_and_close_from_the_page(client):
    lead = auditor()
    c = checkup_in_state("follow_up", lead=lead, results={"07": "non_compliant", "10": "partial"})
    login(client, lead)
    first, second = c.findings.order_by("order")
    refused = client.post(page_of(c, f"findings/{first.pk}/reassess/"), {"result": "not_applicable"})
    assert refused.status_code == 400
    first.refresh_from_db()
    assert first.reassessed_result == ""
    closing = client.post(page_of(c, "transitions/close/"), {})
    assert closing.status_code == 409 and "复查结论" in text(closing)
    for finding in (first, second):
        done = client.post(page_of(c, f"findings/{finding.pk}/reassess/"), {"result": "compliant", "note": "已整改"})
        assert done.status_code == 302
    item = c.assessments.get(item__code="01")
    assert client.post(page_of(c, f"assessments/{item.pk}/reassess/"), {"result": "compliant"}).status_code == 302
    done = client.post(page_of(c, "transitions/close/"), {})
    assert done.status_code == 302
    c.refresh_from_db()
    assert c.state == "closed" and c.final_grade == "A"
    page = text(client.get(page_of(c)))
    assert 'id="final-score"' in page and "复查计算" in page


# --- checklists ------------------------------------------------------------------------------------------


def test_checklist_pages_for_supervisors(client):
    boss = supervisor()
    v1 = seeded_version()
    login(client, boss)
    page = text(client.get(CHECKLISTS))
    assert "平台企业用工法治体检清单" in page and 'data-version="1"' in page
    assert 'data-item="07"' in text(client.get(f"{CHECKLISTS}versions/{v1.pk}/"))
    # a published version is not edited
    refused = client.post(f"{CHECKLISTS}versions/{v1.pk}/items/", {"code": "07", "title": "x", "legal_basis": "y",
                                                                   "severity": "H"})
    assert refused.status_code == 400 and "已发布的清单版本不能修改" in text(refused)
    done = client.post(f"{CHECKLISTS}{v1.checklist.pk}/versions/new/", {"note": "2026年修订"})
    v2 = ChecklistVersion.objects.get(checklist=v1.checklist, number=2)
    assert done.status_code == 302 and done["Location"].endswith(f"versions/{v2.pk}/")
    assert v2.items.count() == v1.items.count() and not v2.published
    item_url = f"{CHECKLISTS}versions/{v2.pk}/items/"
    assert client.get(item_url + "?code=07").status_code == 200
    refused = client.post(item_url, {"code": "26", "title": "", "legal_basis": "", "severity": "H"})
    assert refused.status_code == 400 and not v2.items.filter(code="26").exists()
    done = client.post(item_url, {"code": "26", "title": "为劳动者投保职业伤害保障", "legal_basis": "职业伤害保障试点办法",
                                  "severity": "M", "profiles": ["in_depth"]})
    assert done.status_code == 302
    assert v2.items.get(code="26").profiles == ["in_depth"]
    assert client.post(f"{CHECKLISTS}versions/{v2.pk}/publish/").status_code == 302
    v2.refresh_from_db()
    assert v2.published and v1.items.filter(code="26").count() == 0
    # check-up staff read; a company contact does not
    login(client, auditor())
    assert client.get(CHECKLISTS).status_code == 200
    assert client.post(f"{CHECKLISTS}{v1.checklist.pk}/versions/new/", {}).status_code == 403
    login(client, make_user(Role.COMPANY_CONTACT, organisation=company()))
    assert client.get(CHECKLISTS).status_code == 403


def test_dashboard_shows_the_checkup_figures(client):
    lead = auditor()
    checkup_in_state("issued", lead=lead, results={"07": "non_compliant"})
    login(client, supervisor())
    page = text(client.get("/work/dashboard/"))
    assert 'id="checkup-figures"' in page and "问题整改率" in page and "不符合最多的事项" in page
    assert 'data-letter="reminder"' in page


def test_checklist_export_and_import(client):
    boss = supervisor()
    v1 = seeded_version()
    login(client, boss)
    exported = client.get(f"{CHECKLISTS}versions/{v1.pk}/export/?format=csv")
    assert exported.status_code == 200 and "attachment" in exported["Content-Disposition"]
    data = exported.content
    assert "07".encode() in data
    assert client.get(f"{CHECKLISTS}versions/{v1.pk}/export/?format=xlsx").status_code == 200
    assert client.get(f"{CHECKLISTS}versions/{v1.pk}/export/?format=doc").status_code == 404
    url = f"{CHECKLISTS}{v1.checklist.pk}/import/"
    bad = "编号,检查事项,法律依据,风险等级\n01,事项一,劳动合同法,H\n02,,劳动合同法,X\n".encode()
    refused = client.post(url, {"file": SimpleUploadedFile("清单.csv", bad, content_type="text/csv")})
    assert refused.status_code == 400 and 'id="import-errors"' in text(refused)
    assert ChecklistVersion.objects.filter(checklist=v1.checklist).count() == 1
    done = client.post(url, {"file": SimpleUploadedFile("清单.csv", data, content_type="text/csv"), "note": "导入"})
    v2 = ChecklistVersion.objects.get(checklist=v1.checklist, number=2)
    assert done.status_code == 302 and done["Location"].endswith(f"versions/{v2.pk}/")
    assert v2.items.count() == v1.items.count() and not v2.published
    login(client, auditor())
    assert client.post(url, {"file": SimpleUploadedFile("清单.csv", data)}).status_code == 403


def test_company_contact_never_reaches_cases_mediations_or_unissued_documents(client, django_capture_on_commit_callbacks):
    from core.models import Document

    with django_capture_on_commit_callbacks(execute=True):
        issued = checkup_in_state("issued")
    with django_capture_on_commit_callbacks(execute=True):
        planned = checkup_in_state("planned", company_=issued.company)
    contact = contact_of(issued)
    login(client, contact)
    from tests.scenarios import make_case

    case = make_case(respondents=[issued.company])  # even a case against their own company
    for url in ("/casework/cases/", f"/casework/cases/{case.pk}/", "/mediation/mediations/",
                "/bargaining/negotiations/new/"):
        assert client.get(url).status_code in (403, 404), url
    report = Document.objects.get(kind="report", object_id=str(issued.pk))
    notice = Document.objects.get(kind="engagement_notice", object_id=str(planned.pk))
    assert client.get(f"/api/v1/documents/{report.pk}/download/").status_code == 200
    assert client.get(f"/api/v1/documents/{notice.pk}/download/").status_code == 404
    assert f"/api/v1/documents/{report.pk}/download/" in text(client.get(page_of(issued)))
