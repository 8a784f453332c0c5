"""The inbox follows the state machine: after every step of every path, whoever ran it (API, service,
set-based sweep), each user's inbox holds exactly the work the case's state calls for."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient
from viewflow.workflow.status import STATUS

from core import journal, workflow
from casework import services
from casework.flows import CaseFlow
from casework.models import Case, CaseState as S
from core.roles import Role, may_act
from core.transitions import allowed_transitions
from tests.harness import assert_inbox_after_step, inbox_items, open_tasks_of
from tests.harness import inbox_of as harness_inbox_of
from tests.scenarios import PATHS, advance, make_case, make_user, supervisor

pytestmark = pytest.mark.django_db

EXPECTED_NODE = {
    S.RECEIVED: "triage", S.SCREENING: "screen", S.ACCEPTED: "choose_path", S.CONSULTING: "consult",
    S.LEGAL_AID: "legal_aid", S.IN_MEDIATION: "follow_mediation", S.IN_ARBITRATION: "follow_arbitration",
    S.IN_LITIGATION: "follow_litigation", S.RESOLVED: "close_file", S.REJECTED: None, S.CLOSED: None,
}


open_case_tasks = open_tasks_of


def inbox_of(user, scope="mine"):
    """The user's case tasks (the inbox also holds other modules' work, e.g. a referred case's mediation)."""
    return harness_inbox_of(user, scope, model=Case)


@pytest.fixture
def people():
    return {
        "officer": make_user(Role.INTAKE_OFFICER),
        "colleague": make_user(Role.INTAKE_OFFICER),
        "supervisor": supervisor(),
        "lawyer": make_user(Role.LAWYER),
        "volunteer": make_user(Role.LEGAL_AID_VOLUNTEER),
        "contact": make_user(Role.COMPANY_CONTACT),
    }


def check_inbox(case, people, client=None):
    case.refresh_from_db()
    tasks = open_case_tasks(case)
    node = EXPECTED_NODE[case.state]
    expected_owner = case.legal_aid_by if case.state == S.LEGAL_AID else case.handler
    assert_inbox_after_step(case, node, expected_owner, people)
    if node:
        assert tasks[0].status == STATUS.ASSIGNED
    for who, user in people.items():
        mine = inbox_of(user)
        should = bool(node) and expected_owner.pk == user.pk
        assert ((case.pk, node) in mine) == should, (who, case.state)
        # never stale: whatever is in someone's inbox, they can act on now
        for obj_id, _node in mine:
            assert may_act(user, Case.objects.get(pk=obj_id)), (who, case.state)
            assert allowed_transitions(Case.objects.get(pk=obj_id), user), (who, case.state)
    team = inbox_of(people["supervisor"], scope="team")
    assert ((case.pk, node) in team) == bool(node)
    for who in ("officer", "colleague", "lawyer", "volunteer", "contact"):
        assert inbox_of(people[who], scope="team") == set()  # only managers get the team view
    if client is not None and node:
        client.force_login(expected_owner)
        page = client.get("/work/inbox/")
        assert page.status_code == 200
        assert case.number in page.content.decode()


def api_body(extra):
    body = {}
    for key, value in extra.items():
        body[key] = value.pk if hasattr(value, "pk") else str(value) if isinstance(value, Decimal) else value
    return body


@pytest.mark.parametrize("target", list(PATHS))
def test_each_path_through_the_api_keeps_every_inbox_exact(target, people, client):
    case = make_case(actor=people["officer"])
    check_inbox(case, people, client)
    api = APIClient()
    for step in PATHS[target]:
        name, extra = (step, {}) if isinstance(step, str) else step
        extra = extra() if callable(extra) else extra
        if name == "assign_legal_aid":
            extra = {"lawyer": people["lawyer"]}
        # The person the inbox routed the work to runs it when the rules let them; else a supervisor.
        task = open_case_tasks(case)[0]
        actor = task.owner if task.owner and name in allowed_transitions(case, task.owner) else people["supervisor"]
        api.force_authenticate(actor)
        response = api.post(f"/api/v1/cases/{case.pk}/transitions/{name}/", api_body(extra), format="json")
        assert response.status_code == 200, response.content
        check_inbox(case, people, client)


def test_reopen_starts_a_new_round_of_work(people):
    case = make_case(actor=people["officer"])
    advance(case, *PATHS["rejected"])
    assert open_case_tasks(case) == []
    services.reopen(case=case, actor=people["supervisor"], reason="补交证据")
    check_inbox(case, people)
    assert [t.flow_task.name for t in open_case_tasks(case)] == ["screen"]


def test_a_refused_transition_leaves_the_task_as_it_was(people):
    case = make_case(actor=people["officer"])
    advance(case, "start_screening")
    before = [(t.pk, t.status) for t in open_case_tasks(case)]
    with pytest.raises(Exception):
        services.reject(case=case, actor=people["officer"], reason="")
    assert [(t.pk, t.status) for t in open_case_tasks(case)] == before


def test_a_transition_rolled_back_takes_its_task_changes_with_it(people):
    case = make_case(actor=people["officer"])
    with pytest.raises(RuntimeError), transaction.atomic():
        services.start_screening(case=case, actor=people["officer"])
        raise RuntimeError("the caller's transaction fails after the transition")
    check_inbox(case, people)
    assert [t.flow_task.name for t in open_case_tasks(case)] == ["triage"]


