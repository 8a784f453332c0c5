"""The check-up documents on the PDF pipeline, rendered for real (WeasyPrint) and read back with
pdftotext as a person reads paper: every kind in every state it is offered in; the score and grade
with their computation, the cap, the findings with their due dates, repeats; the follow-up's before
and after; the three supervision letters with their reply dates; each dated by its act; and never a
worker's name, ID number or phone, nor the assessors' notes and interviews.

Set LEGAL_CHECKUP_PDF_DIR to keep the PDFs (to look at them: pdftoppm -png -r 60 file.pdf /tmp/x).
"""

import datetime
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Model

from core import documents
from core import legal_figures as law
from core.documents import person_name
from core.templatetags.document_tags import cn_date
from legal_checkup import services
from legal_checkup.documents import ISSUED_AND_AFTER, PLANNED_AND_AFTER, LetterNotIssued
from legal_checkup.models import Checkup, Letter
from tests.casework.test_documents import flat, pdf_text
from tests.legal_checkup.document_objects import ago, escalated
from tests.legal_checkup.helpers import (
    auditor,
    checkup_in_state,
    company,
    contact_of,
    on,
    seeded_version,
    supervisor,
    today,
)
from tests.scenarios import make_worker, valid_resident_id

pytestmark = pytest.mark.django_db

KEEP = os.environ.get("LEGAL_CHECKUP_PDF_DIR")
WEIGHT = {"H": 3, "M": 2, "L": 1}
VALUE = {"compliant": Decimal(1), "partial": Decimal("0.5"), "non_compliant": Decimal(0)}


def issued(obj, kind, *, name=None):
    """The document of `kind` for `obj` rendered now and read back: (document, flat text)."""
    document, _created = documents.request(obj, kind, actor=supervisor())
    document = documents.render_and_store(document.pk)
    assert document.status == "ready", document.error
    with document.file.open("rb") as f:
        data = f.read()
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        (Path(KEEP) / f"{name or kind}.pdf").write_bytes(data)
    return document, flat(pdf_text(data))


def d(day) -> str:
    return cn_date(day)


def plain_score(checkup):
    """The score re-computed plainly from the assessments: (value, earned, possible)."""
    earned, possible = Decimal(0), 0
    for a in checkup.assessments.select_related("item"):
        if a.result in VALUE:
            earned += WEIGHT[a.item.severity] * VALUE[a.result]
            possible += WEIGHT[a.item.severity]
    value = (100 * earned / possible).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return value, earned, possible


def kinds_in(label, state):
    return [k.name for k in documents.kinds_for(label) if k.allowed_in(state)]


# --- every kind in every state it is offered in ---------------------------------------------------


@pytest.mark.parametrize("state", [str(s) for s in PLANNED_AND_AFTER])
def test_every_kind_renders_in_every_state_it_is_offered_in(state):
    c = checkup_in_state(state)
    kinds = kinds_in("legal_checkup.checkup", state)
    assert "engagement_notice" in kinds
    assert ("report" in kinds) == (state in ISSUED_AND_AFTER)
    for kind in kinds:
        document, text = issued(c, kind, name=f"{state}-{kind}")
        assert flat(document.title) in text and document.number in text, kind
        assert c.number in text and c.company.name in text, kind
        if kind in ("report", "rectification_notice", "follow_up_report"):
            value, _earned, _possible = plain_score(c)
            assert f"{value}分" in text and c.grade in text, kind
            for f in c.findings.select_related("item"):
                assert f.item.title in text and d(f.due_on) in text, (kind, f.item.code)
        if kind in ("report", "follow_up_report"):
            assert f"得分=100×" in text, kind


# --- the engagement notice ------------------------------------------------------------------------


