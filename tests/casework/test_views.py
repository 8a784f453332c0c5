"""The web interface for dispute intake: sign-in, who sees what, the case list, the case page,
transition forms, evidence, documents, the intake form, the diagram and the dashboard."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import diagrams
from casework import services
from casework.models import Case, CaseState as S
from core.models import Organisation, Worker
from core.roles import Role
from tests.scenarios import (
    advance, case_in_state, make_case, make_organisation, make_user, make_worker, supervisor,
    valid_credit_code, valid_resident_id,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return make_user(Role.INTAKE_OFFICER)


def login(client, user):
    client.force_login(user)
    return client


def text(response):
    return response.content.decode()


# --- sign-in and who sees what ------------------------------------------------------------------


def test_pages_need_sign_in(client):
    assert client.get("/").status_code == 302
    for url in ["/work/inbox/", "/casework/cases/", "/work/dashboard/"]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/"), url


def test_sign_in_with_django_auth_lands_on_the_inbox(client, officer):
    page = client.get("/accounts/login/")
    assert "登录" in text(page)
    response = client.post("/accounts/login/", {"username": officer.username, "password": "pw-for-tests-1"}, follow=True)
    assert response.status_code == 200
    assert "我的待办" in text(response)
    bad = client.post("/accounts/login/", {"username": officer.username, "password": "wrong"})
    assert bad.status_code == 200 and "请输入一个正确的" in text(bad)


def test_company_contact_sees_no_casework(client):
    contact = make_user(Role.COMPANY_CONTACT)
    case = make_case()
    login(client, contact)
    assert client.get("/work/inbox/").status_code == 200
    assert client.get("/casework/cases/").status_code == 403
    assert client.get(f"/casework/cases/{case.pk}/").status_code == 403
    assert client.get("/work/dashboard/").status_code == 403
    assert "维权受理" not in text(client.get("/work/inbox/"))  # not in the menu either


def test_volunteer_sees_only_the_cases_given_to_them(client):
    volunteer = make_user(Role.LEGAL_AID_VOLUNTEER)
    mine = advance(make_case(), "start_screening", "accept", ("assign_legal_aid", {"lawyer": volunteer}))
    other = make_case()
    login(client, volunteer)
    listing = text(client.get("/casework/cases/"))
    assert mine.number in listing and other.number not in listing
    assert client.get(f"/casework/cases/{mine.pk}/").status_code == 200
    assert client.get(f"/casework/cases/{other.pk}/").status_code == 404
    assert client.get(f"/casework/cases/{other.pk}/transitions/resolve/").status_code == 404


# --- the case list ------------------------------------------------------------------------------


def listed(client, query=""):
    return set(re.findall(r"WQ-\d{4}-\d{6}", text(client.get("/casework/cases/" + query))))


def test_case_list_filters_and_search(client, officer):
    today = timezone.localdate()
    worker = make_worker(name="王小明", phone="13912345678")
    company = make_organisation(name="快跑配送有限公司")
    a = make_case(claimants=[worker], respondents=[company], categories=("unpaid_pay",), channel=Case.Channel.HOTLINE)
    b = make_case(categories=("social_insurance",), received_on=today - datetime.timedelta(days=20))  # screening overdue
    c = case_in_state("accepted", categories=("injury",),
                      infringement_known_on=today - datetime.timedelta(days=350))  # limitation soon
    g = make_case(claimants=10)  # a group case
    login(client, officer)
    assert listed(client) >= {a.number, b.number, c.number, g.number}
    assert listed(client, "?state=accepted") == {c.number}
    assert listed(client, "?category=social_insurance") == {b.number}
    assert listed(client, "?channel=hotline") == {a.number}
    assert listed(client, "?is_group=on") == {g.number}
    assert listed(client, "?overdue=on") == {b.number}
    assert listed(client, "?limitation_ending=on") == {c.number}
    assert listed(client, f"?handler={officer.pk}") == set()
    assert listed(client, f"?q={a.number}") == {a.number}
    assert listed(client, "?q=王小明") == {a.number}
    assert listed(client, "?q=139 1234 5678") == {a.number}
    assert listed(client, f"?q={worker.id_number}") == {a.number}
    assert listed(client, "?q=快跑配送") == {a.number}
    assert listed(client, f"?q={company.credit_code}") == {a.number}


def test_case_list_takes_a_fixed_number_of_queries_per_page(client, officer, django_assert_max_num_queries):
    login(client, officer)
    make_case(claimants=3)
    client.get("/casework/cases/")  # warm caches (content types, session)
    with django_assert_max_num_queries(14) as few:
        client.get("/casework/cases/")
    for _ in range(30):
        make_case(claimants=2, categories=("unpaid_pay", "injury"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/casework/cases/?page=1")
    assert response.context["page"].paginator.count == 31
    assert len(response.context["rows"]) == 25
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/casework/cases/?page=2&category=unpaid_pay&q=骑手")


# --- the case page and its transitions -----------------------------------------------------------


def test_case_page_shows_parties_claims_evidence_timeline_documents_and_buttons(client, officer):
    case = make_case(actor=officer, claims=[
        {"category": "unpaid_pay", "description": "支付拖欠报酬", "amount": Decimal("3200.00")},
        {"category": "unpaid_pay", "description": "支付加班费", "amount": Decimal("800.50")},
    ])
    services.add_evidence(case=case, actor=officer, file=SimpleUploadedFile("截图.png", b"\x89PNG..."), description="聊天截图")
    login(client, officer)
    page = text(client.get(f"/casework/cases/{case.pk}/"))
    worker = case.claimants.first()
    assert worker.name in page and worker.id_number_masked in page and worker.id_number not in page
    assert case.respondents.first().name in page
    assert "¥4,000.50" in page and "人民币肆仟元伍角" in page
    evidence = case.evidence.get()
    assert evidence.sha256 in page and "截图.png" in page
    assert "登记案件" in page and "上传证据" in page  # the timeline, from the journal
    assert f'href="/casework/cases/{case.pk}/transitions/start_screening/"' in page
    assert f'href="/casework/cases/{case.pk}/transitions/accept/"' not in page
    assert re.search(r'class="wq-fsm-state current[^"]*" data-state="received"', page)
    assert "审查期限" in page and "开始审查" in page  # deadline, current task


def test_a_transition_through_its_form(client, officer):
    case = case_in_state("consulting", actor=officer)
    login(client, officer)
    page = client.get(f"/casework/cases/{case.pk}/transitions/resolve/")
    assert page.status_code == 200 and 'name="amount_recovered"' in text(page)
    response = client.post(f"/casework/cases/{case.pk}/transitions/resolve/",
                           {"outcome": "settled", "amount_recovered": "1200.00", "comment": "双方和解"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == S.RESOLVED and case.amount_recovered == Decimal("1200.00")
    assert "已完成：登记办理结果" in text(client.get(response["Location"]))


def test_a_refused_transition_keeps_the_input_and_says_why_in_chinese(client, officer):
    today = timezone.localdate()
    case = advance(make_case(actor=officer, categories=("injury",),
                             infringement_known_on=today - datetime.timedelta(days=800)), "start_screening")
    login(client, officer)
    response = client.post(f"/casework/cases/{case.pk}/transitions/accept/", {"comment": "当面核实过材料"})
    body = text(response)
    assert response.status_code == 400  # the input's fault: a field error, as in the API
    assert "仲裁时效（1年）已于" in body and "当面核实过材料" in body
    case.refresh_from_db()
    assert case.state == S.SCREENING
    # missing reason: a field error
    response = client.post(f"/casework/cases/{case.pk}/transitions/reject/", {"comment": "备注保留"})
    assert "必填项" in text(response) and "备注保留" in text(response)
    # not allowed from this state: 409, message, input kept
    response = client.post(f"/casework/cases/{case.pk}/transitions/close/", {"comment": "想直接结案"})
    assert response.status_code == 409
    assert "不能执行此操作" in text(response) and "想直接结案" in text(response)


def test_conflict_of_interest_is_shown_on_the_lawyer_field(client):
    case = case_in_state("accepted")
    conflicted = make_user(Role.LAWYER, acts_for=list(case.respondents.all()))
    login(client, supervisor())
    response = client.post(f"/casework/cases/{case.pk}/transitions/assign_legal_aid/", {"lawyer": conflicted.pk})
    assert "利益冲突" in text(response)
    assert 'data-field="lawyer"' in text(response)
    case.refresh_from_db()
    assert case.state == S.ACCEPTED


def test_a_stale_form_is_a_conflict_not_a_crash(client, officer):
    case = case_in_state("screening", actor=officer)
    login(client, officer)
    services.reject(case=Case.objects.get(pk=case.pk), actor=officer, reason="重复登记")
    response = client.post(f"/casework/cases/{case.pk}/transitions/accept/", {"comment": "x"})
    assert response.status_code == 409 and "不予受理" in text(response)


# --- evidence and documents ----------------------------------------------------------------------


def test_evidence_upload_with_type_and_size_limits(client, officer, settings):
    case = make_case(actor=officer)
    login(client, officer)
    ok = client.post(f"/casework/cases/{case.pk}/evidence/",
                     {"file": SimpleUploadedFile("工资条.pdf", b"%PDF-1.4 test"), "description": "工资条"})
    assert ok.status_code == 302
    evidence = case.evidence.get()
    assert evidence.sha256 in text(client.get(f"/casework/cases/{case.pk}/"))
    download = client.get(f"/casework/cases/{case.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 test"
    bad_type = client.post(f"/casework/cases/{case.pk}/evidence/", {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert bad_type.status_code == 400 and "不支持的文件类型" in text(bad_type)
    settings.WEIQUAN_EVIDENCE_MAX_BYTES = 1024 * 1024
    big = client.post(f"/casework/cases/{case.pk}/evidence/",
                      {"file": SimpleUploadedFile("录音.mp3", b"0" * (1024 * 1024 + 1))})
    assert big.status_code == 400 and "文件过大" in text(big)
    assert case.evidence.count() == 1


def test_documents_are_generated_and_downloaded_from_the_case_page(client, officer, django_capture_on_commit_callbacks):
    case = make_case(actor=officer)
    login(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/casework/cases/{case.pk}/documents/", {"kind": "case_summary"})
    response = client.get(f"/casework/cases/{case.pk}/")
    page = text(response)
    document = case_documents(case).get(kind="case_summary")
    assert document.status == "ready"
    assert f"/api/v1/documents/{document.pk}/download/" in page
    pdf = client.get(f"/api/v1/documents/{document.pk}/download/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def case_documents(case):
    from core import documents

    return documents.documents_for(case)


# --- intake ------------------------------------------------------------------------------------


def intake_data(**overrides):
    data = {
        "title": "外卖骑手被拖欠配送费", "channel": "walk_in", "facts": "站点拖欠两个月配送费。",
        "categories": ["unpaid_pay"], "received_on": timezone.localdate().isoformat(),
        "infringement_known_on": (timezone.localdate() - datetime.timedelta(days=20)).isoformat(),
        "claimant-TOTAL_FORMS": "1", "claimant-INITIAL_FORMS": "0", "claimant-MIN_NUM_FORMS": "1", "claimant-MAX_NUM_FORMS": "200",
        "claimant-0-name": "李骑手", "claimant-0-id_number": valid_resident_id(901), "claimant-0-phone": "13800009901",
        "claimant-0-occupation": "rider",
        "claim-TOTAL_FORMS": "2", "claim-INITIAL_FORMS": "0", "claim-MIN_NUM_FORMS": "1", "claim-MAX_NUM_FORMS": "200",
        "claim-0-category": "unpaid_pay", "claim-0-description": "支付拖欠配送费", "claim-0-amount": "5600.00",
        "claim-1-category": "", "claim-1-description": "", "claim-1-amount": "",
        "new_respondent_name": "飞毛腿配送服务有限公司", "new_respondent_kind": "agent",
        "new_respondent_credit_code": valid_credit_code(9901),
    }
    data.update(overrides)
    return data


def test_intake_registers_a_walk_in_workers_complaint(client, officer):
    login(client, officer)
    assert client.get("/casework/cases/new/").status_code == 200
    data = intake_data()
    data["evidence"] = [SimpleUploadedFile("欠条.jpg", b"\xff\xd8jpeg"), SimpleUploadedFile("流水.xlsx", b"PK..")]
    response = client.post("/casework/cases/new/", data)
    assert response.status_code == 302, text(response)
    case = Case.objects.get(title="外卖骑手被拖欠配送费")
    assert case.state == S.RECEIVED and case.handler == officer
    assert case.claimants.get().name == "李骑手"
    assert case.respondents.get().name == "飞毛腿配送服务有限公司"
    assert case.claim_total == Decimal("5600.00")
    assert case.evidence.count() == 2


def test_intake_finds_a_registered_worker_by_phone_or_id(client, officer):
    worker = make_worker(name="张三", phone="13700001111")
    company = make_organisation()
    login(client, officer)
    found = client.get("/casework/cases/lookup/worker/", {"q": "137 0000 1111"}).json()
    assert found["found"] and found["worker"]["id"] == worker.pk and worker.id_number not in str(found)
    assert client.get("/casework/cases/lookup/worker/", {"q": worker.id_number}).json()["worker"]["id"] == worker.pk
    missing = client.get("/casework/cases/lookup/worker/", {"q": valid_resident_id(777)}).json()
    assert not missing["found"]
    bad = client.get("/casework/cases/lookup/worker/", {"q": "350203199001011230"}).json()
    assert not bad["found"] and "校验码" in bad["error"]
    data = intake_data(**{"claimant-0-name": "", "claimant-0-id_number": "", "claimant-0-phone": "",
                          "claimant-0-lookup": "13700001111", "respondents": [company.pk], "new_respondent_name": "",
                          "new_respondent_credit_code": ""})
    response = client.post("/casework/cases/new/", data)
    assert response.status_code == 302, text(response)
    assert Case.objects.get(title="外卖骑手被拖欠配送费").claimants.get() == worker
    assert Worker.objects.filter(name="张三").count() == 1


@pytest.mark.parametrize("field,value,message", [
    ("claimant-0-id_number", "350203199001011230", "身份证号码校验码不正确"),
    ("claimant-0-id_number", "3502031990", "身份证号码应为18位"),
    ("claimant-0-phone", "12345", "电话号码"),
    ("new_respondent_credit_code", "91350200MA2YH6P4O", "统一社会信用代码应为18位"),
    # The range rule for dates and the visible-text rule (core/limits.py), as on the API.
    ("employment_ended_on", "9999-12-31", "晚于今天"),
    ("received_on", "0001-01-01", "不能早于 1950-01-01"),
    ("claimant-0-name", "\u200b\u202e", "不可见字符"),
    ("new_respondent_name", "\u2066\u200d", "不可见字符"),
])
def test_intake_validation_messages(client, officer, field, value, message):
    login(client, officer)
    workers, orgs, cases = Worker.objects.count(), Organisation.objects.count(), Case.objects.count()
    response = client.post("/casework/cases/new/", intake_data(**{field: value}))
    assert response.status_code == 200
    body = text(response)
    assert message in body
    assert "外卖骑手被拖欠配送费" in body and "支付拖欠配送费" in body  # what was typed is still there
    assert (Worker.objects.count(), Organisation.objects.count(), Case.objects.count()) == (workers, orgs, cases)


def test_intake_credit_code_checksum_is_a_warning_a_supervisor_may_override(client, officer):
    code = valid_credit_code(4242)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    login(client, officer)
    response = client.post("/casework/cases/new/", intake_data(new_respondent_credit_code=wrong))
    assert "校验码不符" in text(response)
    assert not Worker.objects.filter(name="李骑手").exists()  # nothing half-written
    login(client, supervisor())
    response = client.post("/casework/cases/new/", intake_data(
        new_respondent_credit_code=wrong, override_credit_code="on", override_reason="早期试点代码，已核对营业执照"))
    assert response.status_code == 302
    assert Organisation.objects.get(credit_code=wrong).credit_code_overridden_by is not None


def test_intake_is_for_intake_officers_and_supervisors(client):
    login(client, make_user(Role.LAWYER))
    assert client.get("/casework/cases/new/").status_code == 403


# --- the diagram and the dashboard ------------------------------------------------------------


def test_state_diagram_is_generated_from_the_fsm():
    states, edges, initial = diagrams.machine(Case)
    assert initial == "received"
    assert {s for s, _label in states} == set(S.values)
    assert ("closed", "screening", "reopen") in edges and ("screening", "accepted", "accept") in edges
    svg = diagrams.state_machine_svg(Case, current="screening", allowed=["accept", "reject"])
    for value, label in states:
        assert f'data-state="{value}"' in svg and label in svg
    assert 'class="wq-fsm-state current" data-state="screening"' in svg
    assert svg.count('class="wq-fsm-edge hot"') == 2  # accept and reject, out of the current state
    layout = diagrams.layout(Case)
    assert len(layout.routes) + sum(1 for s, t, _n in edges if (s, t) in layout.back) == len(edges)


def test_dashboard_counts_and_charts(client, officer):
    case_in_state("closed")
    case_in_state("rejected")
    make_case(received_on=timezone.localdate() - datetime.timedelta(days=20))
    login(client, supervisor())
    response = client.get("/work/dashboard/")
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["total"] == 3 and figures["screening_overdue"] == 1
    assert response.context["recovered"] == Decimal("3200.00")
    body = text(response)
    assert body.count("<svg") >= 5 and "已结案" in body and "拖欠劳动报酬" in body


# --- language -----------------------------------------------------------------------------------


def test_chinese_by_default_whatever_the_browser_says(client, officer):
    login(client, officer)
    body = text(client.get("/work/inbox/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert "我的待办" in body and 'lang="zh-hans"' in body


def test_english_is_one_switch_away(client, officer):
    login(client, officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/work/inbox/"})
    body = text(client.get("/work/inbox/"))
    assert 'lang="en"' in body and "My work" in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/work/inbox/"})
    assert "我的待办" in text(client.get("/work/inbox/"))


def test_a_success_message_is_shown_once(client):
    """viewflow's toast would repeat the page's banner."""
    case = case_in_state("received")
    client.force_login(supervisor())
    page = client.post(f"/casework/cases/{case.pk}/transitions/start_screening/", {}, follow=True).content.decode()
    case.refresh_from_db()
    assert case.state == "screening"
    assert page.count("已完成：") == 1


def test_a_select_asks_for_a_choice_instead_of_dashes(client):
    case = case_in_state("accepted")
    client.force_login(supervisor())
    page = client.get(f"/casework/cases/{case.pk}/transitions/assign_legal_aid/").content.decode()
    assert "请选择…" in page and "---------" not in page


def test_the_case_search_has_a_label_and_the_dashboard_a_heading(client):
    client.force_login(supervisor())
    cases = client.get("/casework/cases/").content.decode()
    assert re.search(r'<label for="id_q"[^>]*>搜索</label>', cases)
    assert re.search(r"<h1[^>]*>维权案件统计</h1>", client.get("/work/dashboard/").content.decode())
