"""The mediation documents on the PDF pipeline, read back with pdftotext as a person reads paper."""

import datetime
from decimal import Decimal

import pytest

from core import documents
from mediation import rules, services
from mediation.models import MediationSession
from tests.casework.test_documents import flat, pdf_text
from tests.mediation.helpers import advance, ago, make_court, make_referral, mediation_in_state
from tests.scenarios import supervisor, valid_resident_id

pytestmark = pytest.mark.django_db


def issued(obj, kind, capture):
    """The document rendered now (asked for automatically earlier, its render waited for a commit
    the test never makes)."""
    with capture(execute=True):
        document, _ = documents.request(obj, kind, actor=supervisor())
    document = documents.render_and_store(document.pk)
    assert document.status == "ready", document.error
    with document.file.open("rb") as f:
        return document, flat(pdf_text(f.read()))


def group_mediation():
    court = make_court(name="厦门市思明区人民法院（文书测试）")
    claimants = [{"name": name, "id_number": valid_resident_id(700 + i), "phone": f"1385920{i:04d}"}
                 for i, name in enumerate(["陈志强", "林文斌", "黄建明"])]
    m = make_referral(court=court, claimants=claimants, court_case_number="（2026）闽0203民诉前调1187号",
                      claims=[{"description": "赔偿封号期间收入损失", "amount": "660000"}])
    advance(m, "accept", "assign_mediator")
    services.reach_agreement(
        mediation=m, actor=supervisor(), total=Decimal("660000"), basis="compensation",
        signed_on=ago(2), effective_on=ago(2), obligations="平台恢复三名司机账号，并建立封号申诉复核机制。",
        instalments=[{"due_on": ago(-5), "amount": "220000"}, {"due_on": ago(-35), "amount": "220000"},
                     {"due_on": ago(-65), "amount": "220000"}],
    )
    m.refresh_from_db()
    return m


def test_agreement_states_amounts_in_figures_and_capitals(django_capture_on_commit_callbacks):
    m = group_mediation()
    document, text = issued(m, "agreement", django_capture_on_commit_callbacks)
    assert document.number == f"{m.number}-XY02" or document.number.startswith(f"{m.number}-XY")
    assert "调解协议书" in text and "¥660,000.00" in text and "人民币陆拾陆万元整" in text
    assert "贰拾贰万元整" in text and text.count("¥220,000.00") >= 3
    assert "平台恢复三名司机账号" in text and "支付令" in text and "第十六条" in text
    window = rules.confirmation_window(m).date
    assert f"{window.year}年{window.month}月{window.day}日前" in text
    assert valid_resident_id(700) not in text and valid_resident_id(700)[:6] + "********" in text
    assert "陈志强（签名）" in text or "申请人陈志强（签名）" in text


def test_agreement_is_asked_for_on_reaching_agreement():
    m = group_mediation()
    assert documents.documents_for(m, "agreement").count() == 1


def test_session_minutes(django_capture_on_commit_callbacks):
    m = mediation_in_state("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        session = services.record_session(
            mediation=m, actor=m.mediator, held_at=datetime.datetime.combine(ago(1), datetime.time(9, 30)),  # past at any hour
            mode=MediationSession.Mode.VIDEO, location="人民法院在线调解平台",
            attendees=["陈志强（申请人代表）", "刘洋（被申请人委托代理人）"],
            minutes="申请人陈述：平台未经申诉复核即封号。\n被申请人表示愿意协商补偿方案。",
        )
    document = documents.documents_for(session, "session_minutes").get()
    assert document.status == "ready" and document.number == f"{m.number}-S1-BL01"
    with document.file.open("rb") as f:
        text = flat(pdf_text(f.read()))
    assert "调解笔录" in text and "视频调解" in text and "被申请人表示愿意协商补偿方案" in text
    assert "刘洋（被申请人委托代理人）（签名）" in text


def test_termination_notice_of_an_expired_court_referral(django_capture_on_commit_callbacks):
    court = make_court(name="厦门市湖里区人民法院（文书测试）")
    m = mediation_in_state("in_progress", recent=False, court=court)
    services.expire(mediation=m, actor=supervisor())
    document, text = issued(m, "termination_notice", django_capture_on_commit_callbacks)
    assert "调解终结书" in text and "未能达成调解协议" in text
    assert "退回厦门市湖里区人民法院（文书测试）依法登记立案" in text


def test_termination_notice_of_a_union_mediation_points_to_arbitration(django_capture_on_commit_callbacks):
    m = mediation_in_state("failed", source="union")
    _document, text = issued(m, "termination_notice", django_capture_on_commit_callbacks)
    assert "双方分歧过大" in text and "劳动人事争议仲裁委员会申请仲裁" in text


def test_confirmation_application_and_acceptance_notice(django_capture_on_commit_callbacks):
    m = group_mediation()
    services.request_confirmation(mediation=m, actor=supervisor())
    _document, text = issued(m, "confirmation_application", django_capture_on_commit_callbacks)
    assert "司法确认申请书" in text and "第二百零五条" in text and "确认" in text and "有效" in text
    assert "厦门市思明区人民法院（文书测试）" in text
    # Issued once, when accepted (not in later states).
    notice = documents.render_and_store(documents.documents_for(m, "acceptance_notice").get().pk)
    assert notice.owner_state == "accepted"
    with notice.file.open("rb") as f:
        text = flat(pdf_text(f.read()))
    assert "调解受理通知书" in text and "调解期限为30日" in text
    assert f"{m.deadline.year}年{m.deadline.month}月{m.deadline.day}日届满" in text


def test_confirmation_application_of_a_union_mediation(django_capture_on_commit_callbacks):
    """A union mediation has no referring court: before the parties choose one the application
    leaves the court's name blank to fill in; after request_confirmation it names the chosen one."""
    m = mediation_in_state("agreed", source="union")
    document, text = issued(m, "confirmation_application", django_capture_on_commit_callbacks)
    assert "司法确认申请书" in text and document.number in text and "请求人民法院依法确认" in text
    assert "此致人民法院" in text and "年月日" in text  # blanks for the court and the filing date
    court = make_court(name="厦门市思明区人民法院（工会调解测试）")
    services.request_confirmation(mediation=m, actor=supervisor(), court=court)
    m.refresh_from_db()
    _document, text = issued(m, "confirmation_application", django_capture_on_commit_callbacks)
    assert f"请求{court.name}依法确认" in text and f"此致{court.name}" in text
    filed = m.confirmation_requested_on
    assert f"{filed.year}年{filed.month}月{filed.day}日" in text
    assert "委派" not in text and "委托（案号" not in text


def test_court_summary_in_any_state(django_capture_on_commit_callbacks):
    m = make_referral()
    _document, text = issued(m, "court_summary", django_capture_on_commit_callbacks)
    assert "调解情况摘要" in text and m.court_case_number in text and "调解正在进行中" in text
    m = mediation_in_state("fulfilled")
    _document, text = issued(m, "court_summary", django_capture_on_commit_callbacks)
    assert "已履行¥12,000.00" in text and "履行完毕" in text
