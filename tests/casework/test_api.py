"""The REST API contract for organisations, workers and cases (DESIGN.md, "Public interface").

Tests outside the project rely on these shapes: status codes, error bodies, field names.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import journal
from casework import services
from core.identifiers import CREDIT_CODE_CHARS
from casework.models import Case
from core.models import Organisation, Worker
from core.roles import Role
from tests.scenarios import (
    advance,
    case_in_state,
    make_case,
    make_organisation,
    make_user,
    make_worker,
    supervisor,
    valid_credit_code,
    valid_resident_id,
)

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
WORKERS = "/api/v1/workers/"
ORGS = "/api/v1/organisations/"
TODAY = timezone.localdate


def client_for(user) -> APIClient:
    """A client authenticated as a fresh copy of `user`, so no per-user cache leaks between requests."""
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def transition_url(case, name):
    return f"{CASES}{case.pk}/transitions/{name}/"


def journal_count(case) -> int:
    return journal.events_for(case).count()


def snapshot(case):
    """What must not move when a request is refused: the state and the object's journal."""
    case.refresh_from_db()
    return case.state, journal_count(case)


def bad_checksum(code: str, alphabet: str) -> str:
    wrong = next(c for c in alphabet if c != code[-1])
    return code[:-1] + wrong


@pytest.fixture
def officer():
    return make_user(Role.INTAKE_OFFICER)


@pytest.fixture
def boss():
    return supervisor()


@pytest.fixture
def volunteer():
    return make_user(Role.LEGAL_AID_VOLUNTEER)


@pytest.fixture
def company_contact():
    return make_user(Role.COMPANY_CONTACT, organisation=make_organisation())


# --------------------------------------------------------------------------------------------------
# Authentication, schema, docs
# --------------------------------------------------------------------------------------------------


def test_anonymous_requests_are_refused():
    response = APIClient().get(CASES)
    assert response.status_code in (401, 403)
    assert APIClient().post(transition_url(case_in_state("received"), "start_screening")).status_code in (401, 403)


