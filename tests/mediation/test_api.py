"""The mediation API contract: /api/v1/mediations/, transitions, sessions, payments, events,
documents, workload, import, and who sees what."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core import journal
from core.roles import Role
from mediation.models import Mediation
from tests.harness import on
from tests.mediation.helpers import (
    advance,
    ago,
    any_mediator,
    make_court,
    make_referral,
    mediation_in_state,
    mediator,
    today,
)
from tests.scenarios import make_organisation, make_user, supervisor, valid_resident_id

pytestmark = pytest.mark.django_db

URL = "/api/v1/mediations/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def transition(user, m, name, body=None):
    return client_for(user).post(f"{URL}{m.pk}/transitions/{name}/", body or {}, format="json")


# --- who sees what --------------------------------------------------------------------------------


def test_court_liaison_sees_only_their_courts_referrals():
    ours, theirs = make_court(), make_court()
    mine = make_referral(court=ours)
    other = make_referral(court=theirs)
    union = make_referral(source="union")
    liaison = make_user(Role.COURT_LIAISON, organisation=ours)

    listed = client_for(liaison).get(URL).json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert client_for(liaison).get(f"{URL}{mine.pk}/").status_code == 200
    assert client_for(liaison).get(f"{URL}{other.pk}/").status_code == 404
    assert client_for(liaison).get(f"{URL}{union.pk}/").status_code == 404
    assert client_for(liaison).get(f"{URL}{other.pk}/events/").status_code == 404


def test_union_staff_see_every_mediation_and_company_contacts_none():
    ms = [make_referral(), make_referral(source="union")]
    for role in (Role.MEDIATOR, Role.SUPERVISOR, Role.INTAKE_OFFICER, Role.LAWYER):
        assert client_for(make_user(role)).get(URL).json()["count"] == 2, role
    platform = make_organisation()
    contact = make_user(Role.COMPANY_CONTACT, organisation=platform)
    assert client_for(contact).get(URL).json()["count"] == 0
    assert client_for(contact).get(f"{URL}{ms[0].pk}/").status_code == 404
    assert client_for(make_user(Role.COURT_LIAISON)).get(URL).json()["count"] == 0  # no court on the profile
    assert APIClient().get(URL).status_code in (401, 403)


# --- detail, filters --------------------------------------------------------------------------------


def test_detail_has_state_allowed_transitions_and_deadline():
    m = mediation_in_state("accepted")
    body = client_for(supervisor()).get(f"{URL}{m.pk}/").json()
    assert body["state"] == "accepted"
    assert set(body["allowed_transitions"]) == {"assign_mediator", "withdraw"}
    assert body["deadline"] == str(m.deadline) and body["period_days"] == 30
    assert body["extension_limits"] == {"max_extensions": None, "max_days_each": None}
    assert body["claimants"][0]["id_number_masked"].count("*") == 8
    assert "id_number" not in body["claimants"][0]


def test_list_filters_and_search():
    court = make_court()
    a = make_referral(court=court, court_case_number="（2026）闽0203民诉前调1号")
    b = mediation_in_state("in_progress", recent=False)  # accepted 60 days ago: overdue
    c = mediation_in_state("accepted")
    user = supervisor()
    get = lambda q: {r["id"] for r in client_for(user).get(URL + q).json()["results"]}  # noqa: E731
    assert get("?state=referred") == {a.pk}
    assert get("?state=accepted&state=in_progress") == {b.pk, c.pk}
    assert get("?overdue=true") == {b.pk}
    assert get(f"?court={court.pk}") == {a.pk}
    assert get("?search=民诉前调1号") == {a.pk}
    assert get(f"?mediator={b.mediator_id}") >= {b.pk}
    rows = client_for(user).get(URL + "?ordering=deadline").json()["results"]
    assert rows[0]["claimant_count"] == 1


# --- transitions -------------------------------------------------------------------------------------


def test_accept_through_the_api_sets_the_deadline():
    with on(datetime.date(2026, 9, 7)):
        m = make_referral(referred_on=datetime.date(2026, 9, 1))
        response = transition(any_mediator(), m, "accept", {"accepted_on": "2026-09-07", "comment": "受理"})
    assert response.status_code == 200, response.content
    body = response.json()
    # 30 days from 7 September end on 7 October, inside the National Day holiday (1-7 October 2026
    # is a holiday; 8 October is a working day).
    assert (body["state"], body["deadline"]) == ("accepted", "2026-10-08")


def test_wrong_state_is_409_with_state_and_allowed():
    m = mediation_in_state("referred")
    response = transition(supervisor(), m, "confirm", {"ruling_number": "x", "ruling_date": str(today())})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed" and body["state"] == "referred"
    assert set(body["allowed"]) == {"accept", "decline", "withdraw"}


def test_bad_input_is_400_with_field_errors():
    m = mediation_in_state("in_progress")
    response = transition(supervisor(), m, "reach_agreement", {
        "total": "12000", "basis": "compensation",
        "instalments": [{"due_on": str(today()), "amount": "5000"}],
    })
    assert response.status_code == 400
    assert "instalments" in response.json()
    refused = transition(supervisor(), m, "fail", {})
    assert refused.status_code == 400 and list(refused.json()) == ["reason"]
    m.refresh_from_db()
    assert m.state == "in_progress"


def test_no_permission_is_403():
    court = make_court()
    m = mediation_in_state("referred", court=court)
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    response = transition(liaison, m, "accept")
    assert response.status_code == 403
    m.refresh_from_db()
    assert m.state == "referred"


def test_conflicted_mediator_is_refused_with_the_reason():
    agent = make_organisation(kind="agent")
    m = mediation_in_state("accepted", respondents=[agent])
    conflicted = mediator(acts_for=[agent])
    response = transition(supervisor(), m, "assign_mediator", {"mediator": conflicted.pk})
    assert response.status_code == 400
    assert "利益冲突" in response.json()["mediator"][0]


def test_late_confirmation_request_is_409_saying_why():
    m = mediation_in_state("agreed", recent=False)  # took effect 50 days ago
    response = transition(m.mediator, m, "request_confirmation")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed" and "逾期" in body["detail"] and "30日" in body["detail"]
    assert "request_confirmation" not in body["allowed"]


def test_events_list_the_journal():
    m = mediation_in_state("in_progress")
    events = client_for(supervisor()).get(f"{URL}{m.pk}/events/").json()
    assert [e["transition"] for e in events] == ["create", "accept", "assign_mediator"]
    assert events[1]["payload"]["deadline"] == str(m.deadline)


# --- single entry -------------------------------------------------------------------------------------


def referral_body(court, number="（2026）闽0203民诉前调501号", **extra):
    return {
        "source": "court_pre_suit", "court": court.pk, "court_case_number": number,
        "referred_on": str(ago(3)), "title": "外卖骑手被拖欠配送费",
        "claimants": [{"name": "李明", "id_number": valid_resident_id(901), "phone": "13800009901"}],
        "respondents": [{"name": "速达配送（测试）有限公司"}],
        "claims": [{"description": "支付拖欠配送费", "amount": "8600.00", "category": "unpaid_pay"}],
        **extra,
    }


def test_single_entry_creates_a_referral_and_refuses_a_duplicate():
    court = make_court()
    response = client_for(any_mediator()).post(URL, referral_body(court), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "referred" and body["number"].startswith("TJ-")
    assert body["claims"][0]["amount"] == "8600.00"
    again = client_for(any_mediator()).post(URL, referral_body(court), format="json")
    assert again.status_code == 400 and body["number"] in again.json()["court_case_number"][0]


def test_single_entry_by_a_court_liaison_only_for_their_court():
    ours, theirs = make_court(), make_court()
    liaison = make_user(Role.COURT_LIAISON, organisation=ours)
    assert client_for(liaison).post(URL, referral_body(ours, "（2026）甲1号"), format="json").status_code == 201
    assert client_for(liaison).post(URL, referral_body(theirs, "（2026）乙1号"), format="json").status_code == 403
    contact = make_user(Role.COMPANY_CONTACT)
    assert client_for(contact).post(URL, referral_body(ours, "（2026）丙1号"), format="json").status_code == 403


def test_court_liaison_cannot_pick_registered_workers_by_id():
    from tests.scenarios import make_worker

    court = make_court()
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    body = referral_body(court, "（2026）丁1号", claimants=[{"worker": make_worker().pk}])
    assert client_for(liaison).post(URL, body, format="json").status_code == 403
    assert client_for(supervisor()).post(URL, body, format="json").status_code == 201


def test_an_id_number_never_tells_a_court_liaison_a_registered_name():
    """A liaison naming a claimant by ID number gets the registered worker only under the same
    name; another name is refused without saying the registered one, and nothing is written."""
    from tests.scenarios import make_worker, valid_resident_id

    registered = make_worker(name="张建国", id_number=valid_resident_id(88_123))
    court = make_court()
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    guessed = referral_body(court, "（2026）戊1号", claimants=[{"name": "李四", "id_number": registered.id_number}])
    response = client_for(liaison).post(URL, guessed, format="json")
    assert response.status_code == 400 and "claimants" in response.json()
    assert "张建国" not in response.content.decode() and "骑手" not in response.content.decode()
    assert not Mediation.objects.exists()
    same = referral_body(court, "（2026）戊2号", claimants=[{"name": "张 建国", "id_number": registered.id_number}])
    response = client_for(liaison).post(URL, same, format="json")
    assert response.status_code == 201
    assert [c["id"] for c in response.json()["claimants"]] == [registered.pk]
    # the union's own staff, who may look workers up, reconcile a name as before
    staff = referral_body(court, "（2026）戊3号", claimants=[{"name": "李四", "id_number": registered.id_number}])
    assert client_for(supervisor()).post(URL, staff, format="json").status_code == 201


def test_single_entry_reports_every_bad_field():
    court = make_court()
    body = referral_body(court, claims=[{"description": "赔偿", "amount": "-5"}],
                         claimants=[{"name": "王五", "id_number": "350203199001011235"}])
    response = client_for(supervisor()).post(URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "claimants" in errors and "claims" in errors
    assert not Mediation.objects.exists()


# --- sessions and payments ---------------------------------------------------------------------------


def held_at():
    """A session two days ago at 09:30 in Shanghai: after the acceptance (ten days ago), never in the future."""
    return f"{ago(2)}T09:30:00+08:00"


def test_sessions_are_recorded_with_minutes_document(django_capture_on_commit_callbacks):
    m = mediation_in_state("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(m.mediator).post(f"{URL}{m.pk}/sessions/", {
            "held_at": held_at(), "mode": "video", "location": "人民法院调解平台",
            "attendees": ["司机（申请人）", "平台法务（被申请人）"], "minutes": "双方陈述意见。\n申请人同意分期。",
        }, format="json")
    assert response.status_code == 201, response.content
    session = response.json()
    assert session["seq"] == 1 and session["number"] == f"{m.number}-S1"
    docs = client_for(m.mediator).get(f"/api/v1/mediation-sessions/{session['id']}/documents/").json()
    assert [d["kind"] for d in docs] == ["session_minutes"] and docs[0]["status"] == "ready"
    assert client_for(supervisor()).get(f"{URL}{m.pk}/sessions/").json()[0]["mode"] == "video"
    bad = client_for(m.mediator).post(f"{URL}{m.pk}/sessions/", {"held_at": held_at(),
                                                                  "mode": "fax", "attendees": [], "minutes": ""}, format="json")
    assert bad.status_code == 400


def test_session_outside_in_progress_is_409():
    m = mediation_in_state("agreed")
    response = client_for(m.mediator).post(f"{URL}{m.pk}/sessions/", {
        "held_at": held_at(), "mode": "phone", "attendees": ["甲"], "minutes": "电话沟通"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"


def test_payments_are_allocated_to_instalments_in_order():
    m = mediation_in_state("agreed")
    response = client_for(m.mediator).post(f"{URL}{m.pk}/payments/", {"amount": "7000.00", "paid_on": str(today()),
                                                                     "reference": "转账001"}, format="json")
    assert response.status_code == 201, response.content
    assert [(p["instalment"], p["amount"]) for p in response.json()] == [(1, "6000.00"), (2, "1000.00")]
    detail = client_for(m.mediator).get(f"{URL}{m.pk}/").json()
    assert detail["agreement"]["amount_paid"] == "7000.00" and detail["agreement"]["outstanding"] == "5000.00"
    assert [i["paid"] for i in detail["agreement"]["instalments"]] == ["6000.00", "1000.00"]
    over = client_for(m.mediator).post(f"{URL}{m.pk}/payments/", {"amount": "5000.01", "paid_on": str(today())}, format="json")
    assert over.status_code == 400 and "amount" in over.json()
    assert len(client_for(m.mediator).get(f"{URL}{m.pk}/payments/").json()) == 2
    event = journal.events_for(m).last()
    assert event.transition == "record_payment" and event.payload["allocations"] == [[1, "6000.00"], [2, "1000.00"]]


def test_payments_only_by_the_mediator_or_a_supervisor():
    m = mediation_in_state("agreed")
    response = client_for(mediator()).post(f"{URL}{m.pk}/payments/", {"amount": "1", "paid_on": str(today())}, format="json")
    assert response.status_code == 403


# --- documents, workload, recusal ---------------------------------------------------------------------


def test_documents_are_listed_and_asked_for(django_capture_on_commit_callbacks):
    m = mediation_in_state("accepted")
    listed = client_for(supervisor()).get(f"{URL}{m.pk}/documents/").json()
    assert [d["kind"] for d in listed] == ["acceptance_notice"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(supervisor()).post(f"{URL}{m.pk}/documents/", {"kind": "court_summary"}, format="json")
    assert response.status_code == 202
    assert client_for(supervisor()).post(f"{URL}{m.pk}/documents/", {"kind": "agreement"}, format="json").status_code == 409
    download = client_for(supervisor()).get(f"/api/v1/documents/{response.json()['id']}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_workload_for_mediators_and_supervisors_only():
    busy = mediator(username="busy_mediator")
    for _ in range(2):
        transition(supervisor(), mediation_in_state("accepted"), "assign_mediator", {"mediator": busy.pk})
    rows = client_for(busy).get(f"{URL}workload/").json()
    mine = next(r for r in rows if r["mediator"]["id"] == busy.pk)
    assert (mine["in_progress"], mine["open_total"]) == (2, 2)
    assert client_for(make_user(Role.COURT_LIAISON)).get(f"{URL}workload/").status_code == 403


def test_recuse_and_reassign():
    m = mediation_in_state("in_progress")
    first = m.mediator
    response = client_for(first).post(f"{URL}{m.pk}/recuse/", {"reason": "与被申请人有业务往来"}, format="json")
    assert response.status_code == 200 and response.json()["mediator"] is None
    other = mediator()
    assert client_for(first).post(f"{URL}{m.pk}/reassign/", {"mediator": other.pk}, format="json").status_code == 403
    response = client_for(supervisor()).post(f"{URL}{m.pk}/reassign/", {"mediator": other.pk}, format="json")
    assert response.status_code == 200 and response.json()["mediator"]["id"] == other.pk


def test_resolve_linked_case_through_the_api():
    from casework import services as casework_services
    from mediation import services
    from tests.scenarios import case_in_state

    case = case_in_state("accepted")
    casework_services.refer_to_mediation(case=case, actor=supervisor(), referred_on=ago(30))
    m = services.opened_for(case).get()
    advance(m, "accept", "assign_mediator", "reach_agreement")
    response = client_for(supervisor()).post(f"{URL}{m.pk}/resolve_case/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "mediated" and Decimal(response.json()["amount_recovered"]) == Decimal("12000")


# --- import ------------------------------------------------------------------------------------------------


def test_import_endpoint_returns_the_per_row_report():
    court = make_court(name="厦门市思明区人民法院（测试）")
    referred = ago(18)
    csv_text = (
        "法院,案号,程序,委派日期,申请人,身份证号码,被申请人,请求事项,金额\n"
        f"{court.name},（2026）闽0203民诉前调1号,普通程序,{referred},张三,{valid_resident_id(801)},云帆出行（测试）有限公司,恢复账号并赔偿损失,5000\n"
        f"{court.name},（2026）闽0203民诉前调1号,普通程序,{referred},张三,{valid_resident_id(801)},云帆出行（测试）有限公司,恢复账号并赔偿损失,5000\n"
        f"不存在的法院,（2026）闽0203民诉前调2号,普通程序,{referred},李四,{valid_resident_id(802)},云帆出行（测试）有限公司,赔偿,100\n"
    )
    upload = SimpleUploadedFile("名单.csv", csv_text.encode("gbk"), content_type="text/csv")
    response = client_for(any_mediator()).post(f"{URL}import/", {"file": upload, "court": court.pk}, format="multipart")
    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["encoding"], report["created"], report["duplicates"], report["refused"]) == ("gbk", 1, 1, 1)
    assert [r["status"] for r in report["rows"]] == ["created", "duplicate", "refused"]
    assert "未知的法院" in report["rows"][2]["reasons"][0]


def test_import_needs_permission_and_a_readable_file():
    upload = SimpleUploadedFile("x.csv", b"a,b\n1,2\n")
    contact = make_user(Role.COMPANY_CONTACT)
    assert client_for(contact).post(f"{URL}import/", {"file": upload}, format="multipart").status_code == 403
    upload = SimpleUploadedFile("x.json", b"{not json")
    response = client_for(supervisor()).post(f"{URL}import/", {"file": upload}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_a_stale_write_is_409_conflict(monkeypatch):
    """Someone edits the mediation between our read and our write: ours is refused, theirs stands."""
    from mediation import services

    m = mediation_in_state("in_progress", source="union")
    extend = services.extend

    def extend_after_someone_else_edited(*, mediation, actor, **kwargs):
        services.edit_mediation(mediation=Mediation.objects.get(pk=mediation.pk), actor=supervisor(),
                                changes={"facts": "双方补充了材料"})
        return extend(mediation=mediation, actor=actor, **kwargs)

    monkeypatch.setattr(services, "extend", extend_after_someone_else_edited)
    response = transition(supervisor(), m, "extend", {"days": 3, "claimant_consent_on": str(today()),
                                                      "respondent_consent_on": str(today())})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    m.refresh_from_db()
    assert m.extensions_in_period == 0 and not m.extensions.exists()
