"""The Mediation machine: every allowed move, every refused move, each guard, each role."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import ConcurrentTransition

from core import journal
from core.models import Notification
from core.roles import Role
from core.errors import TransitionRefused
from core.transitions import allowed_transitions, transition_names
from mediation import services
from mediation.models import Mediation, MediationState
from tests.harness import assert_contract, assert_refused_elsewhere, assert_role
from tests.mediation.helpers import (
    TOTAL,
    advance,
    ago,
    any_mediator,
    frozen,
    make_court,
    make_referral,
    mediation_in_state,
    mediator,
    terms,
    today,
)
from tests.scenarios import make_organisation, make_user, supervisor

pytestmark = pytest.mark.django_db

S = MediationState
# The contract, transcribed from DESIGN.md: state -> {transition: target}.
CONTRACT = {
    S.REFERRED: {"accept": S.ACCEPTED, "decline": S.DECLINED, "withdraw": S.WITHDRAWN},
    S.ACCEPTED: {"assign_mediator": S.IN_PROGRESS, "expire": S.FAILED, "withdraw": S.WITHDRAWN},
    S.IN_PROGRESS: {
        "extend": S.IN_PROGRESS, "reach_agreement": S.AGREED, "fail": S.FAILED, "expire": S.FAILED,
        "withdraw": S.WITHDRAWN,
    },
    S.AGREED: {"request_confirmation": S.CONFIRMATION_PENDING, "fulfil": S.FULFILLED, "default": S.DEFAULTED},
    S.CONFIRMATION_PENDING: {"confirm": S.CONFIRMED, "reject_confirmation": S.CONFIRMATION_REJECTED},
    S.CONFIRMED: {"fulfil": S.FULFILLED, "default": S.DEFAULTED},
    S.CONFIRMATION_REJECTED: {"resume": S.IN_PROGRESS},
    S.DECLINED: {},
    S.FAILED: {},
    S.WITHDRAWN: {},
    S.FULFILLED: {},
    S.DEFAULTED: {},
}
ALL_TRANSITIONS = sorted({name for moves in CONTRACT.values() for name in moves})
# Transitions whose guard needs old dates (a passed deadline, an overdue instalment).
NEEDS_PAST = {"expire", "default"}


def inputs(name):
    """The fields each transition asks for, filled in validly."""
    return {
        "accept": {},
        "decline": {"reason": "被申请人拒绝调解"},
        "withdraw": {"reason": "申请人撤回调解申请"},
        "assign_mediator": {"mediator": any_mediator()},
        "extend": {"days": 10, "claimant_consent_on": today(), "respondent_consent_on": today()},
        "reach_agreement": terms(),
        "fail": {"reason": "双方分歧过大"},
        "request_confirmation": {},
        "confirm": {"ruling_number": "（2026）测0203民特8号", "ruling_date": today()},
        "reject_confirmation": {"reason": "协议约定放弃工伤保险待遇，违反法律规定"},
    }.get(name, {})


def prepared(state, name):
    """A mediation in `state` on which `name`'s guard holds."""
    if name == "fulfil":
        m = mediation_in_state("agreed")
        advance(m, "pay_all")
        if state == S.CONFIRMED:
            advance(m, "request_confirmation", "confirm")
        return m
    if name == "extend":
        return mediation_in_state(state, recent=True)
    return mediation_in_state(state, recent=name not in NEEDS_PAST) if state != S.CONFIRMED or name != "default" \
        else _confirmed_overdue()


def _confirmed_overdue():
    # An old agreement confirmed in time, its first instalment now long overdue.
    m = mediation_in_state("agreed", recent=False)
    Mediation.objects.filter(pk=m.pk).update(state=S.CONFIRMED, ruling_number="（2026）测0203民特3号")
    m.refresh_from_db()
    return m


def events(m):
    return list(journal.events_for(m).values_list("transition", "from_state", "to_state"))


def test_model_defines_exactly_the_contract():
    assert_contract(Mediation, CONTRACT)
    assert sorted(transition_names(Mediation)) == ALL_TRANSITIONS