def test_engagement_notice_names_the_company_checklist_team_date_and_what_to_prepare():
    lead, member = auditor(first_name="明", last_name="陈"), auditor(first_name="芳", last_name="林")
    with on(ago(12)):
        c = services.create_checkup(actor=lead, company=company(name="厦门快送网络科技有限公司"), reason="年度法治体检")
        services.add_team_member(checkup=c, actor=lead, member=member)
        c.refresh_from_db()
        services.plan(checkup=c, actor=lead, checklist_version=seeded_version(), profile="in_depth", lead=lead,
                      planned_on=today() + datetime.timedelta(days=7), scope="抽查厦门思明区三个站点的用工资料。")
    c.refresh_from_db()
    _document, text = issued(c, "engagement_notice")
    assert "法治体检通知书" in text and "厦门快送网络科技有限公司：" in text and c.company.credit_code in text
    assert "平台企业用工法治体检清单（第1版）" in text and "深度评估" in text
    assert f"检查组长：{flat(person_name(lead))}" in text and flat(person_name(member)) in text
    assert f"于{d(c.planned_on)}对贵单位开展劳动用工法治体检" in text
    assert "共25项" in text and "逐一认定并记录每名劳动者的用工关系类型" in text
    assert "请贵单位准备的材料" in text and "用工台账" in text and "抽查厦门思明区三个站点的用工资料。" in text
    assert f"高风险{law.RECTIFICATION_DAYS['H']}日" in text and "体检缘由：年度法治体检" in text
    # dated by the plan, twelve days ago, not by the day it is printed
    assert f"出具日期：{d(ago(12))}" in text and d(today()) not in text


# --- the report -----------------------------------------------------------------------------------


def test_report_shows_the_score_grade_and_computation_each_finding_and_every_item():
    results = {"01": "partial", "02": "partial", "04": "partial", "05": "partial", "10": "non_compliant",
               "25": "non_compliant"}  # no high-severity item non-compliant: B (44 of 53), no cap
    with on(ago(40)):
        c = checkup_in_state("issued", results=results)
    c.refresh_from_db()
    document, text = issued(c, "report")
    value, earned, possible = plain_score(c)
    assert c.grade == "B" and not c.grade_capped and c.score == value
    # the cover, the summary, the score and its computation
    assert c.company.name in text and "B得分" in text and f"{value}分" in text
    assert f"得分=100×{earned}÷{possible}={value}。" in text
    assert f"体检得分{value}分，等级B" in text and "封顶" not in text.split("计分方法")[0].split("体检概况")[1]
    assert "高风险3、中风险2、低风险1" in text and "符合1、部分符合0.5、不符合0" in text
    assert "共评估20项事项：符合14项，部分符合4项，不符合2项，不适用0项" in text
    assert "发现问题6项，其中高风险4项、中风险1项、低风险1项" in text
    assert "得分=100×44.0÷53=83.0。" in text
    # each finding: item, basis, what was found, risk, recommendation, due date
    for f in c.findings.select_related("item"):
        assert f.item.title in text and flat(f.legal_basis) in text and flat(f.found) in text
        assert flat(f.recommendation) in text
        assert f"{d(f.due_on)}前（{f.get_severity_display()}风险，自报告出具之日起{law.RECTIFICATION_DAYS[f.severity]}日）" in text
    # the full item table with results, and the method and scope
    for a in c.assessments.select_related("item"):
        assert a.item.title in text
    assert "全部检查事项及结论" in text and "体检方法与范围" in text and "基础评估" in text
    assert "劳动合同抽查12份/共40份" in text
    assert "重复出现" not in text
    # dated by the issue (forty days ago), signed by the lead and the reviewer
    assert f"出具日期：{d(c.issued_on)}" in text and d(today()) not in text
    assert f"审核人：{c.approved_by.get_full_name() or c.approved_by.get_username()}" in text


def test_a_capped_report_says_the_grade_was_capped_and_why():
    c = checkup_in_state("issued", results={"07": "non_compliant"})
    _document, text = issued(c, "report")
    value, earned, possible = plain_score(c)
    assert value >= 75 and c.grade == "C" and c.grade_capped
    uncapped = "A" if value >= 90 else "B"
    assert f"得分=100×{earned}÷{possible}={value}；有高风险事项不符合，等级封顶为C。" in text
    assert f"按得分为{uncapped}级，因有高风险事项不符合，封顶为C级" in text
    assert "因高风险事项不符合，等级封顶为C" in text  # on the cover
    f = c.findings.get()
    assert f"{d(f.due_on)}前（高风险，自报告出具之日起{law.RECTIFICATION_DAYS['H']}日）" in text


def test_a_repeat_finding_is_marked_and_names_the_earlier_checkup():
    audited = company()
    with on(ago(400)):
        first = checkup_in_state("closed", company_=audited, results={"07": "non_compliant"})
    second = checkup_in_state("issued", company_=audited, results={"07": "non_compliant", "10": "partial"})
    repeat = second.findings.get(item__code="07")
    assert repeat.repeat_of.checkup_id == first.pk
    _document, text = issued(second, "report")
    assert text.count("重复出现") >= 2  # the finding's tag and its note
    assert f"重复出现：该问题在{first.number}（{d(first.issued_on)}出具）的体检中已发现" in text
    assert "1项为贵单位以往体检已发现、本次再次出现的问题（07）" in text
    _document, notice = issued(second, "rectification_notice")
    assert "（重复出现）" in notice


