"""The check-up admin works through the same services as the API: transition buttons, forms and bulk
actions; findings' text edited inline while drafting (edit_finding); assessments, replies and letters
read-only; checklist versions read-only once published, edited and published through the services;
and no admin at all for the company's contacts."""

import pytest
from django.contrib import admin
from django.urls import reverse

from core import journal
from core.admin import TransitionAdminMixin
from core.roles import Role
from core.transitions import machine_for
from legal_checkup import services
from legal_checkup.models import Checklist, ChecklistItem, ChecklistVersion, Checkup, Finding
from tests.legal_checkup.helpers import checkup_in_state, contact_of, seeded_version
from tests.scenarios import make_user, valid_resident_id

pytestmark = pytest.mark.django_db


def staff(role, **kw):
    return make_user(role, is_staff=True, **kw)


def change_url(c):
    return reverse("admin:legal_checkup_checkup_change", args=[c.pk])


def form_data(response):
    """What the change page would post back unchanged: the inlines' management forms and values."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None:
                    data[form.add_prefix(name)] = value
    return data


def finding_prefix(response, finding):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is Finding:
            for form in inline.formset.forms:
                if form.instance.pk == finding.pk:
                    return form.prefix
    raise AssertionError("no form for the finding")


def test_the_admin_has_a_button_or_form_for_every_declared_transition():
    model_admin = admin.site._registry[Checkup]
    assert isinstance(model_admin, TransitionAdminMixin)
    assert set(model_admin.fsm_forms) == {t.name for t in machine_for(Checkup) if t.inputs}


def test_change_page_shows_the_transitions_the_lead_may_run_and_the_fieldwork(client):
    lead = staff(Role.AUDITOR)
    c = checkup_in_state("drafting", lead=lead)
    client.force_login(lead)
    page = client.get(change_url(c))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'value="submit_for_review"' in text and 'value="approve"' not in text
    assert "内部备注：访谈站长" in text and "访谈骑手3名" in text  # the assessments inline, for union staff
    assert "得分 = 100 ×" in text  # the computation
    # another auditor reads it, runs nothing
    client.force_login(staff(Role.AUDITOR))
    other = client.get(change_url(c)).content.decode()
    assert 'value="submit_for_review"' not in other


def test_a_transition_form_runs_the_service_and_shows_its_refusal(client):
    c = checkup_in_state("review")
    client.force_login(staff(Role.SUPERVISOR))
    url = reverse("admin:legal_checkup_checkup_transition", args=[c.pk, "return_for_changes"])
    shown = client.post(url, {"comment_text": "   "}, follow=True)
    assert shown.status_code == 200
    c.refresh_from_db()
    assert c.state == "review"
    client.post(url, {"comment_text": "请补充抽查依据", "finding_comments": "10 写明抽查的合同份数"})
    c.refresh_from_db()
    assert c.state == "drafting" and c.review_comment == "请补充抽查依据"
    assert c.findings.get(item__code="10").review_comment == "写明抽查的合同份数"
    assert journal.events_for(c).last().transition == "return_for_changes"


def test_a_button_and_a_bulk_action_run_the_service(client):
    boss = staff(Role.SUPERVISOR)
    c = checkup_in_state("drafting")
    client.force_login(boss)
    page = client.get(change_url(c))
    client.post(change_url(c), {**form_data(page), "_fsm_transition_to": "submit_for_review"})
    c.refresh_from_db()
    assert c.state == "review" and c.drafted_by_id == boss.pk

    drafts = [checkup_in_state("drafting") for _ in range(2)]
    client.post(reverse("admin:legal_checkup_checkup_changelist"),
                {"action": "bulk_submit_for_review", "_selected_action": [x.pk for x in drafts]})
    assert set(Checkup.objects.filter(pk__in=[x.pk for x in drafts]).values_list("state", flat=True)) == {"review"}


def test_findings_text_is_edited_inline_through_edit_finding(client):
    lead = staff(Role.AUDITOR)
    c = checkup_in_state("drafting", lead=lead)
    finding = c.findings.get(item__code="10")
    client.force_login(lead)
    page = client.get(change_url(c))
    prefix = finding_prefix(page, finding)
    data = form_data(page)
    client.post(change_url(c), {**data, f"{prefix}-risk": "存在被认定规则未公示的风险"})
    finding.refresh_from_db()
    assert finding.risk == "存在被认定规则未公示的风险"
    assert journal.events_for(c).last().transition == "edit_finding"

    refused = client.post(change_url(c), {**data, f"{prefix}-found": f"骑手{valid_resident_id(3)}未公示"}, follow=True)
    finding.refresh_from_db()
    assert valid_resident_id(3) not in finding.found
    assert "身份证" in refused.content.decode()

    # once in review, the text is read-only
    services.submit_for_review(checkup=Checkup.objects.get(pk=c.pk), actor=lead)
    assert f"{prefix}-found" not in form_data(client.get(change_url(c)))


def test_replies_and_letters_are_shown_read_only(client):
    c = checkup_in_state("follow_up")
    client.force_login(staff(Role.SUPERVISOR))
    text = client.get(change_url(c)).content.decode()
    assert "修订规则并公示" in text and "人力资源部 李经理" in text
    finding = c.findings.first()
    page = client.get(reverse("admin:legal_checkup_finding_change", args=[finding.pk]))
    assert page.status_code == 200 and "修订规则并公示" in page.content.decode()


def test_nothing_is_added_or_edited_around_the_services(client):
    c = checkup_in_state("requested")
    client.force_login(staff(Role.SUPERVISOR))
    assert client.get(reverse("admin:legal_checkup_checkup_add")).status_code == 403
    page = client.get(change_url(c))
    client.post(change_url(c), {**form_data(page), "reason": "改过的缘由"})
    c.refresh_from_db()
    assert c.reason != "改过的缘由"


def test_a_published_checklist_version_is_read_only(client):
    boss = staff(Role.SUPERVISOR)
    client.force_login(boss)
    v1 = seeded_version()
    item = v1.items.get(code="10")
    page = client.get(reverse("admin:legal_checkup_checklistversion_change", args=[v1.pk])).content.decode()
    assert 'name="_save"' not in page and item.title in page  # the items, read-only
    client.post(reverse("admin:legal_checkup_checklistitem_change", args=[item.pk]),
                {"title": "改过的标题", "legal_basis": item.legal_basis, "severity": "L"})
    item.refresh_from_db()
    assert item.title != "改过的标题" and item.severity == "M"

    # a new version (the action), its item edited through set_item, then published (the action)
    client.post(reverse("admin:legal_checkup_checklist_changelist"),
                {"action": "make_new_version", "_selected_action": [v1.checklist_id]})
    v2 = ChecklistVersion.objects.get(checklist=v1.checklist, number=2)
    assert v2.items.count() == 25 and not v2.published
    copy = v2.items.get(code="10")
    url = reverse("admin:legal_checkup_checklistitem_change", args=[copy.pk])
    client.post(url, {"title": "规则在实施前公示并告知劳动者（含算法规则）", "legal_basis": copy.legal_basis, "severity": "H",
                      "guidance": copy.guidance, "questions": "", "evidence": "", "company_kinds": "[]",
                      "relationship_types": "[]", "profiles": "[]", "source": "", "order": copy.order})
    copy.refresh_from_db()
    assert copy.severity == "H" and "算法规则" in copy.title
    assert v1.items.get(code="10").severity == "M"  # the pinned version did not move
    client.post(reverse("admin:legal_checkup_checklistversion_changelist"),
                {"action": "publish_versions", "_selected_action": [v2.pk]})
    v2.refresh_from_db()
    assert v2.published
    client.post(url, {"title": "再改", "legal_basis": copy.legal_basis, "severity": "L", "company_kinds": "[]",
                      "relationship_types": "[]", "profiles": "[]", "order": copy.order})
    copy.refresh_from_db()
    assert copy.title != "再改"


def test_checkup_staff_read_checklists_and_only_supervisors_keep_them(client):
    client.force_login(staff(Role.AUDITOR))
    assert client.get(reverse("admin:legal_checkup_checklistversion_changelist")).status_code == 200
    checklist = Checklist.objects.get(code="platform-employment")
    client.post(reverse("admin:legal_checkup_checklist_changelist"),
                {"action": "make_new_version", "_selected_action": [checklist.pk]})
    assert not ChecklistVersion.objects.filter(checklist=checklist, number=2).exists()
    item = ChecklistItem.objects.filter(version__checklist=checklist).first()
    assert client.get(reverse("admin:legal_checkup_checklistitem_change", args=[item.pk])).status_code == 200


def test_company_contacts_have_no_checkup_admin(client):
    c = checkup_in_state("issued")
    contact = contact_of(c)
    contact.is_staff = True
    contact.save()
    client.force_login(contact)
    for name in ("checkup", "finding", "checklist", "checklistversion", "checklistitem", "offeredclause"):
        assert client.get(reverse(f"admin:legal_checkup_{name}_changelist")).status_code == 403, name
    page = client.get(change_url(c))
    assert page.status_code == 403 and "内部备注" not in page.content.decode()
    assert client.get(reverse("admin:legal_checkup_finding_change", args=[c.findings.first().pk])).status_code == 403
    assert "legal_checkup" not in client.get(reverse("admin:index")).content.decode()
    # a union colleague who does no check-ups has none either
    client.force_login(staff(Role.MEDIATOR))
    assert client.get(change_url(c)).status_code == 403