def test_task_follows_a_handler_change_made_by_editing_the_case(people):
    case = make_case(actor=people["officer"])
    services.edit_case(case=case, actor=people["supervisor"], changes={"handler": people["colleague"]})
    check_inbox(case, people)
    assert inbox_of(people["colleague"]) == {(case.pk, "triage")}
    assert inbox_of(people["officer"]) == set()


def test_work_nobody_can_do_waits_in_the_pool_and_can_be_claimed(people, client):
    officer, colleague = people["officer"], people["colleague"]
    case = make_case(actor=officer)
    officer.is_active = False
    officer.save()
    services.edit_case(case=case, actor=people["supervisor"], changes={"title": "拖欠配送费（更正）"})
    task = open_case_tasks(case)[0]
    assert task.owner_id is None and task.status == STATUS.NEW
    # every intake officer and supervisor may claim it; a volunteer or a lawyer may not (triage)
    assert (case.pk, "triage") in inbox_of(colleague)
    assert (case.pk, "triage") in inbox_of(people["supervisor"])
    assert inbox_of(people["lawyer"]) == set() and inbox_of(people["volunteer"]) == set()
    client.force_login(colleague)
    response = client.post(f"/work/inbox/{task.pk}/claim/")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.handler == colleague
    assert inbox_of(colleague) == {(case.pk, "triage")}
    assert journal.events_for(case).last().transition == "reassign_handler"


def test_only_an_unassigned_task_can_be_claimed(people, client):
    case = make_case(actor=people["officer"])
    task = open_case_tasks(case)[0]
    client.force_login(people["colleague"])
    assert client.post(f"/work/inbox/{task.pk}/claim/").status_code == 403
    case.refresh_from_db()
    assert case.handler == people["officer"]


def test_supervisor_reassigns_from_the_team_inbox(people, client):
    case = make_case(actor=people["officer"])
    task = open_case_tasks(case)[0]
    client.force_login(people["supervisor"])
    page = client.get("/work/inbox/?scope=team")
    assert case.number in page.content.decode()
    response = client.post(f"/work/inbox/{task.pk}/reassign/", {"user": people["colleague"].pk})
    assert response.status_code == 302
    check_inbox(case, people)
    assert inbox_of(people["colleague"]) == {(case.pk, "triage")}
    # not a supervisor: refused
    client.force_login(people["colleague"])
    task = open_case_tasks(case)[0]
    assert client.post(f"/work/inbox/{task.pk}/reassign/", {"user": people["officer"].pk}).status_code == 403


def test_legal_aid_reassignment_checks_conflicts(people):
    conflicted = make_user(Role.LAWYER)
    case = make_case(actor=people["officer"])
    advance(case, "start_screening", "accept", ("assign_legal_aid", {"lawyer": people["lawyer"]}))
    conflicted.profile.acts_for.set(case.respondents.all())
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="利益冲突"):
        services.reassign_legal_aid(case=case, actor=people["supervisor"], lawyer=conflicted)
    services.reassign_legal_aid(case=case, actor=people["supervisor"], lawyer=people["volunteer"])
    check_inbox(case, people)
    assert inbox_of(people["volunteer"]) == {(case.pk, "legal_aid")}
    assert inbox_of(people["lawyer"]) == set()


def test_a_set_based_change_journaled_with_record_many_moves_the_tasks_too(people):
    """A sweep (a Celery beat timer) that changes many objects in one statement journals them with
    record_many; their tasks follow in the same transaction."""
    cases = [make_case(actor=people["officer"]) for _ in range(3)]
    with transaction.atomic():
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(state=S.SCREENING)
        journal.record_many([(Case, c.pk, "start_screening", S.RECEIVED, S.SCREENING, {}) for c in cases])
    for case in cases:
        check_inbox(case, people)


def test_overdue_work_comes_first(people):
    today = timezone.localdate()  # Shanghai's date, not the server's
    later = make_case(actor=people["officer"])
    overdue = make_case(actor=people["officer"], received_on=today - datetime.timedelta(days=20))
    items = inbox_items(people["officer"])
    assert [i.obj.pk for i in items][:2] == [overdue.pk, later.pk]
    assert items[0].overdue and items[0].days_left < 0
    assert not items[1].overdue
    assert str(items[0].due_label) == "审查期限"


def test_every_state_routes_to_a_task_or_the_end():
    flow = CaseFlow.instance
    for state in S.values:
        case = Case(state=state)
        node = flow.node_for(case)
        assert (node.name if node else None) == EXPECTED_NODE[state]


def test_every_claim_pool_can_act_in_its_states(people):
    """Whoever a task's pool lets claim it may run a transition in the state it stands for, once the
    claim has made them the one who works it (the handler, or the legal-aid lawyer)."""
    by_node = {node: state for state, node in EXPECTED_NODE.items() if node}
    for node in CaseFlow.instance.nodes():
        if not isinstance(node, workflow.StateTask):
            continue
        for user in people.values():
            case = Case(state=by_node[node.name])
            setattr(case, node.assignee, user)
            if user.has_perm(node.claim_permission):
                assert may_act(user, case), (node.name, user)


def test_sync_tasks_command_is_idempotent(people):
    from django.core.management import call_command

    case = make_case(actor=people["officer"])
    call_command("sync_tasks")
    call_command("sync_tasks")
    check_inbox(case, people)