def test_paths_reach_every_state():
    for state in S:
        m = mediation_in_state(state)
        assert m.state == state


@pytest.mark.parametrize("state,name", [(state, name) for state, moves in CONTRACT.items() for name in moves])
def test_allowed_transition_moves_and_is_journaled(state, name):
    m = prepared(state, name)
    assert m.state == state
    before = len(events(m))

    getattr(services, name)(mediation=m, actor=supervisor(), comment="测试", **inputs(name))

    m.refresh_from_db()
    assert m.state == CONTRACT[state][name]
    assert events(m)[before:][0] == (name, state, CONTRACT[state][name])
    assert journal.verify()[1] is None


@pytest.mark.parametrize("state", list(CONTRACT))
def test_every_other_transition_is_refused_and_changes_nothing(state):
    assert_refused_elsewhere(mediation_in_state(state), CONTRACT, actor=supervisor(), inputs=inputs)


# --- guards: conditions refuse with a reason, and hide the transition ------------------------------


def test_expire_needs_the_deadline_to_have_passed():
    m = mediation_in_state("in_progress")
    assert "expire" not in allowed_transitions(m, supervisor())
    with pytest.raises(TransitionRefused) as refused:
        services.expire(mediation=m, actor=supervisor())
    assert "期限尚未届满" in refused.value.detail


def test_fulfil_needs_payments_covering_the_total():
    m = mediation_in_state("agreed")
    services.record_payment(mediation=m, actor=supervisor(), amount="11999.99", paid_on=today())
    m.refresh_from_db()
    assert "fulfil" not in allowed_transitions(m, supervisor())
    with pytest.raises(TransitionRefused):
        services.fulfil(mediation=m, actor=supervisor())
    services.record_payment(mediation=m, actor=supervisor(), amount="0.01", paid_on=today())
    m.refresh_from_db()
    assert "fulfil" in allowed_transitions(m, supervisor())


def test_default_needs_an_instalment_overdue_past_the_grace():
    m = mediation_in_state("agreed")  # instalments fall due in 10 and 40 days
    with pytest.raises(TransitionRefused):
        services.default(mediation=m, actor=supervisor())


def test_reach_agreement_needs_a_mediator_after_a_recusal():
    m = mediation_in_state("in_progress")
    services.recuse(mediation=m, actor=m.mediator, reason="与被申请人负责人系亲属")
    m.refresh_from_db()
    assert m.mediator is None and m.state == S.IN_PROGRESS
    with pytest.raises(TransitionRefused) as refused:
        services.reach_agreement(mediation=m, actor=supervisor(), **terms())
    assert "调解员" in refused.value.detail


# --- required input --------------------------------------------------------------------------------


@pytest.mark.parametrize("state,name", [("referred", "decline"), ("in_progress", "fail"), ("referred", "withdraw"),
                                        ("confirmation_pending", "reject_confirmation")])
def test_reason_is_required(state, name):
    m = mediation_in_state(state)
    with pytest.raises(ValidationError) as err:
        getattr(services, name)(mediation=m, actor=supervisor(), reason="  ")
    assert "reason" in err.value.message_dict
    m.refresh_from_db()
    assert m.state == state


def test_confirm_needs_ruling_number_and_date():
    m = mediation_in_state("confirmation_pending")
    with pytest.raises(ValidationError) as err:
        services.confirm(mediation=m, actor=supervisor(), ruling_number="", ruling_date=today())
    assert "ruling_number" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.confirm(mediation=m, actor=supervisor(), ruling_number="（2026）民特1号", ruling_date=None)
    assert "ruling_date" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.confirm(mediation=m, actor=supervisor(), ruling_number="（2026）民特1号", ruling_date=ago(3))
    assert "ruling_date" in err.value.message_dict  # before the application
    services.confirm(mediation=m, actor=supervisor(), ruling_number="（2026）民特1号", ruling_date=today())
    m.refresh_from_db()
    assert (m.state, m.ruling_number, m.ruling_date) == (S.CONFIRMED, "（2026）民特1号", today())


