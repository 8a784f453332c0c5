"""The one transition view (core.views.TransitionView): a transition that is not possible now is
the page's "not possible now" panel with what the user may do instead, never a 500 — asked for
directly, or by the browser's Back after the transition was done."""

import pytest

from core.roles import Role
from tests.mediation.helpers import mediation_in_state
from tests.scenarios import case_in_state, make_user, supervisor

pytestmark = pytest.mark.django_db


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    return response, response.content.decode()


def test_a_closed_case_answers_accept_with_what_is_possible(client):
    case = case_in_state("closed")
    response, body = page(client, supervisor(), f"/casework/cases/{case.pk}/transitions/accept/")
    assert response.status_code == 409
    assert 'id="not-possible-now"' in body and "已结案" in body
    assert f'href="/casework/cases/{case.pk}/transitions/reopen/"' in body  # what a supervisor may do
    assert 'id="transition-form"' not in body


def test_the_browsers_back_after_a_transition(client):
    case = case_in_state("screening")
    officer = make_user(Role.INTAKE_OFFICER)
    client.force_login(officer)
    done = client.post(f"/casework/cases/{case.pk}/transitions/reject/", {"reason": "不属于受理范围"})
    assert done.status_code == 302
    back = client.get(f"/casework/cases/{case.pk}/transitions/reject/")
    assert back.status_code == 409 and 'id="not-possible-now"' in back.content.decode()


def test_unmet_conditions_are_named(client):
    m = mediation_in_state("agreed", recent=False)  # agreed 50 days ago: the window has closed
    response, body = page(client, supervisor(), f"/mediation/mediations/{m.pk}/transitions/request_confirmation/")
    assert response.status_code == 409 and "已超过申请司法确认的期限" in body


def test_no_permission_is_403_with_the_reason(client):
    m = mediation_in_state("in_progress")
    other_mediator = make_user(Role.MEDIATOR)
    response, body = page(client, other_mediator, f"/mediation/mediations/{m.pk}/transitions/fail/")
    assert response.status_code == 403 and "您没有权限执行“调解终结”" in body


def test_an_available_transition_shows_its_declared_form(client):
    case = case_in_state("consulting")
    response, body = page(client, supervisor(), f"/casework/cases/{case.pk}/transitions/resolve/")
    assert response.status_code == 200 and 'id="transition-form"' in body
    assert 'name="outcome"' in body and 'name="amount_recovered"' in body and 'name="comment"' in body


def test_an_unknown_transition_is_404(client):
    case = case_in_state("received")
    response, _body = page(client, supervisor(), f"/casework/cases/{case.pk}/transitions/teleport/")
    assert response.status_code == 404


def test_an_object_the_user_may_not_see_is_404(client):
    case = case_in_state("screening")
    volunteer = make_user(Role.LEGAL_AID_VOLUNTEER)  # sees only the cases given to them
    response, _body = page(client, volunteer, f"/casework/cases/{case.pk}/transitions/accept/")
    assert response.status_code == 404
