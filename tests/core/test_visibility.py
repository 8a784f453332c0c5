"""Who sees what: one rule per role (core.selectors.visible_workers / visible_organisations,
each module's visibility filter), the same in lists, details, look-ups, the admin and the pages;
assignments checked for the role they need; a court's liaison learns nothing of the union's
intake file. The role × endpoint table at the end says every status, for a reader to check."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from casework import services as casework
from casework.models import Case
from core.errors import TransitionRefused
from core.models import Worker
from core.roles import Role
from mediation.services import opened_for
from tests.mediation.helpers import make_court
from tests.scenarios import case_in_state, make_case, make_organisation, make_user, make_worker, supervisor

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def two_cases():
    """A case given to a volunteer, one handled by a lawyer, and one neither holds."""
    volunteer, lawyer = make_user(Role.LEGAL_AID_VOLUNTEER), make_user(Role.LAWYER)
    aided = case_in_state("accepted")
    casework.assign_legal_aid(case=aided, actor=supervisor(), lawyer=volunteer)
    handled = make_case(handler=lawyer)
    neither = make_case()
    return {"volunteer": volunteer, "lawyer": lawyer, "aided": aided, "handled": handled, "neither": neither}


def claimant(case) -> Worker:
    return case.claimants.get()


# --------------------------------------------------------------------------------------------------
# The workers' register
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, holds", [("volunteer", "aided"), ("lawyer", "handled")])
def test_a_lawyer_or_volunteer_sees_only_the_workers_of_the_cases_they_hold(two_cases, who, holds):
    person, mine, other = two_cases[who], claimant(two_cases[holds]), claimant(two_cases["neither"])
    client = api_as(person)
    assert ids(client.get("/api/v1/workers/")) == {mine.pk}
    assert client.get(f"/api/v1/workers/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/workers/{other.pk}/").status_code == 404
    # look-ups by identity find nothing outside what they hold
    assert ids(client.get("/api/v1/workers/", {"phone": other.phone})) == set()
    assert ids(client.get("/api/v1/workers/", {"search": other.name})) == set()
    assert ids(client.get("/api/v1/workers/", {"phone": mine.phone})) == {mine.pk}


def test_intake_sees_the_whole_register(two_cases):
    everyone = {claimant(two_cases[c]).pk for c in ("aided", "handled", "neither")}
    assert everyone <= ids(api_as(make_user(Role.INTAKE_OFFICER)).get("/api/v1/workers/", {"page_size": 100}))


def test_the_web_look_up_and_the_admin_apply_the_same_rule(two_cases):
    volunteer, mine, other = two_cases["volunteer"], claimant(two_cases["aided"]), claimant(two_cases["neither"])
    web = Client()
    web.force_login(volunteer)
    url = reverse("casework:cases:lookup_worker")
    assert web.get(url, {"q": other.phone}).json()["found"] is False
    assert web.get(url, {"q": mine.phone}).json()["worker"]["id"] == mine.pk
    request = RequestFactory().get("/admin/core/worker/")
    request.user = volunteer
    assert set(admin.site._registry[Worker].get_queryset(request)) == {mine}
    request.user = make_user(Role.SUPERVISOR)
    assert {mine, other} <= set(admin.site._registry[Worker].get_queryset(request))


def test_a_company_contact_sees_only_their_own_company():
    own, other = make_organisation(), make_organisation()
    contact = make_user(Role.COMPANY_CONTACT, organisation=own)
    client = api_as(contact)
    assert ids(client.get("/api/v1/organisations/")) == {own.pk}
    assert client.get(f"/api/v1/organisations/{other.pk}/").status_code == 404
    # union staff keep the register
    assert {own.pk, other.pk} <= ids(api_as(make_user(Role.INTAKE_OFFICER)).get("/api/v1/organisations/",
                                                                               {"page_size": 100}))


# --------------------------------------------------------------------------------------------------
# Assignments: the role the work needs, wherever someone is named
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COMPANY_CONTACT, Role.COURT_LIAISON, Role.LEGAL_AID_VOLUNTEER, Role.AUDITOR])
def test_a_case_handler_must_be_casework_staff_at_intake_and_in_a_correction(role):
    outsider = make_user(role, organisation=make_organisation())
    with pytest.raises(ValidationError) as refused:
        make_case(handler=outsider)
    assert "handler" in refused.value.message_dict
    case = make_case()
    with pytest.raises(ValidationError) as refused:
        casework.edit_case(case=case, actor=supervisor(), changes={"handler": outsider})
    assert "handler" in refused.value.message_dict
    case.refresh_from_db()
    assert case.handler != outsider


def test_the_api_refuses_a_company_contact_as_handler_with_a_field_error():
    contact = make_user(Role.COMPANY_CONTACT, organisation=make_organisation())
    worker = make_worker()
    before = Case.objects.count()
    response = api_as(supervisor()).post("/api/v1/cases/", {
        "title": "拖欠配送费", "channel": "walk_in", "claimants": [worker.pk], "respondents": [make_organisation().pk],
        "categories": ["unpaid_pay"], "handler": contact.pk}, format="json")
    assert response.status_code == 400 and "handler" in response.json()
    assert Case.objects.count() == before


def test_evidence_is_not_added_to_a_closed_case():
    case = case_in_state("closed")
    upload = SimpleUploadedFile("工资条.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    with pytest.raises(TransitionRefused):
        casework.add_evidence(case=case, actor=supervisor(), file=upload)
    upload.seek(0)
    response = api_as(supervisor()).post(f"/api/v1/cases/{case.pk}/evidence/", {"file": upload}, format="multipart")
    assert response.status_code == 409
    assert not case.evidence.exists()


# --------------------------------------------------------------------------------------------------
# A court's liaison and the union's intake file
# --------------------------------------------------------------------------------------------------


def court_mediation_of_a_case():
    court = make_court()
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    case = case_in_state("accepted")
    casework.refer_to_mediation(case=case, actor=supervisor(), source="court_pre_suit", court=court,
                                court_case_number="（2026）测民诉前调1号")
    return case, opened_for(case).get(), liaison


def test_a_liaison_learns_nothing_of_the_intake_case():
    case, mediation, liaison = court_mediation_of_a_case()
    liaison_sees = api_as(liaison)
    detail = liaison_sees.get(f"/api/v1/mediations/{mediation.pk}/").json()
    assert detail["case"] is None
    assert [row["case"] for row in liaison_sees.get("/api/v1/mediations/").json()["results"]] == [None]
    events = liaison_sees.get(f"/api/v1/mediations/{mediation.pk}/events/").json()
    assert "linked" not in {e["transition"] for e in events}
    assert case.number not in str(events) and case.number not in str(detail)
    assert liaison_sees.get(f"/api/v1/cases/{case.pk}/").status_code in (403, 404)
    page = Client()
    page.force_login(liaison)
    assert case.number not in page.get(reverse("mediation:mediations:detail", args=[mediation.pk])).content.decode()
    # the union's staff see the link
    staff = api_as(supervisor())
    assert staff.get(f"/api/v1/mediations/{mediation.pk}/").json()["case"]["number"] == case.number
    assert case.number in str(staff.get(f"/api/v1/mediations/{mediation.pk}/events/").json())  # its first event names it