@pytest.mark.parametrize("change,field", [
    ({"total": "-5"}, "total"),
    ({"total": "12.345"}, "total"),
    ({"basis": "gifts"}, "basis"),
    ({"instalments": []}, "instalments"),
    ({"instalments": [{"due_on": today(), "amount": "6000"}]}, "instalments"),  # sums to 6000, not 12000
    ({"instalments": [{"due_on": today(), "amount": "12000"}], "effective_on": today() + datetime.timedelta(days=1)},
     "instalments"),  # due before the agreement takes effect
    ({"instalments": [{"due_on": today(), "amount": "-1"}, {"due_on": today(), "amount": "12001"}]}, "instalments"),
    ({"signed_on": today() + datetime.timedelta(days=1)}, "signed_on"),
    ({"effective_on": ago(5)}, "effective_on"),  # before signing
    ({"total": "0", "instalments": [], "obligations": ""}, "obligations"),
])
def test_reach_agreement_validates_terms(change, field):
    m = mediation_in_state("in_progress")
    with pytest.raises(ValidationError) as err:
        services.reach_agreement(mediation=m, actor=supervisor(), **{**terms(), **change})
    assert field in err.value.message_dict
    m.refresh_from_db()
    assert m.state == S.IN_PROGRESS and m.agreement is None and not m.agreements.exists()


def test_agreement_signed_after_the_deadline_is_refused():
    m = mediation_in_state("in_progress", recent=False)  # accepted 60 days ago: the 30 days ran out
    with pytest.raises(ValidationError) as err:
        services.reach_agreement(mediation=m, actor=supervisor(), **{**terms(), "signed_on": today()})
    assert "届满" in err.value.message_dict["signed_on"][0]


def test_agreement_records_terms_and_instalments():
    m = mediation_in_state("agreed")
    a = m.agreement
    assert (a.total, a.basis, a.version, a.amount_paid) == (TOTAL, "compensation", 1, Decimal("0"))
    assert [(i.seq, i.amount) for i in a.instalments.all()] == [(1, Decimal("6000.00")), (2, Decimal("6000.00"))]
    payload = journal.events_for(m).get(transition="reach_agreement").payload
    assert payload["total"] == "12000.00" and len(payload["instalments"]) == 2


def test_non_monetary_agreement_is_fulfilled_by_the_mediator_not_by_payments():
    m = mediation_in_state("in_progress")
    services.reach_agreement(mediation=m, actor=supervisor(), total="0", basis="other", instalments=[],
                             obligations="平台恢复账号并书面道歉。")
    m.refresh_from_db()
    assert m.state == S.AGREED and m.agreement.total == 0
    with pytest.raises(ValidationError):
        services.record_payment(mediation=m, actor=supervisor(), amount="1", paid_on=today())
    # Nothing to pay: the mediator confirms the obligations were performed (the sweep leaves it alone).
    assert "fulfil" in allowed_transitions(m, m.mediator)
    services.fulfil(mediation=m, actor=m.mediator)
    assert m.state == S.FULFILLED


def test_accept_date_cannot_precede_the_referral_or_be_in_the_future():
    m = make_referral(referred_on=ago(5))
    with pytest.raises(ValidationError):
        services.accept(mediation=m, actor=supervisor(), accepted_on=ago(6))
    with pytest.raises(ValidationError):
        services.accept(mediation=m, actor=supervisor(), accepted_on=today() + datetime.timedelta(days=1))
    m.refresh_from_db()
    assert m.state == S.REFERRED


def test_in_suit_referral_needs_a_procedure_to_set_its_period():
    court = make_court()
    with pytest.raises(ValidationError) as err:
        services.create_referral(
            actor=supervisor(), source="court_in_suit", court=court, court_case_number="（2026）闽0203民初1号",
            procedure="", referred_on=ago(3), claimants=[{"name": "张三", "id_number": "11010519491231002X"}],
            respondents=[make_organisation()], claims=[{"description": "支付工资", "amount": "100"}],
        )
    assert "procedure" in err.value.message_dict


