"""Mediation in a real browser: a court's referral list imported from the import page (progress bar,
then the per-row report), the referral accepted and given to a mediator chosen by workload, and the
mediator finding it in the inbox and recording the agreement with an instalment row added by script."""

import re

import pytest
from playwright.sync_api import expect

from core.roles import Role
from mediation.models import Mediation
from tests.mediation.helpers import ago
from tests.scenarios import make_organisation, make_user, valid_resident_id

from .test_browser_scenario import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_accept_assign_and_agree(browser, live_server, tmp_path, reference_data):
    court = make_organisation(kind="court", name="厦门市思明区人民法院（浏览器）")
    chief = make_user(Role.SUPERVISOR, first_name="郑立")
    worker = make_user(Role.MEDIATOR, first_name="吴琼")
    csv = tmp_path / "委派清单.csv"
    csv.write_bytes((
        "法院,案号,调解类型,委派日期,案由,申请人,身份证号码,被申请人,请求事项,金额\n"
        f"{court.name},（2026）闽0203民诉前调88号,委派,{ago(2).isoformat()},网约车司机被封号,陈志强,{valid_resident_id(881)},云帆出行有限公司,赔偿收入损失,66000\n"
        f"{court.name},（2026）闽0203民诉前调89号,委派,{ago(2).isoformat()},网约车司机被封号,林某,350203199001011230,云帆出行有限公司,赔偿,100\n"
    ).encode("gbk"))

    # --- the supervisor imports the court's list -----------------------------------------------------
    page = sign_in(browser, live_server, chief)
    page.goto(live_server.url + "/mediation/imports/")
    page.set_input_files('input[name="file"]', str(csv))
    page.select_option('select[name="court"]', label=court.name)
    page.click("#submit-import")
    expect(page.locator("#import-counts")).to_contain_text("已登记 1")
    expect(page.locator(".wq-progress-bar")).to_have_attribute("style", re.compile("100%"))
    expect(page.locator('tr[data-status="refused"]')).to_contain_text("校验码")
    page.locator('tr[data-status="created"] a').click()
    expect(page.locator("#mediation-state")).to_have_text("待受理")
    m = Mediation.objects.get(court=court)

    # --- accepts it and assigns a mediator by workload ----------------------------------------------
    page.locator('#transition-buttons a[data-transition="accept"]').click()
    page.click("#submit-transition")
    expect(page.locator("#mediation-state")).to_have_text("已受理")
    expect(page.locator("#deadline")).to_contain_text("剩")
    page.locator('#transition-buttons a[data-transition="assign_mediator"]').click()
    expect(page.locator("#mediator-choices")).to_contain_text("吴琼")
    page.check(f'#mediator-choices tr[data-mediator="{worker.pk}"] input[type=radio]')
    page.click("#submit-transition")
    expect(page.locator("#mediation-state")).to_have_text("调解中")
    page.context.close()

    # --- the mediator finds it in the inbox and records the agreement -----------------------------------
    page = sign_in(browser, live_server, worker)
    row = page.locator(f'tr[data-object="{m.pk}"]')
    expect(row).to_contain_text("组织调解")
    row.locator("a.wq-task-link").click()
    page.locator('#transition-buttons a[data-transition="reach_agreement"]').click()
    page.fill('input[name="total"]', "66000")
    page.select_option('select[name="basis"]', "compensation")
    rows = page.locator("tr[data-instalment]")
    for n in range(rows.count()):
        rows.nth(n).locator('input[name="instalments-due_on"]').fill(ago(-10 * (n + 1)).isoformat())
        rows.nth(n).locator('input[name="instalments-amount"]').fill("16500")
    page.click("[data-add-instalment]")
    expect(rows).to_have_count(4)
    rows.nth(3).locator('input[name="instalments-due_on"]').fill(ago(-60).isoformat())
    rows.nth(3).locator('input[name="instalments-amount"]').fill("16500")
    page.click("#submit-transition")
    expect(page.locator("#mediation-state")).to_have_text("达成协议")
    expect(page.locator("#instalments tbody tr")).to_have_count(4)
    expect(page.locator("#agreement-total")).to_have_text("¥66,000.00")
    page.context.close()
    m.refresh_from_db()
    assert m.state == "agreed" and m.mediator == worker