def test_rectification_notice_lists_the_findings_and_due_dates():
    c = checkup_in_state("issued", results={"07": "non_compliant", "10": "partial", "25": "non_compliant"})
    _document, text = issued(c, "rectification_notice")
    assert f"{c.company.name}：" in text and "3项问题" in text
    for f in c.findings.select_related("item"):
        assert f.item.title in text and f"{d(f.due_on)}前" in text
    assert f"提示函（{law.SUPERVISION_LETTER_REPLY_DAYS['reminder']}日内答复）" in text
    assert f"出具日期：{d(c.issued_on)}" in text


# --- the follow-up report -------------------------------------------------------------------------


def test_follow_up_report_compares_before_and_after_with_replies_letters_and_both_scores():
    c, (reminder,) = escalated(1)
    lead = c.lead
    services.letter_reply(letter=reminder, actor=contact_of(c), reply_text="已制定休息提示规则，正在上线。")
    c.refresh_from_db()
    contact = contact_of(c)
    for f in c.findings.all():
        services.reply(finding=f, actor=contact, plan="上线连续配送4小时休息提示并暂停派单", responsible="运营部 王经理",
                       target_on=today(), done=True)
    c.refresh_from_db()
    services.follow_up(checkup=c, actor=lead)
    c.refresh_from_db()
    services.reassess(finding=c.findings.get(), actor=lead, result="compliant", note="抽查系统日志，休息提示已生效。")
    c.refresh_from_db()
    services.close(checkup=c, actor=lead)
    c.refresh_from_db()
    _document, text = issued(c, "follow_up_report")
    value, earned, possible = plain_score(c)
    assert c.final_score == Decimal("100.0") and c.final_grade == "A"
    # before and after
    assert "体检结论" in text and "复查结论" in text and "不符合" in text and "已整改" in text
    assert "上线连续配送4小时休息提示并暂停派单" in text and "责任人：运营部王经理" in text and "已完成" in text
    assert "抽查系统日志，休息提示已生效。" in text and d(c.findings.get().reassessed_on) in text
    # the letters and their replies
    assert f"{d(reminder.issued_on)}发出《提示函》" in text and f"答复期限{d(reminder.reply_due)}" in text
    assert "已制定休息提示规则，正在上线。" in text
    # the first and the final score, each with its computation
    assert f"体检得分{value}分，等级C" in text and f"得分=100×{earned}÷{possible}={value}；" in text
    assert f"复查得分100.0分，等级A" in text and f"得分=100×{possible}÷{possible}=100.0。" in text
    assert f"得分由{value}分（C级）变为100.0分（A级）" in text
    assert f"出具日期：{d(c.closed_on)}" in text


# --- the supervision letters ----------------------------------------------------------------------


def test_the_three_letters_name_the_issue_basis_request_and_reply_date_and_the_last_hands_over():
    c, (reminder, opinion, recommendation) = escalated(3)
    finding = c.findings.get(item__code="07")
    bureau = recommendation.addressee

    _document, text = issued(reminder, "reminder_letter")
    assert "提示函" in text and f"{c.company.name}：" in text and finding.item.title in text
    assert flat(finding.legal_basis) in text and flat(finding.recommendation) in text
    assert f"第07项问题的整改期限已于{d(finding.due_on)}届满" in text
    assert f"请贵单位于{d(reminder.reply_due)}前（自本函发出之日起{law.SUPERVISION_LETTER_REPLY_DAYS['reminder']}日内）" in text
    assert f"出具日期：{d(reminder.issued_on)}" in text and d(today()) not in text

    _document, text = issued(opinion, "opinion_letter")
    assert "工会劳动法律监督意见书" in text and f"{c.company.name}：" in text
    assert f"已于{d(reminder.issued_on)}发出提示函" in text and "逾期未答复" in text
    assert f"请贵单位于{d(opinion.reply_due)}前" in text and "工会劳动法律监督建议书" in text
    assert f"出具日期：{d(opinion.issued_on)}" in text

    _document, text = issued(recommendation, "recommendation_letter")
    assert "工会劳动法律监督建议书" in text and f"{bureau.name}：" in text and bureau.kind == "labor_bureau"
    assert c.company.name in text and finding.item.title in text and flat(finding.legal_basis) in text
    assert "现将上述事项移交贵部门" in text and "依法调查处理" in text
    assert d(reminder.issued_on) in text and d(opinion.issued_on) in text
    assert f"请贵部门于{d(recommendation.reply_due)}前（自本建议书发出之日起{law.SUPERVISION_LETTER_REPLY_DAYS['recommendation']}日内）" in text
    assert f"出具日期：{d(recommendation.issued_on)}" in text


