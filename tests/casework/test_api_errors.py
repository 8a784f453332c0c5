"""The exception handler maps every domain exception to the contract's error shape, whoever raised it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework.test import APIRequestFactory

from core.errors import exception_handler
from core.roles import Role
from tests.scenarios import advance, case_in_state, make_case, make_user

pytestmark = pytest.mark.django_db


def context_for(user):
    request = APIRequestFactory().post("/")
    request.user = user
    return {"request": request, "view": None}


def test_fsm_transition_not_allowed_from_the_model_is_409_with_state_and_allowed():
    officer = make_user(Role.INTAKE_OFFICER)
    case = case_in_state("screening")
    with pytest.raises(TransitionNotAllowed) as raised:
        case.close()
    response = exception_handler(raised.value, context_for(officer))
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"
    assert response.data["state"] == "screening"
    assert set(response.data["allowed"]) == {"accept", "reject"}
    assert "unmet_conditions" not in response.data


def test_fsm_unmet_conditions_are_listed():
    officer = make_user(Role.INTAKE_OFFICER)
    case = advance(make_case(respondents=[]), "start_screening")
    with pytest.raises(TransitionNotAllowed) as raised:
        case.accept()
    response = exception_handler(raised.value, context_for(officer))
    assert response.status_code == 409
    assert response.data["unmet_conditions"]


def test_concurrent_transition_is_409_conflict():
    response = exception_handler(ConcurrentTransition("stale"), context_for(make_user()))
    assert response.status_code == 409
    assert response.data == {"code": "conflict", "detail": "stale"}


def test_validation_error_with_fields_keeps_them():
    response = exception_handler(ValidationError({"reason": ["required"]}), context_for(make_user()))
    assert response.status_code == 400
    assert response.data == {"reason": ["required"]}


def test_validation_error_without_fields_is_non_field_errors():
    response = exception_handler(ValidationError("bad"), context_for(make_user()))
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["bad"]}


def test_permission_denied_keeps_the_services_explanation():
    response = exception_handler(PermissionDenied("Only a supervisor may do this."), context_for(make_user()))
    assert response.status_code == 403
    assert response.data["detail"] == "Only a supervisor may do this."
