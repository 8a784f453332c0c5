"""The check-up sweep (reminders before due dates, overdue findings), the figures leadership asks
for, and the clauses an effective collective contract offers to the next check-up."""

import datetime

import pytest

from bargaining import services as bargaining
from legal_checkup import selectors, services
from legal_checkup.models import OfferedClause
from tests.bargaining.helpers import negotiation_in_state
from tests.bargaining.helpers import officer as bargaining_officer
from tests.harness import on, told
from tests.legal_checkup.helpers import auditor, checkup_in_state, contact_of, seeded_version
from tests.scenarios import supervisor

pytestmark = pytest.mark.django_db
ISSUED = datetime.date(2025, 9, 1)  # medium findings due 2025-10-31


def rectifying(**kw):
    with on(ISSUED):
        c = checkup_in_state("rectifying", results={"10": "partial"}, **kw)
    return c, c.findings.get()


def test_the_company_is_reminded_once_in_the_week_before_a_due_date():
    c, finding = rectifying()
    contact = contact_of(c)
    with on(finding.due_on - datetime.timedelta(days=8)):
        assert services.sweep().reminded == 0
    with on(finding.due_on - datetime.timedelta(days=7)):
        assert services.sweep().reminded == 1
        assert services.sweep().reminded == 0
    notices = told(":due:", c)
    assert contact in {t.recipient for t in notices} and len(notices) == 2  # every contact, once each
    assert all("2025-10-31" in t.message for t in notices)


def test_an_overdue_finding_is_told_to_the_lead_once():
    lead = auditor()
    c, finding = rectifying(lead=lead)
    with on(finding.due_on):
        assert services.sweep().overdue == 0
    with on(finding.due_on + datetime.timedelta(days=1)):
        assert services.sweep().overdue == 1
        assert services.sweep().overdue == 0
    assert told("overdue", c)[0].recipient == lead


def test_a_finding_replied_done_is_neither_reminded_nor_overdue():
    c, finding = rectifying()
    with on(ISSUED + datetime.timedelta(days=3)):
        services.reply(finding=finding, actor=contact_of(c), plan="已整改", responsible="李经理",
                       target_on=ISSUED + datetime.timedelta(days=3), done=True)
    with on(finding.due_on + datetime.timedelta(days=1)):
        result = services.sweep()
    assert (result.reminded, result.overdue) == (0, 0)


def test_the_figures():
    checkup_in_state("closed", results={"07": "non_compliant", "10": "partial"})
    checkup_in_state("issued", results={"07": "partial"})
    figures = selectors.figures()
    assert figures["by_state"]["closed"] == 1 and figures["by_state"]["issued"] == 1
    assert figures["most_failed"][0]["item__code"] == "07" and figures["most_failed"][0]["companies"] == 2
    assert figures["rectification_rate"] == round(2 / 3, 3)
    assert figures["by_grade"] == {"C": 2} or sum(figures["by_grade"].values()) == 2


def test_an_effective_contract_offers_its_clauses_and_a_new_version_includes_them():
    n = negotiation_in_state("filed", actor=bargaining_officer())
    assert not OfferedClause.objects.exists()
    bargaining.take_effect(negotiation=n, actor=bargaining_officer(), no_objection_on=datetime.date.today())
    n.refresh_from_db()
    offers = list(OfferedClause.objects.order_by("id"))
    assert [o.title for o in offers] == [c["title"] for c in n.current_version().clauses]
    assert set(offers[0].employers.all()) == set(n.employers.all()) and offers[0].source_number == n.number
    boss = supervisor()
    version = services.new_version(checklist=seeded_version().checklist, actor=boss, note="纳入集体合同条款")
    items = services.include_offered_clauses(version=version, actor=boss, offers=offers)
    assert len(items) == len(offers) and items[0].source == f"bargaining.negotiation:{n.pk}"
    assert all(o.used_in == version for o in OfferedClause.objects.all())
    assert seeded_version().items.count() == 25  # the pinned version is untouched


def test_clauses_offered_by_the_sweep_too():
    from bargaining.models import Negotiation

    with on(datetime.date(2025, 9, 16)):
        n = negotiation_in_state("filed", actor=bargaining_officer())
    with on(datetime.date(2025, 10, 10)):
        bargaining.sweep()
    assert Negotiation.objects.get(pk=n.pk).state == "effective"
    assert OfferedClause.objects.filter(source_id=n.pk).count() == len(n.current_version().clauses)
