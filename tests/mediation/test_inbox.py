"""The inbox follows the Mediation machine: after every step of the main paths, run through the API
(/api/v1/mediations/…/transitions/…), each user's inbox holds exactly the work the mediation's state
calls for, with its deadline; set-based changes (an import, the sweeps) move the tasks in bulk."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS, STATUS

from core import journal, workflow
from core.roles import Role, may_act
from core.transitions import allowed_transitions
from mediation import rules, services, services as sweeps
from mediation.flows import MediationFlow
from mediation.models import Mediation, MediationState as S
from tests.harness import assert_inbox_after_step, inbox_items, inbox_of, open_tasks_of
from tests.mediation.helpers import advance, ago, make_court, make_referral, mediation_in_state, today
from tests.scenarios import make_user, valid_credit_code, valid_resident_id

pytestmark = pytest.mark.django_db

URL = "/api/v1/mediations/"

EXPECTED_NODE = {
    S.REFERRED: "review", S.ACCEPTED: "assign", S.IN_PROGRESS: "mediate", S.AGREED: "follow_agreement",
    S.CONFIRMATION_PENDING: "await_ruling", S.CONFIRMATION_REJECTED: "after_rejection",
    S.CONFIRMED: "follow_performance",
    S.DECLINED: None, S.FAILED: None, S.WITHDRAWN: None, S.FULFILLED: None, S.DEFAULTED: None,
}
POOL_NODES = {"review", "assign"}  # before a mediator is assigned: waiting for mediators and supervisors


@pytest.fixture
def people():
    court, elsewhere = make_court(), make_court()
    return {
        "court": court,
        "mediator": make_user(Role.MEDIATOR, first_name="王调解"),
        "colleague": make_user(Role.MEDIATOR),
        "supervisor": make_user(Role.SUPERVISOR),
        "officer": make_user(Role.INTAKE_OFFICER),
        "liaison": make_user(Role.COURT_LIAISON, organisation=court),
        "other_liaison": make_user(Role.COURT_LIAISON, organisation=elsewhere),
        "contact": make_user(Role.COMPANY_CONTACT),
    }


def users(people):
    return {k: v for k, v in people.items() if k != "court"}




def check_inbox(m, people, client=None):
    """Exactly the task the state calls for; the mediator's, or waiting in its pool; nobody holds a
    task they cannot act on; the deadline is the one the state runs against."""
    m.refresh_from_db()
    tasks = open_tasks_of(m)
    node = EXPECTED_NODE[m.state]
    owner = m.mediator if node and node not in POOL_NODES else None
    assert_inbox_after_step(m, node, owner, users(people))
    if node:
        assert tasks[0].status == (STATUS.ASSIGNED if owner else STATUS.NEW)
    for who, user in users(people).items():
        mine = inbox_of(user)
        pooled = owner is None and bool(node) and user.has_perm(tasks[0].owner_permission)
        should = bool(node) and ((owner is not None and owner.pk == user.pk) or pooled)
        assert ((m.pk, node) in mine) == should, (who, m.state)
        for obj_id, _node in mine:  # never stale: whoever holds a task may act on it now
            obj = Mediation.objects.get(pk=obj_id)
            assert may_act(user, obj), (who, m.state)
    # the pool of unassigned work: mediators and supervisors; never a liaison, an officer or a company
    if node in POOL_NODES:
        assert {w for w, u in users(people).items() if (m.pk, node) in inbox_of(u)} == {"mediator", "colleague", "supervisor"}
    assert ((m.pk, node) in inbox_of(people["supervisor"], scope="team")) == bool(node)
    for who in ("mediator", "colleague", "officer", "liaison", "other_liaison", "contact"):
        assert inbox_of(people[who], scope="team") == set()
    if node:
        item = next(i for i in inbox_items(people["supervisor"], scope="team")
                    if i.obj.pk == m.pk)
        assert item.due == expected_due(m), (m.state, item.due)
    if client is not None and node:
        client.force_login(owner or people["mediator"])
        page = client.get("/work/inbox/")
        assert page.status_code == 200 and m.number in page.content.decode()


def expected_due(m):
    if m.state in (S.ACCEPTED, S.IN_PROGRESS):
        return m.deadline
    unpaid = [i.due_on for i in m.agreement.instalments.order_by("seq") if i.paid < i.amount] if m.agreement else []
    next_due = unpaid[0] if unpaid else None
    if m.state == S.AGREED:
        window = rules.confirmation_window(m)
        dates = [d for d in (next_due, window.date if window and window.date >= today() else None) if d]
        return min(dates) if dates else None
    if m.state in (S.CONFIRMATION_PENDING, S.CONFIRMED):
        return next_due
    return None


def api(user):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def agreement_body(recent=True):
    signed = ago(2) if recent else ago(50)
    due = [ago(-10), ago(-40)] if recent else [ago(40), ago(-20)]
    return {"total": "12000.00", "basis": "compensation", "signed_on": signed.isoformat(),
            "effective_on": signed.isoformat(), "obligations": "平台恢复申请人账号。",
            "instalments": [{"due_on": due[0].isoformat(), "amount": "6000.00"},
                            {"due_on": due[1].isoformat(), "amount": "6000.00"}]}


def step(people, m, name, body=None, *, actor=None, recent=True):
    """Run one transition (or a payment) through the API as the person the inbox routed it to."""
    body = dict(body or {})
    if name == "accept":
        body.setdefault("accepted_on", (ago(10) if recent else ago(60)).isoformat())
    if name == "assign_mediator":
        body.setdefault("mediator", people["mediator"].pk)
    if name == "reach_agreement":
        body = {**agreement_body(recent), **body}
        if m.period_started_on and m.period_started_on.isoformat() > body["signed_on"]:  # resumed: a new period
            body["signed_on"] = body["effective_on"] = m.period_started_on.isoformat()
    if name == "extend":
        body = {"days": 10, "claimant_consent_on": today().isoformat(), "respondent_consent_on": today().isoformat()}
    if name in ("decline", "withdraw", "fail", "reject_confirmation"):
        body.setdefault("reason", "测试理由")
    if name == "confirm":
        body = {"ruling_number": "（2026）测0203民特1号", "ruling_date": today().isoformat()}
    if actor is None:
        tasks = open_tasks_of(m)
        owner = tasks[0].owner if tasks else None
        actor = owner if owner is not None and name in allowed_transitions(m, owner) else people["mediator"]
    if name == "pay":
        response = api(actor).post(f"{URL}{m.pk}/payments/", {"amount": body.get("amount", "12000.00"),
                                                              "paid_on": today().isoformat()}, format="json")
        assert response.status_code == 201, response.content
    else:
        response = api(actor).post(f"{URL}{m.pk}/transitions/{name}/", body, format="json")
        assert response.status_code == 200, (name, response.content)
    m.refresh_from_db()
    return m


PATHS = {
    "confirmed_and_paid": ["accept", "assign_mediator", "extend", "reach_agreement", "request_confirmation",
                           ("confirm", "liaison"), "pay", "fulfil"],
    "confirmation_rejected_then_resumed": ["accept", "assign_mediator", "reach_agreement", "request_confirmation",
                                           "reject_confirmation", "resume", "reach_agreement", "pay", "fulfil"],
    "declined": ["decline"],
    "withdrawn_before_acceptance": ["withdraw"],
    "withdrawn_after_acceptance": ["accept", "withdraw"],
    "failed": ["accept", "assign_mediator", "fail"],
    "paid_without_confirmation": ["accept", "assign_mediator", "reach_agreement", "pay", "fulfil"],
}


@pytest.mark.parametrize("path", list(PATHS))
def test_each_main_path_through_the_api_keeps_every_inbox_exact(path, people, client):
    m = make_referral(court=people["court"], actor=people["liaison"])
    check_inbox(m, people, client)
    for item in PATHS[path]:
        name, who = item if isinstance(item, tuple) else (item, None)
        step(people, m, name, actor=people[who] if who else None)
        check_inbox(m, people, client)
    assert m.state == {"declined": S.DECLINED, "failed": S.FAILED}.get(path, S.WITHDRAWN if "withdrawn" in path else S.FULFILLED)
    assert not Process.objects.filter(artifact_object_id=m.pk, flow_class=MediationFlow, finished__isnull=True).exists()


def test_default_and_expiry_by_hand(people):
    late = make_referral(court=people["court"])
    for name in ("accept", "assign_mediator", "reach_agreement"):
        step(people, late, name, recent=False)
        check_inbox(late, people)
    assert expected_due(late) < today()  # the first instalment is 40 days overdue: first in the inbox
    items = inbox_items(people["mediator"])
    assert items[0].obj.pk == late.pk and items[0].overdue and str(items[0].due_label) == "分期履行期限"
    step(people, late, "default")
    check_inbox(late, people)

    expiring = make_referral(source="union")
    step(people, expiring, "accept", recent=False)
    check_inbox(expiring, people)
    step(people, expiring, "assign_mediator")
    check_inbox(expiring, people)
    step(people, expiring, "expire", actor=people["supervisor"])
    check_inbox(expiring, people)
    assert expiring.state == S.FAILED and expiring.expired


def test_the_confirmation_window_is_the_deadline_when_it_comes_first(people):
    m = make_referral(court=people["court"])
    for name in ("accept", "assign_mediator"):
        step(people, m, name)
    later = ago(-60).isoformat()
    step(people, m, "reach_agreement", {"instalments": [{"due_on": later, "amount": "12000.00"}]})
    window = rules.confirmation_window(m)
    item = next(i for i in inbox_items(people["mediator"]) if i.obj.pk == m.pk)
    assert item.due == window.date and str(item.due_label) == "申请司法确认截止"
    check_inbox(m, people)


def test_recusal_without_replacement_leaves_the_work_to_the_supervisors_and_claim(people, client):
    m = mediation_in_state("in_progress", court=people["court"])
    services.reassign_mediator(mediation=m, actor=people["supervisor"], mediator=people["mediator"])
    check_inbox(m, people)
    services.recuse(mediation=Mediation.objects.get(pk=m.pk), actor=people["mediator"], reason="与被申请人负责人系亲属")
    m.refresh_from_db()
    (task,) = open_tasks_of(m)
    assert task.owner_id is None and task.status == STATUS.NEW
    assert (m.pk, "mediate") in inbox_of(people["supervisor"])
    assert (m.pk, "mediate") not in inbox_of(people["mediator"]) and (m.pk, "mediate") not in inbox_of(people["colleague"])
    # a plain supervisor cannot claim it (claiming makes you the mediator): they reassign it
    assert not MediationFlow.instance.can_claim(people["supervisor"], task)
    client.force_login(people["supervisor"])
    response = client.post(f"/work/inbox/{task.pk}/reassign/", {"user": people["colleague"].pk})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.mediator == people["colleague"]
    assert inbox_of(people["colleague"]) >= {(m.pk, "mediate")}


def test_a_mediator_claims_an_accepted_mediation_by_becoming_its_mediator(people, client):
    m = make_referral(court=people["court"])
    step(people, m, "accept")
    (task,) = open_tasks_of(m)
    assert MediationFlow.instance.can_claim(people["colleague"], task)
    assert not MediationFlow.instance.can_claim(people["supervisor"], task)
    client.force_login(people["colleague"])
    assert client.post(f"/work/inbox/{task.pk}/claim/").status_code == 302
    m.refresh_from_db()
    assert (m.state, m.mediator) == (S.IN_PROGRESS, people["colleague"])
    check_inbox(m, people)
    assert inbox_of(people["colleague"]) == {(m.pk, "mediate")}


def test_a_referral_waiting_for_acceptance_cannot_be_claimed_or_reassigned(people, client):
    m = make_referral(court=people["court"])
    (task,) = open_tasks_of(m)
    assert not MediationFlow.instance.can_claim(people["mediator"], task)
    client.force_login(people["mediator"])
    assert client.post(f"/work/inbox/{task.pk}/claim/").status_code == 403
    client.force_login(people["supervisor"])
    assert client.post(f"/work/inbox/{task.pk}/reassign/", {"user": people["mediator"].pk}).status_code == 403
    page = client.get("/work/inbox/?scope=team").content.decode()
    assert m.number in page


def test_a_rolled_back_transition_takes_its_task_changes_with_it(people):
    m = make_referral(court=people["court"])
    with pytest.raises(RuntimeError), transaction.atomic():
        services.accept(mediation=m, actor=people["mediator"])
        raise RuntimeError("the caller's transaction fails after the transition")
    m = Mediation.objects.get(pk=m.pk)
    check_inbox(m, people)
    assert [t.flow_task.name for t in open_tasks_of(m)] == ["review"]


# --- set-based changes: an import, the sweeps ---------------------------------------------------------


def referral_csv(court, rows):
    lines = ["法院,案号,调解类型,委派日期,案由,申请人,身份证号码,被申请人,统一社会信用代码,请求事项,金额"]
    for n in range(rows):
        lines.append(f"{court.name},（2026）闽0203民诉前调{900 + n}号,委派,{ago(3).isoformat()},确认劳动关系,"
                     f"司机{n},{valid_resident_id(700 + n)},快跑出行科技有限公司,{valid_credit_code(800)},支付工资,3000")
    return ("\n".join(lines) + "\n").encode("gbk")


def test_an_import_starts_every_referral_in_the_mediators_pool(people):
    response = api(people["liaison"]).post(
        f"{URL}import/", {"file": SimpleUploadedFile("清单.csv", referral_csv(people["court"], 4)), "court": people["court"].pk},
        format="multipart")
    assert response.status_code == 200 and response.json()["created"] == 4, response.content
    mediations = list(Mediation.objects.filter(court=people["court"]))
    assert len(mediations) == 4
    for m in mediations:
        check_inbox(m, people)
    # written in bulk: one process and its human task each (no Start/Switch rows: see sync_many)
    process = Process.objects.get(artifact_object_id=mediations[0].pk, flow_class=MediationFlow)
    assert [t.flow_task.name for t in process.task_set.all()] == ["review"]


def test_the_sweeps_move_the_tasks_in_bulk(people):
    expiring = [mediation_in_state("in_progress", recent=False) for _ in range(3)]
    fresh = mediation_in_state("in_progress")
    paid = advance(mediation_in_state("agreed"), "pay_all")
    overdue = mediation_in_state("agreed", recent=False)
    for m in (*expiring, fresh, paid, overdue):
        check_inbox(m, people)
    sweeps.sweep_deadlines()
    sweeps.sweep_performance()
    for m in (*expiring, fresh, paid, overdue):
        check_inbox(m, people)
    assert [m.state for m in (*expiring, fresh, paid, overdue)] == [S.FAILED] * 3 + [S.IN_PROGRESS, S.FULFILLED, S.DEFAULTED]
    for m in (*expiring, paid, overdue):
        process = Process.objects.get(artifact_object_id=m.pk, flow_class=MediationFlow)
        assert process.status == PROCESS.DONE and process.finished is not None
        assert not process.task_set.filter(status__in=workflow.OPEN).exists()


def test_bulk_sync_takes_a_fixed_number_of_queries():
    def run(n):
        ms = [mediation_in_state("accepted") for _ in range(n)]
        with transaction.atomic():
            Mediation.objects.filter(pk__in=[m.pk for m in ms]).update(state=S.WITHDRAWN)
            with CaptureQueriesContext(connection) as queries:
                journal.record_many([(Mediation, m.pk, "withdraw", S.ACCEPTED, S.WITHDRAWN, {}) for m in ms])
        assert all(not open_tasks_of(m) for m in ms)
        return len(queries)

    assert run(2) == run(9)


def test_bulk_sync_leaves_the_same_tasks_as_one_by_one(people):
    """sync_many and sync give the same open tasks, owners and statuses, from any mix of states."""
    def snapshot(ms):
        return [(t.artifact_object_id, t.flow_task.name, t.owner_id, t.status)
                for m in ms for t in open_tasks_of(m)]

    def build():
        ms = [make_referral(), mediation_in_state("accepted"), mediation_in_state("in_progress"),
              mediation_in_state("agreed"), mediation_in_state("confirmation_pending"), mediation_in_state("confirmed")]
        moves = {S.REFERRED: S.ACCEPTED, S.ACCEPTED: S.WITHDRAWN, S.IN_PROGRESS: S.AGREED, S.AGREED: S.FULFILLED,
                 S.CONFIRMATION_PENDING: S.CONFIRMATION_REJECTED, S.CONFIRMED: S.DEFAULTED}
        return ms, moves

    ms, moves = build()
    with transaction.atomic():
        for m in ms:
            Mediation.objects.filter(pk=m.pk).update(state=moves[m.state])
        journal.record_many([(Mediation, m.pk, "x", m.state, moves[m.state], {}) for m in ms])
    bulk = snapshot(ms)

    others, moves = build()
    with transaction.atomic():
        for m in others:
            Mediation.objects.filter(pk=m.pk).update(state=moves[m.state])
        for m in others:  # one at a time: record() syncs object by object
            journal.record(subject=Mediation.objects.get(pk=m.pk), transition="x", from_state=m.state,
                           to_state=moves[m.state])
    one_by_one = snapshot(others)
    strip = [(name, owner is not None, status) for _pk, name, owner, status in bulk]
    assert strip == [(name, owner is not None, status) for _pk, name, owner, status in one_by_one]
    assert [name for _pk, name, _o, _s in bulk] == ["assign", "follow_agreement", "after_rejection"]
    moved = open_tasks_of(ms[0])[0]  # referred → accepted in bulk: the new task follows the settled one
    assert [t.flow_task.name for t in moved.previous.all()] == ["review"]
    assert moved.previous.get().status == STATUS.DONE


def test_every_state_routes_to_a_task_or_the_end():
    flow = MediationFlow.instance
    for state in S.values:
        node = flow.node_for(Mediation(state=state))
        assert (node.name if node else None) == EXPECTED_NODE[state]


def test_every_claim_pool_can_act_in_its_states(people):
    """Whoever a task's pool lets see it unassigned may act in its state once the claim (or the
    reassignment a supervisor makes) has made them the one who works it."""
    by_node = {node: state for state, node in EXPECTED_NODE.items() if node}
    for node in MediationFlow.instance.nodes():
        if not isinstance(node, workflow.StateTask):
            continue
        for user in users(people).values():
            if user.has_perm(node.claim_permission):
                m = Mediation(state=by_node[node.name], mediator=user if node.name not in POOL_NODES else None)
                assert may_act(user, m), (node.name, user)


def test_sync_tasks_command_is_idempotent(people):
    from django.core.management import call_command

    m = mediation_in_state("agreed")
    call_command("sync_tasks")
    call_command("sync_tasks")
    check_inbox(m, people)


def test_a_court_liaison_never_gets_other_courts_work(people):
    ours = make_referral(court=people["court"])
    theirs = make_referral()
    for m in (ours, theirs):
        advance(m, "accept", "assign_mediator", "reach_agreement", "request_confirmation")
    assert inbox_of(people["liaison"]) == set() and inbox_of(people["other_liaison"]) == set()
    # the ruling is theirs to record from the mediation page, for their own court only
    assert "confirm" in allowed_transitions(Mediation.objects.get(pk=ours.pk), people["liaison"])
    assert "confirm" not in allowed_transitions(Mediation.objects.get(pk=theirs.pk), people["liaison"])


def test_a_claim_racing_an_assignment_is_a_message_not_a_crash(people, client):
    m = make_referral(court=people["court"])
    step(people, m, "accept")
    (task,) = open_tasks_of(m)
    stale = Mediation.objects.get(pk=m.pk)
    services.withdraw(mediation=Mediation.objects.get(pk=m.pk), actor=people["supervisor"], reason="申请人撤回")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="已撤回"):
        task.flow_task.reassign(stale, people["colleague"], people["colleague"])
    client.force_login(people["colleague"])
    assert client.post(f"/work/inbox/{task.pk}/claim/").status_code == 404  # the task is settled
