"""The inbox follows the Checkup machine (legal_checkup/flows.py): after every step each user's inbox
holds exactly the work the checkup calls for — the lead's fieldwork and drafting, the supervisors'
review, the company contacts' acknowledgement and replies, the union's overdue findings to
escalate — with its deadline; and the daily beat task runs the sweep and re-routes what the date
changed."""

import datetime

import pytest
from django.conf import settings

from core.roles import Role, may_act
from legal_checkup import services
from legal_checkup.flows import COMPANION, CheckupFlow
from legal_checkup.models import Checkup
from legal_checkup.tasks import sweep_checkups
from tests.harness import inbox_items, inbox_of, on, open_tasks_of
from tests.legal_checkup.helpers import (
    auditor, checkup_in_state, company, contact_of, fill, seeded_version, today,
)
from tests.scenarios import make_organisation, make_user, supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {"lead": auditor(first_name="林组长"), "colleague": auditor(), "supervisor": supervisor(),
            "mediator": make_user(Role.MEDIATOR), "stranger": make_user(Role.COMPANY_CONTACT, organisation=company())}


def union_tasks(c):
    return [t for t in open_tasks_of(c) if (t.process.data or {}).get("companion") != COMPANION]


def company_tasks(c):
    return [t for t in open_tasks_of(c) if (t.process.data or {}).get("companion") == COMPANION]


def item_for(user, c):
    return next((i for i in inbox_items(user) if i.obj.pk == c.pk and i.flow.model is Checkup), None)


def step(c, node, people, *, owner="lead", due=None, contacts=(), contact_node=None):
    """After a step: the union holds exactly `node` (owned by `owner`, or waiting for the
    supervisors when None), nobody else on the union side holds anything, nobody holds a task they
    cannot act on; each of `contacts` holds exactly `contact_node`."""
    c.refresh_from_db()
    tasks = union_tasks(c)
    assert [t.flow_task.name for t in tasks] == ([node] if node else []), c.state
    if node:
        expected_owner = people[owner].pk if owner else None
        assert tasks[0].owner_id == expected_owner, (c.state, tasks[0].owner_id)
        holder = people[owner] if owner else people["supervisor"]
        assert (c.pk, node) in inbox_of(holder, model=Checkup)
        assert item_for(holder, c).due == due
    for who, user in people.items():
        held = {t for t in inbox_of(user, model=Checkup) if t[0] == c.pk}
        if who == (owner or "supervisor") and node:
            assert held == {(c.pk, node)}, who
        elif who != "supervisor":
            assert held == set(), who
        for object_id, _node in inbox_of(user, model=Checkup):
            if who != "stranger":
                assert may_act(user, Checkup.objects.get(pk=object_id)), (who, c.state)
    assert [t.flow_task.name for t in company_tasks(c)] == ([contact_node] * len(contacts) if contact_node else [])
    for contact in contacts:
        assert inbox_of(contact) == ({(c.pk, contact_node)} if contact_node else set())


def test_every_state_routes_its_work(people):
    lead = people["lead"]
    boss = people["supervisor"]
    planned_on = today() + datetime.timedelta(days=10)
    c = services.create_checkup(actor=lead, company=company(), reason="年度")
    contact = contact_of(c)
    step(c, "plan_checkup", people, contacts=[contact])

    services.plan(checkup=c, actor=lead, checklist_version=seeded_version(), profile="basic", lead=lead,
                  planned_on=planned_on)
    step(c, "start_work", people, due=planned_on, contacts=[contact])
    assert item_for(lead, c).due_label == "计划检查日期"

    services.start_fieldwork(checkup=c, actor=lead)
    step(c, "fieldwork", people, contacts=[contact])
    fill(c, actor=lead, results={"07": "non_compliant", "10": "partial"})
    step(c, "fieldwork", people, contacts=[contact])  # assessing is not leaving the state
    c.refresh_from_db()
    services.compile_findings(checkup=c, actor=lead)
    step(c, "drafting", people, contacts=[contact])

    services.submit_for_review(checkup=c, actor=lead)
    step(c, "review", people, owner=None, contacts=[contact])  # the supervisors' pool, not the drafter's
    assert (c.pk, "review") in inbox_of(boss)

    services.return_for_changes(checkup=c, actor=boss, comment_text="请补充第07项的抽查情况")
    step(c, "drafting", people, contacts=[contact])
    c.refresh_from_db()
    services.submit_for_review(checkup=c, actor=lead)
    c.refresh_from_db()
    services.approve(checkup=c, actor=boss)
    step(c, "issue_report", people, contacts=[contact])

    services.issue(checkup=c, actor=boss)
    step(c, None, people, contacts=[contact], contact_node="acknowledge")
    first_due = min(f.due_on for f in c.findings.all())
    assert item_for(contact, c).due == first_due and item_for(contact, c).action == "签收法治体检报告"

    services.start_rectification(checkup=c, actor=contact)
    step(c, None, people, contacts=[contact], contact_node="reply_findings")
    high, medium = c.findings.order_by("order")
    services.reply(finding=high, actor=contact, plan="上线休息提示", responsible="运营部", target_on=today(), done=True)
    step(c, None, people, contacts=[contact], contact_node="reply_findings")
    assert item_for(contact, c).due == medium.due_on  # the next one still to rectify
    services.reply(finding=medium, actor=contact, plan="规则公示", responsible="法务部",
                   target_on=today() + datetime.timedelta(days=5), done=False)
    step(c, None, people, contacts=[contact], contact_node="reply_findings")  # answered, not done yet
    services.reply(finding=medium, actor=contact, plan="已公示", responsible="法务部", target_on=today(), done=True)
    step(c, "start_follow_up", people, contacts=[contact])

    services.follow_up(checkup=c, actor=lead)
    step(c, "follow_up", people, contacts=[contact])
    for f in c.findings.all():
        services.reassess(finding=f, actor=lead, result="compliant", note="已整改")
    c.refresh_from_db()
    services.close(checkup=c, actor=lead)
    step(c, None, people, contacts=[contact])
    assert open_tasks_of(c) == []