def test_a_letter_kind_renders_its_own_rung_of_the_finding_and_is_refused_past_it():
    c, (reminder, opinion, recommendation) = escalated(3)
    # asked from the 建议书, the 提示函 is the finding's 提示函, with its own date and reply date
    document, text = issued(recommendation, "reminder_letter")
    assert f"请贵单位于{d(reminder.reply_due)}前" in text and f"出具日期：{d(reminder.issued_on)}" in text
    assert document.number != documents.request(reminder, "reminder_letter")[0].number
    # a 提示函 whose finding has gone no further has no 意见书 to print: not offered, and refused
    other, (only,) = escalated(1)
    staff, contact, stranger = supervisor(), contact_of(other), contact_of(c)
    assert staff.has_perm("legal_checkup.ask_reminder_letter", only)
    assert contact.has_perm("legal_checkup.ask_reminder_letter", only)
    assert not stranger.has_perm("legal_checkup.ask_reminder_letter", only)  # another company's contact
    assert not staff.has_perm("legal_checkup.ask_opinion_letter", only)
    assert not staff.has_perm("legal_checkup.ask_recommendation_letter", only)
    assert all(staff.has_perm(f"legal_checkup.ask_{k}_letter", reminder) for k in Letter.LADDER)
    document, _created = documents.request(only, "opinion_letter", actor=staff)
    with pytest.raises(LetterNotIssued, match="该问题尚未发出工会劳动法律监督意见书"):
        documents.render_and_store(document.pk)


def test_a_letters_reply_is_shown_in_the_next_letter():
    c, (reminder,) = escalated(1)
    services.letter_reply(letter=reminder, actor=c.lead, replied_on=reminder.issued_on + datetime.timedelta(days=3),
                          reply_text="企业称将于下月上线休息提示。")
    finding = c.findings.get(item__code="07")
    with on(reminder.reply_due + datetime.timedelta(days=1)):
        opinion = services.escalate(finding=finding, actor=c.lead)
    _document, text = issued(opinion, "opinion_letter")
    assert f"{d(reminder.replied_on)}答复：企业称将于下月上线休息提示。" in text


# --- no worker identity, no internal notes --------------------------------------------------------