# --- the linked case ----------------------------------------------------------------------------------


def test_case_referral_opens_a_linked_union_mediation():
    from tests.scenarios import case_in_state

    case = case_in_state("in_mediation", claimants=2)
    m = services.opened_for(case).get()
    assert (m.state, m.source, m.case) == (S.REFERRED, "union", case)
    assert set(m.claimants.all()) == set(case.claimants.all())
    assert set(m.respondents.all()) == set(case.respondents.all())
    assert [c.description for c in m.claims.all()] == [c.description for c in case.claims.all()]
    assert m.number.startswith(f"TJ-{m.referred_on.year}-")
    assert events(m) == [("create", "", "referred")]


def test_case_referral_by_a_court_links_a_court_mediation():
    from casework import services as casework_services
    from tests.scenarios import case_in_state

    case = case_in_state("accepted")
    court = make_court()
    casework_services.refer_to_mediation(case=case, actor=supervisor(), source="court_pre_suit", court=court,
                                         court_case_number="（2026）闽0203民诉前调77号")
    m = services.opened_for(case).get()
    assert (m.source, m.court, m.court_case_number) == ("court_pre_suit", court, "（2026）闽0203民诉前调77号")


def test_case_referral_with_bad_mediation_data_changes_neither():
    from casework import services as casework_services
    from tests.scenarios import case_in_state

    case = case_in_state("accepted")
    with pytest.raises(ValidationError) as err:
        casework_services.refer_to_mediation(case=case, actor=supervisor(), source="court_pre_suit")
    assert {"court", "court_case_number"} <= set(err.value.message_dict)
    case.refresh_from_db()
    assert case.state == "accepted" and not Mediation.objects.exists()
    assert [e.transition for e in journal.events_for(case)][-1] == "accept"


def referred_case(**kw):
    """A case referred to (union) mediation a month ago, and its mediation."""
    from casework import services as casework_services
    from tests.scenarios import case_in_state

    case = case_in_state("accepted", **kw)
    casework_services.refer_to_mediation(case=case, actor=supervisor(), referred_on=ago(30))
    return case, services.opened_for(case).get()


def test_failed_mediation_leaves_the_case_free_for_arbitration():
    from casework import services as casework_services

    case, m = referred_case()
    advance(m, "accept", "assign_mediator", "fail")
    case.refresh_from_db()
    assert case.state == "in_mediation"
    told = Notification.objects.get(recipient=case.handler, key=f"mediation:{m.pk}:case_follow_up")
    assert case.number in told.message and "仲裁" in told.message
    casework_services.refer_to_arbitration(case=case, actor=supervisor(), commission="厦门市劳动人事争议仲裁委员会")
    assert case.state == "in_arbitration"


def test_agreement_lets_the_case_resolve_with_the_amount():
    case, m = referred_case()
    with pytest.raises(ValidationError):
        services.resolve_linked_case(mediation=m, actor=supervisor())
    advance(m, "accept", "assign_mediator", "reach_agreement", "pay_all", "fulfil")
    services.resolve_linked_case(mediation=m, actor=supervisor())
    case.refresh_from_db()
    assert (case.state, case.outcome, case.amount_recovered) == ("resolved", "mediated", TOTAL)
    assert m.number in case.outcome_detail


def test_a_case_with_an_open_mediation_cannot_open_another():
    from tests.scenarios import case_in_state

    case = case_in_state("in_mediation")
    with pytest.raises(ValidationError):
        from django.db import transaction

        with transaction.atomic():
            services.open_for_case(case=case, actor=supervisor())


# --- mediators: conflicts, recusal, workload ------------------------------------------------------------


