"""The mediation admin works through the same services as the API: buttons, forms, bulk actions."""

import datetime

import pytest
from django.urls import reverse

from core import journal
from core.roles import Role
from mediation.models import Mediation
from tests.mediation.helpers import mediation_in_state, mediator, today
from tests.scenarios import make_organisation, make_user

pytestmark = pytest.mark.django_db


def staff(role, **kw):
    return make_user(role, is_staff=True, **kw)


def test_every_mediation_model_is_registered_or_shown_inline():
    from django.apps import apps
    from django.contrib import admin

    shown_inline = {"mediationclaim", "extension", "mediationsession", "payment", "mediationnumbersequence"}
    models = {m for m in apps.get_app_config("mediation").get_models() if m._meta.model_name not in shown_inline}
    assert models <= set(admin.site._registry)


def test_change_page_shows_the_transitions_the_user_may_run(client):
    m = mediation_in_state("referred")
    client.force_login(staff(Role.MEDIATOR))
    page = client.get(reverse("admin:mediation_mediation_change", args=[m.pk]))
    assert page.status_code == 200
    assert b"accept" in page.content and b"decline" in page.content


def test_accept_form_runs_the_service(client):
    m = mediation_in_state("referred")
    client.force_login(staff(Role.MEDIATOR))
    client.post(reverse("admin:mediation_mediation_transition", args=[m.pk, "accept"]), {"comment": "受理"})
    m.refresh_from_db()
    assert m.state == "accepted" and m.deadline is not None
    assert journal.events_for(m).last().transition == "accept"


def test_assign_form_shows_workload_and_refuses_a_conflict(client):
    agent = make_organisation(kind="agent")
    m = mediation_in_state("accepted", respondents=[agent])
    conflicted = mediator(acts_for=[agent], first_name="冲突")
    client.force_login(staff(Role.SUPERVISOR))
    url = reverse("admin:mediation_mediation_transition", args=[m.pk, "assign_mediator"])
    assert "调解中 0 件" in client.get(url).content.decode()
    response = client.post(url, {"mediator": conflicted.pk}, follow=True)
    assert "利益冲突" in response.content.decode()
    m.refresh_from_db()
    assert m.state == "accepted"


def test_agreement_form_parses_instalment_lines(client):
    m = mediation_in_state("in_progress")
    client.force_login(staff(Role.SUPERVISOR))
    url = reverse("admin:mediation_mediation_transition", args=[m.pk, "reach_agreement"])
    first, second = today() + datetime.timedelta(days=10), today() + datetime.timedelta(days=31)
    client.post(url, {"total": "9000", "basis": "wages", "instalments-due_on": [first.isoformat(), second.isoformat()],
                      "instalments-amount": ["4000", "5,000"]})
    m.refresh_from_db()
    assert m.state == "agreed"
    assert [(i.seq, int(i.amount)) for i in m.agreement.instalments.all()] == [(1, 4000), (2, 5000)]


def test_bulk_action_for_transitions_without_a_form(client):
    from django.utils import timezone

    ms = [mediation_in_state("accepted", recent=False) for _ in range(2)]
    client.force_login(staff(Role.SUPERVISOR))
    client.post(reverse("admin:mediation_mediation_changelist"),
                {"action": "bulk_expire", "_selected_action": [m.pk for m in ms]})
    assert set(Mediation.objects.filter(pk__in=[m.pk for m in ms]).values_list("state", flat=True)) == {"failed"}
    assert timezone.localdate() > ms[0].deadline


def test_company_contact_has_no_mediation_admin(client):
    client.force_login(staff(Role.COMPANY_CONTACT))
    assert client.get(reverse("admin:mediation_mediation_changelist")).status_code == 403
