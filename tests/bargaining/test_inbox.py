"""The inbox follows the Negotiation machine (bargaining/flows.py): after every step each user's
inbox holds exactly the work the negotiation calls for, with its deadline — the officer's task per
state, a vacant seat to fill within 15 days, the renewal 3 months before the end; and while the
proposal awaits its reply, the employer side's company contacts hold a reply task of their own."""

import datetime

import pytest

from bargaining import services
from bargaining.flows import NegotiationFlow
from bargaining.models import Negotiation, Negotiator, Side
from bargaining.rules import renewal_opens, seat_fill_due
from bargaining.tasks import sweep_negotiations
from core.roles import Role
from tests.bargaining.helpers import (
    agree_all, contact_of, electorate, labor_bureau, make_negotiation, negotiation_in_state, officer, platform, today,
)
from tests.harness import assert_inbox_after_step, inbox_items, inbox_of, on, open_tasks_of
from tests.scenarios import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {"officer": officer(first_name="陈协商"), "colleague": officer(), "supervisor": make_user(Role.SUPERVISOR),
            "mediator": make_user(Role.MEDIATOR), "stranger": make_user(Role.COMPANY_CONTACT, organisation=platform())}


def staff(people):
    return {k: v for k, v in people.items() if k != "contact"}


def item_for(user, n):
    return next((i for i in inbox_items(user) if i.obj.pk == n.pk and i.flow.model is Negotiation), None)


def step(n, node, people, *, due=None):
    """After a step: the officer holds exactly `node` (or nothing), with its deadline."""
    n.refresh_from_db()
    assert_inbox_after_step(n, node, people["officer"] if node else None, staff(people))
    mine = {t for t in inbox_of(people["officer"], model=Negotiation) if t[0] == n.pk}
    assert mine == ({(n.pk, node)} if node else set())
    for who in ("colleague", "mediator", "stranger"):
        assert inbox_of(people[who], model=Negotiation) == set(), who
    if node:
        assert ((n.pk, node) in inbox_of(people["supervisor"], scope="team"))
        assert item_for(people["officer"], n).due == due


def test_the_officer_holds_the_work_of_every_state(people):
    o = people["officer"]
    n = make_negotiation(actor=o)
    step(n, "prepare", people)

    services.send_proposal(negotiation=n, actor=o)
    step(n, "await_reply", people, due=n.reply_due)

    services.accept_proposal(negotiation=n, actor=o)
    step(n, "negotiate", people)

    services.suspend(negotiation=n, actor=o, reason="平台内部调整")
    step(n, "suspended", people)
    services.resume(negotiation=n, actor=o)
    step(n, "negotiate", people)

    agree_all(n, actor=o)
    n.refresh_from_db()
    services.draft_agreement(negotiation=n, actor=o)
    step(n, "prepare_vote", people)
    electorate(n, actor=o)
    n.refresh_from_db()
    services.submit_for_vote(negotiation=n, actor=o)
    step(n, "count_vote", people)

    services.record_vote(negotiation=n, actor=o, method="counted", attendance=9, approvals=8)
    step(n, "sign_contract", people)
    services.sign(negotiation=n, actor=o, term_years=2)
    step(n, "file_contract", people, due=n.filing_due)
    services.file(negotiation=n, actor=o, authority=labor_bureau())
    step(n, "await_review", people, due=n.objection_window_ends)
    services.take_effect(negotiation=n, actor=o, no_objection_on=today())
    step(n, None, people)  # in force, far from its end: no work


def test_a_vote_that_fails_goes_back_to_the_table(people):
    o = people["officer"]
    n = negotiation_in_state("voting", actor=o)
    services.record_vote(negotiation=n, actor=o, method="counted", attendance=9, approvals=4)
    step(n, "negotiate", people)


def test_refused_proposal_ends_the_work(people):
    n = negotiation_in_state("refused", actor=people["officer"])
    step(n, None, people)


def test_reply_overdue_is_flagged(people):
    o = people["officer"]
    n = negotiation_in_state("proposed", actor=o)
    assert not item_for(o, n).overdue
    with on(n.reply_due + datetime.timedelta(days=1)):
        item = item_for(o, n)
        assert item.overdue and item.due == n.reply_due and item.due_label == "书面回应期限"
        sweep_negotiations()  # tells the officer; the task stays, still overdue
        item = item_for(o, n)
        assert item.overdue and item.node.name == "await_reply"


def test_filing_due_is_flagged_when_late(people):
    o = people["officer"]
    n = negotiation_in_state("signed", actor=o)
    item = item_for(o, n)
    assert item.node.name == "file_contract" and item.due == n.filing_due and item.due_label == "报送期限"
    assert not item.overdue
    with on(n.filing_due + datetime.timedelta(days=2)):
        assert item_for(o, n).overdue


