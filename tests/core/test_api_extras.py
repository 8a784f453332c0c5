"""The API's own services (issue 11, item 5; core/api_extras.py): the token endpoint, `me`, the staff
work may be assigned to with their workload (each module's figures, core/workload.py), the legal
calendar (holidays of a year, a deadline with `provisional`) and verification in JSON."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from casework import services as casework
from core import documents, legal_calendar, limits, workload
from core.models import CalendarDay, Document, Organisation
from core.roles import Role
from tests.core.throttle_cache import fresh_cache  # noqa: F401  (fixture)
from tests.mediation.helpers import mediation_in_state
from tests.scenarios import case_in_state, make_organisation, make_user, supervisor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

PASSWORD = "pw-for-tests-1"


def _api(user=None):
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


# --------------------------------------------------------------------------------------------------
# Token
# --------------------------------------------------------------------------------------------------


def test_a_token_is_obtained_used_and_revoked():
    officer = make_user(Role.INTAKE_OFFICER)
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": officer.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    # Asking again gives the same token until it is revoked.
    again = api.post("/api/v1/auth/token/", {"username": officer.username, "password": PASSWORD}, format="json")
    assert again.json()["token"] == token

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == officer.username
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401
    assert api.delete("/api/v1/auth/token/").status_code == 401


@pytest.mark.parametrize("body,field", [
    ({}, "username"),
    ({"username": "someone"}, "password"),
])
def test_a_token_request_without_its_fields_is_a_400(body, field):
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_no_token_for_a_wrong_password_or_an_inactive_user():
    officer = make_user(Role.INTAKE_OFFICER)
    gone = make_user(Role.INTAKE_OFFICER, is_active=False)
    api = APIClient()
    for username, password in ((officer.username, "wrong"), (gone.username, PASSWORD), ("nobody", PASSWORD)):
        response = api.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["用户名或密码不正确。"]}


# --------------------------------------------------------------------------------------------------
# Me
# --------------------------------------------------------------------------------------------------


def test_me_says_who_i_am_with_roles_and_organisation():
    union = make_organisation(kind=Organisation.Kind.UNION, name="测试区总工会")
    lawyer = make_user(Role.LAWYER, organisation=union, first_name="明", last_name="周")
    lawyer.groups.add(Group.objects.get(name=Role.MEDIATOR))
    body = _api(lawyer).get("/api/v1/me/").json()
    assert body == {
        "id": lawyer.pk, "username": lawyer.username, "full_name": lawyer.get_full_name(), "email": lawyer.email,
        "roles": ["lawyer", "mediator"], "organisation": {"id": union.pk, "name": "测试区总工会", "kind": "union"},
        "is_superuser": False,
    }


def test_me_with_no_organisation_and_signed_out():
    contact = make_user(Role.COMPANY_CONTACT)
    assert _api(contact).get("/api/v1/me/").json()["organisation"] is None
    assert APIClient().get("/api/v1/me/").status_code == 401


# --------------------------------------------------------------------------------------------------
# Staff to assign work to
# --------------------------------------------------------------------------------------------------


def test_every_module_contributes_its_workload_figures():
    keys = {f.key for f in workload.figures()}
    assert {"cases_handled", "legal_aid_cases", "mediations_in_progress", "mediations_follow_up"} <= keys
    assert {f.key for f in workload.figures([Role.LEGAL_AID_VOLUNTEER])} == {"legal_aid_cases"}


def test_lawyers_with_their_legal_aid_cases_fewest_first():
    busy = make_user(Role.LAWYER, first_name="忙")
    free = make_user(Role.LAWYER, first_name="闲")
    volunteer = make_user(Role.LEGAL_AID_VOLUNTEER)
    make_user(Role.LAWYER, is_active=False)
    for _ in range(2):
        case = case_in_state("accepted")
        casework.assign_legal_aid(case=case, actor=supervisor(), lawyer=busy)
    closed = case_in_state("accepted")
    casework.assign_legal_aid(case=closed, actor=supervisor(), lawyer=free)
    casework.resolve(case=closed, actor=supervisor(), outcome="settled", amount_recovered="100.00")

    response = _api(supervisor()).get("/api/v1/staff/?role=lawyer")
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == [free.pk, busy.pk]  # active lawyers only, fewest in hand first
    assert rows[1]["workload"] == {"cases_handled": 0, "legal_aid_cases": 2} and rows[1]["total"] == 2
    assert rows[0]["workload"]["legal_aid_cases"] == 0  # a resolved case is no longer in hand
    assert rows[0]["roles"] == ["lawyer"]

    volunteers = _api(supervisor()).get("/api/v1/staff/?role=legal_aid_volunteer").json()
    assert [(r["id"], r["workload"]) for r in volunteers] == [(volunteer.pk, {"legal_aid_cases": 0})]


def test_mediators_with_their_mediations():
    mediation = mediation_in_state("in_progress")
    rows = {r["id"]: r for r in _api(supervisor()).get("/api/v1/staff/?role=mediator").json()}
    mine = rows[mediation.mediator_id]["workload"]
    assert mine["mediations_in_progress"] == 1 and mine["mediations_follow_up"] == 0
    assert "mediations_due_soon" in mine and "legal_aid_cases" not in mine
    assert rows[mediation.mediator_id]["total"] == 1 + mine["cases_handled"]


def test_staff_without_a_role_lists_union_staff_only():
    contact = make_user(Role.COMPANY_CONTACT)
    auditor = make_user(Role.AUDITOR)
    ids = {r["id"] for r in _api(supervisor()).get("/api/v1/staff/").json()}
    assert auditor.pk in ids and contact.pk not in ids


@pytest.mark.parametrize("role", [Role.COMPANY_CONTACT, Role.COURT_LIAISON])
def test_outside_users_may_not_list_staff(role):
    response = _api(make_user(role)).get("/api/v1/staff/?role=lawyer")
    assert response.status_code == 403 and "工会工作人员" in response.json()["detail"]


@pytest.mark.parametrize("role", ["company_contact", "nobody"])
def test_staff_of_an_unknown_or_outside_role_is_a_400(role):
    response = _api(supervisor()).get(f"/api/v1/staff/?role={role}")
    assert response.status_code == 400 and "role" in response.json()


# --------------------------------------------------------------------------------------------------
# The legal calendar
# --------------------------------------------------------------------------------------------------


def _weekday_on_or_after(day, weekday):
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def years():
    """Two years ahead without any seeded data: one staff fill in here, one left empty."""
    this = timezone.localdate().year
    kept, empty = this + 4, this + 5
    CalendarDay.objects.filter(date__year__in=[kept, empty]).delete()
    holiday = _weekday_on_or_after(datetime.date(kept, 10, 1), 2)  # a Wednesday
    make_up = _weekday_on_or_after(datetime.date(kept, 9, 20), 6)  # a Sunday worked
    CalendarDay.objects.create(date=holiday, name="测试假日")
    CalendarDay.objects.create(date=make_up, is_workday=True, name="测试调休")
    legal_calendar.clear_cache()
    return {"kept": kept, "empty": empty, "holiday": holiday, "make_up": make_up}


def test_holidays_of_a_year(years):
    body = _api(make_user(Role.INTAKE_OFFICER)).get(f"/api/v1/calendar/holidays/?year={years['kept']}").json()
    assert body == {"year": years["kept"], "provisional": False, "days": [
        {"date": years["make_up"].isoformat(), "is_workday": True, "name": "测试调休"},
        {"date": years["holiday"].isoformat(), "is_workday": False, "name": "测试假日"},
    ]}
    empty = _api(make_user(Role.INTAKE_OFFICER)).get(f"/api/v1/calendar/holidays/?year={years['empty']}").json()
    assert empty == {"year": years["empty"], "provisional": True, "days": []}


@pytest.mark.parametrize("query", ["", "?year=abc", "?year=10000", "?year=1066"])
def test_holidays_of_an_impossible_year_is_a_400(query):
    response = _api(make_user(Role.INTAKE_OFFICER)).get(f"/api/v1/calendar/holidays/{query}")
    assert response.status_code == 400 and "year" in response.json()


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day(years):
    holiday = years["holiday"]
    start = holiday - datetime.timedelta(days=15)
    body = _api(make_user(Role.MEDIATOR)).get(f"/api/v1/calendar/deadline/?start={start}&days=15").json()
    assert body == {"date": (holiday + datetime.timedelta(days=1)).isoformat(), "provisional": False}
    # A make-up workday is a working day: a period ending on it ends there.
    start = years["make_up"] - datetime.timedelta(days=10)
    body = _api(make_user(Role.MEDIATOR)).get(f"/api/v1/calendar/deadline/?start={start}&days=10").json()
    assert body == {"date": years["make_up"].isoformat(), "provisional": False}


def test_a_deadline_in_a_year_without_data_is_provisional(years):
    saturday = _weekday_on_or_after(datetime.date(years["empty"], 6, 1), 5)
    start = saturday - datetime.timedelta(days=15)
    body = _api(make_user(Role.MEDIATOR)).get(f"/api/v1/calendar/deadline/?start={start}&days=15").json()
    assert body == {"date": (saturday + datetime.timedelta(days=2)).isoformat(), "provisional": True}


def test_a_deadline_from_today():
    today = timezone.localdate()
    body = _api(make_user(Role.MEDIATOR)).get(f"/api/v1/calendar/deadline/?start={today}&days=15").json()
    expected = legal_calendar.deadline(today, 15)
    assert body == {"date": expected.date.isoformat(), "provisional": expected.provisional}


@pytest.mark.parametrize("query,field", [
    ("days=15", "start"),
    ("start=2026-12-01", "days"),
    ("start=9999-12-31&days=15", "start"),
    ("start=0001-01-01&days=15", "start"),
    ("start=2026-13-01&days=15", "start"),
    ("start={today}&days=-1", "days"),
    ("start={today}&days=100000", "days"),
])
def test_a_deadline_from_bad_input_is_a_400_never_a_500(query, field):
    query = query.format(today=timezone.localdate())
    response = _api(make_user(Role.MEDIATOR)).get(f"/api/v1/calendar/deadline/?{query}")
    assert response.status_code == 400 and field in response.json()


def test_the_latest_start_still_counts():
    latest = limits.latest_date()
    response = _api(make_user(Role.MEDIATOR)).get(f"/api/v1/calendar/deadline/?start={latest}&days=3660")
    assert response.status_code == 200 and response.json()["provisional"] is True


def test_the_calendar_needs_a_signed_in_user():
    assert APIClient().get("/api/v1/calendar/deadline/?start=2026-12-01&days=15").status_code == 401
    assert APIClient().get("/api/v1/calendar/holidays/?year=2027").status_code == 401


# --------------------------------------------------------------------------------------------------
# Verification in JSON
# --------------------------------------------------------------------------------------------------


def test_verify_a_document_in_json_without_signing_in(django_capture_on_commit_callbacks, settings):
    case = case_in_state("accepted")
    with django_capture_on_commit_callbacks(execute=True):
        document, _ = documents.request(case, "case_summary", actor=supervisor())
    document.refresh_from_db()
    assert document.status == Document.Status.READY

    typed = document.verification_code.lower()
    response = APIClient().get(f"/api/v1/verify/{typed[:4]}-{typed[4:]}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == document.verification_code and body["status"] == "ready"
    assert (body["kind"], body["number"], body["sha256"], body["version"]) == (
        "case_summary", document.number, document.sha256, 1)
    assert body["issuer"] == settings.WEIQUAN_ISSUING_ORGANISATION and body["newer_version"] is None
    assert body["pages"] == document.pages and body["size"] == document.size
    assert case.number not in response.content.decode().replace(document.number, "")  # nothing of the case

    with django_capture_on_commit_callbacks(execute=True):
        documents.request(case, "case_summary", actor=supervisor(), regenerate=True)
    assert APIClient().get(f"/api/v1/verify/{document.verification_code}/").json()["newer_version"]["version"] == 2


def test_verify_a_document_still_being_generated():
    case = case_in_state("accepted")
    document, _ = documents.request(case, "case_summary", actor=supervisor())  # rendered after commit: not yet
    body = APIClient().get(f"/api/v1/verify/{document.verification_code}/").json()
    assert body["status"] == "pending" and body["sha256"] is None and body["pages"] is None


def test_verify_an_unknown_code_in_json():
    response = APIClient().get("/api/v1/verify/ABCDEFGHJK/")
    assert response.status_code == 404 and "未找到" in response.json()["detail"]
