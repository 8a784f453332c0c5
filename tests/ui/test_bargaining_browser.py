"""Collective bargaining in a real browser: a bargaining officer registers a negotiation, seats the
team, lists the topics and sends the proposal; the platform's company contact finds it in their
inbox and accepts; the officer records two rounds and drafts the contract. The negotiation page is
photographed at desktop (1280 px) and phone (390 px) widths into docs/, and at 390 px nothing is
wider than the screen (tables scroll inside their own box)."""

import datetime
import os
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bargaining import services
from bargaining.models import Negotiation, OrderStatistic
from core.models import Organisation
from core.roles import Role
from tests.scenarios import make_organisation, make_user

from .test_browser_scenario import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the screenshots go (to be looked at, not compared): a scratch folder, so a test run leaves
# the checkout as it was; the docs' own pictures only in a run meant to refresh them
# (WEIQUAN_DOCS_SCREENSHOTS=1 make test ARGS="tests/ui").
DOCS = (Path(__file__).resolve().parents[2] / "docs" if os.environ.get("WEIQUAN_DOCS_SCREENSHOTS") == "1"
        else Path(tempfile.gettempdir()) / "weiquan-screenshots")


def seed_catalogue():
    """The topic catalogue, which the migrations seed and a transactional test's flush removes."""
    from django.apps import apps

    from bargaining.seed import load_catalogue

    load_catalogue(apps, None)


def submit(page, button="#submit-transition"):
    page.click(button)
    expect(page.locator("#negotiation-head")).to_be_visible()


def transition(page, name, fill=None):
    page.locator(f'#transition-buttons a[data-transition="{name}"]').click()
    expect(page.locator("#transition-form")).to_be_visible()
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    submit(page)


def action(page, name):
    page.locator(f'#transition-buttons a[data-action="{name}"]').click()
    expect(page.locator("#transition-form")).to_be_visible()


def seat(page, side, role, name, chair=False):
    action(page, "negotiator")
    page.select_option('select[name="side"]', side)
    page.select_option('select[name="role"]', role)
    page.fill('input[name="name"]', name)
    if chair:
        page.check('input[name="is_union_chair"]')
    submit(page)


def no_overflow(page):
    """Nothing on the page is wider than the viewport (a table may scroll inside its own box)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const wide = [];
        for (const el of document.querySelectorAll('.wq-page *')) {
            const box = el.getBoundingClientRect();
            if (box.width === 0) continue;
            let inScroller = false;
            for (let p = el.parentElement; p; p = p.parentElement) {
                const o = getComputedStyle(p).overflowX;
                if (o === 'auto' || o === 'scroll' || o === 'hidden') { inScroller = p.getBoundingClientRect().right <= width + 1; break; }
            }
            if (!inScroller && box.right > width + 1) wide.push(el.tagName + '.' + el.className + ' ' + Math.round(box.right));
        }
        return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
    }""")


