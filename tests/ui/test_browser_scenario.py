"""The issue's scenario in a real browser: intake, screening and acceptance by an intake officer;
legal aid assigned by a supervisor; the volunteer finds it in the inbox, resolves it and downloads
the case summary PDF; a company contact cannot open the case."""

import re

import pytest
from playwright.sync_api import expect

from casework.models import Case, CaseState
from core.roles import Role
from tests.scenarios import make_organisation, make_user, valid_resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.scenarios.make_user


def sign_in(browser, live_server, user):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)  # a loaded 2-core CI machine
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/work/inbox/$"))
    expect(page.locator("h1")).to_contain_text("我的待办")
    return page


def run_transition(page, button_text, fill=None):
    page.locator("#transition-buttons a", has_text=button_text).first.click()
    expect(page.locator("#transition-form")).to_be_visible()
    for selector, value in (fill or {}).items():
        if page.locator(selector).evaluate("el => el.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("#submit-transition")
    expect(page.locator("#case-head")).to_be_visible()


def test_walk_in_complaint_to_a_downloaded_summary(browser, live_server, tmp_path, reference_data):
    officer = make_user(Role.INTAKE_OFFICER, first_name="周敏")
    chief = make_user(Role.SUPERVISOR, first_name="郑立")
    volunteer = make_user(Role.LEGAL_AID_VOLUNTEER, first_name="黄晓雨")
    platform = make_organisation(name="速达同城网络科技有限公司")
    contact = make_user(Role.COMPANY_CONTACT, organisation=platform)

    # --- the intake officer registers the walk-in rider's complaint --------------------------------
    page = sign_in(browser, live_server, officer)
    page.goto(live_server.url + "/casework/cases/")
    page.click("#new-case")
    expect(page.locator("h1")).to_contain_text("登记来访投诉")
    page.fill('input[name="claimant-0-lookup"]', "13912340001")
    page.click("[data-lookup]")
    expect(page.locator("[data-found]").first).to_contain_text("未找到")
    page.fill('input[name="claimant-0-name"]', "赵骑手")
    page.fill('input[name="claimant-0-id_number"]', "350203199001011231")  # a typo: wrong check digit
    page.select_option('select[name="respondents"]', label=platform.name)
    page.fill('input[name="title"]', "外卖骑手被拖欠两个月配送费")
    page.check('input[name="categories"][value="unpaid_pay"]')
    page.fill('input[name="infringement_known_on"]', "2026-10-01")
    page.select_option('select[name="claim-0-category"]', "unpaid_pay")
    page.fill('input[name="claim-0-description"]', "支付拖欠的配送费")
    page.fill('input[name="claim-0-amount"]', "6800")
    expect(page.locator("#claims-total")).to_have_text("¥6,800.00")
    page.click("#submit-intake")
    # refused inline, in Chinese, with everything typed still there
    expect(page.locator('[data-field="id_number"] .wq-error')).to_contain_text("校验码不正确")
    expect(page.locator('input[name="title"]')).to_have_value("外卖骑手被拖欠两个月配送费")
    page.fill('input[name="claimant-0-id_number"]', valid_resident_id(314))
    page.set_input_files('input[name="evidence"]', files=[
        {"name": "配送费欠条.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n fake screenshot"},
    ])
    page.click("#submit-intake")
    expect(page.locator("#case-state")).to_have_text("已登记")
    expect(page.locator("#evidence")).to_contain_text("配送费欠条.png")
    case = Case.objects.get(title="外卖骑手被拖欠两个月配送费")
    expect(page.locator("#evidence")).to_contain_text(case.evidence.get().sha256)

    run_transition(page, "开始审查")
    expect(page.locator("#case-state")).to_have_text("审查中")
    run_transition(page, "受理", {"textarea[name=comment]": "材料齐全，予以受理"})
    expect(page.locator("#case-state")).to_have_text("已受理")
    expect(page.locator('.wq-fsm-state.current')).to_have_attribute("data-state", "accepted")
    page.context.close()

    # --- a supervisor assigns a legal-aid volunteer --------------------------------------------------
    page = sign_in(browser, live_server, chief)
    page.goto(live_server.url + "/work/inbox/?scope=team")
    page.locator(f'tr[data-object="{case.pk}"] a.wq-task-link').click()
    run_transition(page, "指派法律援助", {"select[name=lawyer]": str(volunteer.pk)})
    expect(page.locator("#case-state")).to_have_text("法律援助")
    page.context.close()

    # --- the volunteer finds it in the inbox, resolves it, downloads the summary --------------------
    page = sign_in(browser, live_server, volunteer)
    row = page.locator(f'tr[data-object="{case.pk}"]')
    expect(row).to_contain_text("法律援助办理")
    expect(row).to_contain_text(case.number)
    row.locator("a.wq-task-link").click()
    run_transition(page, "登记办理结果", {
        "select[name=outcome]": "settled", "input[name=amount_recovered]": "6800.00",
        "textarea[name=outcome_detail]": "经律师函催告，站点一次性支付全部配送费。",
    })
    expect(page.locator("#case-state")).to_have_text("已解决")
    page.select_option("#document-form select[name=kind]", "case_summary")
    page.click("#document-form button")
    link = page.locator('#documents a.wq-doc[data-kind="case_summary"]')
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    target = tmp_path / "summary.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    expect(page.locator("#inbox, #case-head").first).to_be_visible()
    page.goto(live_server.url + "/work/inbox/")
    expect(page.locator(f'tr[data-object="{case.pk}"]')).to_have_count(0)  # resolved: the handler closes it
    page.context.close()

    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED and case.legal_aid_by == volunteer

    # --- a company contact cannot open the case ---------------------------------------------------
    page = sign_in(browser, live_server, contact)
    response = page.goto(live_server.url + f"/casework/cases/{case.pk}/")
    assert response.status in (403, 404)
    response = page.goto(live_server.url + "/api/v1/cases/" + str(case.pk) + "/")
    assert response.status in (403, 404)
    page.context.close()
