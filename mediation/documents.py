"""The mediation documents, on core's pipeline (docs/documents.md): which PDFs, from which templates.

| kind | title | issued in | asked for automatically |
|---|---|---|---|
| acceptance_notice | 调解受理通知书 | accepted, in progress | by `accept` |
| session_minutes | 调解笔录 (owner: the session) | any time | when a session is recorded |
| agreement | 调解协议书 | agreed, confirmation pending, confirmed | by `reach_agreement` |
| termination_notice | 调解终结书 | failed, withdrawn | by `fail`/`expire`/`withdraw` (a sweep's after it commits) |
| confirmation_application | 司法确认申请书 | agreed, confirmation pending, confirmed | by `request_confirmation` |
| court_summary | 调解情况摘要（致法院） | any state | — |

Which transition issues which is its declaration (mediation/transitions.py).
"""

from django.utils import timezone

from core import amounts, documents
from core import legal_figures as law
from core.documents import person_name, timeline

from .models import Mediation, MediationSession, MediationState, Source
from .rules import NEXT_STEP_TEXT, base_period_days, confirmation_window
from .transitions import machine

S = MediationState
_STATE_LABELS = dict(MediationState.choices)

def event_detail(event) -> str:
    p = event.payload or {}
    name = event.transition
    if name == "accept" and p.get("deadline"):
        return f"调解期限至 {p['deadline']}（{p.get('days')} 日）"
    if name == "assign_mediator" and p.get("mediator_name"):
        return f"调解员：{p['mediator_name']}"
    if name == "extend":
        return f"延长 {p.get('days')} 日，至 {p.get('deadline')}（双方同意）"
    if name == "reach_agreement" and p.get("total") is not None:
        return f"协议总额 {amounts.figures(p['total'])}"
    if name == "record_payment" and p.get("amount") is not None:
        return f"收到 {amounts.figures(p['amount'])}（{p.get('paid_on')}）"
    if name == "record_session":
        return f"第 {p.get('seq')} 次调解"
    if name == "confirm" and p.get("ruling_number"):
        return f"裁定书：{p['ruling_number']}"
    if name in ("decline", "fail", "withdraw", "reject_confirmation") and p.get("reason") and not event.comment:
        return p["reason"]
    if name == "default" and p.get("next_step"):
        return {"payment_order": "可申请支付令", "enforcement": "可申请强制执行", "arbitration": "可申请仲裁或起诉"}[p["next_step"]]
    return ""


def issuer(mediation) -> str:
    """The mediation organisation (the union's centre) when known, else the mediator's union."""
    if mediation.organisation is not None and mediation.organisation.kind in ("union", "mediation_organisation"):
        return mediation.organisation.name
    return documents.issuing_organisation(mediation.mediator)


def claimants_in_order(mediation):
    """The claimants as the referral listed them (the order of the link rows)."""
    links = mediation.claimants.through.objects.filter(mediation=mediation).select_related("worker").order_by("id")
    return [link.worker for link in links]


