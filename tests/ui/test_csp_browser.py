"""The Content-Security-Policy in a real browser: the screens of every module, the admin and the API
docs load with the policy enforced and Chromium reports no violation and no script error
(config/settings.py CONTENT_SECURITY_POLICY; README.md, "Running in production")."""

import re

import pytest
from playwright.sync_api import expect

from core.roles import Role
from tests.scenarios import make_case, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-1"  # tests.scenarios.make_user

PAGES = [
    "/work/inbox/",
    "/work/dashboard/",
    "/casework/cases/",
    "/casework/cases/new/",
    "/casework/cases/{case}/",
    "/mediation/mediations/",
    "/mediation/imports/",
    "/bargaining/negotiations/",
    "/bargaining/negotiations/new/",
    "/legal_checkup/checkups/",
    "/legal_checkup/checklists/",
    "/admin/",
    "/admin/casework/case/{case}/change/",
    "/api/v1/docs/",
    "/api/v1/cases/",
]


def test_no_page_breaks_the_policy(browser, live_server, reference_data):
    chief = make_user(Role.SUPERVISOR, first_name="郑立", is_staff=True, is_superuser=True)
    case = make_case()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)  # a loaded 2-core CI machine
    problems = []
    # (the admin's and DRF's pages ask for a /favicon.ico the site does not have: not the policy's doing)
    page.on("console", lambda message: message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico")
            and problems.append((page.url, message.text)))
    page.on("pageerror", lambda error: problems.append((page.url, str(error))))

    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", chief.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/work/inbox/$"))

    for path in PAGES:
        response = page.goto(live_server.url + path.format(case=case.pk))
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    # Swagger UI ran its set-up script (from its own URL) and drew the operations.
    page.goto(live_server.url + "/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    context.close()
    assert not problems, "\n".join(f"{url}: {text}" for url, text in problems)
