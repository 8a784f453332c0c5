"""The Negotiation machine: the contract, every allowed and refused move, each guard, each role."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError

from bargaining import services
from bargaining.models import Negotiation, NegotiationState, Vote
from core import journal
from core.errors import TransitionRefused
from core.transitions import allowed_transitions
from tests.bargaining.helpers import (
    agree_all,
    contact_of,
    electorate,
    labor_bureau,
    make_negotiation,
    negotiation_in_state,
    officer,
    today,
)
from tests.harness import assert_contract, assert_refused_elsewhere, assert_role, on, told
from tests.scenarios import make_user, supervisor

pytestmark = pytest.mark.django_db

S = NegotiationState
# The contract, transcribed from DESIGN.md: state -> {transition: target}.
CONTRACT = {
    S.PREPARING: {"send_proposal": S.PROPOSED},
    S.PROPOSED: {"accept_proposal": S.NEGOTIATING, "refuse_proposal": S.REFUSED},
    S.NEGOTIATING: {"suspend": S.SUSPENDED, "draft_agreement": S.DRAFTED},
    S.SUSPENDED: {"resume": S.NEGOTIATING},
    S.DRAFTED: {"submit_for_vote": S.VOTING},
    S.VOTING: {"record_vote": (S.RATIFIED, S.NEGOTIATING)},
    S.RATIFIED: {"sign": S.SIGNED},
    S.SIGNED: {"file": S.FILED},
    S.FILED: {"take_effect": S.EFFECTIVE, "object": S.NEGOTIATING},
    S.EFFECTIVE: {"expire": S.EXPIRED},
    S.REFUSED: {},
    S.EXPIRED: {},
}
REACHABLE_TODAY = [s for s in S if s != S.EXPIRED]


def inputs(name):
    return {
        "refuse_proposal": {"reason": "企业认为时机不成熟"},
        "suspend": {"reason": "平台内部调整"},
        "record_vote": {"method": "counted", "attendance": 9, "approvals": 8},
        "sign": {"term_years": 2},
        "file": {"authority": labor_bureau()},
        "take_effect": {"no_objection_on": today()},
        "object": {"reason": "第三条低于本市最低工资标准"},
    }.get(name, {})


def test_the_machine_is_the_contract():
    assert_contract(Negotiation, CONTRACT)


@pytest.mark.parametrize("state", REACHABLE_TODAY)
def test_every_transition_the_table_does_not_start_here_is_refused(state):
    n = negotiation_in_state(state)
    assert_refused_elsewhere(n, CONTRACT, actor=supervisor(), inputs=inputs)


@pytest.mark.parametrize("state,name", [(s, name) for s in REACHABLE_TODAY for name in CONTRACT[s]
                                        if name not in ("expire", "take_effect")])
def test_every_allowed_move_journals_from_and_to(state, name):
    n = negotiation_in_state(state)
    actor = officer()
    if name == "draft_agreement":
        agree_all(n, actor=actor)
    if name == "submit_for_vote":
        electorate(n, actor=actor)
    n.refresh_from_db()
    getattr(services, name)(negotiation=n, actor=actor, **inputs(name))
    n.refresh_from_db()
    target = CONTRACT[state][name]
    assert n.state == (S.RATIFIED if name == "record_vote" else target)
    event = journal.events_for(n).filter(transition=name).get()
    assert (event.from_state, event.to_state, event.actor_id) == (state, n.state, actor.pk)


# --- send_proposal: topics and the team ------------------------------------------------------------


def test_a_proposal_needs_a_topic():
    n = make_negotiation(topics=False)
    with pytest.raises(TransitionRefused, match="议题"):
        services.send_proposal(negotiation=n, actor=officer())
    assert "send_proposal" not in allowed_transitions(n, officer())


def test_the_reply_is_due_in_twenty_days_on_the_legal_calendar_across_national_day():
    # 2025-09-11 + 20 days = 1 October, a holiday until 8 October: due the 9th.
    with on(datetime.date(2025, 9, 11)):
        n = make_negotiation()
        services.send_proposal(negotiation=n, actor=officer())
    n.refresh_from_db()
    assert (n.proposed_on, n.reply_due, n.reply_due_provisional) == (
        datetime.date(2025, 9, 11), datetime.date(2025, 10, 9), False)
    assert journal.events_for(n).get(transition="send_proposal").payload["reply_due"] == "2025-10-09"


def test_the_employer_side_is_told_of_the_proposal():
    n = make_negotiation()
    contact = contact_of(n)
    services.send_proposal(negotiation=n, actor=officer())
    (notice,) = told("proposal_sent", n)
    assert notice.recipient == contact and n.number in notice.message


# --- replies -----------------------------------------------------------------------------------------


def test_the_company_contact_of_a_party_replies_and_no_one_else_outside_the_union():
    n = negotiation_in_state("proposed")
    stranger = make_user("company_contact")
    assert_role(n, "accept_proposal", stranger, False)
    assert_role(n, "refuse_proposal", stranger, False, inputs={"reason": "不同意"})
    assert_role(n, "accept_proposal", contact_of(n), True, then=S.NEGOTIATING)


def test_a_contact_may_only_reply():
    n = negotiation_in_state("negotiating")
    assert allowed_transitions(n, contact_of(n)) == []
    with pytest.raises(PermissionDenied):
        services.suspend(negotiation=n, actor=contact_of(n), reason="x")


def test_a_refusal_needs_a_reason_and_is_told_to_the_officer():
    actor = officer()
    n = negotiation_in_state("proposed", actor=actor)
    with pytest.raises(ValidationError) as e:
        services.refuse_proposal(negotiation=n, actor=contact_of(n), reason="  ")
    assert "reason" in e.value.message_dict
    n.refresh_from_db()
    assert n.state == S.PROPOSED
    services.refuse_proposal(negotiation=n, actor=contact_of(n), reason="企业正在重组")
    n.refresh_from_db()
    assert n.state == S.REFUSED and n.refusal_reason == "企业正在重组"
    assert told("proposal_refused", n)[0].recipient == actor


def test_a_reply_cannot_be_dated_before_the_proposal_or_in_the_future():
    n = negotiation_in_state("proposed")
    for bad in (n.proposed_on - datetime.timedelta(days=1), today() + datetime.timedelta(days=1)):
        with pytest.raises(ValidationError):
            services.accept_proposal(negotiation=n, actor=officer(), replied_on=bad)
    n.refresh_from_db()
    assert n.state == S.PROPOSED


# --- draft -------------------------------------------------------------------------------------------


def test_a_draft_needs_an_agreed_core_common_issue():
    actor = officer()
    n = negotiation_in_state("negotiating", actor=actor)
    with pytest.raises(TransitionRefused):
        services.draft_agreement(negotiation=n, actor=actor)
    penalties = n.topics.get(core_common=False) if n.topics.filter(core_common=False).exists() else None
    text_topic = n.topics.get(name="奖惩制度")
    text_topic.core_common = False
    text_topic.save()
    services.record_round(negotiation=n, actor=actor, positions=[
        {"topic": text_topic.pk, "union_text": "取消超时罚款", "employer_text": "同意取消", "agreed": True}])
    n.refresh_from_db()
    with pytest.raises(TransitionRefused, match="核心共性问题"):
        services.draft_agreement(negotiation=n, actor=actor)
    assert penalties is None or penalties.pk
    agree_all(n, actor=actor)
    n.refresh_from_db()
    services.draft_agreement(negotiation=n, actor=actor)
    n.refresh_from_db()
    version = n.current_version()
    assert n.state == S.DRAFTED and version.number == 1
    assert [c["title"] for c in version.clauses] == [t.name for t in n.topics.filter(agreed=True)]


def test_an_agreed_numeric_position_needs_the_same_figure_on_both_sides():
    actor = officer()
    n = negotiation_in_state("negotiating", actor=actor)
    piece = n.topics.get(name="计件单价")
    with pytest.raises(ValidationError):
        services.record_round(negotiation=n, actor=actor, positions=[
            {"topic": piece.pk, "union_value": "5.50", "employer_value": "5.00", "agreed": True}])
    assert not n.rounds.exists()


# --- vote --------------------------------------------------------------------------------------------


def _voting(size=9):
    actor = officer()
    n = negotiation_in_state("drafted", actor=actor)
    electorate(n, actor=actor, size=size)
    n.refresh_from_db()
    services.submit_for_vote(negotiation=n, actor=actor)
    n.refresh_from_db()
    return n, actor


# Electorate 9: attendance needs ≥ 6 (2/3 of 9); approvals need ≥ 5 (> 4.5, half of ALL 9).
@pytest.mark.parametrize("attendance,approvals,ratified", [
    (6, 5, True),    # both at their thresholds
    (5, 5, False),   # one short of the quorum
    (9, 4, False),   # 4 of 9 is not more than half of the electorate…
    (7, 4, False),   # …even though it is more than half of those voting
    (9, 9, True),
])
def test_the_vote_counts_against_the_whole_electorate(attendance, approvals, ratified):
    n, actor = _voting(9)
    services.record_vote(negotiation=n, actor=actor, method="counted", attendance=attendance, approvals=approvals)
    n.refresh_from_db()
    assert n.state == (S.RATIFIED if ratified else S.NEGOTIATING)
    vote = n.votes.get()
    assert (vote.electorate, vote.attendance, vote.approvals, vote.passed) == (9, attendance, approvals, ratified)


def test_an_even_electorate_needs_strictly_more_than_half():
    # Electorate 12: quorum 8 (exactly 2/3), approvals 7 (6 is exactly half: not enough).
    for attendance, approvals, ratified in ((8, 7, True), (7, 7, False), (12, 6, False)):
        n, actor = _voting(12)
        services.record_vote(negotiation=n, actor=actor, method="counted", attendance=attendance, approvals=approvals)
        n.refresh_from_db()
        assert n.state == (S.RATIFIED if ratified else S.NEGOTIATING), (attendance, approvals)


def test_ballots_record_who_voted_never_how_and_each_elector_once():
    n, actor = _voting(9)
    with pytest.raises(ValidationError) as e:
        services.record_vote(negotiation=n, actor=actor, method="ballots",
                             ballots=[{"elector": "E001", "approve": True}, {"elector": "E001", "approve": True},
                                      {"elector": "X99", "approve": True}])
    assert len(e.value.message_dict["ballots"]) == 2
    assert not Vote.objects.filter(negotiation=n).exists()
    ballots = [{"elector": f"E{i:03d}", "approve": i <= 5} for i in range(1, 7)]
    services.record_vote(negotiation=n, actor=actor, method="ballots", ballots=ballots)
    n.refresh_from_db()
    vote = n.votes.get()
    assert (vote.attendance, vote.approvals, n.state) == (6, 5, S.RATIFIED)
    assert sorted(vote.ballots.values_list("elector__reference", flat=True)) == [f"E{i:03d}" for i in range(1, 7)]
    assert [f.name for f in vote.ballots.model._meta.fields] == ["id", "vote", "elector"]  # no choice kept


def test_counts_that_do_not_fit_the_electorate_are_refused():
    n, actor = _voting(9)
    for attendance, approvals in ((10, 5), (6, 7), (None, 3)):
        with pytest.raises(ValidationError):
            services.record_vote(negotiation=n, actor=actor, method="counted", attendance=attendance, approvals=approvals)
    n.refresh_from_db()
    assert n.state == S.VOTING and not n.votes.exists()


def test_a_failed_vote_goes_back_to_the_table_and_a_new_draft_is_the_next_version():
    n, actor = _voting(9)
    services.record_vote(negotiation=n, actor=actor, method="counted", attendance=9, approvals=3)
    n.refresh_from_db()
    assert n.state == S.NEGOTIATING and told("vote_failed", n)
    agree_all(n, actor=actor)
    n.refresh_from_db()
    services.draft_agreement(negotiation=n, actor=actor)
    n.refresh_from_db()
    assert n.current_version().number == 2


# --- sign, file, effect ------------------------------------------------------------------------------


def test_only_the_ordinary_procedure_signs_a_contract():
    actor = officer()
    n = negotiation_in_state("ratified", actor=actor, procedure="simple")
    with pytest.raises(TransitionRefused, match="一般程序"):
        services.sign(negotiation=n, actor=actor, term_years=2)


@pytest.mark.parametrize("years", [0, 4])
def test_the_term_is_one_to_three_years(years):
    actor = officer()
    n = negotiation_in_state("ratified", actor=actor)
    with pytest.raises(ValidationError):
        services.sign(negotiation=n, actor=actor, term_years=years)


def test_filing_is_due_ten_days_after_signing_and_late_filing_is_flagged_not_refused():
    actor = officer()
    with on(datetime.date(2025, 9, 21)):
        n = negotiation_in_state("signed", actor=actor)
    n.refresh_from_db()
    assert n.filing_due == datetime.date(2025, 10, 9)  # 1 October + the National Day holiday
    with on(datetime.date(2025, 10, 9)):
        services.file(negotiation=n, actor=actor, authority=labor_bureau())
    n.refresh_from_db()
    assert n.state == S.FILED and n.filed_late is False
    with on(datetime.date(2025, 9, 21)):
        late = negotiation_in_state("signed", actor=actor)
    with on(datetime.date(2025, 10, 10)):
        services.file(negotiation=late, actor=actor, authority=labor_bureau())
    late.refresh_from_db()
    assert late.state == S.FILED and late.filed_late is True
    assert journal.events_for(late).get(transition="file").payload["late"] is True


def test_an_objection_comes_within_the_window_and_sends_it_back():
    actor = officer()
    with on(datetime.date(2025, 9, 16)):
        n = negotiation_in_state("filed", actor=actor)
    n.refresh_from_db()
    assert n.objection_window_ends == datetime.date(2025, 10, 9)
    with on(datetime.date(2025, 10, 10)):
        with pytest.raises(ValidationError):
            services.object(negotiation=n, actor=actor, reason="低于最低工资标准")
    with on(datetime.date(2025, 10, 9)):
        services.object(negotiation=n, actor=actor, reason="低于最低工资标准")
    n.refresh_from_db()
    assert n.state == S.NEGOTIATING and told("objected", n)


def test_no_objection_makes_it_effective_on_that_day_for_its_term():
    actor = officer()
    n = negotiation_in_state("filed", actor=actor, term_years=3)
    services.take_effect(negotiation=n, actor=actor, no_objection_on=today())
    n.refresh_from_db()
    assert (n.state, n.effective_on, n.effect_basis) == (S.EFFECTIVE, today(), "no_objection")
    assert n.expires_on == today() + relativedelta(years=3) - datetime.timedelta(days=1)


def test_by_hand_without_a_no_objection_it_waits_for_the_window():
    actor = officer()
    n = negotiation_in_state("filed", actor=actor)
    with pytest.raises(TransitionRefused, match="审查异议期限"):
        services.take_effect(negotiation=n, actor=actor)
    n.refresh_from_db()
    assert n.state == S.FILED


def test_a_contract_does_not_expire_before_its_end():
    actor = officer()
    n = negotiation_in_state("effective", actor=actor)
    with pytest.raises(TransitionRefused):
        services.expire(negotiation=n, actor=actor)


# --- who may ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role,may", [("bargaining_officer", True), ("supervisor", True), ("mediator", False),
                                      ("intake_officer", False), ("company_contact", False)])
def test_who_may_send_a_proposal(role, may):
    n = make_negotiation()
    assert_role(n, "send_proposal", make_user(role), may, then=S.PROPOSED)
