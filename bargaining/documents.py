"""The bargaining documents, on core's pipeline (docs/documents.md): which PDFs, from which templates.

| kind | title | issued in | asked for automatically |
|---|---|---|---|
| proposal | 集体协商要约书 | proposed and after | by `send_proposal` |
| reply | 集体协商回应书 | negotiating and after, refused | by `accept_proposal` / `refuse_proposal` |
| round_minutes | 协商会议纪要 (owner: the round) | any time | when a round is recorded |
| comparison | 议题对照表 (with the gap chart) | negotiating and after | — |
| draft_contract | 集体合同（草案） | drafted, voting | by `draft_agreement` |
| vote_record | 集体合同草案表决结果 | after a vote | by `record_vote` |
| contract | 集体合同 | signed and after | by `sign` |
| filing_pack | 集体合同报送审查材料 | filed and after | by `file` |

Every one of them may leave the union (to the employer side, to the labor administration): none
carries the union side's internal notes (UnionNote), and their contexts never read them.
"""

from core import documents
from core import legal_figures as law
from core.documents import person_name, timeline
from core.models import Worker

from .charts import gap_chart
from .models import Negotiation, NegotiationState, Negotiator, Round, Side, Vote
from .rules import VoteResult
from .selectors import comparison
from .transitions import machine

S = NegotiationState
_STATE_LABELS = dict(NegotiationState.choices)
AFTER_PROPOSAL = [s for s in S if s != S.PREPARING]
AT_TABLE_AND_AFTER = [S.NEGOTIATING, S.SUSPENDED, S.DRAFTED, S.VOTING, S.RATIFIED, S.SIGNED, S.FILED,
                      S.EFFECTIVE, S.EXPIRED]
SIGNED_AND_AFTER = [S.SIGNED, S.FILED, S.EFFECTIVE, S.EXPIRED]


def event_detail(event) -> str:
    p = event.payload or {}
    name = event.transition
    if name == "send_proposal" and p.get("reply_due"):
        return f"书面回应期限 {p['reply_due']}"
    if name == "record_round":
        return f"第 {p.get('round')} 轮" + (f"，一致：{'、'.join(p['agreed'])}" if p.get("agreed") else "")
    if name == "record_vote":
        return f"应到 {p.get('electorate')}，实到 {p.get('attendance')}，赞成 {p.get('approvals')}：{'通过' if p.get('passed') else '未通过'}"
    if name == "file" and p.get("late"):
        return "逾期报送"
    if name in ("refuse_proposal", "suspend", "object") and p.get("reason") and not event.comment:
        return p["reason"]
    return ""


def issuer(negotiation) -> str:
    return negotiation.union.name


def negotiators(negotiation, side):
    return list(negotiation.negotiators.filter(side=side, vacated_on__isnull=True).order_by("role", "id"))


ELECTORATE_BODY = {"congress": "职工代表大会", "all_workers": "全体职工"}
ELECTORATE_MEMBERS = {"congress": "职工代表", "all_workers": "职工"}


def occupations(negotiation) -> list[str]:
    labels = dict(Worker.Occupation.choices)
    return [str(labels.get(code, code)) for code in negotiation.covered_occupations or []]


