"""The web interface for mediation: who sees what, the list, the mediation page, transition forms
(mirroring the API's input serializers), sessions, payments, the assignment form with workload and
conflicts, and the referral import page with its progress endpoint and per-row report."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from django.core.files.uploadedfile import SimpleUploadedFile

from core import documents
from core import journal
from core.roles import Role
from mediation import forms, services, views
from mediation import serializers as s
from mediation.models import Mediation, MediationState as S
from tests.mediation.helpers import ago, make_court, make_referral, mediation_in_state, mediator, today
from tests.scenarios import (
    case_in_state, make_organisation, make_user, supervisor, valid_credit_code, valid_resident_id,
)

pytestmark = pytest.mark.django_db

LIST = "/mediation/mediations/"


def login(client, user):
    client.force_login(user)
    return client


def text(response):
    return response.content.decode()


def page_of(m):
    return f"{LIST}{m.pk}/"


def listed(client, query=""):
    return set(re.findall(r"TJ-\d{4}-\d{6}", text(client.get(LIST + query))))


# --- sign-in and who sees what ------------------------------------------------------------------


def test_pages_need_sign_in(client):
    m = make_referral()
    for url in [LIST, page_of(m), "/mediation/imports/"]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/"), url


def test_company_contact_is_refused_and_sees_no_menu(client):
    m = make_referral()
    contact = make_user(Role.COMPANY_CONTACT, organisation=make_organisation())
    login(client, contact)
    assert client.get(LIST).status_code == 403
    assert client.get(page_of(m)).status_code == 403
    assert client.get(f"{page_of(m)}transitions/accept/").status_code == 403
    assert client.get("/mediation/imports/").status_code == 403
    assert "诉调对接" not in text(client.get("/work/inbox/"))


def test_court_liaison_sees_only_their_courts_referrals(client):
    ours, theirs = make_court(), make_court()
    mine = make_referral(court=ours)
    other = make_referral(court=theirs)
    union = make_referral(source="union")
    liaison = make_user(Role.COURT_LIAISON, organisation=ours)
    login(client, liaison)
    assert listed(client) == {mine.number}
    assert listed(client, f"?court={theirs.pk}") == {mine.number}  # not a choice for them: no filter
    assert client.get(page_of(mine)).status_code == 200
    for m in (other, union):
        assert client.get(page_of(m)).status_code == 404
        assert client.get(f"{page_of(m)}transitions/confirm/").status_code == 404
        assert client.get(f"{page_of(m)}sessions/new/").status_code == 404
        assert client.post(f"{page_of(m)}documents/", {"kind": "court_summary"}).status_code == 404
    # the court's filter offers their own court only
    assert theirs.name not in text(client.get(LIST))
    assert "诉调对接" in text(client.get("/work/inbox/"))  # in the menu


def test_union_staff_see_everything_but_act_by_their_role(client):
    m = make_referral()
    officer = make_user(Role.INTAKE_OFFICER)
    login(client, officer)
    assert listed(client) == {m.number}
    page = text(client.get(page_of(m)))
    assert "当前没有您可以执行的操作" in page
    assert client.post(f"{page_of(m)}transitions/accept/", {}).status_code == 403
    assert Mediation.objects.get(pk=m.pk).state == S.REFERRED


# --- the list -------------------------------------------------------------------------------------


def test_list_filters_and_search(client):
    court = make_court()
    a = make_referral(court=court, court_case_number="（2026）闽0203民诉前调77号",
                      claimants=[{"name": "林文斌", "id_number": valid_resident_id(331), "phone": "13859201234"}],
                      respondents=[make_organisation(name="云帆出行科技有限公司", credit_code=valid_credit_code(4401))])
    b = mediation_in_state("in_progress", recent=False)  # accepted 60 days ago: past its deadline
    c = mediation_in_state("accepted")
    u = make_referral(source="union")
    soon = mediation_in_state("in_progress")
    Mediation.objects.filter(pk=soon.pk).update(deadline=ago(-2))
    login(client, supervisor())
    assert listed(client) >= {a.number, b.number, c.number, u.number, soon.number}
    assert listed(client, "?state=referred") == {a.number, u.number}
    assert listed(client, "?state=accepted&state=in_progress") == {b.number, c.number, soon.number}
    assert listed(client, "?source=union") == {u.number}
    assert listed(client, f"?court={court.pk}") == {a.number}
    assert listed(client, f"?mediator={b.mediator_id}") >= {b.number}
    assert listed(client, "?overdue=on") == {b.number}
    assert listed(client, "?due_soon=on") == {soon.number}
    assert listed(client, "?unassigned=on") >= {a.number, c.number, u.number}
    assert listed(client, "?q=民诉前调77号") == {a.number}
    assert listed(client, "?q=林文斌") == {a.number}
    assert listed(client, f"?q={valid_resident_id(331)}") == {a.number}
    assert listed(client, "?q=138 5920 1234") == {a.number}
    assert listed(client, "?q=云帆出行") == {a.number}
    assert listed(client, f"?q={valid_credit_code(4401)}") == {a.number}
    assert listed(client, f"?q={b.number}") == {b.number}
    row = text(client.get(LIST + f"?q={b.number}"))
    assert "超期" in row and 'class="overdue"' in row


def test_list_takes_a_fixed_number_of_queries_per_page(client, django_assert_max_num_queries):
    login(client, supervisor())
    make_referral(claimants=3)
    client.get(LIST)  # warm caches (content types, session)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for state in ["referred", "accepted", "in_progress", "agreed", "confirmed"] * 6:
        mediation_in_state(state, claimants=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST + "?page=1")
    assert response.context["page"].paginator.count == 31
    assert len(response.context["rows"]) == 25
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST + "?page=2&state=agreed&state=confirmed&q=司机")


# --- the mediation page -----------------------------------------------------------------------------


def test_mediation_page_shows_the_whole_file(client, django_capture_on_commit_callbacks):
    case = case_in_state("in_mediation")
    m = services.opened_for(case).get()
    chief, worker = supervisor(), mediator()
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(mediation=m, actor=chief, accepted_on=today())
        services.assign_mediator(mediation=m, actor=chief, mediator=worker)
        services.record_session(mediation=m, actor=worker, held_at=timezone.now(), mode="video",
                                attendees=["陈志强（申请人）", "平台法务"], minutes="双方陈述意见。\n平台同意恢复账号。")
        services.reach_agreement(mediation=m, actor=worker, total=Decimal("12000.00"), basis="compensation",
                                 instalments=[{"due_on": ago(-10), "amount": Decimal("6000.00")},
                                              {"due_on": ago(-40), "amount": Decimal("6000.00")}])
        services.record_payment(mediation=m, actor=m.mediator, amount=Decimal("2000.00"), paid_on=today(),
                                reference="转账0001")
    m.refresh_from_db()
    login(client, m.mediator)
    page = text(client.get(page_of(m)))
    worker = m.claimants.first()
    assert worker.name in page and worker.id_number_masked in page and worker.id_number not in page
    assert m.respondents.first().name in page
    assert "工会调解" in page
    assert f'href="/casework/cases/{case.pk}/"' in page  # the linked case
    assert "第 1 次调解" in page and "平台同意恢复账号" in page and "陈志强（申请人）" in page
    session_pdf = documents.documents_for(m.sessions.get(), "session_minutes").get()
    assert f"/api/v1/documents/{session_pdf.pk}/download/" in page
    assert "¥12,000.00" in page and "¥2,000.00" in page and "转账0001" in page  # agreement, payment
    assert "申请司法确认截止" in page
    agreement_pdf = documents.documents_for(m, "agreement").get()
    assert f"/api/v1/documents/{agreement_pdf.pk}/download/" in page
    assert client.get(f"/api/v1/documents/{agreement_pdf.pk}/download/")["Content-Type"] == "application/pdf"
    assert "达成调解协议" in page and "登记履行款项" in page  # timeline from the journal
    assert re.search(r'class="wq-fsm-state current[^"]*" data-state="agreed"', page)
    assert f'href="{page_of(m)}transitions/request_confirmation/"' in page
    assert f'href="{page_of(m)}transitions/fulfil/"' not in page  # not paid yet: its condition is unmet
    assert f'href="{page_of(m)}payments/new/"' in page
    assert f'href="{page_of(m)}transitions/accept/"' not in page


def test_deadline_with_days_left_and_the_current_task(client):
    m = mediation_in_state("in_progress")
    login(client, m.mediator)
    page = text(client.get(page_of(m)))
    days = (m.deadline - today()).days
    assert m.deadline.isoformat() in page and f"剩 {days} 天" in page
    assert "组织调解" in page  # the inbox task for this state
    assert f'href="{page_of(m)}sessions/new/"' in page


# --- transition forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("form,serializer", [
    (forms.SessionForm, s.SessionInputSerializer), (forms.PaymentForm, s.PaymentInputSerializer),
    (forms.RecuseForm, s.RecuseInputSerializer), (forms.ReassignForm, s.ReassignInputSerializer),
])
def test_the_other_forms_mirror_their_serializers(form, serializer):
    """Sessions, payments, recusal and reassignment are not transitions: their forms and
    serializers are written apart, and must ask for the same fields."""
    assert set(form().fields) == set(serializer().fields)


def test_accept_and_assign_through_their_forms(client):
    m = make_referral()
    worker = mediator(first_name="陈调解")
    busy = mediator(first_name="忙碌")
    for _ in range(2):
        services.assign_mediator(mediation=mediation_in_state("accepted"), actor=supervisor(), mediator=busy)
    login(client, worker)
    response = client.post(f"{page_of(m)}transitions/accept/", {"accepted_on": ago(1).isoformat(), "comment": "材料齐全"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.state == S.ACCEPTED and m.deadline is not None
    assert "已完成：受理" in text(client.get(response["Location"]))
    form = client.get(f"{page_of(m)}transitions/assign_mediator/")
    body = text(form)
    assert "陈调解" in body and "忙碌" in body and "在办合计" in body
    rows = {row["user"].pk: row["user"] for row in form.context["mediator_rows"]}
    assert rows[busy.pk].in_progress == 2 and rows[worker.pk].in_progress == 0
    assert list(rows)[0] != busy.pk  # fewest open mediations first
    response = client.post(f"{page_of(m)}transitions/assign_mediator/", {"mediator": worker.pk})
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.state, m.mediator) == (S.IN_PROGRESS, worker)


def test_a_conflicted_mediator_is_refused_on_the_mediator_field(client):
    m = mediation_in_state("accepted")
    conflicted = mediator(first_name="冲突", acts_for=list(m.respondents.all()))
    login(client, supervisor())
    form = text(client.get(f"{page_of(m)}transitions/assign_mediator/"))
    assert "应当回避" in form and m.respondents.first().name in form  # shown before choosing
    response = client.post(f"{page_of(m)}transitions/assign_mediator/", {"mediator": conflicted.pk, "comment": "试试"})
    body = text(response)
    assert response.status_code == 400
    assert "利益冲突" in body and 'data-field="mediator"' in body and "试试" in body
    m.refresh_from_db()
    assert m.state == S.ACCEPTED and m.mediator is None


def test_agreement_with_instalment_rows_and_refusals_inline(client):
    m = mediation_in_state("in_progress")
    login(client, m.mediator)
    form = text(client.get(f"{page_of(m)}transitions/reach_agreement/"))
    assert 'name="instalments-due_on"' in form and 'name="instalments-amount"' in form
    data = {"total": "9000.00", "basis": "wages", "obligations": "恢复账号",
            "instalments-due_on": [ago(-10).isoformat(), ago(-40).isoformat(), ""],
            "instalments-amount": ["3000", "5000", ""], "comment": "第二次调解达成"}
    response = client.post(f"{page_of(m)}transitions/reach_agreement/", data)
    body = text(response)
    assert response.status_code == 400
    assert "各期金额合计 ¥8,000.00 与协议总额 ¥9,000.00 不一致" in body and 'data-field="instalments"' in body
    assert "第二次调解达成" in body and 'value="5000"' in body  # nothing lost
    assert Mediation.objects.get(pk=m.pk).state == S.IN_PROGRESS
    data["instalments-amount"] = ["4000", "5000", ""]
    response = client.post(f"{page_of(m)}transitions/reach_agreement/", data)
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.state == S.AGREED and [i.amount for i in m.agreement.instalments.all()] == [Decimal("4000"), Decimal("5000")]


def test_refusals_keep_the_input_and_say_why(client):
    m = mediation_in_state("agreed", recent=False)
    login(client, supervisor())
    # the confirmation window has passed: 409 with the reason, the comment kept
    response = client.post(f"{page_of(m)}transitions/request_confirmation/", {"comment": "双方同意申请"})
    body = text(response)
    assert response.status_code == 409 and "30日" in body and "双方同意申请" in body
    # not allowed from this state
    response = client.post(f"{page_of(m)}transitions/accept/", {"comment": "再受理一次"})
    assert response.status_code == 409 and "不能执行此操作" in text(response) and "再受理一次" in text(response)
    # a missing reason is a field error
    referral = make_referral()
    response = client.post(f"{page_of(referral)}transitions/decline/", {"comment": "备注保留"})
    assert response.status_code == 400 and "必填项" in text(response) and "备注保留" in text(response)
    # another mediator's mediation: no permission
    other = mediation_in_state("in_progress")
    login(client, mediator())
    response = client.post(f"{page_of(other)}transitions/fail/", {"reason": "分歧过大"})
    assert response.status_code == 403 and "您没有权限" in text(response)
    assert Mediation.objects.get(pk=other.pk).state == S.IN_PROGRESS


def test_a_stale_form_is_a_conflict_not_a_crash(client):
    m = mediation_in_state("in_progress")
    login(client, m.mediator)
    services.fail(mediation=Mediation.objects.get(pk=m.pk), actor=supervisor(), reason="申请人撤回调解请求")
    response = client.post(f"{page_of(m)}transitions/extend/", {
        "days": "5", "claimant_consent_on": today().isoformat(), "respondent_consent_on": today().isoformat()})
    assert response.status_code == 409 and "调解不成" in text(response)


# --- sessions, payments, recusal ------------------------------------------------------------------------


def test_recording_a_session(client, django_capture_on_commit_callbacks):
    m = mediation_in_state("in_progress")
    login(client, m.mediator)
    assert client.get(f"{page_of(m)}sessions/new/").status_code == 200
    response = client.post(f"{page_of(m)}sessions/new/", {
        "held_at": "", "mode": "on_site", "location": "调解室", "attendees": "", "minutes": "  "})
    assert response.status_code == 400 and "调解室" in text(response)
    response = client.post(f"{page_of(m)}sessions/new/", {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "mode": "on_site",
        "location": "调解室", "attendees": "", "minutes": ""})
    body = text(response)
    assert response.status_code == 400 and "请列明参加人员" in body and "请填写调解笔录" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{page_of(m)}sessions/new/", {
            "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "mode": "phone",
            "attendees": "陈志强（申请人）\n平台代理人", "minutes": "电话联系双方，约定下次现场调解。"})
    assert response.status_code == 302
    session = m.sessions.get()
    assert session.attendees == ["陈志强（申请人）", "平台代理人"]
    assert documents.documents_for(session, "session_minutes").get().status == "ready"
    assert journal.events_for(m).last().transition == "record_session"
    agreed = mediation_in_state("agreed")
    login(client, agreed.mediator)
    response = client.post(f"{page_of(agreed)}sessions/new/", {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "mode": "phone",
        "attendees": "甲", "minutes": "乙"})
    assert response.status_code == 409 and "只能在调解中记录调解会" in text(response)


def test_recording_payments(client):
    m = mediation_in_state("agreed")
    login(client, m.mediator)
    form = text(client.get(f"{page_of(m)}payments/new/"))
    assert "第1期" in form and "第2期" in form
    response = client.post(f"{page_of(m)}payments/new/", {"amount": "20000", "paid_on": today().isoformat(), "reference": "A1"})
    assert response.status_code == 400 and "超出协议未履行金额" in text(response) and 'value="A1"' in text(response)
    response = client.post(f"{page_of(m)}payments/new/", {"amount": "7000", "paid_on": today().isoformat(), "reference": "A1"})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.agreement.amount_paid == Decimal("7000.00")
    assert [i.paid for i in m.agreement.instalments.all()] == [Decimal("6000.00"), Decimal("1000.00")]
    assert "已登记履行款项 ¥7,000.00" in text(client.get(response["Location"]))
    login(client, mediator())
    assert client.get(f"{page_of(m)}payments/new/").status_code == 200  # sees the form, the service refuses
    response = client.post(f"{page_of(m)}payments/new/", {"amount": "1", "paid_on": today().isoformat()})
    assert response.status_code == 403


def test_recusal_and_reassignment_show_the_workload(client):
    m = mediation_in_state("in_progress")
    first = m.mediator
    other = mediator(first_name="接替")
    login(client, first)
    assert client.get(f"{page_of(m)}reassign/").status_code == 403  # supervisors only
    body = text(client.get(f"{page_of(m)}recuse/"))
    assert "接替" in body and "暂不指定" in body
    response = client.post(f"{page_of(m)}recuse/", {"reason": "与被申请人负责人系亲属", "replacement": other.pk})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.mediator == other
    login(client, supervisor())
    response = client.post(f"{page_of(m)}reassign/", {"mediator": first.pk})
    assert response.status_code == 302
    assert Mediation.objects.get(pk=m.pk).mediator == first


def test_documents_are_asked_for_from_the_page(client, django_capture_on_commit_callbacks):
    m = mediation_in_state("accepted")
    login(client, supervisor())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{page_of(m)}documents/", {"kind": "court_summary"})
    assert response.status_code == 302
    doc = documents.documents_for(m, "court_summary").get()
    assert doc.status == "ready" and f"/api/v1/documents/{doc.pk}/download/" in text(client.get(page_of(m)))


# --- the import page ------------------------------------------------------------------------------------


def gbk_list(court, *rows):
    header = "法院,案号,调解类型,适用程序,委派日期,案由,申请人,身份证号码,被申请人,请求事项,金额"
    return ("\n".join([header, *(",".join([court.name, *r]) for r in rows)]) + "\n").encode("gbk")


def test_import_page_runs_the_task_and_shows_the_report(client):
    court = make_court(name="厦门市思明区人民法院（页面测试）")
    data = gbk_list(
        court,
        ["（2026）闽0203民诉前调501号", "委派", "普通程序", ago(3).isoformat(), "解除劳动关系争议", "陈志强", valid_resident_id(551), "云帆出行有限公司", "赔偿金", "66000"],
        ["（2026）闽0203民诉前调501号", "委派", "普通程序", ago(3).isoformat(), "解除劳动关系争议", "陈志强", valid_resident_id(551), "云帆出行有限公司", "赔偿金", "66000"],
        ["（2026）闽0203民诉前调502号", "委派", "普通程序", ago(3).isoformat(), "欠薪", "林某", "350203199001011230", "云帆出行有限公司", "工资", "1000"],
        ["（2026）闽0203民诉前调503号", "委派", "普通程序", ago(3).isoformat(), "欠薪", "黄某", valid_resident_id(553), "云帆出行有限公司", "工资", "-5"],
    )
    user = make_user(Role.MEDIATOR)
    login(client, user)
    assert "上传并导入" in text(client.get("/mediation/imports/"))
    response = client.post("/mediation/imports/", {"file": SimpleUploadedFile("委派清单.csv", data), "court": court.pk})
    assert response.status_code == 302, text(response)
    job_url = response["Location"]
    page = client.get(job_url)
    body = text(page)
    assert page.status_code == 200 and "委派清单.csv" in body and "CSV · GBK" in body
    assert re.search(r'data-row="2" data-status="created"', body)
    assert re.search(r'data-row="3" data-status="duplicate"', body) and "与本文件第 2 行的法院案号重复" in body
    assert "校验码" in body and "不能为负数" in body
    created = Mediation.objects.get(court=court)
    assert created.number in body and f'href="{page_of(created)}"' in body
    progress = client.get(job_url + "progress/").json()
    assert progress == {**progress, "state": "SUCCESS", "finished": True, "percent": 100, "total": 4, "done": 4,
                        "created": 1, "duplicates": 1, "refused": 2}
    refused_only = text(client.get(job_url + "?status=refused"))
    assert 'data-status="created"' not in refused_only and refused_only.count('data-status="refused"') == 2
    # someone else's job does not exist for them
    login(client, make_user(Role.MEDIATOR))
    assert client.get(job_url).status_code == 404 and client.get(job_url + "progress/").status_code == 404


def test_progress_endpoint_follows_a_running_task(client, monkeypatch):
    """With a broker the task runs in a worker: the endpoint reads its PROGRESS meta, then its report."""
    user = make_user(Role.SUPERVISOR)
    job = {"id": "abc123", "owner": user.pk, "filename": "list.csv", "state": "PENDING", "total": 1200, "done": 0,
           "created": 0, "duplicates": 0, "refused": 0, "report": None, "error": "", "task_id": "t-1"}
    views.save_job(job)

    class Running:
        def __init__(self, task_id):
            self.state, self.info = "PROGRESS", {"done": 500, "total": 1200, "created": 480, "duplicates": 15, "refused": 5}

    monkeypatch.setattr(views, "AsyncResult", Running)
    login(client, user)
    data = client.get("/mediation/imports/abc123/progress/").json()
    assert (data["state"], data["done"], data["percent"], data["created"], data["finished"]) == ("PROGRESS", 500, 41, 480, False)
    page = text(client.get("/mediation/imports/abc123/"))
    assert "正在导入" in page and 'style="width: 41%"' in page and 'data-progress-url="/mediation/imports/abc123/progress/"' in page

    class Done:
        def __init__(self, task_id):
            self.state = "SUCCESS"
            self.result = {"filename": "list.csv", "format": "csv", "encoding": "utf-8", "total": 1, "created": 1,
                           "duplicates": 0, "refused": 0, "rows": [{"row": 2, "status": "created", "court_case_number": "X1",
                                                                    "mediation": "TJ-2026-000009", "mediation_id": None, "reasons": []}]}

    monkeypatch.setattr(views, "AsyncResult", Done)
    data = client.get("/mediation/imports/abc123/progress/").json()
    assert (data["state"], data["finished"], data["percent"]) == ("SUCCESS", True, 100)
    assert "TJ-2026-000009" in text(client.get("/mediation/imports/abc123/"))


def test_import_page_refuses_unreadable_files_inline_and_needs_permission(client):
    login(client, supervisor())
    response = client.post("/mediation/imports/", {"file": SimpleUploadedFile("x.json", b"{not json")})
    assert response.status_code == 400 and "JSON 格式错误" in text(response)
    response = client.post("/mediation/imports/", {"file": SimpleUploadedFile("x.csv", "甲,乙\n1,2\n".encode("gbk"))})
    assert response.status_code == 400 and "CSV 表头无法识别" in text(response)
    assert Mediation.objects.count() == 0
    login(client, make_user(Role.INTAKE_OFFICER))
    assert client.get("/mediation/imports/").status_code == 403


def test_a_court_liaison_imports_for_their_own_court_only(client):
    ours, theirs = make_court(), make_court()
    liaison = make_user(Role.COURT_LIAISON, organisation=ours)
    login(client, liaison)
    form = text(client.get("/mediation/imports/"))
    assert ours.name in form and theirs.name not in form
    row = ["（2026）闽0203民诉前调601号", "委派", "普通程序", ago(3).isoformat(), "欠薪", "陈某", valid_resident_id(561), "云帆出行有限公司", "工资", "100"]
    response = client.post("/mediation/imports/", {"file": SimpleUploadedFile("l.csv", gbk_list(theirs, row)), "court": ours.pk})
    assert response.status_code == 302
    body = text(client.get(response["Location"]))
    assert "法院联络员只能登记本院" in body and not Mediation.objects.filter(court=theirs).exists()
    response = client.post("/mediation/imports/", {"file": SimpleUploadedFile("l.csv", gbk_list(ours, row)), "court": theirs.pk})
    assert response.status_code == 400  # not a choice for them


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")  # Celery's Redis backend, redis-py 8
def test_import_through_a_real_worker_reports_progress_then_the_report(client):
    """With a broker: the page queues the task, a worker runs it (PROGRESS meta through the result
    backend), the job record is in the shared cache, and the progress endpoint ends on the report."""
    import time

    from django.conf import settings as django_settings

    if not django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        pytest.skip("needs the Redis broker: set CELERY_BROKER_URL=redis://… (CI does)")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not app.conf.task_always_eager
    court = make_court(name="厦门市思明区人民法院（队列测试）")
    rows = [[f"（2026）闽0203民诉前调{700 + n}号", "委派", "普通程序", ago(3).isoformat(), "欠薪", f"司机{n}",
             valid_resident_id(700 + n), "云帆出行有限公司", "工资", "1000"] for n in range(3)]
    login(client, make_user(Role.SUPERVISOR))
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        response = client.post("/mediation/imports/", {"file": SimpleUploadedFile("队列.csv", gbk_list(court, *rows)),
                                                       "court": court.pk})
        assert response.status_code == 302
        job_url = response["Location"]
        seen = []
        for _ in range(150):
            data = client.get(job_url + "progress/").json()
            seen.append(data["state"])
            if data["finished"]:
                break
            time.sleep(0.2)
    assert data["state"] == "SUCCESS" and (data["created"], data["total"], data["percent"]) == (3, 3, 100), seen
    body = text(client.get(job_url))
    assert body.count('data-status="created"') == 3
    assert Mediation.objects.filter(court=court).count() == 3
