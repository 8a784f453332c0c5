"""One error model (core/errors.py): every refusal has a code, a message for the person who asked
and one entry in the table that says the HTTP status and where a page shows it; the API and the
pages read the same table."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django_fsm import ConcurrentTransition
from rest_framework.test import APIClient

from core import errors
from core.roles import Role
from tests.scenarios import case_in_state, make_user, supervisor


@pytest.mark.parametrize("exc,code,status,placement", [
    (ValidationError({"reason": ["必填"]}), "invalid", 400, "fields"),
    (PermissionDenied(), "permission_denied", 403, "form"),
    (ConcurrentTransition(), "conflict", 409, "form"),
    (errors.TransitionRefused(None, "accept"), "transition_not_allowed", 409, "page"),
    (errors.DocumentNotAllowed("not now"), "document_not_allowed", 409, "form"),
])
def test_each_exception_has_one_code_status_and_placement(exc, code, status, placement):
    described = errors.describe(exc)
    assert (described.code, described.status, described.placement) == (code, status, placement)
    assert described.message


def test_every_code_a_refusal_declares_is_in_the_table():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in (errors.Refusal, *subclasses(errors.Refusal)):
        assert cls.code in errors.KINDS, cls


def test_other_exceptions_are_not_ours_to_describe():
    assert errors.describe(KeyError("x")) is None


def test_a_permission_message_without_words_gets_the_default():
    assert errors.describe(PermissionDenied()).message == str(errors.PERMISSION_MESSAGE)


@pytest.mark.django_db
def test_the_api_and_the_page_say_the_same_refusal():
    case = case_in_state("closed")
    boss = supervisor()
    api = APIClient()
    api.force_authenticate(boss)
    body = api.post(f"/api/v1/cases/{case.pk}/transitions/accept/", {}, format="json").json()
    assert body["code"] == "transition_not_allowed" and body["state"] == "closed" and body["allowed"] == ["reopen"]
    from django.test import Client

    client = Client()
    client.force_login(boss)
    page = client.get(f"/casework/cases/{case.pk}/transitions/accept/")
    assert page.status_code == 409 and body["detail"] in page.content.decode()


@pytest.mark.django_db
def test_refusals_are_in_the_language_asked_for():
    case = case_in_state("screening")
    volunteer = make_user(Role.INTAKE_OFFICER)
    api = APIClient()
    api.force_authenticate(volunteer)
    with translation.override("en"):
        english = api.post(f"/api/v1/cases/{case.pk}/transitions/assign_legal_aid/", {"lawyer": volunteer.pk},
                           format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api.post(f"/api/v1/cases/{case.pk}/transitions/assign_legal_aid/", {"lawyer": volunteer.pk},
                       format="json", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english["code"] == chinese["code"] == "transition_not_allowed"
    assert english["detail"] != chinese["detail"]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english["detail"])