def test_cancelled_ends_the_work(people):
    c = checkup_in_state("planned", lead=people["lead"])
    services.cancel(checkup=c, actor=people["lead"], reason="企业停业")
    step(c, None, people)
    assert open_tasks_of(c) == []


def test_company_contacts_each_hold_the_company_work(people, client):
    lead = people["lead"]
    c = checkup_in_state("approved", lead=lead, results={"07": "non_compliant"})
    first, second = contact_of(c), contact_of(c)
    gone = contact_of(c)
    gone.is_active = False
    gone.save()
    services.issue(checkup=c, actor=people["supervisor"])
    c.refresh_from_db()
    for contact in (first, second):
        assert inbox_of(contact) == {(c.pk, "acknowledge")}
    assert inbox_of(gone) == set() and inbox_of(people["stranger"]) == set()
    item = item_for(first, c)
    assert item.mine and item.due_label == "整改期限"
    client.force_login(first)
    page = client.get("/work/inbox/").content.decode()
    assert c.number in page and "签收法治体检报告" in page and c.company.name in page
    assert client.get(item.url).status_code == 200
    # one contact acknowledges: both now have the replies to give
    services.start_rectification(checkup=c, actor=first)
    c.refresh_from_db()
    for contact in (first, second):
        assert inbox_of(contact) == {(c.pk, "reply_findings")}
    # a contact who joins later gets the task with the next step
    third = contact_of(c)
    services.reply(finding=c.findings.get(), actor=second, plan="整改中", responsible="运营部", target_on=today())
    c.refresh_from_db()
    assert inbox_of(third) == {(c.pk, "reply_findings")}
    page = client.get("/work/inbox/").content.decode()
    assert "逐项答复整改情况" in page


def test_an_overdue_finding_asks_the_union_to_escalate(people):
    lead = people["lead"]
    make_organisation(kind="labor_bureau", name="某市人力资源和社会保障局")
    c = checkup_in_state("rectifying", lead=lead, results={"07": "non_compliant"})
    finding = c.findings.get()
    (contact,) = CheckupFlow.instance.company_contacts(c)  # the one who acknowledged it
    step(c, None, people, contacts=[contact], contact_node="reply_findings")
    late = finding.due_on + datetime.timedelta(days=1)
    with on(late):
        result = sweep_checkups.apply().get()
        assert result["overdue"] == 1 and result["rerouted"] >= 1
        step(c, "escalate", people, due=finding.due_on, contacts=[contact], contact_node="reply_findings")
        item = item_for(lead, c)
        assert item.overdue and item.action == "督促逾期整改"
        assert item_for(contact, c).overdue  # the company sees it is late too
        letter = services.escalate(finding=finding, actor=lead)
        # within the reminder's reply period there is nothing to escalate
        step(c, None, people, contacts=[contact], contact_node="reply_findings")
    with on(letter.reply_due + datetime.timedelta(days=1)):
        sweep_checkups.apply()  # nothing journaled about the date passing: the beat task re-routes
        step(c, "escalate", people, due=finding.due_on, contacts=[contact], contact_node="reply_findings")
        services.reply(finding=finding, actor=contact, plan="已整改", responsible="运营部", target_on=today(), done=True)
        step(c, "start_follow_up", people, contacts=[contact])


def test_without_an_active_lead_the_work_waits_for_the_supervisors(people):
    lead = people["lead"]
    c = checkup_in_state("fieldwork", lead=lead)
    step(c, "fieldwork", people)
    lead.is_active = False
    lead.save()
    c.refresh_from_db()
    CheckupFlow.instance.sync(c)
    (task,) = union_tasks(c)
    assert task.owner_id is None and task.flow_task.name == "fieldwork"
    assert (c.pk, "fieldwork") in inbox_of(people["supervisor"])
    assert (c.pk, "fieldwork") not in inbox_of(people["colleague"])


def test_the_beat_runs_the_checkup_sweep():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "legal_checkup.tasks.sweep_checkups")
    assert entry["schedule"] is not None
    assert sweep_checkups.name == "legal_checkup.tasks.sweep_checkups"
    assert sweep_checkups.apply().get() == {"reminded": 0, "overdue": 0, "rerouted": 0}
