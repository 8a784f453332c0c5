"""The bargaining documents on the PDF pipeline, rendered for real (WeasyPrint) and read back with
pdftotext as a person reads paper: every kind in every state it is offered in, the key text of
each, the gap chart, and never a word of the union side's internal notes.

Set BARGAINING_PDF_DIR to keep the PDFs (to look at them: pdftoppm -png -r 60 file.pdf /tmp/x).
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from bargaining import charts, services
from bargaining.models import Negotiation, Round, Topic, Vote
from bargaining.selectors import comparison
from core import documents
from core import legal_figures as law
from core.templatetags.document_tags import cn_count, cn_date
from tests.bargaining.helpers import (
    ago,
    agree_all,
    electorate,
    labor_bureau,
    make_negotiation,
    negotiation_in_state,
    officer,
    on,
    platform,
    today,
    union,
)
from tests.bargaining.document_objects import negotiation
from tests.casework.test_documents import flat, pdf_text

pytestmark = pytest.mark.django_db

KEEP = os.environ.get("BARGAINING_PDF_DIR")


def issued(obj, kind, *, name=None):
    """The document of `kind` for `obj` rendered now and read back: (document, flat text)."""
    document, _created = documents.request(obj, kind, actor=officer())
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


def refresh(n) -> Negotiation:
    n.refresh_from_db()
    return n


def round_of(n, positions, *, minutes="", attendees="双方协商代表"):
    """A round with positions given by topic name: {name: (union_value, employer_value, agreed, union_text, employer_text)}."""
    topics = {t.name: t for t in n.topics.all()}
    rows = []
    for name, (u, e, agreed, ut, et) in positions.items():
        rows.append({"topic": topics[name].pk, "union_value": u, "employer_value": e, "agreed": agreed,
                     "union_text": ut, "employer_text": et})
    row = services.record_round(negotiation=n, actor=n.officer or officer(), positions=rows, minutes=minutes,
                                attendees=attendees, place="市总工会三楼会议室")
    refresh(n)
    return row


def bargained(actor=None) -> Negotiation:
    """Three rounds over five weeks: the piece rate and rest narrowing, penalties agreed in round 2,
    everything agreed in round 3; then drafted."""
    actor = actor or officer()
    with on(ago(50)):
        n = make_negotiation(actor=actor, title="外卖骑手计件单价与休息集体协商", employers=[platform("厦门快送网络科技有限公司")])
        services.send_proposal(negotiation=n, actor=actor)
        refresh(n)
    with on(ago(45)):
        services.accept_proposal(negotiation=n, actor=actor, reply_text="同意协商。\n建议每两周举行一次协商会议。")
        refresh(n)
    with on(ago(35)):
        round_of(n, {"计件单价": (Decimal("5.50"), Decimal("4.60"), False, "每单5.5元", "维持现行4.6元"),
                     "休息提醒与休息时长": (Decimal("20"), Decimal("10"), False, "", "每4小时提醒"),
                     "奖惩制度": (None, None, False, "取消超时罚款", "保留罚款但降低金额")},
                 minutes="职工方首席代表说明诉求。\n企业方表示需测算成本。")
    with on(ago(21)):
        round_of(n, {"计件单价": (Decimal("5.30"), Decimal("4.90"), False, "", ""),
                     "休息提醒与休息时长": (Decimal("20"), Decimal("15"), False, "", ""),
                     "奖惩制度": (None, None, True, "超时不罚款，改为服务分提醒", "")})
    with on(ago(7)):
        round_of(n, {"计件单价": (Decimal("5.10"), Decimal("5.10"), True, "基础单价每单5.1元", ""),
                     "休息提醒与休息时长": (Decimal("20"), Decimal("20"), True, "连续配送4小时休息20分钟", ""),
                     "奖惩制度": (None, None, True, "超时不罚款，改为服务分提醒", "")},
                 minutes="双方就全部议题达成一致。")
    return n


# --- one kind at a time ---------------------------------------------------------------------------


def test_proposal_names_the_parties_topics_team_and_the_reply_period():
    n = negotiation_in_state("proposed", title="外卖骑手劳动报酬集体协商（要约测试）")
    document, text = issued(n, "proposal")
    assert "集体协商要约书" in text and document.number in text and n.number in text
    assert n.union.name in text and n.employers.get().name in text and "外卖骑手劳动报酬集体协商（要约测试）" in text
    assert "基础配送单价每单不低于5.5元" in text and "5.50元/单" in text and "取消超时罚款，改为服务分提醒" in text
    assert f"自收到本要约书之日起{law.PROPOSAL_REPLY_DAYS}日内" in text and f"即于{d(n.reply_due)}前" in text
    assert "第三十二条" in text and "外卖骑手" in text and "约1200人" in text
    chief = n.negotiators.get(side="union", role="chief")
    assert f"职工方首席代表{chief.name}（签名）" in text and "首席代表" in text and "（工会主席）" in text
    assert d(n.proposed_on) in text


def test_reply_accepting_names_the_employer_team():
    n = negotiation_in_state("negotiating")
    _document, text = issued(n, "reply")
    assert "集体协商回应书" in text and "同意就要约所列议题进行集体协商" in text and "同意就所列议题协商" in text
    assert "在回应期限内" in text and d(n.replied_on) in text
    for seat in n.negotiators.filter(side="employer"):
        assert seat.name in text
    assert "拒绝理由" not in text


def test_refused_reply_shows_the_reason():
    n = negotiation_in_state("refused")
    _document, text = issued(n, "reply")
    assert "不同意进行集体协商" in text and "拒绝理由" in text and "企业认为时机不成熟" in text
    assert "无正当理由不得拒绝进行集体协商" in text and f"{law.PROPOSAL_REPLY_DAYS}日内" in text


def test_round_minutes_are_asked_for_by_recording_a_round_and_show_both_sides():
    n = negotiation_in_state("negotiating")
    row = round_of(n, {"计件单价": (Decimal("5.50"), Decimal("4.80"), False, "每单5.5元", "每单4.8元"),
                       "奖惩制度": (None, None, True, "取消超时罚款", "同意")},
                   minutes="企业方表示将于下一轮提交成本测算。", attendees="职工方代表三人\n企业方代表三人")
    assert documents.documents_for(row, "round_minutes").count() == 1
    document, text = issued(row, "round_minutes")
    assert "协商会议纪要" in text and f"{n.number}-R1" in document.number or n.number in text
    assert "第1轮" in text and d(row.held_on) in text and "市总工会三楼会议室" in text
    assert "5.50" in text and "4.80" in text and "0.70" in text and "每单4.8元" in text
    assert "企业方表示将于下一轮提交成本测算" in text and "职工方代表三人" in text
    assert "奖惩制度：取消超时罚款" in text and "尚未一致的议题：计件单价" in text
    assert "职工方首席代表" in text and "企业方首席代表" in text and "第三十四条" in text


def test_comparison_has_the_table_and_a_chart_per_numeric_topic():
    n = bargained()
    _document, text = issued(n, "comparison")
    assert "议题对照表" in text and n.number in text and "共3轮" in text
    # the table: each round's positions and the gap
    assert "4.60" in text and "0.90" in text and "0.40" in text and "5.10" in text
    assert "保留罚款但降低金额" in text
    # the charts (SVG text is text in the PDF): title with unit, rounds, the gap labels
    assert "计件单价（单位：元/单）" in text and "休息提醒与休息时长（单位：分钟）" in text
    assert "相差0.90" in text and "相差0.40" in text and "相差10" in text and "5.10（一致）" in text
    assert "要约诉求5.50" in text
    assert "奖惩制度（单位" not in text  # a text topic has no chart
    last = n.rounds.order_by("-number").first()
    assert f"截至第3轮协商（{d(last.held_on)}）" in text


def test_gap_chart_is_plain_svg():
    n = bargained()
    rows = {r["topic"].name: r for r in comparison(n)}
    svg = charts.gap_chart(rows["计件单价"], width=480, height=200)
    assert svg.startswith("<svg") and svg.endswith("</svg>") and 'width="480"' in svg
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "第1轮" in svg and "第3轮" in svg and "相差 0.90" in svg and "元/单" in svg
    assert charts.gap_chart(rows["奖惩制度"]) == ""
    fresh = negotiation_in_state("negotiating")
    assert charts.gap_chart(comparison(fresh)[0]) == ""  # no round yet
    # one side only, and a name that needs escaping
    topic = fresh.topics.get(name="计件单价")
    topic.name = "单价<b>&</b>"
    one = charts.gap_chart({"topic": topic, "rounds": [{"round": 1, "held_on": today(), "union_value": Decimal("3"),
                                                        "employer_value": None, "gap": None, "agreed": False}]})
    assert "<b>" not in one and "&lt;b&gt;&amp;" in one


def test_draft_contract_holds_a_clause_per_agreed_topic():
    n = negotiation_in_state("drafted")
    _document, text = issued(n, "draft_contract")
    assert "集体合同（草案）" in text and "第1版" in text and "不具有约束力" in text and "第三十六条" in text
    assert "第四条计件单价" in text and "基础配送单价每单不低于5.5元" in text and "取消超时罚款" in text
    assert "第五十五条" in text and f"起{law.FILING_DAYS}日内报送" in text
    assert "须有三分之二以上职工代表或者职工出席" in text and "全体职工代表或者职工半数以上同意" in text


def test_vote_record_counted_with_the_two_ratios_and_the_result():
    n = negotiation_in_state("ratified")
    vote = n.votes.get()
    _document, text = issued(n, "vote_record")
    assert "集体合同草案表决结果" in text and d(vote.held_on) in text and "现场计票" in text
    assert "应到人数9" in text and "实到人数9" in text and "赞成人数8" in text
    assert "不少于6人" in text and "不少于5人" in text and "表决结果：通过" in text and "第三十六条" in text


def test_vote_record_of_a_failed_vote_says_which_rule_failed():
    actor = officer()
    n = negotiation_in_state("voting", actor=actor)
    # 9 on the roll: 6 present is exactly 2/3, 4 approving is not more than half of all 9
    services.record_vote(negotiation=n, actor=actor, method="counted", attendance=6, approvals=4)
    n = refresh(n)
    assert n.state == "negotiating"
    _document, text = issued(n, "vote_record")
    assert "表决结果：未通过" in text and "赞成人数未超过全体" in text and "出席人数不足" not in text
    assert "草案退回双方协商代表继续协商" in text


def test_vote_record_of_ballots_shows_who_voted_never_how():
    actor = officer()
    n = negotiation_in_state("voting", actor=actor)
    ballots = [{"elector": f"E{i:03d}", "approve": i != 3} for i in range(1, 8)]  # 7 of 9 vote, 6 approve
    services.record_vote(negotiation=n, actor=actor, method="ballots", ballots=ballots)
    n = refresh(n)
    assert n.state == "ratified"
    _document, text = issued(n, "vote_record")
    assert "逐人投票" in text and "不记载任何人的表决意向" in text
    assert "E001职工代表1" in text and "E007职工代表7" in text and "E008" not in text and "职工代表9" not in text
    assert "实到人数7" in text and "赞成人数6" in text and "表决结果：通过" in text
    assert "不赞成" not in text and "反对" not in text


def test_contract_states_the_vote_signing_and_term():
    n = negotiation_in_state("signed", term_years=3)
    vote = n.votes.get()
    _document, text = issued(n, "contract")
    assert "集体合同" in text and "（草案）" not in text and n.number in text
    assert f"于{d(vote.held_on)}经职工代表大会表决通过" in text and "应到9人，实到9人，赞成8人" in text
    assert f"本合同期限为{cn_count(3)}年" in text and "基础配送单价每单不低于5.5元" in text
    assert f"签订日期：{d(n.signed_on)}" in text
    for seat in n.negotiators.filter(role="chief"):
        assert seat.name in text
    assert n.union.name + "（盖章）" in text and n.employers.get().name + "（盖章）" in text


def test_filing_pack_has_the_form_contract_vote_and_team():
    n = negotiation_in_state("filed")
    document, text = issued(n, "filing_pack")
    assert "集体合同报送审查登记表" in text and n.filing_authority.name in text and document.pages >= 4
    assert f"报送日期{d(n.filed_on)}（在报送期限内）" in text and f"{d(n.objection_window_ends)}" in text
    assert "附件一" in text and "附件二" in text and "附件三" in text and "第四十二条" in text
    assert "基础配送单价每单不低于5.5元" in text and "表决结果：通过" in text
    for seat in n.negotiators.all():
        assert seat.name in text


def test_filing_pack_of_a_late_filing_says_so():
    actor = officer()
    with on(ago(30)):
        n = negotiation_in_state("signed", actor=actor)
    n = refresh(n)
    services.file(negotiation=n, actor=actor, authority=labor_bureau())
    n = refresh(n)
    assert n.filed_late
    _document, text = issued(n, "filing_pack")
    assert "（逾期报送）" in text


# --- every kind in every state; the union's notes in none -----------------------------------------

NOTE_TEXT = "内部掌握勿外传：底线可让至四块八"
TARGET = Decimal("987.65")
WALK_AWAY = Decimal("4321.09")


def with_notes(n, actor):
    for topic in n.topics.all():
        services.set_union_note(topic=topic, actor=actor, priority=1, target_value=TARGET,
                                walk_away_value=WALK_AWAY, note=NOTE_TEXT)
    return n


STATES = ["proposed", "refused", "negotiating", "suspended", "drafted", "voting", "ratified", "signed", "filed",
          "effective", "expired"]


@pytest.mark.parametrize("state", STATES)
def test_every_kind_offered_renders_and_carries_no_internal_note(state):
    actor = officer()
    n = negotiation(state, actor=actor)
    assert n.state == state
    with_notes(n, actor)
    offered = [k for k in documents.kinds_for(Negotiation) if k.allowed_in(state)]
    assert offered
    owners = [(n, k.name) for k in offered]
    owners += [(r, "round_minutes") for r in Round.objects.filter(negotiation=n)]
    for owner, kind in owners:
        document, text = issued(owner, kind, name=f"{state}-{kind}")
        assert flat(document.title) in text and document.number in text and n.number in text, (state, kind)
        assert n.union.name in text and n.employers.get().name in text, (state, kind)
        for secret in (NOTE_TEXT, "987.65", "4321.09", "987.6", "4321"):
            assert secret not in text, (state, kind, secret)


def test_long_names_and_many_topics_do_not_break_the_documents():
    actor = officer()
    long_employer = "厦门" + "某某智慧即时配送网络科技服务" * 12 + "有限公司"
    title = "外卖骑手、网约车司机与快递员劳动报酬、工作时间、休息休假、劳动安全卫生及算法规则" * 2 + "集体协商"
    n = make_negotiation(actor=actor, title=title[:200], topics=False,
                         employers=[platform(long_employer[:200]), platform(), platform()],
                         union=union("厦门市" + "新就业形态劳动者" * 8 + "工会联合会"))
    for topic in Topic.objects.all():
        numeric = topic.unit != "text"
        services.set_topic(negotiation=n, actor=actor, topic=topic,
                           demand_value=Decimal("123456.78") if numeric else None,
                           demand_text="职工方诉求：" + "按照算法取中原则确定考核标准并向劳动者公开，" * 6)
    for i in range(4):
        services.set_topic(negotiation=n, actor=actor, name=f"自定义议题{i}：" + "平台规则调整须提前公示" * 8,
                           unit="text", demand_text="一" * 600)
    services.send_proposal(negotiation=n, actor=actor)
    services.accept_proposal(negotiation=refresh(n), actor=actor)
    refresh(n)
    for r in range(5):
        positions = [{"topic": t.pk, "union_value": Decimal("123456.78") - r if t.numeric else None,
                      "employer_value": Decimal("100000") + r * 5000 if t.numeric else None,
                      "union_text": "坚持诉求" * 30, "employer_text": "需进一步测算" * 30}
                     for t in n.topics.all()]
        services.record_round(negotiation=n, actor=actor, positions=positions, minutes="讨论。\n" * 40)
        refresh(n)
    agree_all(n, actor=actor)
    services.draft_agreement(negotiation=refresh(n), actor=actor)
    electorate(refresh(n), actor=actor, size=120)
    services.submit_for_vote(negotiation=refresh(n), actor=actor)
    services.record_vote(negotiation=refresh(n), actor=actor, method=Vote.Method.BALLOTS,
                         ballots=[{"elector": f"E{i:03d}", "approve": True} for i in range(1, 101)])
    services.sign(negotiation=refresh(n), actor=actor, term_years=1)
    services.file(negotiation=refresh(n), actor=actor, authority=labor_bureau())
    n = refresh(n)
    assert n.state == "filed"
    for kind in ("proposal", "reply", "comparison", "vote_record", "contract", "filing_pack"):
        document, text = issued(n, kind, name=f"long-{kind}")
        assert document.pages >= 1 and n.number in text and flat(long_employer[:40]) in text
    document, text = issued(n.rounds.order_by("number").last(), "round_minutes", name="long-round_minutes")
    assert "第6轮" in text


def test_documents_print_the_dates_of_the_acts_not_the_day_they_are_printed():
    """Printed nine days after the acts, the documents date each act by the day it happened: the
    day they are printed appears only as the letterhead's 出具日期."""
    actor = officer()
    with on(ago(9)):
        n = negotiation_in_state("filed", actor=actor)
    n = refresh(n)
    assert n.proposed_on == n.signed_on == n.filed_on == ago(9)
    printed = f"出具日期：{d(today())}"
    for kind in ("proposal", "reply", "comparison", "vote_record", "contract", "filing_pack"):
        _document, text = issued(n, kind)
        assert printed in text and d(ago(9)) in text, kind
        assert d(today()) not in text.replace(printed, ""), kind
    _document, text = issued(n.rounds.get(), "round_minutes")
    assert f"会议日期：{d(ago(9))}" in text and d(today()) not in text.replace(printed, "")
