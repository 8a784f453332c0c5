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

from django.utils import timezone

from core import documents
from core import legal_figures as law
from core.documents import person_name, timeline

from .models import Negotiation, NegotiationState, Negotiator, Round, Side
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


def negotiation_context(negotiation: Negotiation, document) -> dict:
    version = negotiation.current_version()
    votes = list(negotiation.votes.select_related("version").order_by("id"))
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
        "union_side": union_side,
        "employer_side": employer_side,
        "union_chief": next((s for s in union_side if s.role == Negotiator.SeatRole.CHIEF), None),
        "employer_chief": next((s for s in employer_side if s.role == Negotiator.SeatRole.CHIEF), None),
        "rounds": list(negotiation.rounds.order_by("number")),
        "comparison": comparison(negotiation),
        "version": version,
        "clauses": version.clauses if version else [],
        "votes": votes,
        "vote": votes[-1] if votes else None,
        "events": events,
        "officer_name": person_name(negotiation.officer),
        "state_label": _STATE_LABELS.get(document.owner_state, document.owner_state),
        "reply_days": law.PROPOSAL_REPLY_DAYS,
        "filing_days": law.FILING_DAYS,
        "objection_days": law.OBJECTION_DAYS,
        "today": timezone.localdate(),
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
    return {
        "round": round_,
        "negotiation": negotiation,
        "employers": list(negotiation.employers.order_by("name")),
        "positions": list(round_.positions.select_related("topic")),
        "attendees": [line for line in round_.attendees.splitlines() if line.strip()],
        "minutes": [p for p in round_.minutes.splitlines() if p.strip()],
        "recorder_name": person_name(round_.recorded_by),
    }


documents.register(
    Round, "round_minutes", title="协商会议纪要", code="JY", template="documents/bargaining/round_minutes.html",
    context=round_context, issuer=lambda r: r.negotiation.union.name,
    subject="集体协商会议纪要：出席人员、各议题双方立场、一致事项",
)
