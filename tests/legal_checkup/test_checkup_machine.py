"""The Checkup machine: the contract, refused moves, each guard, the four eyes, the periods."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core import journal
from core.errors import TransitionRefused
from core.transitions import allowed_transitions
from legal_checkup import services
from legal_checkup.models import Checkup, CheckupState, Finding, Letter
from tests.harness import assert_contract, assert_refused_elsewhere, assert_role, on, told
from tests.legal_checkup.helpers import auditor, checkup_in_state, company, contact_of, seeded_version, today
from tests.scenarios import make_organisation, make_user, supervisor

pytestmark = pytest.mark.django_db
S = CheckupState
CONTRACT = {
    S.REQUESTED: {"plan": S.PLANNED, "cancel": S.CANCELLED},
    S.PLANNED: {"start_fieldwork": S.FIELDWORK, "cancel": S.CANCELLED},
    S.FIELDWORK: {"compile_findings": S.DRAFTING},
    S.DRAFTING: {"submit_for_review": S.REVIEW},
    S.REVIEW: {"approve": S.APPROVED, "return_for_changes": S.DRAFTING},
    S.APPROVED: {"issue": S.ISSUED},
    S.ISSUED: {"start_rectification": S.RECTIFYING},
    S.RECTIFYING: {"follow_up": S.FOLLOW_UP},
    S.FOLLOW_UP: {"close": S.CLOSED},
    S.CLOSED: {},
    S.CANCELLED: {},
}


def inputs(name):
    return {
        "plan": {"checklist_version": seeded_version(), "profile": "basic", "lead": auditor()},
        "return_for_changes": {"comment_text": "请补充证据"},
        "cancel": {"reason": "企业申请延期"},
    }.get(name, {})


def test_the_machine_is_the_contract():
    assert_contract(Checkup, CONTRACT)


@pytest.mark.parametrize("state", list(S))
def test_every_transition_the_table_does_not_start_here_is_refused(state):
    c = checkup_in_state(state)
    assert_refused_elsewhere(c, CONTRACT, actor=supervisor(), inputs=inputs)


def test_fieldwork_makes_one_assessment_per_applicable_item():
    basic = checkup_in_state("fieldwork")
    deep = checkup_in_state("fieldwork", profile="in_depth")
    dispatch = checkup_in_state("fieldwork", company_=company(kind="labor_dispatch"))
    codes = lambda c: {a.item.code for a in c.assessments.select_related("item")}  # noqa: E731
    assert len(codes(deep)) == 25 - 0 and {"06", "08", "15", "20", "24"} <= codes(deep)
    assert not {"06", "08", "24"} & codes(basic) and "17" in codes(basic)
    assert "17" not in codes(dispatch) and "11" not in codes(dispatch) and "19" in codes(dispatch)


def test_findings_need_every_item_assessed():
    lead = auditor()
    c = checkup_in_state("fieldwork", lead=lead)
    first = c.assessments.first()
    services.assess(assessment=first, actor=lead, result="compliant")
    with pytest.raises(TransitionRefused, match="尚未评估"):
        services.compile_findings(checkup=c, actor=lead)


def test_not_applicable_needs_a_reason_and_the_examined_text_carries_no_identity():
    lead = auditor()
    c = checkup_in_state("fieldwork", lead=lead)
    a = c.assessments.first()
    with pytest.raises(ValidationError) as e:
        services.assess(assessment=a, actor=lead, result="not_applicable")
    assert "not_applicable_reason" in e.value.message_dict
    for bad in ("骑手 350203199001011234 的合同", "联系 13859201234"):
        with pytest.raises(ValidationError):
            services.assess(assessment=a, actor=lead, result="partial", examined=bad)
    a.refresh_from_db()
    assert a.result == ""


def test_findings_come_from_partial_and_non_compliant_items_with_the_score():
    c = checkup_in_state("drafting", results={"07": "non_compliant", "10": "partial"})
    assert sorted(c.findings.values_list("item__code", flat=True)) == ["07", "10"]
    f = c.findings.get(item__code="07")
    assert (f.severity, f.legal_basis) == ("H", f.item.legal_basis)
    assert c.grade == "C" and c.grade_capped is True
    payload = journal.events_for(c).get(transition="compile_findings").payload
    assert payload["findings"] == 2 and "封顶为C" in payload["computation"]


def test_a_finding_recurring_at_the_same_company_is_a_repeat_linked_to_the_last_one():
    employer = company()
    first = checkup_in_state("closed", company_=employer, results={"07": "non_compliant"})
    again = checkup_in_state("drafting", company_=employer, results={"07": "partial", "10": "partial"})
    f7, f10 = again.findings.get(item__code="07"), again.findings.get(item__code="10")
    assert f7.repeat_of == first.findings.get(item__code="07") and f10.repeat_of is None


def test_the_approver_is_not_the_drafter():
    boss = supervisor()
    c = checkup_in_state("drafting", lead=boss)
    services.submit_for_review(checkup=c, actor=boss)
    c.refresh_from_db()
    assert "approve" not in allowed_transitions(c, boss)
    with pytest.raises(PermissionDenied, match="起草人以外"):
        services.approve(checkup=c, actor=boss)
    other = make_user("supervisor")
    assert "approve" in allowed_transitions(c, other)
    services.approve(checkup=c, actor=other)
    c.refresh_from_db()
    assert c.state == S.APPROVED and c.approved_by == other


def test_return_for_changes_with_comments_per_finding():
    c = checkup_in_state("review", results={"07": "non_compliant"})
    with pytest.raises(ValidationError):
        services.return_for_changes(checkup=c, actor=supervisor(), comment_text="补充", finding_comments=[
            {"item": "99", "comment": "没有这一项"}])
    services.return_for_changes(checkup=c, actor=supervisor(), comment_text="请补充抽查范围",
                                finding_comments=[{"item": "07", "comment": "写明抽查的合同份数"}])
    c.refresh_from_db()
    assert c.state == S.DRAFTING and c.findings.get(item__code="07").review_comment == "写明抽查的合同份数"
    assert told("returned_for_changes", c)


def test_rectification_is_due_30_60_90_days_after_issue_across_national_day():
    # 2025-09-01 + 30 days = 1 October (a holiday until the 8th): the 9th; + 60 = 31 October; + 90 = 30 November (Sunday): 1 December.
    with on(datetime.date(2025, 9, 1)):
        c = checkup_in_state("issued", results={"07": "non_compliant", "10": "partial", "25": "non_compliant"})
    due = dict(c.findings.values_list("item__code", "due_on"))
    assert due == {"07": datetime.date(2025, 10, 9), "10": datetime.date(2025, 10, 31), "25": datetime.date(2025, 12, 1)}


def test_issue_tells_the_company_and_only_then_can_it_see_the_checkup():
    c = checkup_in_state("approved")
    contact = contact_of(c)
    assert not contact.has_perm("legal_checkup.view_checkup", c)
    services.issue(checkup=c, actor=supervisor())
    c.refresh_from_db()
    assert contact.has_perm("legal_checkup.view_checkup", c)
    assert told("issued", c)[0].recipient == contact


def test_the_company_acknowledges_and_replies_and_no_other_company_can():
    c = checkup_in_state("issued")
    stranger = make_user("company_contact", organisation=company())
    assert_role(c, "start_rectification", stranger, False)
    assert_role(c, "start_rectification", contact_of(c), True, then=S.RECTIFYING)
    finding = c.findings.first()
    with pytest.raises(PermissionDenied):
        services.reply(finding=finding, actor=stranger, plan="x", responsible="y", target_on=today())
    with pytest.raises(ValidationError) as e:
        services.reply(finding=finding, actor=contact_of(c), plan="", responsible="", target_on=None)
    assert {"plan", "responsible", "target_on"} <= set(e.value.message_dict)
    services.reply(finding=finding, actor=contact_of(c), plan="修订规则", responsible="李经理", target_on=today())
    finding.refresh_from_db()
    assert finding.status == Finding.Status.REPLIED


def test_closing_is_refused_while_a_finding_lacks_a_reply_or_a_reassessment():
    lead = auditor()
    c = checkup_in_state("rectifying", lead=lead, results={"10": "partial", "25": "non_compliant"})
    first, second = c.findings.order_by("id")
    services.reply(finding=first, actor=contact_of(c), plan="已整改", responsible="李经理", target_on=today(), done=True)
    c.refresh_from_db()
    services.follow_up(checkup=c, actor=lead)
    c.refresh_from_db()
    services.reassess(finding=first, actor=lead, result="compliant")
    c.refresh_from_db()
    with pytest.raises(TransitionRefused, match="答复和复查"):
        services.close(checkup=c, actor=lead)
    services.reply(finding=second, actor=contact_of(c), plan="下月完成", responsible="王主管", target_on=today())
    c.refresh_from_db()
    with pytest.raises(TransitionRefused):
        services.close(checkup=c, actor=lead)
    services.reassess(finding=second, actor=lead, result="non_compliant", note="仍未整改")
    c.refresh_from_db()
    services.close(checkup=c, actor=lead)
    c.refresh_from_db()
    assert c.state == S.CLOSED and c.final_score is not None and c.final_score < 100


def test_escalation_climbs_the_ladder_only_when_overdue_and_after_each_reply_date():
    lead = auditor()
    make_organisation(kind="labor_bureau", name="测试人社局")
    with on(datetime.date(2025, 9, 1)):
        c = checkup_in_state("rectifying", lead=lead, results={"10": "partial"})
    finding = c.findings.get()
    with on(finding.due_on):
        with pytest.raises(ValidationError, match="尚未届满"):
            services.escalate(finding=finding, actor=lead)
    day = finding.due_on + datetime.timedelta(days=1)
    kinds = []
    for _step in range(3):
        with on(day):
            letter = services.escalate(finding=finding, actor=lead)
            if _step == 0:
                with pytest.raises(ValidationError, match="答复期限"):
                    services.escalate(finding=finding, actor=lead)
        kinds.append(letter.kind)
        day = letter.reply_due + datetime.timedelta(days=1)
        finding.refresh_from_db()
    assert kinds == [Letter.Kind.REMINDER, Letter.Kind.OPINION, Letter.Kind.RECOMMENDATION]
    assert letter.addressee.kind == "labor_bureau"
    assert journal.events_for(c).filter(transition="escalate").last().payload["handed_over"] is True
    with on(day), pytest.raises(ValidationError, match="无法再升级"):
        services.escalate(finding=finding, actor=lead)


def test_the_team_is_checked_for_conflicts_of_interest():
    employer = company()
    retained = make_user("lawyer", acts_for=[employer])
    c = services.create_checkup(actor=auditor(), company=employer)
    with pytest.raises(ValidationError, match="受聘于受检企业"):
        services.plan(checkup=c, actor=supervisor(), checklist_version=seeded_version(), profile="basic", lead=retained)
    with pytest.raises(ValidationError):
        services.add_team_member(checkup=c, actor=supervisor(), member=make_user("company_contact", organisation=employer))


def test_only_published_versions_are_planned_and_a_published_version_never_changes():
    boss = supervisor()
    version = services.new_version(checklist=seeded_version().checklist, actor=boss, note="新增条款")
    c = services.create_checkup(actor=auditor(), company=company())
    with pytest.raises(ValidationError):
        services.plan(checkup=c, actor=boss, checklist_version=version, profile="basic", lead=auditor())
    with pytest.raises(ValidationError):
        services.set_item(version=seeded_version(), actor=boss, code="01", title="改", legal_basis="x", severity="H")
    services.set_item(version=version, actor=boss, code="26", title="新事项", legal_basis="某规定", severity="L")
    services.publish(version=version, actor=boss)
    assert version.items.count() == 26 and seeded_version().items.count() == 25


def test_only_checkup_staff_plan():
    c = services.create_checkup(actor=auditor(), company=company())
    assert "plan" not in allowed_transitions(c, make_user("intake_officer"))
    assert "plan" not in allowed_transitions(c, make_user("company_contact", organisation=c.company))
    assert "plan" in allowed_transitions(c, auditor())
