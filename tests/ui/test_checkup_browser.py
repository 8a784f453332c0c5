"""The legal check-up in a real browser: an auditor assesses items (with evidence) and compiles the
findings, submits the report; a supervisor approves and issues it; the audited platform's company
contact signs in, finds the report in the inbox, acknowledges it and replies to a finding with a
file. The staff checkup page is photographed at desktop (1280 px) and phone (390 px) widths, the
company contact's page at 1280 px, into docs/; at 390 px nothing on either page is wider than the
screen (tables scroll inside their own box), and the company's page never shows the assessors'
notes or the workers interviewed."""


import pytest
from playwright.sync_api import expect

from core.models import Organisation
from core.roles import Role
from legal_checkup import services
from legal_checkup.models import Checkup, ChecklistVersion, Reply
from tests.scenarios import make_organisation, make_user

from .test_bargaining_browser import DOCS, no_overflow
from .test_browser_scenario import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE, INTERVIEW = "站长称休息提示只在高峰期关闭", "访谈骑手两名：连续配送超过5小时无提示"


def seed_checklist():
    """The seeded checklist, which the migrations load and a transactional test's flush removes."""
    from django.apps import apps

    from legal_checkup.seed import load_seed_checklist

    load_seed_checklist(apps, None)
    return ChecklistVersion.objects.get(checklist__code="platform-employment", number=1)


def submit(page, button="#submit-transition"):
    page.click(button)
    expect(page.locator("#checkup-head")).to_be_visible()


def transition(page, name, fill=None):
    page.locator(f'#transition-buttons a[data-transition="{name}"]').click()
    expect(page.locator("#transition-form")).to_be_visible()
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    submit(page)