def strings_in(value):
    """Every string a context holds, through dicts, lists and tuples (model objects left out:
    the templates print only the rows the context builds)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings_in(v)
    elif value is not None and not isinstance(value, Model):
        yield str(value)


def identified_checkup():
    """A checkup whose every free text names registered workers (and whose notes, interviews and
    review comments are full of them), issued 150 days ago, escalated once, followed up and closed."""
    zhang, li = make_worker(name="张三丰"), make_worker(name="李小龙")
    lead, reviewer = auditor(), supervisor()
    with on(ago(150)):
        c = services.create_checkup(actor=lead, company=company(), reason="骑手张三丰投诉超时罚款")
        services.plan(checkup=c, actor=lead, checklist_version=seeded_version(), profile="basic", lead=lead,
                      scope="抽查骑手李小龙所在站点的排班记录。")
        c.refresh_from_db()
        services.start_fieldwork(checkup=c, actor=lead)
        c.refresh_from_db()
        for a in c.assessments.select_related("item"):
            result = "non_compliant" if a.item.code == "07" else "compliant"
            services.assess(assessment=a, actor=lead, result=result,
                            examined="骑手张三丰、李小龙等3人的排班记录" if a.item.code == "07" else "",
                            notes=f"内部备注：{zhang.name}的电话{zhang.phone}", interviews=f"访谈{li.name}，身份证{li.id_number}")
        c.refresh_from_db()
        services.compile_findings(checkup=c, actor=lead)
        c.refresh_from_db()
        finding = c.findings.get()
        services.edit_finding(finding=finding, actor=lead, found="骑手张三丰连续配送6小时未收到休息提示。",
                              risk="李小龙等骑手存在疲劳驾驶风险。", recommendation="对张三丰所在站点先行上线休息提示。")
        services.submit_for_review(checkup=c, actor=lead)
        c.refresh_from_db()
        services.return_for_changes(checkup=c, actor=reviewer, comment_text="内部审核：核实李小龙的陈述",
                                    finding_comments=[{"item": "07", "comment": "补充张三丰的排班截图"}])
        c.refresh_from_db()
        services.submit_for_review(checkup=c, actor=lead)
        c.refresh_from_db()
        services.approve(checkup=c, actor=reviewer)
        c.refresh_from_db()
        services.issue(checkup=c, actor=reviewer)
        c.refresh_from_db()
        services.start_rectification(checkup=c, actor=contact_of(c))
    finding = c.findings.get()
    day = finding.due_on + datetime.timedelta(days=1)
    with on(day):
        letter = services.escalate(finding=c.findings.get(), actor=lead)
    with on(day + datetime.timedelta(days=2)):
        services.letter_reply(letter=letter, actor=lead, reply_text="企业称已向张三丰说明整改安排。")
    c.refresh_from_db()
    services.reply(finding=c.findings.get(), actor=contact_of(c), plan="与李小龙所在站点站长确认已上线休息提示。",
                   responsible=f"站长{zhang.name} {zhang.phone}", target_on=today(), done=True)
    c.refresh_from_db()
    services.follow_up(checkup=c, actor=lead)
    c.refresh_from_db()
    services.reassess(finding=c.findings.get(), actor=lead, result="compliant", note="经核实张三丰已正常收到休息提示。")
    c.refresh_from_db()
    services.close(checkup=c, actor=lead)
    c.refresh_from_db()
    return c, letter, [zhang, li]


def test_no_document_prints_a_workers_name_id_number_or_phone_nor_the_internal_notes():
    c, letter, workers = identified_checkup()
    secrets = ["内部备注", "访谈李小龙", "内部审核", "排班截图"]
    for w in workers:
        secrets += [w.name, w.phone, w.id_number, w.id_number_masked]
    rendered = [(c, k) for k in kinds_in("legal_checkup.checkup", c.state)]
    rendered += [(letter, "reminder_letter")]
    assert {k for _o, k in rendered} == {"engagement_notice", "report", "rectification_notice", "follow_up_report",
                                         "reminder_letter"}
    for obj, kind in rendered:
        document, text = issued(obj, kind, name=f"redacted-{kind}")
        shown = [s for s in secrets if flat(s) in text]
        assert not shown, f"{kind} prints {shown}"
        assert "某某" in text, kind
        # and no context carries them, printed or not
        context = documents.kind_of(document).context(obj, document)
        held = [s for s in secrets for v in strings_in(context) if s in v]
        assert not held, f"{kind}'s context holds {held}"
    _document, text = issued(c, "follow_up_report")
    assert "骑手某某连续配送6小时未收到休息提示。" in text and "责任人：站长某某［电话号码已略去］" in text
    assert "经核实某某已正常收到休息提示。" in text
    assert "企业称已向某某说明整改安排。" in text  # the 提示函's reply


@pytest.mark.parametrize("text", [
    "骑手身份证号 {id} 的合同未签",
    "骑手电话 13812345678 反映超时罚款",
    "联系 +86 138-1234-5678",
])
def test_the_services_refuse_an_id_number_or_phone_in_a_findings_text(text):
    c = checkup_in_state("drafting", results={"07": "non_compliant"})
    finding = c.findings.get()
    text = text.format(id=valid_resident_id(77))
    for field in ("found", "risk", "recommendation"):
        with pytest.raises(ValidationError) as refused:
            services.edit_finding(finding=finding, actor=c.lead, **{field: text})
        assert field in refused.value.message_dict
    finding.refresh_from_db()
    assert text not in (finding.found, finding.risk, finding.recommendation)
    a = Checkup.objects.get(pk=checkup_in_state("fieldwork").pk).assessments.first()
    with pytest.raises(ValidationError):
        services.assess(assessment=a, actor=a.checkup.lead, result="compliant", examined=text)


def test_the_letter_kinds_share_one_ladder():
    assert [f"{k}_letter" for k in Letter.LADDER] == ["reminder_letter", "opinion_letter", "recommendation_letter"]
    assert {k.name for k in documents.kinds_for(Letter)} == {f"{k}_letter" for k in Letter.LADDER}
