"""The bargaining admin works through the same services as the API: buttons, forms, bulk actions;
supervisors keep the topic catalogue; the union's notes are union staff's only."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from bargaining import services
from bargaining.models import Negotiation, Topic, UnionNote
from core import journal
from core.admin import TransitionAdminMixin
from core.roles import Role
from core.transitions import machine_for
from tests.bargaining.helpers import contact_of, negotiation_in_state
from tests.scenarios import make_user

pytestmark = pytest.mark.django_db


def staff(role, **kw):
    return make_user(role, is_staff=True, **kw)


def change_url(n):
    return reverse("admin:bargaining_negotiation_change", args=[n.pk])


def test_the_admin_has_a_button_or_form_for_every_declared_transition():
    model_admin = admin.site._registry[Negotiation]
    assert isinstance(model_admin, TransitionAdminMixin)
    assert set(model_admin.fsm_forms) == {t.name for t in machine_for(Negotiation) if t.inputs}


def test_change_page_shows_the_transitions_the_user_may_run_and_the_team(client):
    n = negotiation_in_state("proposed")
    client.force_login(staff(Role.BARGAINING_OFFICER))
    page = client.get(change_url(n))
    assert page.status_code == 200
    text = page.content.decode()
    assert "accept_proposal" in text and "refuse_proposal" in text and "send_proposal" not in text
    assert "工会代表" in text and "计件单价" in text  # the team and the topics, inline


def test_a_transition_form_runs_the_service_and_shows_its_refusal(client):
    n = negotiation_in_state("proposed")
    client.force_login(staff(Role.SUPERVISOR))
    url = reverse("admin:bargaining_negotiation_transition", args=[n.pk, "refuse_proposal"])
    response = client.post(url, {"reason": "   "}, follow=True)
    n.refresh_from_db()
    assert n.state == "proposed"
    client.post(url, {"reason": "企业认为时机不成熟"})
    n.refresh_from_db()
    assert n.state == "refused" and n.refusal_reason == "企业认为时机不成熟"
    assert journal.events_for(n).last().transition == "refuse_proposal"
    assert response.status_code == 200


def test_bulk_action_for_transitions_without_a_form(client):
    ns = [negotiation_in_state("suspended") for _ in range(2)]
    client.force_login(staff(Role.SUPERVISOR))
    client.post(reverse("admin:bargaining_negotiation_changelist"),
                {"action": "bulk_resume", "_selected_action": [n.pk for n in ns]})
    assert set(Negotiation.objects.filter(pk__in=[n.pk for n in ns]).values_list("state", flat=True)) == {"negotiating"}


def test_nothing_is_added_or_edited_around_the_services(client):
    n = negotiation_in_state("preparing")
    client.force_login(staff(Role.SUPERVISOR))
    assert client.get(reverse("admin:bargaining_negotiation_add")).status_code == 403
    client.post(change_url(n), {"title": "改过的标题"})
    n.refresh_from_db()
    assert n.title != "改过的标题"


def test_supervisors_keep_the_topic_catalogue(client):
    officer = staff(Role.BARGAINING_OFFICER)
    client.force_login(officer)
    assert client.get(reverse("admin:bargaining_topic_changelist")).status_code == 200
    assert client.get(reverse("admin:bargaining_topic_add")).status_code == 403
    client.force_login(staff(Role.SUPERVISOR))
    client.post(reverse("admin:bargaining_topic_add"), {
        "code": "heat_allowance", "name": "高温津贴", "unit": "yuan_per_month", "costing": "", "order": 40})
    assert Topic.objects.get(code="heat_allowance").name == "高温津贴"
    rest = Topic.objects.get(code="rest")
    client.post(reverse("admin:bargaining_topic_change", args=[rest.pk]), {
        "code": "rest", "name": "休息时长", "unit": "minutes", "costing": "", "core_common": "on", "order": rest.order})
    assert Topic.objects.get(code="rest").name == "休息时长"


def test_union_notes_are_shown_and_edited_for_union_staff_only(client):
    officer = staff(Role.BARGAINING_OFFICER)
    n = negotiation_in_state("negotiating", actor=officer)
    piece = n.topics.get(topic__code="piece_rate")
    services.set_union_note(topic=piece, actor=officer, priority=1, target_value=Decimal("5.80"),
                            walk_away_value=Decimal("5.10"), note="单价底线内部备忘")

    client.force_login(officer)
    assert "单价底线内部备忘" in client.get(change_url(n)).content.decode()
    listing = client.get(reverse("admin:bargaining_unionnote_changelist"))
    assert listing.status_code == 200 and "5.10" in listing.content.decode()
    note = UnionNote.objects.get(topic=piece)
    client.post(reverse("admin:bargaining_unionnote_change", args=[note.pk]), {
        "priority": "2", "target_value": "5.70", "walk_away_value": "5.20", "note": "可以让步"})
    note.refresh_from_db()
    assert (note.priority, note.walk_away_value, note.note) == (2, Decimal("5.20"), "可以让步")
    refused = client.post(reverse("admin:bargaining_unionnote_change", args=[note.pk]), {
        "priority": "2", "target_value": "abc", "walk_away_value": "", "note": ""})
    assert refused.status_code == 200  # the form shows the error
    note.refresh_from_db()
    assert note.target_value == Decimal("5.70")

    # other union staff read the notes, but do not write them
    client.force_login(staff(Role.LAWYER))
    assert client.get(reverse("admin:bargaining_unionnote_change", args=[note.pk])).status_code == 200
    client.post(reverse("admin:bargaining_unionnote_change", args=[note.pk]), {
        "priority": "3", "target_value": "9", "walk_away_value": "9", "note": "律师改"})
    note.refresh_from_db()
    assert note.note == "可以让步"

    # the employer side: nowhere
    client.force_login(staff(Role.COMPANY_CONTACT, organisation=n.employers.get()))
    assert client.get(reverse("admin:bargaining_unionnote_changelist")).status_code == 403
    assert client.get(reverse("admin:bargaining_unionnote_change", args=[note.pk])).status_code == 403
    page = client.get(change_url(n))
    assert page.status_code == 403 and "可以让步" not in page.content.decode()


def test_company_contact_has_no_bargaining_admin(client):
    n = negotiation_in_state("proposed")
    contact = contact_of(n)
    contact.is_staff = True
    contact.save()
    client.force_login(contact)
    assert client.get(reverse("admin:bargaining_negotiation_changelist")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "bargaining" not in index
