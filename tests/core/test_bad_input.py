"""Bad input gets a 4xx with field errors, never a 500, and writes nothing (issue 11, item 2).

Each reproduction of the outside probe is here: JSON nested 100,000 deep (API and a referral-list
file), `employment_ended_on: "9999-12-31"`, `received_on: "0001-01-01"`, a limitation interrupted
in the future, names made only of zero-width or bidirectional control characters, bodies larger
than their path takes (API, uploads, the public /verify/ page). Then properties (hypothesis) of the
rules in core/limits.py and of the services that use them.
"""

import datetime
import json
import unicodedata
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hyp_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from casework import services as casework
from casework.models import Case
from core import journal, limits
from core import services as parties
from core.inputs import form_for
from core.models import Event, NumberSequence, Organisation, Worker, resident_id_digest
from core.roles import Role
from core.transitions import declaration
from mediation import importers
from mediation import services as mediation_services
from mediation.models import Agreement, Extension, Mediation
from tests.mediation.helpers import make_court, make_referral, mediation_in_state
from tests.scenarios import case_in_state, make_case, make_organisation, make_user, make_worker, supervisor, valid_resident_id

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
WORKERS = "/api/v1/workers/"
ORGS = "/api/v1/organisations/"
MEDIATIONS = "/api/v1/mediations/"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def today():
    return timezone.localdate()


def days(n):
    return datetime.timedelta(days=n)


def client_for(user) -> APIClient:
    client = APIClient(raise_request_exception=False)  # a 500 is an answer to assert on, not an exception
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def counts():
    """The rows a refused request must not have written."""
    return {
        "cases": Case.objects.count(), "mediations": Mediation.objects.count(), "workers": Worker.objects.count(),
        "organisations": Organisation.objects.count(), "events": Event.objects.count(),
        "agreements": Agreement.objects.count(), "extensions": Extension.objects.count(),
        "sequences": NumberSequence.objects.count(),
    }


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def case_body(**extra):
    worker, respondent = make_worker(), make_organisation()
    return {"title": "拖欠配送费", "channel": "walk_in", "claimants": [worker.pk], "respondents": [respondent.pk],
            "categories": ["unpaid_pay"], **extra}


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


