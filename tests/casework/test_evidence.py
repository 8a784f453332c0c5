"""Evidence files: stored with their SHA-256, size-limited, journaled, visible only to the case's people."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core import journal
from casework.models import Evidence
from core.roles import Role
from tests.scenarios import case_in_state, make_user

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(user, case, content=b"%PDF-1.4 wage slip", name="工资条.pdf"):
    return client_for(user).post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf"), "description": "2026年10月工资条"},
        format="multipart",
    )


def test_upload_stores_the_file_with_its_hash_and_journals_it():
    case = case_in_state("screening")
    content = b"%PDF-1.4 delivery records for October"

    response = upload(make_user(Role.INTAKE_OFFICER), case, content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest() and body["size"] == len(content)
    stored = Evidence.objects.get()
    assert stored.file.read() == content
    event = journal.events_for(case).last()
    assert (event.transition, event.payload["sha256"]) == ("add_evidence", body["sha256"])
    listed = client_for(make_user(Role.SUPERVISOR)).get(f"/api/v1/cases/{case.pk}/evidence/").json()
    assert [e["sha256"] for e in listed] == [body["sha256"]]


def test_too_large_a_file_is_refused_and_nothing_is_stored(settings):
    settings.WEIQUAN_EVIDENCE_MAX_BYTES = 10
    case = case_in_state("screening")
    response = upload(make_user(Role.INTAKE_OFFICER), case, b"x" * 11)
    assert response.status_code == 400 and "file" in response.json()
    assert not Evidence.objects.exists()
    assert journal.events_for(case).last().transition != "add_evidence"


def test_unassigned_volunteer_cannot_see_or_add_evidence():
    case = case_in_state("legal_aid")
    volunteer = make_user(Role.LEGAL_AID_VOLUNTEER)
    assert upload(volunteer, case).status_code == 404
    assert client_for(volunteer).get(f"/api/v1/cases/{case.pk}/evidence/").status_code == 404


def test_assigned_lawyer_can_add_evidence():
    case = case_in_state("legal_aid")
    assert upload(case.legal_aid_by, case).status_code == 201


def test_mediator_can_read_but_not_add():
    case = case_in_state("accepted")
    mediator = make_user(Role.MEDIATOR)
    assert client_for(mediator).get(f"/api/v1/cases/{case.pk}/evidence/").status_code == 200
    assert upload(mediator, case).status_code == 403


def test_a_file_type_outside_the_list_is_refused_through_the_api_too():
    case = case_in_state("screening")
    response = upload(make_user(Role.INTAKE_OFFICER), case, b"MZ\x90\x00", name="payload.exe")
    assert response.status_code == 400 and "payload" not in str(Evidence.objects.all())
    assert ".exe" in response.json()["file"][0]
    assert not Evidence.objects.exists()
