"""The Case machine: every allowed move, every refused move, each guard, each role."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core import journal
from casework import services
from casework.models import Case, CaseState
from core.roles import Role
from core.errors import TransitionRefused
from core.transitions import allowed_transitions, transition_names
from tests.harness import assert_contract, assert_refused_elsewhere, assert_role, on
from tests.scenarios import PATHS, advance, case_in_state, make_case, make_organisation, make_user, make_worker

pytestmark = pytest.mark.django_db

S = CaseState
# The contract, transcribed from DESIGN.md: state -> {transition: target}.
CONTRACT = {
    S.RECEIVED: {"start_screening": S.SCREENING},
    S.SCREENING: {"accept": S.ACCEPTED, "reject": S.REJECTED},
    S.ACCEPTED: {
        "provide_consultation": S.CONSULTING, "assign_legal_aid": S.LEGAL_AID,
        "refer_to_mediation": S.IN_MEDIATION, "refer_to_arbitration": S.IN_ARBITRATION,
    },
    S.REJECTED: {"reopen": S.SCREENING},
    S.CONSULTING: {"refer_to_mediation": S.IN_MEDIATION, "resolve": S.RESOLVED},
    S.LEGAL_AID: {
        "refer_to_mediation": S.IN_MEDIATION, "refer_to_arbitration": S.IN_ARBITRATION,
        "file_lawsuit": S.IN_LITIGATION, "resolve": S.RESOLVED,
    },
    S.IN_MEDIATION: {"refer_to_arbitration": S.IN_ARBITRATION, "file_lawsuit": S.IN_LITIGATION, "resolve": S.RESOLVED},
    S.IN_ARBITRATION: {"file_lawsuit": S.IN_LITIGATION, "resolve": S.RESOLVED},
    S.IN_LITIGATION: {"resolve": S.RESOLVED},
    S.RESOLVED: {"close": S.CLOSED},
    S.CLOSED: {"reopen": S.SCREENING},
}
ALL_TRANSITIONS = sorted({name for moves in CONTRACT.values() for name in moves})


def inputs(name):
    """The fields each transition asks for, filled in validly."""
    return {
        "reject": {"reason": "不属于工会受理范围"},
        "reopen": {"reason": "补充了新证据"},
        "assign_legal_aid": {"lawyer": make_user(Role.LAWYER)},
        "resolve": {"outcome": "settled", "amount_recovered": Decimal("1500.50")},
    }.get(name, {})


def events(case):
    return list(journal.events_for(case).values_list("transition", "from_state", "to_state"))


def test_model_defines_exactly_the_contract():
    assert_contract(Case, CONTRACT)
    assert sorted(transition_names(Case)) == ALL_TRANSITIONS


@pytest.mark.parametrize(
    "state,name", [(state, name) for state, moves in CONTRACT.items() for name in moves]
)
def test_allowed_transition_moves_and_is_journaled(state, name):
    case = case_in_state(state)
    before = len(events(case))

    getattr(services, name)(case=case, actor=make_user(Role.SUPERVISOR), comment="测试", **inputs(name))

    case.refresh_from_db()
    assert case.state == CONTRACT[state][name]
    after = CONTRACT[state][name]
    # Referring to mediation opens a mediation, and the case's journal records the link.
    linked = [("linked", after, after)] if name == "refer_to_mediation" else []
    assert events(case)[before:] == [(name, state, after), *linked]


@pytest.mark.parametrize("state", list(CONTRACT))
def test_every_other_transition_is_refused_and_changes_nothing(state):
    assert_refused_elsewhere(case_in_state(state), CONTRACT, actor=make_user(Role.SUPERVISOR), inputs=inputs)


def test_paths_reach_every_state():
    assert set(PATHS) == {str(s) for s in CaseState}


# --- accept: parties, limitation, group cases ------------------------------------------------------


@pytest.mark.parametrize("missing", ["claimants", "respondents", "categories"])
def test_accept_needs_claimant_respondent_and_category(missing):
    case = case_in_state("screening", **{missing: 0 if missing == "claimants" else ([] if missing == "respondents" else ())},
                         **({"claims": []} if missing == "categories" else {}))
    assert "accept" not in allowed_transitions(case, make_user(Role.SUPERVISOR))
    with pytest.raises(TransitionRefused) as refused:
        services.accept(case=case, actor=make_user(Role.SUPERVISOR))
    assert refused.value.unmet
    case.refresh_from_db()
    assert case.state == S.SCREENING


def _long_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def test_accept_refused_when_limitation_has_run():
    case = case_in_state("screening", categories=("unlawful_termination",), infringement_known_on=_long_ago(430))
    with pytest.raises(ValidationError) as err:
        services.accept(case=case, actor=make_user(Role.SUPERVISOR))
    assert "override_limitation" in err.value.message_dict
    case.refresh_from_db()
    assert case.state == S.SCREENING


def test_supervisor_overrides_limitation_with_reason():
    case = case_in_state("screening", categories=("unlawful_termination",), infringement_known_on=_long_ago(430))
    services.accept(case=case, actor=make_user(Role.SUPERVISOR), override_limitation=True,
                    override_reason="劳动者曾向劳动监察投诉，时效中断")
    case.refresh_from_db()
    assert case.state == S.ACCEPTED and case.limitation_overridden
    payload = journal.events_for(case).last().payload
    assert payload["limitation_overridden"] is True and "时效中断" in payload["override_reason"]


def test_limitation_override_needs_a_reason_and_a_supervisor():
    case = case_in_state("screening", categories=("unlawful_termination",), infringement_known_on=_long_ago(430))
    with pytest.raises(ValidationError) as err:
        services.accept(case=case, actor=make_user(Role.SUPERVISOR), override_limitation=True, override_reason=" ")
    assert "override_reason" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        services.accept(case=case, actor=make_user(Role.INTAKE_OFFICER), override_limitation=True, override_reason="理由")
    case.refresh_from_db()
    assert case.state == S.SCREENING


def test_limitation_still_running_needs_no_override():
    case = case_in_state("screening", categories=("unlawful_termination",), infringement_known_on=_long_ago(300))
    services.accept(case=case, actor=make_user(Role.INTAKE_OFFICER))
    assert case.state == S.ACCEPTED and not case.limitation_overridden


def test_unpaid_pay_while_still_employed_has_no_limitation():
    case = make_case(categories=("unpaid_pay",), infringement_known_on=_long_ago(800), employment_ended_on=None)
    advance(case, "start_screening", "accept")
    assert case.state == S.ACCEPTED and case.limitation_ends_on is None


@pytest.mark.parametrize("claimants,is_group", [(9, False), (10, True), (11, True)])
def test_ten_or_more_claimants_make_a_group_case(claimants, is_group):
    case = case_in_state("accepted", claimants=claimants)
    case.refresh_from_db()
    assert case.is_group is is_group


# --- legal aid: conflict of interest ---------------------------------------------------------------


def test_lawyer_acting_for_a_respondent_is_refused():
    agent = make_organisation(kind="agent")
    case = case_in_state("accepted", respondents=[make_organisation(), agent])
    conflicted = make_user(Role.LAWYER, acts_for=[agent])
    with pytest.raises(ValidationError) as err:
        services.assign_legal_aid(case=case, actor=make_user(Role.SUPERVISOR), lawyer=conflicted)
    assert "利益冲突" in err.value.message_dict["lawyer"][0]
    case.refresh_from_db()
    assert case.state == S.ACCEPTED and case.legal_aid_by is None


def test_volunteer_employed_by_a_respondent_is_refused():
    platform = make_organisation()
    case = case_in_state("accepted", respondents=[platform])
    with pytest.raises(ValidationError):
        services.assign_legal_aid(case=case, actor=make_user(Role.SUPERVISOR),
                                  lawyer=make_user(Role.LEGAL_AID_VOLUNTEER, organisation=platform))


def test_only_lawyers_and_volunteers_can_be_assigned():
    case = case_in_state("accepted")
    with pytest.raises(ValidationError) as err:
        services.assign_legal_aid(case=case, actor=make_user(Role.SUPERVISOR), lawyer=make_user(Role.MEDIATOR))
    assert "lawyer" in err.value.message_dict


def test_unconflicted_volunteer_is_assigned():
    volunteer = make_user(Role.LEGAL_AID_VOLUNTEER, acts_for=[make_organisation()])
    case = case_in_state("accepted")
    services.assign_legal_aid(case=case, actor=make_user(Role.SUPERVISOR), lawyer=volunteer)
    case.refresh_from_db()
    assert case.state == S.LEGAL_AID and case.legal_aid_by == volunteer


# --- required input --------------------------------------------------------------------------------


@pytest.mark.parametrize("state,name", [("screening", "reject"), ("closed", "reopen"), ("rejected", "reopen")])
def test_reason_is_required(state, name):
    case = case_in_state(state)
    with pytest.raises(ValidationError) as err:
        getattr(services, name)(case=case, actor=make_user(Role.SUPERVISOR), reason="  ")
    assert "reason" in err.value.message_dict
    case.refresh_from_db()
    assert case.state == state


@pytest.mark.parametrize("outcome,amount,field", [
    ("settled", "-1", "amount_recovered"), ("settled", "12.345", "amount_recovered"),
    ("settled", "abc", "amount_recovered"), ("won_somehow", "10", "outcome"),
])
def test_resolve_validates_outcome_and_amount(outcome, amount, field):
    case = case_in_state("consulting")
    with pytest.raises(ValidationError) as err:
        services.resolve(case=case, actor=make_user(Role.SUPERVISOR), outcome=outcome, amount_recovered=amount)
    assert field in err.value.message_dict
    case.refresh_from_db()
    assert case.state == S.CONSULTING and case.amount_recovered is None


def test_resolve_records_outcome_and_amount():
    case = case_in_state("in_arbitration")
    services.resolve(case=case, actor=make_user(Role.SUPERVISOR), outcome="award", amount_recovered="660000")
    case.refresh_from_db()
    assert (case.state, case.outcome, case.amount_recovered) == (S.RESOLVED, "award", Decimal("660000.00"))


def test_reopen_sets_a_new_screening_deadline():
    case = case_in_state("rejected", received_on=_long_ago(60), infringement_known_on=_long_ago(70))
    old_due = case.screening_due_on
    services.reopen(case=case, actor=make_user(Role.SUPERVISOR), reason="新证据")
    case.refresh_from_db()
    assert case.state == S.SCREENING and case.screening_due_on > old_due >= _long_ago(60)


# --- roles -----------------------------------------------------------------------------------------

# (role, state, transition, allowed). The assigned volunteer and the handler are object-level.
ROLE_TABLE = [
    (Role.INTAKE_OFFICER, "received", "start_screening", True),
    (Role.INTAKE_OFFICER, "screening", "accept", True),
    (Role.INTAKE_OFFICER, "screening", "reject", True),
    (Role.INTAKE_OFFICER, "accepted", "assign_legal_aid", False),
    (Role.INTAKE_OFFICER, "closed", "reopen", False),
    (Role.LAWYER, "received", "start_screening", False),
    (Role.LAWYER, "accepted", "provide_consultation", True),
    (Role.LAWYER, "accepted", "refer_to_arbitration", True),
    (Role.LEGAL_AID_VOLUNTEER, "received", "start_screening", False),
    (Role.LEGAL_AID_VOLUNTEER, "consulting", "resolve", False),
    (Role.MEDIATOR, "screening", "accept", False),
    (Role.AUDITOR, "received", "start_screening", False),
    (Role.BARGAINING_OFFICER, "screening", "reject", False),
    (Role.COMPANY_CONTACT, "received", "start_screening", False),
    (Role.COURT_LIAISON, "screening", "accept", False),
    (Role.SUPERVISOR, "accepted", "assign_legal_aid", True),
    (Role.SUPERVISOR, "closed", "reopen", True),
]


@pytest.mark.parametrize("role,state,name,allowed", ROLE_TABLE)
def test_role_permissions(role, state, name, allowed):
    assert_role(case_in_state(state), name, make_user(role), allowed, inputs=inputs(name),
                then=CONTRACT[state].get(name))


def test_assigned_volunteer_works_only_their_own_case():
    volunteer = make_user(Role.LEGAL_AID_VOLUNTEER)
    theirs = case_in_state("accepted")
    services.assign_legal_aid(case=theirs, actor=make_user(Role.SUPERVISOR), lawyer=volunteer)
    other = case_in_state("legal_aid")

    assert set(allowed_transitions(theirs, volunteer)) == {"refer_to_mediation", "refer_to_arbitration", "file_lawsuit", "resolve"}
    assert allowed_transitions(other, volunteer) == []
    services.resolve(case=theirs, actor=volunteer, outcome="settled", amount_recovered="800")
    with pytest.raises(PermissionDenied):
        services.resolve(case=other, actor=volunteer, outcome="settled", amount_recovered="800")
    assert volunteer.has_perm("casework.view_case", theirs) and not volunteer.has_perm("casework.view_case", other)


def test_company_contact_cannot_see_cases():
    platform = make_organisation()
    case = case_in_state("accepted", respondents=[platform])
    contact = make_user(Role.COMPANY_CONTACT, organisation=platform)
    assert not contact.has_perm("casework.view_case", case)
    assert allowed_transitions(case, contact) == []


def test_inactive_user_can_do_nothing():
    user = make_user(Role.SUPERVISOR, is_active=False)
    assert allowed_transitions(case_in_state("screening"), user) == []


# --- intake ----------------------------------------------------------------------------------------


def test_case_numbers_run_per_year():
    with on(datetime.date(2026, 1, 6)):  # entered in the first week of the year, the last of 2025 among them
        first = make_case(received_on=datetime.date(2025, 12, 31), infringement_known_on=datetime.date(2025, 12, 1))
        second = make_case(received_on=datetime.date(2026, 1, 5), infringement_known_on=datetime.date(2025, 12, 1))
        third = make_case(received_on=datetime.date(2026, 1, 6), infringement_known_on=datetime.date(2025, 12, 1))
    assert first.number == "WQ-2025-000001"
    assert (second.number, third.number) == ("WQ-2026-000001", "WQ-2026-000002")


def test_intake_refuses_bad_input_and_writes_nothing():
    worker = make_worker()
    with pytest.raises(ValidationError) as err:
        services.create_case(
            actor=make_user(Role.INTAKE_OFFICER), title="", channel="carrier_pigeon", claimants=[worker],
            respondents=[make_organisation()], categories=["unpaid_pay", "nonsense"],
            claims=[{"category": "unpaid_pay", "description": "x", "amount": "-5"}],
            representatives=[make_worker()],
        )
    assert set(err.value.message_dict) >= {"title", "channel", "categories", "claims", "representatives"}
    assert Case.objects.count() == 0


def test_intake_sets_screening_sla_in_working_days():
    # Received Friday 2026-02-13: the SLA skips the Spring Festival holidays (2026-02-15..23) but
    # counts the make-up workday Saturday 2026-02-14.
    with on(datetime.date(2026, 2, 13)):
        case = make_case(received_on=datetime.date(2026, 2, 13), infringement_known_on=datetime.date(2026, 2, 1))
    assert case.screening_due_on == datetime.date(2026, 2, 25)


def test_only_intake_staff_register_cases():
    with pytest.raises(PermissionDenied):
        make_case(actor=make_user(Role.LEGAL_AID_VOLUNTEER))


def test_edit_case_only_before_acceptance():
    case = case_in_state("screening")
    services.edit_case(case=case, actor=make_user(Role.INTAKE_OFFICER), changes={"title": "拖欠工资及加班费"})
    case.refresh_from_db()
    assert case.title == "拖欠工资及加班费"
    assert journal.events_for(case).last().payload == {"fields": ["title"]}
    advance(case, "accept")
    with pytest.raises(ValidationError):
        services.edit_case(case=case, actor=make_user(Role.SUPERVISOR), changes={"title": "x"})