def mediation_context(mediation: Mediation, document) -> dict:
    claims = list(mediation.claims.select_related("category"))
    stated = [c.amount for c in claims if c.amount is not None]
    agreement = mediation.agreement
    instalments = list(agreement.instalments.all()) if agreement else []
    payments = list(agreement.payments.select_related("instalment")) if agreement else []
    window = confirmation_window(mediation)
    claimants = claimants_in_order(mediation)
    respondents = list(mediation.respondents.order_by("name"))
    events = timeline(mediation, machine.event_labels, _STATE_LABELS, event_detail)
    for event in events:  # the sweeps act as "system"
        if event["who"] == "system":
            event["who"] = "系统（巡检）"
    days = base_period_days(mediation.source, mediation.procedure) if (
        mediation.source != Source.COURT_IN_SUIT or mediation.procedure) else None
    return {
        "mediation": mediation,
        # The court asked to confirm the agreement: the one chosen at request_confirmation, else the
        # referring court; a union mediation has none until the parties choose one (then None).
        "confirmation_court": mediation.confirmation_court or mediation.court,
        "claimants": claimants,
        "respondents": respondents,
        "copies": len(claimants) + len(respondents) + 1,
        "claims": claims,
        "claim_total": sum(stated) if stated else None,
        "agreement": agreement,
        "instalments": instalments,
        "payments": payments,
        "sessions": list(mediation.sessions.order_by("seq")),
        "extensions": list(mediation.extensions.order_by("id")),
        "events": events,
        "milestones": [e for e in events if e["to"]],
        "period_days": days,
        "confirmation_window": window,
        "confirmation_days": law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS,
        "mediator_name": person_name(mediation.mediator),
        "state_label": _STATE_LABELS.get(document.owner_state, document.owner_state),
        "source_label": Source(mediation.source).label,
        "next_step_text": NEXT_STEP_TEXT.get(mediation.next_step, ""),
        "case": mediation.case,
        "payment_order_possible": agreement is not None and agreement.basis in law.PAYMENT_ORDER_AGREEMENT_BASES,
        "today": timezone.localdate(),
        "union_days": law.UNION_MEDIATION_DAYS,
        "union_extension_days": law.UNION_MEDIATION_MAX_EXTENSION_DAYS,
        "limitation_years": law.ARBITRATION_LIMITATION_YEARS,
    }


documents.register(
    Mediation, "acceptance_notice", title="调解受理通知书", code="SL",
    template="documents/mediation/acceptance_notice.html", context=mediation_context, issuer=issuer,
    subject="劳动争议调解受理通知：调解组织、调解期限、当事人权利义务",
    states=[S.ACCEPTED, S.IN_PROGRESS],
)
documents.register(
    Mediation, "agreement", title="调解协议书", code="XY",
    template="documents/mediation/agreement.html", context=mediation_context, issuer=issuer,
    subject="劳动争议调解协议书：给付金额（大写）、分期履行、其他义务、生效与司法确认",
    states=[S.AGREED, S.CONFIRMATION_PENDING, S.CONFIRMED],
)
documents.register(
    Mediation, "termination_notice", title="调解终结书", code="ZJ",
    template="documents/mediation/termination_notice.html", context=mediation_context, issuer=issuer,
    subject="劳动争议调解终结书：终结原因与后续救济途径",
    states=[S.FAILED, S.WITHDRAWN],
)
documents.register(
    Mediation, "confirmation_application", title="司法确认申请书", code="QR",
    template="documents/mediation/confirmation_application.html", context=mediation_context, issuer=issuer,
    subject="调解协议司法确认申请书（民事诉讼法第二百零五条）",
    states=[S.AGREED, S.CONFIRMATION_PENDING, S.CONFIRMED],
)
documents.register(
    Mediation, "court_summary", title="调解情况摘要", code="ZY",
    template="documents/mediation/court_summary.html", context=mediation_context, issuer=issuer,
    subject="诉调对接调解情况摘要（致委派/委托法院）",
)


def session_context(session: MediationSession, document) -> dict:
    mediation = session.mediation
    return {
        "session": session,
        "mediation": mediation,
        "claimants": claimants_in_order(mediation),
        "respondents": list(mediation.respondents.order_by("name")),
        "claims": list(mediation.claims.select_related("category")),
        "mediator_name": person_name(mediation.mediator),
        "recorder_name": person_name(session.recorded_by),
        "source_label": Source(mediation.source).label,
        "minutes": [p for p in session.minutes.splitlines() if p.strip()],
    }


documents.register(
    MediationSession, "session_minutes", title="调解笔录", code="BL",
    template="documents/mediation/session_minutes.html", context=session_context,
    issuer=lambda s: issuer(s.mediation), reference=lambda s: s.number,
    subject="劳动争议调解笔录",
)