def test_a_vacant_seat_is_the_first_job_until_filled(people):
    o = people["officer"]
    n = negotiation_in_state("negotiating", actor=o)
    seat = n.negotiators.filter(side=Side.EMPLOYER, role=Negotiator.SeatRole.NEGOTIATOR).first()
    vacated = today() - datetime.timedelta(days=3)
    services.vacate_seat(seat=seat, actor=o, vacated_on=vacated, reason="调离")
    step(n, "fill_seat", people, due=seat_fill_due(vacated).date)
    assert item_for(o, n).due_label == "补齐协商代表期限"
    with on(seat_fill_due(vacated).date + datetime.timedelta(days=1)):
        assert item_for(o, n).overdue
    n.refresh_from_db()
    services.set_negotiator(negotiation=n, actor=o, side=Side.EMPLOYER, name="替补代表", replaces=seat)
    step(n, "negotiate", people)


def test_renewal_three_months_before_the_end(people):
    o = people["officer"]
    n = negotiation_in_state("effective", actor=o)
    step(n, None, people)
    with on(renewal_opens(n.expires_on)):
        result = sweep_negotiations()
        assert result["renewal_due"] == 1
        step(n, "renew", people, due=n.expires_on)
        assert item_for(o, n).due_label == "合同期满"
        renewal = services.start_renewal(negotiation=n, actor=o)
        step(n, None, people)
        step(renewal, "prepare", people)


def test_expiry_by_the_sweep_ends_the_work(people):
    o = people["officer"]
    n = negotiation_in_state("effective", actor=o)
    with on(n.expires_on + datetime.timedelta(days=1)):
        sweep_negotiations()
        n.refresh_from_db()
        assert n.state == "expired"
        assert open_tasks_of(n) == []


def test_effect_by_the_sweep_moves_the_task(people):
    o = people["officer"]
    n = negotiation_in_state("filed", actor=o)
    step(n, "await_review", people, due=n.objection_window_ends)
    with on(n.objection_window_ends + datetime.timedelta(days=1)):
        assert sweep_negotiations()["took_effect"] == 1
        step(n, None, people)


def test_company_contacts_hold_the_reply_while_the_proposal_waits(people, client):
    o = people["officer"]
    n = make_negotiation(actor=o, employers=[platform(), platform()])
    first, second = n.employers.order_by("id")
    contact, other_contact = contact_of(n, first), contact_of(n, second)
    gone = contact_of(n, first)
    gone.is_active = False
    gone.save()
    services.send_proposal(negotiation=n, actor=o)
    n.refresh_from_db()
    reply = {(n.pk, "employer_reply")}
    assert inbox_of(contact) == reply and inbox_of(other_contact) == reply
    assert inbox_of(gone) == set() and inbox_of(people["stranger"]) == set()
    assert inbox_of(o, model=Negotiation) == {(n.pk, "await_reply")}  # the officer's own task is kept
    item = item_for(contact, n)
    assert item.due == n.reply_due and item.action == "回应集体协商要约" and item.mine
    # their inbox page lists it, with a link to the page they may open
    client.force_login(contact)
    page = client.get("/work/inbox/").content.decode()
    assert n.number in page and "回应集体协商要约" in page
    assert client.get(item.url).status_code == 200

    # the contact answers: every reply task is settled; the officer negotiates
    services.accept_proposal(negotiation=n, actor=contact, reply_text="同意协商")
    n.refresh_from_db()
    assert inbox_of(contact) == set() and inbox_of(other_contact) == set()
    assert_inbox_after_step(n, "negotiate", o, staff(people))
    assert client.get("/work/inbox/").content.decode().count(n.number) == 0


def test_a_refused_proposal_settles_the_reply_tasks_too(people):
    o = people["officer"]
    n = make_negotiation(actor=o)
    contact = contact_of(n)
    services.send_proposal(negotiation=n, actor=o)
    n.refresh_from_db()
    assert inbox_of(contact) == {(n.pk, "employer_reply")}
    services.refuse_proposal(negotiation=n, actor=contact, reason="平台认为时机不成熟")
    n.refresh_from_db()
    assert inbox_of(contact) == set()
    assert open_tasks_of(n) == []


def test_without_an_officer_the_work_waits_for_a_supervisor(people):
    o = people["officer"]
    n = negotiation_in_state("negotiating", actor=o)
    o.is_active = False
    o.save()
    n.refresh_from_db()
    services.suspend(negotiation=n, actor=people["supervisor"], reason="暂停")
    n.refresh_from_db()
    (task,) = open_tasks_of(n)
    assert task.owner_id is None and task.flow_task.name == "suspended"
    assert (n.pk, "suspended") in inbox_of(people["supervisor"])
    # the supervisor hands it to a colleague: the officer changes, journaled, and the task follows
    NegotiationFlow.instance.suspended.reassign(n, people["supervisor"], people["colleague"])
    n.refresh_from_db()
    assert n.officer == people["colleague"]
    assert inbox_of(people["colleague"], model=Negotiation) == {(n.pk, "suspended")}