def test_mediator_acting_for_the_respondent_is_refused():
    agent = make_organisation(kind="agent")
    m = mediation_in_state("accepted", respondents=[agent])
    conflicted = mediator(acts_for=[agent])
    with pytest.raises(ValidationError) as err:
        services.assign_mediator(mediation=m, actor=supervisor(), mediator=conflicted)
    assert "利益冲突" in err.value.message_dict["mediator"][0]
    m.refresh_from_db()
    assert m.state == S.ACCEPTED and m.mediator is None


def test_mediator_related_to_the_respondent_company_is_refused():
    platform = make_organisation(kind="platform")
    agent = make_organisation(kind="agent", parent=platform)
    m = mediation_in_state("accepted", respondents=[agent])
    with pytest.raises(ValidationError) as err:
        services.assign_mediator(mediation=m, actor=supervisor(), mediator=mediator(organisation=platform))
    assert "关联单位" in err.value.message_dict["mediator"][0]


def test_mediator_who_acted_for_a_claimant_or_against_the_respondent_is_refused():
    from casework import services as casework_services
    from tests.scenarios import case_in_state

    platform = make_organisation()
    lawyer_turned_mediator = make_user(Role.LAWYER)
    lawyer_turned_mediator.groups.add(Group.objects.get(name=Role.MEDIATOR))
    earlier = case_in_state("accepted", respondents=[platform])
    casework_services.assign_legal_aid(case=earlier, actor=supervisor(), lawyer=lawyer_turned_mediator)
    worker = earlier.claimants.first()

    for_claimant = mediation_in_state("accepted", claimants=[worker], respondents=[make_organisation()])
    with pytest.raises(ValidationError) as err:
        services.assign_mediator(mediation=for_claimant, actor=supervisor(), mediator=lawyer_turned_mediator)
    assert "为申请人" in err.value.message_dict["mediator"][0] and earlier.number in err.value.message_dict["mediator"][0]

    against_respondent = mediation_in_state("accepted", respondents=[platform])
    with pytest.raises(ValidationError) as err:
        services.assign_mediator(mediation=against_respondent, actor=supervisor(), mediator=lawyer_turned_mediator)
    assert "对立" in err.value.message_dict["mediator"][0]


def test_only_mediators_can_be_assigned():
    m = mediation_in_state("accepted")
    with pytest.raises(ValidationError):
        services.assign_mediator(mediation=m, actor=supervisor(), mediator=make_user(Role.LAWYER))


def test_assignment_records_the_mediators_workload():
    busy = mediator()
    for _ in range(2):
        services.assign_mediator(mediation=mediation_in_state("accepted"), actor=supervisor(), mediator=busy)
    m = mediation_in_state("accepted")
    services.assign_mediator(mediation=m, actor=supervisor(), mediator=busy)
    assert journal.events_for(m).get(transition="assign_mediator").payload["workload"]["in_progress"] == 2


def test_workload_counts_open_mediations_per_mediator():
    a, b = mediator(username="med_a"), mediator(username="med_b")
    for _ in range(3):
        services.assign_mediator(mediation=mediation_in_state("accepted"), actor=supervisor(), mediator=a)
    agreed = mediation_in_state("in_progress")
    services.reassign_mediator(mediation=agreed, actor=supervisor(), mediator=b)
    advance(agreed, "reach_agreement")
    done = mediation_in_state("in_progress")
    services.reassign_mediator(mediation=done, actor=supervisor(), mediator=b)
    advance(done, "fail")
    rows = {u.username: (u.in_progress, u.follow_up, u.open_total) for u in services.mediator_workload()}
    assert rows["med_a"] == (3, 0, 3)
    assert rows["med_b"] == (0, 1, 1)  # the failed one is no longer open
    assert list(services.mediator_workload())[0].in_progress <= list(services.mediator_workload())[-1].in_progress