def vote_context(vote) -> dict:
    """The figures of one vote against Art. 36: the counts the two ratios need, whether each was
    met, and for per-voter ballots who voted (by roll number; how anyone voted is not kept)."""
    figures = {"quorum": law.VOTE_QUORUM, "approval_share": law.VOTE_APPROVAL_OF_ALL}
    if vote is None:
        return {"vote": None, **figures}
    q_num, q_den = law.VOTE_QUORUM
    a_num, a_den = law.VOTE_APPROVAL_OF_ALL
    result = VoteResult(electorate=vote.electorate, attendance=vote.attendance, approvals=vote.approvals)
    voters = []
    if vote.method == Vote.Method.BALLOTS:
        voters = [b.elector for b in vote.ballots.select_related("elector").order_by("elector__reference")]
    return {
        "vote": vote,
        "vote_result": result,
        **figures,
        # the fewest present, and approving, that meet each rule with this electorate
        "quorum_needed": -(-vote.electorate * q_num // q_den),
        "approvals_needed": vote.electorate * a_num // a_den + 1,
        "attendance_pct": round(100 * vote.attendance / vote.electorate, 1) if vote.electorate else 0,
        "approvals_pct": round(100 * vote.approvals / vote.electorate, 1) if vote.electorate else 0,
        "voters": voters,
        "absent": vote.electorate - vote.attendance,
    }


def negotiation_context(negotiation: Negotiation, document) -> dict:
    version = negotiation.current_version()
    votes = list(negotiation.votes.select_related("version").order_by("id"))
    passed = [v for v in votes if v.passed]
    passed_vote = passed[-1] if passed else None
    # The contract is the text the passing vote adopted; a draft is the latest version.
    contract_version = passed_vote.version if passed_vote else version
    rounds = list(negotiation.rounds.order_by("number"))
    rows = comparison(negotiation)
    for row in rows:
        row["chart"] = gap_chart(row, width=600, height=240)
        row["latest"] = row["rounds"][-1] if row["rounds"] else None
    events = timeline(negotiation, machine.event_labels, _STATE_LABELS, event_detail)
    for event in events:
        if event["who"] == "system":
            event["who"] = "系统（巡检）"
    union_side, employer_side = negotiators(negotiation, Side.UNION), negotiators(negotiation, Side.EMPLOYER)
    return {
        "negotiation": negotiation,
        "employers": list(negotiation.employers.order_by("name")),
        "topics": list(negotiation.topics.all()),
        "agreed_topics": list(negotiation.topics.filter(agreed=True)),
        "core_topics": list(negotiation.topics.filter(core_common=True)),
        "union_side": union_side,
        "employer_side": employer_side,
        "union_chief": next((s for s in union_side if s.role == Negotiator.SeatRole.CHIEF), None),
        "employer_chief": next((s for s in employer_side if s.role == Negotiator.SeatRole.CHIEF), None),
        "rounds": rounds,
        "last_round": rounds[-1] if rounds else None,
        "comparison": rows,
        "version": version,
        "clauses": version.clauses if version else [],
        "contract_version": contract_version,
        "contract_clauses": contract_version.clauses if contract_version else [],
        "votes": votes,
        **vote_context(votes[-1] if votes else None),
        "passed_vote": passed_vote,
        "occupations": occupations(negotiation),
        "electorate_label": negotiation.get_electorate_kind_display() or "职工代表大会代表或全体职工",
        # Art. 36 names the body that votes and its members: 职工代表大会 / 全体职工
        "electorate_body": ELECTORATE_BODY.get(negotiation.electorate_kind, "职工代表大会或者全体职工"),
        "electorate_members": ELECTORATE_MEMBERS.get(negotiation.electorate_kind, "职工代表或者职工"),
        "term_range": law.CONTRACT_TERM_YEARS,
        "renewal_months": law.RENEWAL_WINDOW_MONTHS,
        "min_negotiators": law.MIN_NEGOTIATORS_PER_SIDE,
        "expert_share": law.MAX_EXPERT_SHARE,
        "refused": document.owner_state == S.REFUSED,
        "events": events,
        "officer_name": person_name(negotiation.officer),
        "state_label": _STATE_LABELS.get(document.owner_state, document.owner_state),
        "reply_days": law.PROPOSAL_REPLY_DAYS,
        "filing_days": law.FILING_DAYS,
        "objection_days": law.OBJECTION_DAYS,
    }


def _register(name, title, code, states, subject):
    documents.register(Negotiation, name, title=title, code=code, template=f"documents/bargaining/{name}.html",
                       context=negotiation_context, issuer=issuer, subject=subject, states=states)


_register("proposal", "集体协商要约书", "YY", AFTER_PROPOSAL,
          "集体协商要约书：协商事项、议题与诉求、协商代表、书面回应期限（《集体合同规定》第三十二条）")
_register("reply", "集体协商回应书", "HY", [S.REFUSED, *AT_TABLE_AND_AFTER],
          "企业方对集体协商要约的书面回应")
_register("comparison", "议题对照表", "DZ", AT_TABLE_AND_AFTER,
          "集体协商议题对照表：各轮双方立场与差距")
_register("draft_contract", "集体合同（草案）", "CA", [S.DRAFTED, S.VOTING],
          "集体合同草案：由双方一致的议题形成的条款")
_register("vote_record", "集体合同草案表决结果", "BJ", [S.NEGOTIATING, S.RATIFIED, *SIGNED_AND_AFTER],
          "集体合同草案表决结果：应到、实到、赞成人数与法定比例（《集体合同规定》第三十六条）")
_register("contract", "集体合同", "HT", SIGNED_AND_AFTER, "集体合同文本")
_register("filing_pack", "集体合同报送审查材料", "BS", [S.FILED, S.EFFECTIVE, S.EXPIRED],
          "集体合同报送审查材料：合同文本、表决情况、协商代表名单、报送登记表（《集体合同规定》第四十二条）")


def round_context(round_: Round, document) -> dict:
    negotiation = round_.negotiation
    positions = list(round_.positions.select_related("topic"))
    union_side, employer_side = negotiators(negotiation, Side.UNION), negotiators(negotiation, Side.EMPLOYER)
    return {
        "round": round_,
        "negotiation": negotiation,
        "employers": list(negotiation.employers.order_by("name")),
        "positions": positions,
        "agreed_positions": [p for p in positions if p.agreed],
        "open_positions": [p for p in positions if not p.agreed],
        "union_chief": next((s for s in union_side if s.role == Negotiator.SeatRole.CHIEF), None),
        "employer_chief": next((s for s in employer_side if s.role == Negotiator.SeatRole.CHIEF), None),
        "attendees": [line for line in round_.attendees.splitlines() if line.strip()],
        "minutes": [p for p in round_.minutes.splitlines() if p.strip()],
        "recorder_name": person_name(round_.recorded_by),
    }


documents.register(
    Round, "round_minutes", title="协商会议纪要", code="JY", template="documents/bargaining/round_minutes.html",
    context=round_context, issuer=lambda r: r.negotiation.union.name,
    # A round's own number is 1, 2, 3…: its documents are numbered under the negotiation's (XS-2026-000001-R2-JY01).
    reference=lambda r: f"{r.negotiation.number}-R{r.number}",
    subject="集体协商会议纪要：出席人员、各议题双方立场、一致事项",
)