def test_proposal_to_draft_with_screenshots(browser, live_server, reference_data):
    seed_catalogue()
    federation = make_organisation(kind=Organisation.Kind.UNION, name="厦门市总工会")
    platform = make_organisation(kind=Organisation.Kind.PLATFORM, name="速达同城网络科技有限公司")
    officer = make_user(Role.BARGAINING_OFFICER, first_name="陈协商")
    contact = make_user(Role.COMPANY_CONTACT, organisation=platform, first_name="刘洋")

    # --- the officer registers the negotiation ----------------------------------------------------------
    page = sign_in(browser, live_server, officer)
    page.goto(live_server.url + "/bargaining/negotiations/")
    page.click("#new-negotiation")
    page.fill('input[name="title"]', "外卖骑手劳动报酬与休息集体协商")
    page.select_option('select[name="union"]', label=federation.name)
    page.select_option('select[name="employers"]', label=platform.name)
    page.check('input[name="covered_occupations"][value="rider"]')
    page.fill('input[name="covered_cities"]', "厦门")
    page.fill('input[name="covered_headcount"]', "12000")
    submit(page, "#submit-negotiation")
    expect(page.locator("#negotiation-state")).to_have_text("筹备中")
    expect(page.locator("#composition-problems")).to_contain_text("不得少于3人")
    n = Negotiation.objects.get(title="外卖骑手劳动报酬与休息集体协商")

    # --- the team: three a side, one chief each ------------------------------------------------------
    seat(page, "union", "chief", "王建国", chair=True)
    seat(page, "union", "negotiator", "骑手代表林海")
    seat(page, "union", "negotiator", "骑手代表周敏")
    seat(page, "employer", "chief", "平台代表赵磊")
    seat(page, "employer", "negotiator", "平台代表孙丽")
    seat(page, "employer", "negotiator", "代理商代表吴刚")
    expect(page.locator("#composition-problems")).to_have_count(0)

    # --- the topics, from the catalogue, with the demands ---------------------------------------------
    for label, value, text in (("计件单价", "5.80", "基础配送单价每单不低于5.8元"),
                               ("休息提醒与休息时长", "20", "连续配送4小时后休息不少于20分钟")):
        action(page, "topic")
        page.select_option('select[name="topic"]', label=label)
        page.fill('input[name="demand_value"]', value)
        page.fill('textarea[name="demand_text"]', text)
        submit(page)
    expect(page.locator("#topics tbody tr")).to_have_count(2)
    piece = n.topics.get(topic__code="piece_rate")
    page.locator(f'[data-note="{piece.pk}"] a').click()
    page.fill('input[name="target_value"]', "5.60")
    page.fill('input[name="walk_away_value"]', "5.40")
    submit(page, "#submit-transition")
    expect(page.locator(f'[data-note="{piece.pk}"]')).to_contain_text("底线")

    transition(page, "send_proposal")
    expect(page.locator("#negotiation-state")).to_have_text("已发出要约")
    expect(page.locator("#deadline")).to_contain_text("书面回应期限")
    page.context.close()

    # --- the company contact finds the proposal in the inbox and accepts -----------------------------
    page = sign_in(browser, live_server, contact)
    row = page.locator(f'tr[data-object="{n.pk}"]')
    expect(row).to_contain_text("回应集体协商要约")
    row.locator("a.wq-task-link").click()
    expect(page.locator("#negotiation-state")).to_have_text("已发出要约")
    expect(page.locator("#topics")).not_to_contain_text("底线")
    transition(page, "accept_proposal", {'textarea[name="reply_text"]': "同意就所列议题进行协商。"})
    expect(page.locator("#negotiation-state")).to_have_text("协商中")
    expect(page.locator("#transition-buttons")).to_contain_text("当前没有您可以执行的操作")
    page.context.close()

    # --- the officer records the rounds and drafts --------------------------------------------------------
    OrderStatistic.objects.bulk_create([
        OrderStatistic(negotiation=n, city="厦门", month=datetime.date(2025, m, 1), time_band=band, weather="晴",
                       orders=orders, piece_rate=Decimal("5.00"), avg_distance_km=Decimal("3.2"), active_workers=workers)
        for m in (1, 2, 3) for band, orders, workers in (("午高峰", 420000, 5200), ("晚高峰", 380000, 4800))])
    rest = n.topics.get(topic__code="rest")
    page = sign_in(browser, live_server, officer)
    page.goto(live_server.url + f"/bargaining/negotiations/{n.pk}/")
    for union_piece, employer_piece, union_rest, employer_rest, agreed in (
            ("5.80", "5.10", "20", "10", False), ("5.60", "5.60", "20", "20", True)):
        action(page, "round")
        page.fill(f'input[name="p{piece.pk}-union_value"]', union_piece)
        page.fill(f'input[name="p{piece.pk}-employer_value"]', employer_piece)
        page.fill(f'input[name="p{rest.pk}-union_value"]', union_rest)
        page.fill(f'input[name="p{rest.pk}-employer_value"]', employer_rest)
        if agreed:
            page.check(f'input[name="p{piece.pk}-agreed"]')
            page.check(f'input[name="p{rest.pk}-agreed"]')
        page.fill('textarea[name="minutes"]', "双方就计件单价与休息时长交换意见。")
        submit(page)
    expect(page.locator(f'[data-chart="{piece.pk}"] svg')).to_be_visible()
    expect(page.locator(f'[data-cost="{piece.pk}"]')).to_contain_text("平台月成本")
    transition(page, "draft_agreement", {'input[name="note"]': "由一致议题生成"})
    expect(page.locator("#negotiation-state")).to_have_text("草案已拟定")
    expect(page.locator("#current-clauses")).to_contain_text("计件单价")

    # --- the screenshots: desktop and phone ------------------------------------------------------------
    DOCS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.screenshot(path=str(DOCS / "negotiation.png"), full_page=True)
    page.context.close()
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(30_000)
    phone.goto(live_server.url + "/accounts/login/")
    phone.fill("input[name=username]", officer.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    phone.goto(live_server.url + f"/bargaining/negotiations/{n.pk}/")
    expect(phone.locator("#negotiation-state")).to_have_text("草案已拟定")
    overflow = no_overflow(phone)
    phone.screenshot(path=str(DOCS / "negotiation-phone.png"), full_page=True)
    assert overflow["scroll"] <= overflow["width"] and not overflow["wide"], overflow
    context.close()
    n.refresh_from_db()
    assert n.state == "drafted" and services.vacant_seats(n) == []