def test_recusal_with_a_replacement_is_conflict_checked_and_journaled():
    agent = make_organisation(kind="agent")
    m = mediation_in_state("in_progress", respondents=[agent])
    first = m.mediator
    with pytest.raises(ValidationError):
        services.recuse(mediation=m, actor=first, reason="曾为被申请人提供咨询", replacement=mediator(acts_for=[agent]))
    other = mediator()
    services.recuse(mediation=m, actor=first, reason="曾为被申请人提供咨询", replacement=other)
    m.refresh_from_db()
    assert m.mediator == other and m.state == S.IN_PROGRESS
    event = journal.events_for(m).last()
    assert (event.transition, event.payload["from"], event.payload["to"]) == ("recuse", first.pk, other.pk)


def test_only_the_assigned_mediator_or_a_supervisor_may_recuse():
    m = mediation_in_state("in_progress")
    with pytest.raises(PermissionDenied):
        services.recuse(mediation=m, actor=mediator(), reason="不是我的调解")


# --- roles ------------------------------------------------------------------------------------------

ROLE_TABLE = [
    (Role.MEDIATOR, "referred", "accept", True),
    (Role.MEDIATOR, "accepted", "assign_mediator", True),
    (Role.MEDIATOR, "in_progress", "fail", False),  # not the assigned mediator
    (Role.MEDIATOR, "accepted", "expire", False),
    (Role.SUPERVISOR, "in_progress", "fail", True),
    (Role.INTAKE_OFFICER, "referred", "accept", False),
    (Role.LAWYER, "referred", "decline", False),
    (Role.COMPANY_CONTACT, "referred", "accept", False),
    (Role.COURT_LIAISON, "referred", "accept", False),
    (Role.COURT_LIAISON, "confirmation_pending", "confirm", False),  # another court's liaison
]


@pytest.mark.parametrize("role,state,name,allowed", ROLE_TABLE)
def test_role_permissions(role, state, name, allowed):
    assert_role(mediation_in_state(state), name, make_user(role), allowed, inputs=inputs(name),
                then=CONTRACT[state].get(name))


def test_assigned_mediator_works_their_own_mediation_only():
    m = mediation_in_state("in_progress")
    mine = m.mediator
    other = mediation_in_state("in_progress")
    services.reassign_mediator(mediation=other, actor=supervisor(), mediator=mediator())
    assert "fail" in allowed_transitions(m, mine)
    assert set(allowed_transitions(other, mine)) == {"withdraw"}


def test_court_liaison_reports_their_own_courts_ruling():
    court = make_court()
    m = mediation_in_state("confirmation_pending", court=court)
    liaison = make_user(Role.COURT_LIAISON, organisation=court)
    assert set(allowed_transitions(m, liaison)) == {"confirm", "reject_confirmation"}
    services.confirm(mediation=m, actor=liaison, ruling_number="（2026）民特9号", ruling_date=today())
    assert m.state == S.CONFIRMED


def test_inactive_user_can_do_nothing():
    assert allowed_transitions(mediation_in_state("referred"), make_user(Role.SUPERVISOR, is_active=False)) == []


def test_mediation_numbers_run_per_year_beside_case_numbers():
    from tests.scenarios import make_case

    with frozen(datetime.date(2026, 1, 7)):  # a week into the new year
        first = make_referral(referred_on=datetime.date(2025, 12, 30))
        second = make_referral(referred_on=datetime.date(2026, 1, 5))
        third = make_referral(referred_on=datetime.date(2026, 1, 6))
        case = make_case(received_on=datetime.date(2026, 1, 7), infringement_known_on=datetime.date(2026, 1, 1))
    assert first.number == "TJ-2025-000001"
    assert (second.number, third.number) == ("TJ-2026-000001", "TJ-2026-000002")
    assert case.number == "WQ-2026-000001"


def test_stale_copy_cannot_extend_twice():
    m = mediation_in_state("in_progress", source="union")
    stale = Mediation.objects.get(pk=m.pk)
    services.extend(mediation=m, actor=supervisor(), days=5, claimant_consent_on=today(), respondent_consent_on=today())
    with pytest.raises(ConcurrentTransition):
        services.extend(mediation=stale, actor=supervisor(), days=5, claimant_consent_on=today(),
                        respondent_consent_on=today())
    m.refresh_from_db()
    assert m.extensions.count() == 1