def test_token_header_authenticates(officer):
    case = make_case()
    token = Token.objects.create(user=officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(f"{CASES}{case.pk}/")
    assert response.status_code == 200
    assert response.json()["number"] == case.number


def test_bad_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(CASES).status_code == 401


def test_session_login_authenticates(officer):
    make_case()
    client = APIClient()
    assert client.login(username=officer.username, password="pw-for-tests-1")
    response = client.get(CASES)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_schema_and_docs_are_served():
    schema = APIClient().get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/cases/{id}/transitions/{name}/" in schema.content
    docs = APIClient().get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


# --------------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------------


def test_organisation_list_filter_and_search(officer):
    make_organisation(name="美团测试")
    make_organisation(name="饿了么测试")
    make_organisation(kind=Organisation.Kind.COURT, name="思明区人民法院")
    client = client_for(officer)

    assert client.get(ORGS).json()["count"] == 3
    courts = client.get(ORGS, {"kind": "court"}).json()
    assert [o["name"] for o in courts["results"]] == ["思明区人民法院"]
    found = client.get(ORGS, {"search": "美团"}).json()
    assert [o["name"] for o in found["results"]] == ["美团测试"]


def test_company_contact_may_read_organisations(company_contact):
    assert client_for(company_contact).get(ORGS).status_code == 200


def test_create_organisation(officer):
    response = client_for(officer).post(ORGS, {
        "name": "某配送站", "kind": "agent", "credit_code": valid_credit_code(4242),
        "contact_phone": "13800138000",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["credit_code_checksum_ok"] is True
    assert body["contact_phone"] == "+8613800138000"
    assert Organisation.objects.filter(name="某配送站").exists()


def test_credit_code_failing_checksum_is_a_warning_a_supervisor_may_override(officer, boss):
    code = bad_checksum(valid_credit_code(777), CREDIT_CODE_CHARS)
    payload = {"name": "早期试点企业", "kind": "platform", "credit_code": code}

    warned = client_for(officer).post(ORGS, payload, format="json")
    assert warned.status_code == 400
    assert "credit_code" in warned.json()

    overridden_by_officer = client_for(officer).post(
        ORGS, {**payload, "override_credit_code": True, "override_reason": "早期代码"}, format="json"
    )
    assert overridden_by_officer.status_code == 403
    assert not Organisation.objects.filter(name="早期试点企业").exists()

    no_reason = client_for(boss).post(ORGS, {**payload, "override_credit_code": True}, format="json")
    assert no_reason.status_code == 400
    assert "override_reason" in no_reason.json()

    accepted = client_for(boss).post(
        ORGS, {**payload, "override_credit_code": True, "override_reason": "2015年试点期间核发"}, format="json"
    )
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["credit_code_checksum_ok"] is False
    assert accepted.json()["credit_code_override_reason"] == "2015年试点期间核发"
    assert Organisation.objects.get(name="早期试点企业").credit_code_overridden_by == boss


def test_unknown_kind_is_400(officer):
    response = client_for(officer).post(ORGS, {"name": "x", "kind": "spaceship"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


# --------------------------------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------------------------------


def test_create_worker_returns_only_the_masked_id(officer):
    number = valid_resident_id(321)
    response = client_for(officer).post(WORKERS, {
        "name": "张三", "id_number": number, "occupation": "rider", "phone": "138 0013 8001",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert "id_number" not in body
    assert number.encode() not in response.content
    assert body["phone"] == "+8613800138001"


def test_create_worker_with_bad_checksum_is_400(officer):
    number = bad_checksum(valid_resident_id(5), "0123456789X")
    response = client_for(officer).post(
        WORKERS, {"name": "李四", "id_number": number, "occupation": "rider"}, format="json"
    )
    assert response.status_code == 400
    assert "id_number" in response.json()
    assert not Worker.objects.filter(name="李四").exists()


def test_create_worker_with_invalid_phone_is_400(officer):
    response = client_for(officer).post(WORKERS, {
        "name": "王五", "id_number": valid_resident_id(6), "occupation": "courier", "phone": "12345",
    }, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()
    assert not Worker.objects.filter(name="王五").exists()


def test_volunteer_may_not_register_workers(volunteer):
    response = client_for(volunteer).post(
        WORKERS, {"name": "赵六", "id_number": valid_resident_id(7), "occupation": "rider"}, format="json"
    )
    assert response.status_code == 403


def test_worker_list_and_detail_never_show_the_clear_id(officer):
    numbers = [valid_resident_id(900 + i) for i in range(3)]
    workers = [make_worker(id_number=n) for n in numbers]
    client = client_for(officer)

    listed = client.get(WORKERS)
    assert listed.status_code == 200
    assert listed.json()["count"] == 3
    detail = client.get(f"{WORKERS}{workers[0].pk}/")
    assert detail.status_code == 200
    for response in (listed, detail):
        for number in numbers:
            assert number.encode() not in response.content
            assert number[6:14].encode() not in response.content


def test_worker_lookup_by_id_number_and_phone(officer):
    number = valid_resident_id(55, born=datetime.date(1988, 8, 8))
    wanted = make_worker(name="要找的人", id_number=number, phone="13912345678")
    make_worker(name="别人")
    client = client_for(officer)

    by_id = client.get(WORKERS, {"id_number": number.lower()}).json()
    assert [w["id"] for w in by_id["results"]] == [wanted.pk]
    by_phone = client.get(WORKERS, {"phone": "+86 139 1234 5678"}).json()
    assert [w["id"] for w in by_phone["results"]] == [wanted.pk]
    nobody = client.get(WORKERS, {"id_number": valid_resident_id(56)}).json()
    assert nobody["count"] == 0


def test_worker_lookup_with_a_malformed_id_is_400(officer):
    response = client_for(officer).get(WORKERS, {"id_number": "12345"})
    assert response.status_code == 400
    assert "id_number" in response.json()


def test_company_contact_may_not_list_workers(company_contact):
    make_worker()
    assert client_for(company_contact).get(WORKERS).status_code == 403


# --------------------------------------------------------------------------------------------------
# Case lists: visibility, filters, search, pages, query count
# --------------------------------------------------------------------------------------------------


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def test_case_filters(officer):
    today = TODAY()
    screening = case_in_state("screening", channel=Case.Channel.HOTLINE)
    accepted = case_in_state("accepted", categories=("injury",), claims=[])
    mine = make_case(actor=officer)
    group = make_case(claimants=10)
    overdue = case_in_state("screening", received_on=today - datetime.timedelta(days=20))
    ending = make_case(
        infringement_known_on=today - datetime.timedelta(days=350),
        employment_ended_on=today - datetime.timedelta(days=350),
    )
    client = client_for(officer)

    assert numbers(client.get(CASES, {"state": "screening"})) == {screening.number, overdue.number}
    assert numbers(client.get(CASES, {"state": ["accepted", "screening"]})) == {
        screening.number, overdue.number, accepted.number,
    }
    assert numbers(client.get(CASES, {"category": "injury"})) == {accepted.number}
    assert numbers(client.get(CASES, {"channel": "hotline"})) == {screening.number}
    assert numbers(client.get(CASES, {"handler": officer.pk})) == {mine.number}
    assert numbers(client.get(CASES, {"is_group": "true"})) == {group.number}
    assert numbers(client.get(CASES, {"overdue": "true"})) == {overdue.number}
    assert overdue.number not in numbers(client.get(CASES, {"overdue": "false"}))
    assert numbers(client.get(CASES, {"limitation_ending": "true"})) == {ending.number}


def test_case_search_by_number_worker_and_organisation(officer):
    rider = make_worker(name="欧阳骑手")
    platform = make_organisation(name="闪送速达科技")
    by_worker = make_case(claimants=[rider])
    by_org = make_case(respondents=[platform])
    other = make_case()
    client = client_for(officer)

    assert numbers(client.get(CASES, {"search": "欧阳"})) == {by_worker.number}
    assert numbers(client.get(CASES, {"search": "闪送"})) == {by_org.number}
    assert numbers(client.get(CASES, {"search": other.number})) == {other.number}


def test_case_list_is_paginated(officer):
    made = [make_case() for _ in range(3)]
    client = client_for(officer)

    first = client.get(CASES, {"page_size": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"]
    second = client.get(CASES, {"page_size": 2, "page": 2}).json()
    assert len(second["results"]) == 1
    assert {r["number"] for r in first["results"] + second["results"]} == {c.number for c in made}


def test_case_list_row_shape(officer):
    case = make_case(claimants=2, claims=[
        {"category": "unpaid_pay", "description": "配送费", "amount": Decimal("1000.50")},
        {"category": "unpaid_pay", "description": "押金", "amount": Decimal("200.00")},
    ])
    row = client_for(officer).get(CASES).json()["results"][0]
    assert row["number"] == case.number
    assert row["claim_total"] == "1200.50"
    assert row["claimant_count"] == 2
    assert row["categories"] == ["unpaid_pay"]
    assert row["handler"]["id"] == case.handler_id


def test_case_list_runs_a_fixed_number_of_queries(officer, volunteer):
    def count_queries():
        client = client_for(officer)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(CASES).status_code == 200
        return len(ctx.captured_queries)

    make_case()
    make_case(claimants=2)
    few = count_queries()
    for _ in range(3):
        make_case(claimants=3, respondents=[make_organisation(), make_organisation()],
                  categories=("unpaid_pay", "injury"))
    advance(case_in_state("accepted"), ("assign_legal_aid", {"lawyer": volunteer}))
    assert count_queries() == few


def test_company_contact_sees_no_case(company_contact):
    case = make_case(respondents=[company_contact.profile.organisation])
    client = client_for(company_contact)
    assert client.get(CASES).json()["count"] == 0
    assert client.get(f"{CASES}{case.pk}/").status_code == 404
    assert client.get(f"{CASES}{case.pk}/events/").status_code == 404
    assert client.post(transition_url(case, "start_screening"), {}, format="json").status_code == 404


def test_volunteer_sees_only_assigned_cases(volunteer):
    assigned = advance(case_in_state("accepted"), ("assign_legal_aid", {"lawyer": volunteer}))
    other = case_in_state("legal_aid")
    client = client_for(volunteer)
    assert numbers(client.get(CASES)) == {assigned.number}
    assert client.get(f"{CASES}{assigned.pk}/").status_code == 200
    assert client.get(f"{CASES}{other.pk}/").status_code == 404


# --------------------------------------------------------------------------------------------------
# Case detail and creation
# --------------------------------------------------------------------------------------------------


def test_case_detail_shape(officer):
    rep = make_worker(id_number=valid_resident_id(444))
    case = make_case(claimants=[rep, make_worker()], representatives=[rep])
    body = client_for(officer).get(f"{CASES}{case.pk}/").json()

    assert body["state"] == "received"
    assert set(body["allowed_transitions"]) == {"start_screening"}
    claimant = next(c for c in body["claimants"] if c["worker"] == rep.pk)
    assert claimant["is_representative"] is True
    assert claimant["id_number_masked"] == rep.id_number_masked
    assert valid_resident_id(444) not in str(body)
    assert body["respondents"][0]["name"] == case.respondents.get().name
    assert body["categories"] == [{"code": "unpaid_pay", "name": "拖欠劳动报酬"}]
    assert body["claims"][0]["amount"] == "3200.00"
    assert body["claim_total"] == "3200.00"
    for field in ("received_on", "screening_due_on", "limitation_ends_on", "handler", "legal_aid_by",
                  "outcome", "amount_recovered"):
        assert field in body
    assert body["limitation_ends_on"] == case.limitation_ends_on.isoformat()


def _screening_case_a_volunteer_can_see(volunteer):
    """A reopened case keeps its legal-aid assignee, so the volunteer still sees it in screening."""
    case = advance(
        case_in_state("accepted"),
        ("assign_legal_aid", {"lawyer": volunteer}),
        ("resolve", {"outcome": "settled", "amount_recovered": Decimal("100")}),
        "close",
        ("reopen", {"reason": "新证据"}),
    )
    assert case.state == "screening"
    return case


def test_allowed_transitions_differ_per_role(officer, boss, volunteer):
    lawyer = make_user(Role.LAWYER)
    case = _screening_case_a_volunteer_can_see(volunteer)

    def allowed(user, c):
        response = client_for(user).get(f"{CASES}{c.pk}/")
        assert response.status_code == 200
        return set(response.json()["allowed_transitions"])

    assert allowed(officer, case) == {"accept", "reject"}
    assert allowed(boss, case) == {"accept", "reject"}
    assert allowed(volunteer, case) == set()
    assert allowed(lawyer, case) == set()

    rejected = case_in_state("rejected")
    assert allowed(boss, rejected) == {"reopen"}
    assert allowed(officer, rejected) == set()


def test_create_case(officer):
    workers = [make_worker(), make_worker()]
    platform = make_organisation()
    response = client_for(officer).post(CASES, {
        "title": "平台封号停单", "channel": "online",
        "claimants": [w.pk for w in workers], "representatives": [workers[0].pk],
        "respondents": [platform.pk], "categories": ["unlawful_termination", "unpaid_pay"],
        "claims": [
            {"category": "unpaid_pay", "description": "支付被扣配送费", "amount": "850.00"},
            {"category": "unlawful_termination", "description": "恢复账号"},
        ],
        "infringement_known_on": (TODAY() - datetime.timedelta(days=10)).isoformat(),
        "comment": "电话登记",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "received"
    assert body["number"].startswith(f"WQ-{TODAY().year}-")
    assert body["claim_total"] == "850.00"
    assert body["handler"]["id"] == officer.pk
    assert [c["is_representative"] for c in body["claimants"]] == [True, False]
    case = Case.objects.get(pk=body["id"])
    assert [e.transition for e in journal.events_for(case)] == ["create"]


def test_create_case_with_unknown_category_is_400_and_writes_nothing(officer):
    before = Case.objects.count()
    response = client_for(officer).post(CASES, {
        "title": "x", "channel": "online", "claimants": [make_worker().pk], "categories": ["nope"],
    }, format="json")
    assert response.status_code == 400
    assert "categories" in response.json()
    assert Case.objects.count() == before


def test_volunteer_may_not_create_cases(volunteer):
    response = client_for(volunteer).post(CASES, {
        "title": "x", "channel": "online", "claimants": [make_worker().pk], "categories": ["unpaid_pay"],
    }, format="json")
    assert response.status_code == 403


# --------------------------------------------------------------------------------------------------
# Transitions: happy paths
# --------------------------------------------------------------------------------------------------


def post_transition(user, case, name, **body):
    return client_for(user).post(transition_url(case, name), body, format="json")


def test_start_screening_and_accept(officer):
    case = make_case()
    response = post_transition(officer, case, "start_screening", comment="开始审查")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "screening"
    assert set(response.json()["allowed_transitions"]) == {"accept", "reject"}

    response = post_transition(officer, case, "accept", comment="符合受理条件")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "accepted"
    assert response.json()["accepted_at"]
    assert journal.events_for(case).last().comment == "符合受理条件"


def test_reject(officer):
    case = case_in_state("screening")
    response = post_transition(officer, case, "reject", reason="不属于劳动争议")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "rejected"
    assert response.json()["rejection_reason"] == "不属于劳动争议"


def test_assign_legal_aid(boss, volunteer):
    case = case_in_state("accepted")
    response = post_transition(boss, case, "assign_legal_aid", lawyer=volunteer.pk)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "legal_aid"
    assert response.json()["legal_aid_by"]["id"] == volunteer.pk


def test_resolve_then_close(volunteer, boss):
    case = advance(case_in_state("accepted"), ("assign_legal_aid", {"lawyer": volunteer}))
    response = post_transition(
        volunteer, case, "resolve", outcome="mediated", amount_recovered="2800.50", outcome_detail="调解结案"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "resolved"
    assert body["outcome"] == "mediated"
    assert body["amount_recovered"] == "2800.50"
    assert post_transition(boss, case, "close").json()["state"] == "closed"


def test_reopen(boss):
    case = case_in_state("closed")
    response = post_transition(boss, case, "reopen", reason="当事人提交新证据")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "screening"
    assert journal.events_for(case).last().payload == {"reason": "当事人提交新证据"}


@pytest.mark.parametrize("start, name, body, target", [
    ("accepted", "provide_consultation", {}, "consulting"),
    ("accepted", "refer_to_mediation", {"mediator_organisation": "org"}, "in_mediation"),
    ("accepted", "refer_to_arbitration", {"commission": "厦门市劳动人事争议仲裁委员会"}, "in_arbitration"),
    ("in_arbitration", "file_lawsuit", {"court": "org"}, "in_litigation"),
])
def test_routing_transitions(boss, start, name, body, target):
    case = case_in_state(start)
    body = {k: make_organisation(kind=Organisation.Kind.COURT).pk if v == "org" else v for k, v in body.items()}
    response = post_transition(boss, case, name, **body)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == target


def test_events_list_the_journal_in_order(officer):
    case = make_case()
    for name in ("start_screening", "accept", "provide_consultation"):
        assert post_transition(officer, case, name, comment=f"做 {name}").status_code == 200

    response = client_for(officer).get(f"{CASES}{case.pk}/events/")
    assert response.status_code == 200
    events = response.json()
    assert [e["transition"] for e in events] == ["create", "start_screening", "accept", "provide_consultation"]
    assert [(e["from_state"], e["to_state"]) for e in events[1:]] == [
        ("received", "screening"), ("screening", "accepted"), ("accepted", "consulting"),
    ]
    assert events[1]["actor_name"] == officer.username
    assert events[1]["comment"] == "做 start_screening"
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert set(events[0]) == {
        "id", "transition", "from_state", "to_state", "actor_name", "created_at", "comment", "payload",
        "hash", "previous_hash",
    }
    assert all(len(e["hash"]) == 64 for e in events)


# --------------------------------------------------------------------------------------------------
# Transitions: refusals (and nothing half-written)
# --------------------------------------------------------------------------------------------------


def test_unknown_transition_is_404(boss):
    case = case_in_state("screening")
    before = snapshot(case)
    assert post_transition(boss, case, "teleport").status_code == 404
    assert post_transition(boss, case, "save").status_code == 404
    assert snapshot(case) == before


def test_transition_from_the_wrong_state_is_409_with_state_and_allowed(officer):
    case = case_in_state("screening")
    before = snapshot(case)
    response = post_transition(officer, case, "resolve", outcome="settled", amount_recovered="1.00")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["detail"]
    assert body["state"] == "screening"
    assert set(body["allowed"]) == {"accept", "reject"}
    assert "unmet_conditions" not in body
    assert snapshot(case) == before


def test_accept_without_respondents_is_409_with_unmet_conditions(officer):
    case = advance(make_case(respondents=[]), "start_screening")
    before = snapshot(case)
    response = post_transition(officer, case, "accept")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["state"] == "screening"
    assert body["unmet_conditions"]
    assert "accept" not in body["allowed"]
    assert "reject" in body["allowed"]
    assert snapshot(case) == before


def test_reject_without_reason_is_400(officer):
    case = case_in_state("screening")
    before = snapshot(case)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = post_transition(officer, case, "reject", **body)
        assert response.status_code == 400, body
        assert "reason" in response.json()
    assert snapshot(case) == before


def test_resolve_with_negative_amount_is_400(boss):
    case = case_in_state("consulting")
    before = snapshot(case)
    response = post_transition(boss, case, "resolve", outcome="settled", amount_recovered="-5.00")
    assert response.status_code == 400
    assert "amount_recovered" in response.json()
    assert snapshot(case) == before


def test_assign_legal_aid_to_a_conflicted_lawyer_is_400(boss):
    respondent = make_organisation()
    conflicted = make_user(Role.LAWYER, acts_for=[respondent])
    case = case_in_state("accepted", respondents=[respondent])
    before = snapshot(case)
    response = post_transition(boss, case, "assign_legal_aid", lawyer=conflicted.pk)
    assert response.status_code == 400
    assert "lawyer" in response.json()
    assert respondent.name in response.json()["lawyer"][0]
    assert snapshot(case) == before
    case.refresh_from_db()
    assert case.legal_aid_by is None


def test_assign_legal_aid_to_an_unknown_user_is_400(boss):
    case = case_in_state("accepted")
    response = post_transition(boss, case, "assign_legal_aid", lawyer=987654)
    assert response.status_code == 400
    assert "lawyer" in response.json()


def _expired_case():
    two_years_ago = TODAY() - datetime.timedelta(days=730)
    return case_in_state("screening", infringement_known_on=two_years_ago, employment_ended_on=two_years_ago)


def test_accept_with_expired_limitation_needs_an_override(officer):
    case = _expired_case()
    before = snapshot(case)
    response = post_transition(officer, case, "accept")
    assert response.status_code == 400
    assert "override_limitation" in response.json()
    assert snapshot(case) == before


def test_limitation_override_by_a_non_supervisor_is_403(officer):
    case = _expired_case()
    before = snapshot(case)
    response = post_transition(officer, case, "accept", override_limitation=True, override_reason="曾向单位主张")
    assert response.status_code == 403
    assert snapshot(case) == before


def test_limitation_override_by_a_supervisor(boss):
    case = _expired_case()
    response = post_transition(boss, case, "accept", override_limitation=True, override_reason="曾向单位书面主张，时效中断")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "accepted"
    assert response.json()["limitation_overridden"] is True


def test_volunteer_calling_a_transition_they_may_not_is_403(volunteer):
    case = advance(
        case_in_state("accepted"),
        ("assign_legal_aid", {"lawyer": volunteer}),
        ("resolve", {"outcome": "settled", "amount_recovered": Decimal("10")}),
    )
    before = snapshot(case)
    response = post_transition(volunteer, case, "close")
    assert response.status_code == 403
    assert snapshot(case) == before


def test_a_stale_write_is_409_conflict(officer, boss, monkeypatch):
    """Someone rejects the case between our read and our write: ours is refused, theirs stands."""
    case = case_in_state("screening")

    accept = services.accept

    def accept_after_someone_else_rejected(*, case, actor, **kwargs):
        services.reject(case=Case.objects.get(pk=case.pk), actor=boss, reason="同时被驳回")
        return accept(case=case, actor=actor, **kwargs)

    monkeypatch.setattr(services, "accept", accept_after_someone_else_rejected)
    response = post_transition(officer, case, "accept")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    case.refresh_from_db()
    assert case.state == "rejected"
    assert [e.transition for e in journal.events_for(case)][-1] == "reject"
