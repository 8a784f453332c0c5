"""The documents of dispute intake: intake record (受理登记表), case summary (案件摘要), closing
report (结案报告). The pipeline is core/documents.py; which transition issues which is in
casework/transitions.py.
"""

from django.conf import settings
from django.utils import timezone

from core import amounts, documents
from core.documents import person_name, timeline

from .models import Case, CaseState
from .transitions import machine

S = CaseState

_STATE_LABELS = dict(CaseState.choices)
_OUTCOME_LABELS = dict(Case.Outcome.choices)


def case_event_detail(event) -> str:
    p = event.payload or {}
    if event.transition == "add_evidence":
        return p.get("name", "")
    if event.transition == "assign_legal_aid":
        return f"承办：{p['lawyer_name']}" if p.get("lawyer_name") else ""
    if event.transition == "resolve" and p.get("outcome"):
        text = str(_OUTCOME_LABELS.get(p["outcome"], p["outcome"]))
        if p.get("amount_recovered") not in (None, ""):
            text += f"，挽回 {amounts.figures(p['amount_recovered'])}"
        return text
    if event.transition == "create" and p.get("claimants"):
        return f"申请人 {p['claimants']} 人"
    if event.transition == "accept" and p.get("limitation_overridden"):
        return "时效例外受理"
    return ""


def case_context(case: Case, document) -> dict:
    from . import rules

    claimants = list(case.case_claimants.select_related("worker").order_by("id"))
    claims = list(case.claims.select_related("category").order_by("id"))
    stated = [c.amount for c in claims if c.amount is not None]
    claim_total = sum(stated) if stated else None
    limitation = rules.limitation_for(case)
    deadlines = []
    if case.state in (S.RECEIVED, S.SCREENING) and case.screening_due_on:
        deadlines.append({"label": "受理审查期限", "date": case.screening_due_on, "provisional": False,
                          "note": f"登记后 {settings.WEIQUAN_SCREENING_SLA_WORKING_DAYS} 个工作日内完成审查"})
    if limitation and case.state in rules.LIMITATION_WATCH_STATES:
        deadlines.append({"label": "仲裁时效届满日", "date": limitation.date, "provisional": limitation.provisional,
                          "note": "劳动争议调解仲裁法第二十七条；中断、中止事由以实际为准"})
    events = timeline(case, machine.event_labels, _STATE_LABELS, case_event_detail)
    return {
        "case": case,
        "claimants": claimants,
        "representatives": [c for c in claimants if c.is_representative],
        "respondents": list(case.respondents.order_by("name")),
        "categories": list(case.categories.all()),
        "claims": claims,
        "claim_total": claim_total,
        "evidence": list(case.evidence.select_related("uploaded_by").order_by("id")),
        "events": events,
        "milestones": [e for e in events if e["to"]],  # the state changes only
        "deadlines": deadlines,
        "limitation": limitation,
        "handler_name": person_name(case.handler),
        "legal_aid_name": person_name(case.legal_aid_by),
        "state_label": _STATE_LABELS.get(document.owner_state, document.owner_state),
        "amount_recovered": case.amount_recovered,
        "duration_days": ((timezone.localtime(case.closed_at or case.resolved_at).date() - case.received_on).days
                          if (case.closed_at or case.resolved_at) else None),
    }


documents.register(
    Case, "intake_record", title="维权案件受理登记表", code="DJ",
    template="documents/casework/intake_record.html", context=case_context,
    subject="劳动争议维权案件受理登记",
)
documents.register(
    Case, "case_summary", title="维权案件摘要", code="ZY",
    template="documents/casework/case_summary.html", context=case_context,
    subject="劳动争议维权案件摘要：当事人、请求、证据、流转记录与期限",
)
documents.register(
    Case, "closing_report", title="维权案件结案报告", code="JA",
    template="documents/casework/closing_report.html", context=case_context,
    subject="劳动争议维权案件结案报告", states=[S.RESOLVED, S.CLOSED],
)
