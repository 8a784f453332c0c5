"""The admin works cases through the same services as the API: buttons, forms, bulk actions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core import journal
from casework.models import Case
from core.roles import Role
from tests.scenarios import case_in_state, make_organisation, make_user, make_worker

pytestmark = pytest.mark.django_db


def staff(role, **kw):
    user = make_user(role, is_staff=True, **kw)
    return user


def change_url(case):
    return reverse("admin:casework_case_change", args=[case.pk])


def test_every_model_is_registered(admin_client):
    from django.apps import apps
    from django.contrib import admin

    assert {m for m in apps.get_app_config("casework").get_models() if m._meta.model_name not in {"casenumbersequence", "caseclaimant", "claim"}} <= set(admin.site._registry)


def test_transition_button_runs_the_service_and_journals(client):
    case = case_in_state("received")
    client.force_login(staff(Role.INTAKE_OFFICER))
    page = client.get(change_url(case))
    assert page.status_code == 200 and b"start_screening" in page.content

    response = client.post(change_url(case), {"_fsm_transition_to": "start_screening", **_unchanged_form(client, case)})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "screening"
    assert journal.events_for(case).last().actor_name.startswith("intake_officer")


def _unchanged_form(client, case):
    """The change form's current values, as the browser would post them back."""
    page = client.get(change_url(case))
    forms = [page.context["adminform"].form]
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(n): management[n].value() for n in management.fields})
        forms.extend(inline.formset.initial_forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None:
                data[form.add_prefix(name)] = [getattr(v, "pk", v) for v in value] if isinstance(value, list) else value
    return data


def test_reject_form_requires_a_reason_and_keeps_state(client):
    case = case_in_state("screening")
    client.force_login(staff(Role.SUPERVISOR))
    url = reverse("admin:casework_case_transition", args=[case.pk, "reject"])

    page = client.post(url, {"reason": ""})
    assert page.status_code == 200  # the form comes back with its error
    case.refresh_from_db()
    assert case.state == "screening"

    client.post(url, {"reason": "超出受理范围"})
    case.refresh_from_db()
    assert (case.state, case.rejection_reason) == ("rejected", "超出受理范围")


def test_conflicted_lawyer_is_refused_with_a_message(client):
    agent = make_organisation(kind="agent")
    case = case_in_state("accepted", respondents=[agent])
    lawyer = make_user(Role.LAWYER, acts_for=[agent])
    client.force_login(staff(Role.SUPERVISOR))

    response = client.post(reverse("admin:casework_case_transition", args=[case.pk, "assign_legal_aid"]),
                           {"lawyer": lawyer.pk}, follow=True)

    assert "利益冲突" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "accepted"


def test_bulk_action_moves_every_selected_case(client):
    cases = [case_in_state("received") for _ in range(3)]
    client.force_login(staff(Role.SUPERVISOR))
    client.post(reverse("admin:casework_case_changelist"),
                {"action": "bulk_start_screening", "_selected_action": [c.pk for c in cases]})
    assert set(Case.objects.values_list("state", flat=True)) == {"screening"}


def test_admin_intake_creates_a_numbered_journaled_case(client):
    client.force_login(staff(Role.INTAKE_OFFICER))
    worker, platform = make_worker(), make_organisation()
    today = timezone.localdate()
    response = client.post(reverse("admin:casework_case_add"), {
        "title": "平台封号未结算报酬", "channel": "walk_in", "facts": "", "received_on": today.isoformat(),
        "infringement_known_on": (today - datetime.timedelta(days=19)).isoformat(), "claimants_field": [worker.pk], "respondents": [platform.pk],
        "categories": [1], "claims-TOTAL_FORMS": 1, "claims-INITIAL_FORMS": 0,
        "claims-0-category": 1, "claims-0-description": "结算报酬", "claims-0-amount": "2100.00",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    case = Case.objects.get()
    assert case.number.startswith(f"WQ-{today.year}-") and case.claims.get().amount == 2100
    assert [e.transition for e in journal.events_for(case)] == ["create"]


def test_company_contact_has_no_admin(client):
    client.force_login(staff(Role.COMPANY_CONTACT))
    assert client.get(reverse("admin:casework_case_changelist")).status_code == 403