def phone_page(browser, live_server, user):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(30_000)
    phone.goto(live_server.url + "/accounts/login/")
    phone.fill("input[name=username]", user.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    expect(phone.locator("h1")).to_contain_text("我的待办")
    return phone


def test_assess_review_issue_and_the_company_replies(browser, live_server, reference_data):
    version = seed_checklist()
    union = make_organisation(kind=Organisation.Kind.UNION, name="苏州市总工会")
    platform = make_organisation(kind=Organisation.Kind.PLATFORM, name="速达同城网络科技有限公司")
    lead = make_user(Role.AUDITOR, first_name="林法务", organisation=union)
    boss = make_user(Role.SUPERVISOR, first_name="王主任", organisation=union)
    contact = make_user(Role.COMPANY_CONTACT, organisation=platform, first_name="刘洋")

    # --- planned and started through the services; most items found compliant ---------------------------
    c = services.create_checkup(actor=lead, company=platform, reason="2026年度平台企业法治体检")
    services.plan(checkup=c, actor=lead, checklist_version=version, profile="basic", lead=lead,
                  scope="查阅劳动合同、结算记录、规则公示记录，访谈站点骑手。")
    c.refresh_from_db()
    services.start_fieldwork(checkup=c, actor=lead)
    c.refresh_from_db()
    for a in c.assessments.select_related("item").exclude(item__code__in=["07", "10"]):
        services.assess(assessment=a, actor=lead, result="compliant", examined="查阅制度文本与记录")

    # --- the auditor assesses the last two items in the browser and compiles ------------------------------
    page = sign_in(browser, live_server, lead)
    page.goto(live_server.url + f"/legal_checkup/checkups/{c.pk}/")
    expect(page.locator("#checkup-state")).to_have_text("现场检查中")
    total = c.assessments.count()
    expect(page.locator("#progress")).to_contain_text(f"{total - 2} / {total}")
    seven = c.assessments.get(item__code="07")
    page.locator(f'#item-{seven.pk} a[data-action="assess"]').click()
    expect(page.locator("#item-guide")).to_contain_text("休息提示")
    page.select_option('select[name="result"]', "non_compliant")
    page.fill('input[name="examined"]', "App 休息提示规则及近3个月执行数据")
    page.fill('textarea[name="notes"]', NOTE)
    page.fill('textarea[name="interviews"]', INTERVIEW)
    page.set_input_files('input[name="evidence"]', files=[
        {"name": "休息提示规则截图.png", "mimeType": "image/png", "buffer": b"\x89PNG fake screenshot"}])
    submit(page)
    row = page.locator(f"#item-{seven.pk}")
    expect(row).to_contain_text("不符合")
    expect(row).to_contain_text("休息提示规则截图.png")
    expect(row.locator(".wq-hash")).to_be_visible()
    ten = c.assessments.get(item__code="10")
    page.locator(f'#item-{ten.pk} a[data-action="assess"]').click()
    page.select_option('select[name="result"]', "partial")
    page.fill('input[name="examined"]', "规则公示页面 抽查5条/共12条")
    page.fill('input[name="sample_checked"]', "5")
    page.fill('input[name="sample_total"]', "12")
    submit(page)
    transition(page, "compile_findings")
    expect(page.locator("#checkup-state")).to_have_text("报告起草中")
    expect(page.locator("#score-computation")).to_contain_text("封顶为C")
    expect(page.locator('#findings [data-finding="07"]')).to_contain_text("高风险")
    finding = c.findings.get(item__code="07")
    page.locator(f'#finding-{finding.pk} a[data-action="edit-finding"]').click()
    page.fill('textarea[name="risk"]', "劳动者连续工作时间过长，存在过劳和交通事故风险。")
    submit(page)
    transition(page, "submit_for_review")
    expect(page.locator("#checkup-state")).to_have_text("审核中")
    page.context.close()

    # --- the supervisor approves and issues --------------------------------------------------------------
    page = sign_in(browser, live_server, boss)
    row = page.locator(f'tr[data-object="{c.pk}"]')
    expect(row).to_contain_text("审核体检报告")
    row.locator("a.wq-task-link").click()
    expect(page.locator("#checkup-state")).to_have_text("审核中")
    transition(page, "approve")
    expect(page.locator("#checkup-state")).to_have_text("已审核通过")
    transition(page, "issue")
    expect(page.locator("#checkup-state")).to_have_text("报告已出具")
    expect(page.locator(f"#finding-{finding.pk} [data-due]")).not_to_have_text("—")
    expect(page.locator("#documents")).to_contain_text("法治体检报告")
    page.context.close()

    # --- the company contact acknowledges and replies -----------------------------------------------------
    page = sign_in(browser, live_server, contact)
    row = page.locator(f'tr[data-object="{c.pk}"]')
    expect(row).to_contain_text("签收法治体检报告")
    row.locator("a.wq-task-link").click()
    expect(page.locator("#checkup-state")).to_have_text("报告已出具")
    expect(page.locator("#todo")).to_contain_text("签收报告")
    expect(page.locator("#documents")).to_contain_text("法治体检报告")
    for secret in (NOTE, INTERVIEW):
        expect(page.locator("body")).not_to_contain_text(secret)
    transition(page, "start_rectification")
    expect(page.locator("#checkup-state")).to_have_text("整改中")
    page.locator(f'#finding-{finding.pk} a[data-action="reply"]').click()
    expect(page.locator("#finding-side")).to_contain_text("休息提示")
    page.fill('textarea[name="plan"]', "上线连续配送4小时强制休息20分钟的提示并暂停派单。")
    page.fill('input[name="responsible"]', "运营部 经理")
    finding.refresh_from_db()
    page.fill('input[name="target_on"]', f"{finding.due_on:%Y-%m-%d}")
    page.set_input_files('input[name="evidence"]', files=[
        {"name": "整改方案.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 rectification plan"}])
    submit(page)
    expect(page.locator(f"#finding-{finding.pk} .wq-replies")).to_contain_text("上线连续配送4小时")
    expect(page.locator(f"#finding-{finding.pk} .wq-replies")).to_contain_text("整改方案.pdf")
    reply = Reply.objects.get(finding=finding)
    assert reply.created_by == contact and reply.evidence.count() == 1

    # --- the screenshots ------------------------------------------------------------------------------------
    DOCS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.screenshot(path=str(DOCS / "checkup-company.png"), full_page=True)
    page.context.close()
    page = sign_in(browser, live_server, lead)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + f"/legal_checkup/checkups/{c.pk}/")
    expect(page.locator(f"#finding-{finding.pk} .wq-replies")).to_contain_text("上线连续配送4小时")
    page.screenshot(path=str(DOCS / "checkup.png"), full_page=True)
    page.context.close()

    for user, name in ((lead, "checkup-phone.png"), (contact, None)):
        phone = phone_page(browser, live_server, user)
        phone.goto(live_server.url + f"/legal_checkup/checkups/{c.pk}/")
        expect(phone.locator("#checkup-state")).to_have_text("整改中")
        overflow = no_overflow(phone)
        if name:
            phone.screenshot(path=str(DOCS / name), full_page=True)
        assert overflow["scroll"] <= overflow["width"] and not overflow["wide"], (user, overflow)
        phone.context.close()
    c.refresh_from_db()
    assert c.state == "rectifying" and c.grade == "C"
    assert Checkup.objects.count() == 1
