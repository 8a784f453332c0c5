"""The role × endpoint table: what each role gets from each collection, detail, transition,
upload, download and page, in one world (tests/core/test_role_matrix.py::world). Read a row as
"this request, by each role". 404 means "not among what you may see" (a detail outside your
visibility), 403 "you may see it but not do this" or "not your kind of list", 401 no sign-in.

The world: case A, given to the volunteer for legal aid and handled by the lawyer, referred to the
court's mediation M (mediated by the mediator, the court's liaison its outside user); case B,
which none of them holds; the company contact works for case B's respondent."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from casework import services as casework
from core import documents
from core.roles import Role
from mediation import services as mediation
from mediation.services import opened_for
from tests.mediation.helpers import make_court
from tests.scenarios import case_in_state, make_case, make_organisation, make_user, make_worker, supervisor

pytestmark = pytest.mark.django_db

ROLES = ["intake", "lawyer", "volunteer", "mediator", "supervisor", "auditor", "bargaining", "company", "liaison", "anon"]

# request                                       intake lawyer volunteer mediator supervisor auditor bargaining company liaison anon
MATRIX = """
GET  /api/v1/workers/                            200    200    200       200      200        403     403        403     403     401
GET  /api/v1/workers/{worker_a}/                 200    200    200       200      200        403     403        403     403     401
GET  /api/v1/workers/{worker_b}/                 200    404    404       200      200        403     403        403     403     401
POST /api/v1/workers/                            201    403    403       403      201        403     403        403     403     401
GET  /api/v1/organisations/                      200    200    200       200      200        200     200        200     200     401
GET  /api/v1/organisations/{respondent_a}/       200    200    200       200      200        200     200        404     200     401
GET  /api/v1/organisations/{respondent_b}/       200    200    200       200      200        200     200        200     200     401
GET  /api/v1/cases/                              200    200    200       200      200        200     200        200     200     401
GET  /api/v1/cases/{case_a}/                     200    200    200       200      200        404     404        404     404     401
GET  /api/v1/cases/{case_b}/                     200    200    404       200      200        404     404        404     404     401
GET  /api/v1/cases/{case_a}/events/              200    200    200       200      200        404     404        404     404     401
GET  /api/v1/cases/{case_a}/evidence/            200    200    200       200      200        404     404        404     404     401
POST /api/v1/cases/{case_b}/evidence/            201    403    404       403      201        404     404        404     404     401
POST /api/v1/cases/{case_b}/transitions/start_screening/ 200 403 404    403      200        404     404        404     404     401
GET  /api/v1/documents/{document_a}/download/    200    200    200       200      200        404     404        404     404     401
GET  /api/v1/mediations/                         200    200    200       200      200        200     200        200     200     401
GET  /api/v1/mediations/{mediation}/             200    200    404       200      200        404     404        404     200     401
GET  /api/v1/mediations/{mediation}/events/      200    200    404       200      200        404     404        404     200     401
GET  /api/v1/negotiations/                       200    200    200       200      200        200     200        200     200     401
GET  /api/v1/checkups/                           200    200    200       200      200        200     200        200     200     401
GET  /api/v1/staff/                              200    200    200       200      200        200     200        403     403     401
GET  /api/v1/me/                                 200    200    200       200      200        200     200        200     200     401
PAGE /casework/cases/                            200    200    200       200      200        403     403        403     403     302
PAGE /casework/cases/{case_a}/                   200    200    200       200      200        403     403        403     403     302
PAGE /mediation/mediations/{mediation}/          200    200    403       200      200        403     403        403     200     302
"""


def rows():
    for line in MATRIX.strip().splitlines():
        method, path, *codes = line.split()
        assert len(codes) == len(ROLES), line
        yield method, path, dict(zip(ROLES, map(int, codes)))


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    court = make_court()
    lawyer, volunteer = make_user(Role.LAWYER), make_user(Role.LEGAL_AID_VOLUNTEER)
    respondent_a, respondent_b = make_organisation(), make_organisation()
    case_a = make_case(handler=lawyer, respondents=[respondent_a])
    casework.start_screening(case=case_a, actor=supervisor())
    casework.accept(case=case_a, actor=supervisor())
    casework.assign_legal_aid(case=case_a, actor=supervisor(), lawyer=volunteer)
    case_b = make_case(respondents=[respondent_b])
    with django_capture_on_commit_callbacks(execute=True):  # rendered, as a worker would
        document_a, _created = documents.request(case_a, "intake_record", actor=supervisor())
    casework.refer_to_mediation(case=case_a, actor=lawyer, source="court_pre_suit", court=court,
                                court_case_number="（2026）测民诉前调7号")
    the_mediation = opened_for(case_a).get()
    mediator = make_user(Role.MEDIATOR)
    mediation.accept(mediation=the_mediation, actor=supervisor())
    mediation.assign_mediator(mediation=the_mediation, actor=supervisor(), mediator=mediator)
    people = {
        "intake": make_user(Role.INTAKE_OFFICER), "lawyer": lawyer, "volunteer": volunteer, "mediator": mediator,
        "supervisor": make_user(Role.SUPERVISOR), "auditor": make_user(Role.AUDITOR),
        "bargaining": make_user(Role.BARGAINING_OFFICER),
        "company": make_user(Role.COMPANY_CONTACT, organisation=respondent_b),
        "liaison": make_user(Role.COURT_LIAISON, organisation=court), "anon": None,
    }
    ids = {"worker_a": case_a.claimants.get().pk, "worker_b": case_b.claimants.get().pk,
           "respondent_a": respondent_a.pk, "respondent_b": respondent_b.pk, "case_a": case_a.pk,
           "case_b": case_b.pk, "document_a": document_a.pk, "mediation": the_mediation.pk}
    return people, ids


def body(method, path):
    """What a POST sends: a valid body, so a refusal is about who asks, not what is sent."""
    if path.endswith("/evidence/"):
        return {"file": SimpleUploadedFile("工资条.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")}, "multipart"
    if path == "/api/v1/workers/":
        n = make_worker().pk + 1000  # a seed no other worker has
        from tests.scenarios import valid_resident_id

        return {"name": "新骑手", "id_number": valid_resident_id(n), "occupation": "rider",
                "phone": f"1390000{n % 10000:04d}"}, "json"
    return {}, "json"


def status_of(method, path, user):
    if method == "PAGE":
        client = Client()
        if user is not None:
            client.force_login(user)
        return client.get(path).status_code
    client = APIClient()
    if user is not None:
        client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    if method == "GET":
        return client.get(path).status_code
    data, fmt = body(method, path)
    # Each role's POST is undone afterwards: every role meets the world as it was.
    with transaction.atomic():
        status = client.post(path, data, format=fmt).status_code
        transaction.set_rollback(True)
    return status


@pytest.mark.parametrize("method, path, expected", list(rows()), ids=[f"{m} {p}" for m, p, _e in rows()])
def test_role_matrix(world, method, path, expected):
    people, ids = world
    url = path.format(**ids)
    got = {}
    for role in ROLES:
        got[role] = status_of(method, url, people[role])
    # on failure, the row as it is now, ready to compare with (or paste into) the table
    assert got == expected, f"now: {method:<4} {path:<44} " + " ".join(f"{got[r]:<6}" for r in ROLES)


# The other two modules, in a world of their own: a negotiation with company X and a check-up of
# company X (planned: its contacts see it once the report is issued, tests/legal_checkup), whose
# contact is "company"; "other" is another company's contact. Union staff see both modules' work.
OTHER_ROLES = ["intake", "lawyer", "mediator", "supervisor", "auditor", "bargaining", "company", "other", "liaison", "anon"]

# request                                       intake lawyer mediator supervisor auditor bargaining company other liaison anon
OTHER_MATRIX = """
GET  /api/v1/negotiations/{negotiation}/         200    200    200      200        200     200        200     404   404     401
GET  /api/v1/negotiations/{negotiation}/events/  200    200    200      200        200     200        200     404   404     401
GET  /api/v1/checkups/{checkup}/                 200    200    200      200        200     200        404     404   404     401
GET  /api/v1/organisations/{company}/            200    200    200      200        200     200        200     404   200     401
"""


@pytest.fixture
def other_world():
    from tests.bargaining.helpers import make_negotiation, officer
    from tests.legal_checkup.helpers import checkup_in_state

    company = make_organisation()
    negotiation = make_negotiation(employers=[company])
    checkup = checkup_in_state("planned", company_=company)
    people = {
        "intake": make_user(Role.INTAKE_OFFICER), "lawyer": make_user(Role.LAWYER), "mediator": make_user(Role.MEDIATOR),
        "supervisor": make_user(Role.SUPERVISOR), "auditor": make_user(Role.AUDITOR), "bargaining": officer(),
        "company": make_user(Role.COMPANY_CONTACT, organisation=company),
        "other": make_user(Role.COMPANY_CONTACT, organisation=make_organisation()),
        "liaison": make_user(Role.COURT_LIAISON, organisation=make_court()), "anon": None,
    }
    return people, {"negotiation": negotiation.pk, "checkup": checkup.pk, "company": company.pk}


def other_rows():
    for line in OTHER_MATRIX.strip().splitlines():
        method, path, *codes = line.split()
        assert len(codes) == len(OTHER_ROLES), line
        yield method, path, dict(zip(OTHER_ROLES, map(int, codes)))


@pytest.mark.parametrize("method, path, expected", list(other_rows()), ids=[f"{m} {p}" for m, p, _e in other_rows()])
def test_role_matrix_of_bargaining_and_the_checkup(other_world, method, path, expected):
    people, ids = other_world
    url = path.format(**ids)
    got = {role: status_of(method, url, people[role]) for role in OTHER_ROLES}
    assert got == expected, f"now: {method:<4} {path:<44} " + " ".join(f"{got[r]:<6}" for r in OTHER_ROLES)