# --------------------------------------------------------------------------------------------------
# JSON nesting depth: the API and referral-list files
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CASES, WORKERS, ORGS, MEDIATIONS])
def test_json_nested_100000_deep_is_400_not_a_recursion_error(url):
    before = counts()
    response = client_for(supervisor()).post(url, data=nested(100_000), content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "嵌套过深" in response.json()["detail"]
    assert str(django_settings.WEIQUAN_JSON_MAX_DEPTH) in response.json()["detail"]
    assert counts() == before


def test_json_nested_deep_on_a_transition_is_400_and_the_case_does_not_move():
    case = case_in_state("screening")
    events = journal.events_for(case).count()
    body = '{"reason": ' + nested(5_000) + "}"
    response = client_for(supervisor()).post(f"{CASES}{case.pk}/transitions/reject/", data=body, content_type="application/json")
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == "screening"
    assert journal.events_for(case).count() == events


def test_json_just_within_the_depth_limit_is_parsed(settings):
    settings.WEIQUAN_JSON_MAX_DEPTH = 4
    depth_4 = {"title": "拖欠配送费", "x": [[[1]]]}  # object + three arrays: four levels
    assert limits.loads_json(json.dumps(depth_4)) == depth_4
    with pytest.raises(limits.JSONTooDeep):
        limits.loads_json(json.dumps({"x": [[[[1]]]]}))
    # Brackets inside strings are text, not nesting.
    assert limits.loads_json(json.dumps({"name": "[[[[[[[[{{{{"})) == {"name": "[[[[[[[[{{{{"}


def test_malformed_json_is_still_a_400_with_where_it_broke():
    response = client_for(supervisor()).post(CASES, data='{"title": ', content_type="application/json")
    assert response.status_code == 400
    assert "JSON 格式错误" in response.json()["detail"]


def test_referral_list_nested_100000_deep_is_a_file_error():
    court = make_court()
    before = counts()
    with pytest.raises(ValidationError) as raised:
        importers.import_referrals(actor=supervisor(), data=nested(100_000).encode(), filename="list.json", court=court)
    assert "嵌套过深" in raised.value.message_dict["file"][0]
    assert counts() == before


def test_referral_list_nested_deep_through_the_api_is_400_on_file():
    court = make_court()
    before = counts()
    upload = SimpleUploadedFile("list.json", ('{"referrals": ' + nested(100_000) + "}").encode(), content_type="application/json")
    response = client_for(supervisor()).post(f"{MEDIATIONS}import/", {"file": upload, "court": court.pk}, format="multipart")
    assert response.status_code == 400
    assert "嵌套过深" in response.json()["file"][0]
    assert counts() == before


# --------------------------------------------------------------------------------------------------
# Dates: one range rule
# --------------------------------------------------------------------------------------------------


def test_employment_ended_in_year_9999_is_400_on_the_field_not_a_calendar_overflow():
    body = case_body(employment_ended_on="9999-12-31")
    before = counts()
    response = client_for(supervisor()).post(CASES, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["employment_ended_on"]
    assert "9999-12-31" in response.json()["employment_ended_on"][0]
    assert "晚于今天" in response.json()["employment_ended_on"][0]
    assert counts() == before


def test_the_service_itself_refuses_year_9999_whoever_calls_it():
    worker, respondent = make_worker(), make_organisation()
    before = counts()
    with pytest.raises(ValidationError) as raised:
        casework.create_case(actor=supervisor(), title="拖欠配送费", channel="walk_in", claimants=[worker],
                             respondents=[respondent], categories=["unpaid_pay"],
                             employment_ended_on=datetime.date(9999, 12, 31))
    assert set(raised.value.message_dict) == {"employment_ended_on"}
    assert counts() == before


def test_received_on_year_1_is_refused_and_no_case_wq_1_is_numbered():
    body = case_body(received_on="0001-01-01")
    before = counts()
    response = client_for(supervisor()).post(CASES, body, format="json")
    assert response.status_code == 400
    message = response.json()["received_on"][0]
    assert "0001-01-01" in message and "1950-01-01" in message
    assert counts() == before
    assert not Case.objects.filter(number__startswith="WQ-1-").exists()
    assert not NumberSequence.objects.filter(prefix="WQ", year=1).exists()


def test_a_limitation_interrupted_in_the_future_is_refused():
    body = case_body(limitation_interrupted_on=str(today() + days(1)))
    before = counts()
    response = client_for(supervisor()).post(CASES, body, format="json")
    assert response.status_code == 400
    assert "晚于今天" in response.json()["limitation_interrupted_on"][0]
    assert counts() == before


@pytest.mark.parametrize("field", ["received_on", "infringement_known_on", "employment_ended_on", "limitation_interrupted_on"])
def test_every_date_of_a_case_is_in_range(field):
    client = client_for(supervisor())
    for bad in ("1949-12-31", str(today() + days(1))):
        response = client.post(CASES, case_body(**{field: bad}), format="json")
        assert response.status_code == 400, (field, bad)
        assert field in response.json()
    for good in ("1950-01-01", str(today())):
        response = client.post(CASES, case_body(**{field: good}), format="json")
        assert response.status_code == 201, (field, good, response.json())


def test_correcting_a_case_checks_the_dates_too():
    case = make_case()
    before = (case.employment_ended_on, case.limitation_ends_on, journal.events_for(case).count())
    with pytest.raises(ValidationError) as raised:
        casework.edit_case(case=case, actor=supervisor(), changes={"employment_ended_on": datetime.date(9999, 12, 31)})
    assert "employment_ended_on" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        casework.edit_case(case=case, actor=supervisor(), changes={"received_on": None})
    assert "received_on" in raised.value.message_dict
    case.refresh_from_db()
    assert (case.employment_ended_on, case.limitation_ends_on, journal.events_for(case).count()) == before


def test_mediation_acceptance_date_in_year_1_or_tomorrow_is_refused():
    m = make_referral(referred_on=today() - days(5))
    client = client_for(supervisor())
    before = counts()
    for bad in ("0001-01-01", str(today() + days(1))):
        response = client.post(f"{MEDIATIONS}{m.pk}/transitions/accept/", {"accepted_on": bad}, format="json")
        assert response.status_code == 400, bad
        assert "accepted_on" in response.json()
    assert counts() == before
    m.refresh_from_db()
    assert m.state == "referred" and m.accepted_on is None


def test_the_acceptance_page_says_the_same_as_the_api():
    m = make_referral(referred_on=today() - days(5))
    form_class = form_for("AcceptForm", declaration(m, "accept").inputs)
    form = form_class(data={"accepted_on": "0001-01-01"}, subject=m)
    assert not form.is_valid()
    assert "1950-01-01" in form.errors["accepted_on"][0]


def test_consent_dates_in_the_future_or_before_1950_are_refused():
    m = mediation_in_state("in_progress")
    client = client_for(supervisor())
    before = counts()
    for bad in ("1900-01-01", str(today() + days(1))):
        response = client.post(f"{MEDIATIONS}{m.pk}/transitions/extend/", {
            "days": 5, "claimant_consent_on": bad, "respondent_consent_on": str(today()),
        }, format="json")
        assert response.status_code == 400, bad
        assert "claimant_consent_on" in response.json()
    assert counts() == before


def test_an_agreement_dated_far_ahead_is_refused_not_counted():
    m = mediation_in_state("in_progress")
    client = client_for(supervisor())
    before = counts()
    far = str(datetime.date(9999, 12, 31))
    for extra in ({"effective_on": far},
                  {"instalments": [{"due_on": far, "amount": "12000.00"}]}):
        body = {"total": "12000.00", "basis": "compensation", "signed_on": str(today()),
                "instalments": [{"due_on": str(today() + days(30)), "amount": "12000.00"}], **extra}
        response = client.post(f"{MEDIATIONS}{m.pk}/transitions/reach_agreement/", body, format="json")
        assert response.status_code == 400, extra
        field = next(iter(extra))
        assert field in response.json()
        assert "9999-12-31" in str(response.json()[field])
    assert counts() == before
    # A due date ahead within the plausible range is fine.
    body = {"total": "12000.00", "basis": "compensation", "signed_on": str(today()),
            "instalments": [{"due_on": str(today() + days(365)), "amount": "12000.00"}]}
    assert client.post(f"{MEDIATIONS}{m.pk}/transitions/reach_agreement/", body, format="json").status_code == 200


def test_a_referral_row_dated_year_1_is_refused_with_its_reason():
    court = make_court()
    row = {"court": court.name, "court_case_number": "（2026）测1号", "source": "诉前", "referred_on": "0001-01-01",
           "claimants": [{"name": "陈志强", "id_number": valid_resident_id(901)}], "respondents": [{"name": "云帆出行有限公司"}],
           "claims": [{"description": "支付报酬", "amount": "100"}]}
    before = counts()
    report = importers.import_referrals(actor=supervisor(), data=json.dumps([row]).encode(), filename="list.json")
    assert report.refused == 1
    assert any("1950-01-01" in r for r in report.rows[0].reasons)
    assert counts() == before


def test_a_payment_dated_before_1950_is_refused():
    m = mediation_in_state("agreed")
    before = counts()
    response = client_for(supervisor()).post(f"{MEDIATIONS}{m.pk}/payments/", {"amount": "100.00", "paid_on": "1900-01-01"}, format="json")
    assert response.status_code == 400
    assert "paid_on" in response.json()
    assert counts() == before


# --------------------------------------------------------------------------------------------------
# Names and texts: control and format characters
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [ZERO_WIDTH, BIDI, ZERO_WIDTH + " " + BIDI, "\u3164\u3164", "\x00\x07"])
def test_a_worker_named_only_with_invisible_characters_is_refused(name):
    before = counts()
    response = client_for(supervisor()).post(WORKERS, {"name": name, "id_number": valid_resident_id(777), "occupation": "rider"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert "不可见字符" in response.json()["name"][0]
    assert counts() == before


def test_the_registration_service_refuses_it_too():
    with pytest.raises(ValidationError) as raised:
        parties.register_worker(actor=supervisor(), name=BIDI, id_number=valid_resident_id(778), occupation="rider")
    assert "不可见字符" in raised.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as raised:
        parties.register_organisation(actor=supervisor(), name=ZERO_WIDTH, kind="platform")
    assert "不可见字符" in raised.value.message_dict["name"][0]


def test_control_characters_are_taken_out_of_a_name_that_has_letters():
    response = client_for(supervisor()).post(WORKERS, {
        "name": "\u202e陈\u200b志强\u2066", "id_number": valid_resident_id(779), "occupation": "rider"}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "陈志强"
    assert Worker.objects.get(pk=response.json()["id"]).name == "陈志强"


def test_an_organisation_named_only_with_invisible_characters_is_refused():
    before = counts()
    response = client_for(supervisor()).post(ORGS, {"name": BIDI, "kind": "platform"}, format="json")
    assert response.status_code == 400
    assert "不可见字符" in response.json()["name"][0]
    assert counts() == before


def test_a_case_titled_only_with_invisible_characters_is_refused():
    before_body = case_body(title=ZERO_WIDTH)
    before = counts()
    response = client_for(supervisor()).post(CASES, before_body, format="json")
    assert response.status_code == 400
    assert "不可见字符" in response.json()["title"][0]
    assert counts() == before


def test_multiline_text_keeps_its_lines_and_tabs_but_loses_the_controls():
    case = case_in_state("screening")
    response = client_for(supervisor()).post(f"{CASES}{case.pk}/transitions/reject/", {
        "reason": "第一行\u202e\r\n\t第二行\u200b\x00"}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.rejection_reason == "第一行\n\t第二行"


def test_a_reason_made_of_invisible_characters_is_refused():
    case = case_in_state("screening")
    response = client_for(supervisor()).post(f"{CASES}{case.pk}/transitions/reject/", {"reason": BIDI + "\n"}, format="json")
    assert response.status_code == 400
    assert "不可见字符" in response.json()["reason"][0]
    case.refresh_from_db()
    assert case.state == "screening"


def test_a_referral_claimant_named_with_invisible_characters_is_refused():
    court = make_court()
    before = counts()
    response = client_for(supervisor()).post(MEDIATIONS, {
        "source": "court_pre_suit", "court": court.pk, "court_case_number": "（2026）测2号",
        "claimants": [{"name": ZERO_WIDTH, "id_number": valid_resident_id(780)}],
        "respondents": [{"name": "云帆出行有限公司"}], "claims": [{"description": "支付报酬"}],
    }, format="json")
    assert response.status_code == 400
    assert "不可见字符" in str(response.json())
    assert counts() == before


def test_import_rows_with_invisible_names_are_refused_and_good_rows_kept():
    court = make_court()
    rows = [
        {"court": court.name, "court_case_number": f"（2026）测{n}号", "source": "诉前", "referred_on": str(today() - days(3)),
         "claimants": [{"name": name, "id_number": valid_resident_id(800 + n)}],
         "respondents": [{"name": respondent}], "claims": [{"description": "支付报酬", "amount": "100"}]}
        for n, (name, respondent) in enumerate([("陈志强", "云帆出行有限公司"), (BIDI, "云帆出行有限公司"),
                                                 ("李四", ZERO_WIDTH), ("王\u200b五", "云帆\u202e出行有限公司")])
    ]
    report = importers.import_referrals(actor=supervisor(), data=json.dumps(rows).encode(), filename="list.json")
    by_row = {r.row: r for r in report.rows}
    assert [by_row[n].status for n in (1, 2, 3, 4)] == ["created", "refused", "refused", "created"]
    assert "不可见字符" in by_row[2].reasons[0] and "不可见字符" in by_row[3].reasons[0]
    assert Worker.objects.filter(name="王五").exists()
    assert Organisation.objects.filter(name="云帆出行有限公司").count() == 1  # the cleaned name is the same company


def test_session_attendees_and_minutes_are_cleaned():
    m = mediation_in_state("in_progress")
    response = client_for(supervisor()).post(f"{MEDIATIONS}{m.pk}/sessions/", {
        "held_at": timezone.now().isoformat(), "mode": "on_site", "attendees": [BIDI], "minutes": "笔录",
    }, format="json")
    assert response.status_code == 400
    assert "attendees" in response.json()


# --------------------------------------------------------------------------------------------------
# Size limits, checked before the body is read
# --------------------------------------------------------------------------------------------------


def test_a_json_body_larger_than_the_limit_is_a_json_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps(case_body(facts="事" * 2000))
    before = counts()
    response = client_for(supervisor()).post(CASES, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_too_large"
    assert "上限" in response.json()["detail"]
    assert counts() == before


def test_an_api_body_declared_larger_than_the_limit_is_refused_unread():
    client = APIClient()
    client.force_authenticate(supervisor())
    response = client.generic("POST", CASES, data=b"{}", content_type="application/json",
                              CONTENT_LENGTH=str(100 * 1024 * 1024), **{"wsgi.input": Unreadable()})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_an_evidence_upload_larger_than_the_limit_is_refused_unread(settings):
    case = make_case()
    client = APIClient()
    client.force_authenticate(supervisor())
    size = settings.WEIQUAN_UPLOAD_MAX_BYTES + limits.MULTIPART_SLACK + 1
    response = client.generic("POST", f"{CASES}{case.pk}/evidence/", data=b"x", content_type="multipart/form-data; boundary=b",
                              CONTENT_LENGTH=str(size), **{"wsgi.input": Unreadable()})
    assert response.status_code == 413
    assert case.evidence.count() == 0


def test_a_100_mib_post_to_the_public_verify_page_is_refused_unread():
    response = Client().generic("POST", "/verify/ABCD1234", data=b"x", content_type="multipart/form-data; boundary=b",
                                CONTENT_LENGTH=str(100 * 1024 * 1024), **{"wsgi.input": Unreadable()})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "上限" in response.content.decode()


def test_the_verify_page_still_takes_a_pdf_within_the_limit():
    upload = SimpleUploadedFile("doc.pdf", b"%PDF-1.7 not ours", content_type="application/pdf")
    response = Client().post("/verify/ABCD1234", {"file": upload})
    assert response.status_code == 404  # no such code: a normal answer, the body within the limit


def test_body_limits_per_path(settings):
    assert limits.body_limit("/api/v1/cases/", "application/json") == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limits.body_limit("/api/v1/cases/1/evidence/", "multipart/form-data; boundary=x") == \
        settings.WEIQUAN_UPLOAD_MAX_BYTES + limits.MULTIPART_SLACK
    assert limits.body_limit("/verify/X", "multipart/form-data; boundary=x") == \
        settings.WEIQUAN_VERIFY_UPLOAD_MAX_BYTES + limits.MULTIPART_SLACK


# --------------------------------------------------------------------------------------------------
# Properties (hypothesis): the rules, and the services that use them
# --------------------------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(list(ZERO_WIDTH + BIDI + "\n\t\r\x00\u2028\u3164\ud800")), max_size=40)
ANY_DATE = st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))
PROPERTY = hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(text=ANY_TEXT, multiline=st.booleans())
def test_cleaned_text_has_no_control_or_format_characters(text, multiline):
    cleaned = limits.clean_text(text, multiline=multiline)
    allowed = {"\n", "\t"} if multiline else set()
    assert all(ch in allowed or unicodedata.category(ch) not in ("Cc", "Cf", "Cs") for ch in cleaned)
    assert limits.clean_text(cleaned, multiline=multiline) == cleaned  # idempotent
    assert cleaned == cleaned.strip()


@given(text=ANY_TEXT)
def test_visible_text_is_refused_or_visible(text):
    try:
        result = limits.visible_text("name", text, required_message="请填写姓名。")
    except ValidationError as exc:
        assert list(exc.message_dict) == ["name"]
    else:
        assert limits.has_visible(result)


@given(day=ANY_DATE)
def test_a_past_date_is_fine_exactly_from_1950_to_today(day):
    fine = limits.date_problem(day, past=True) is None
    assert fine == (datetime.date(1950, 1, 1) <= day <= today())


@given(day=ANY_DATE)
def test_a_date_ahead_is_fine_up_to_the_years_ahead(day):
    fine = limits.date_problem(day, past=False) is None
    assert fine == (datetime.date(1950, 1, 1) <= day <= limits.latest_date())


@given(depth=st.integers(min_value=0, max_value=60), limit=st.integers(min_value=1, max_value=40),
       noise=st.text(alphabet='[]{}"\\x', max_size=10))
def test_json_depth_is_counted_outside_strings(depth, limit, noise):
    value = {"s": noise}
    for _ in range(depth):
        value = [value]
    text = json.dumps(value)
    assert limits.json_depth_exceeds(text, limit) == (depth + 1 > limit)


@PROPERTY
@given(name=ANY_TEXT)
def test_worker_registration_stores_a_clean_visible_name_or_says_why_not(name):
    seed = abs(hash(name)) % 900 + 1
    id_number = valid_resident_id(seed, born=datetime.date(1985, 1, 1) + datetime.timedelta(days=seed))
    Worker.objects.filter(id_number_digest=resident_id_digest(id_number)).delete()
    before = Worker.objects.count()
    try:
        worker = parties.register_worker(actor=supervisor(), name=name, id_number=id_number, occupation="rider")
    except ValidationError as exc:
        assert set(exc.message_dict) <= {"name"}
        assert Worker.objects.count() == before
    else:
        assert worker.name == limits.clean_text(name) and limits.has_visible(worker.name)
        assert Worker.objects.count() == before + 1


@PROPERTY
@given(ended=ANY_DATE, received=ANY_DATE, title=ANY_TEXT)
def test_case_intake_never_fails_but_with_a_field_error(ended, received, title):
    worker, respondent = Worker.objects.first() or make_worker(), Organisation.objects.filter(kind="platform").first() or make_organisation()
    before = counts()
    try:
        case = casework.create_case(actor=supervisor(), title=title, channel="walk_in", claimants=[worker],
                                    respondents=[respondent], categories=["unpaid_pay"],
                                    employment_ended_on=ended, received_on=received)
    except ValidationError as exc:
        assert set(exc.message_dict) <= {"title", "employment_ended_on", "received_on"}
        assert counts() == before
    else:
        assert datetime.date(1950, 1, 1) <= case.received_on <= today()
        assert datetime.date(1950, 1, 1) <= case.employment_ended_on <= today()
        assert limits.has_visible(case.title)


@PROPERTY
@given(accepted=ANY_DATE)
def test_mediation_acceptance_never_fails_but_with_a_field_error(accepted):
    m = make_referral(referred_on=today() - days(400), claimants=[{"name": "陈志强", "id_number": valid_resident_id(950)}])
    before = journal.events_for(m).count()
    try:
        mediation_services.accept(mediation=m, actor=supervisor(), accepted_on=accepted)
    except ValidationError as exc:
        assert list(exc.message_dict) == ["accepted_on"]
        m.refresh_from_db()
        assert m.state == "referred" and journal.events_for(m).count() == before
    else:
        assert today() - days(400) <= accepted <= today()
        assert m.deadline is not None
