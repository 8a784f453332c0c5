"""The check-up documents, on core's pipeline (docs/documents.md): which PDFs, from which templates.

| kind | title | issued in | asked for automatically |
|---|---|---|---|
| engagement_notice | 法治体检通知书 | planned and after | by `plan` |
| report | 法治体检报告 | issued and after | by `issue` |
| rectification_notice | 整改通知书 | issued and after | by `issue` |
| follow_up_report | 法治体检复查报告 | closed | by `close` |
| reminder_letter / opinion_letter / recommendation_letter (owner: the letter) | 提示函 / 意见书 / 建议书 | — | by `escalate` |

Every one of them leaves the union: none carries the assessors' notes or interviews, and every
text in them passes `redact_workers` (registered workers' names → 某某; ID numbers and phone
numbers are refused at entry, services/common.py `no_identity`).
"""

from core import documents
from core import legal_figures as law
from core.documents import person_name

from .models import Checkup, CheckupState, Letter
from .rules import WEIGHTS, score
from .services.common import redact_workers, worker_names
from .services.transitions import final_results

S = CheckupState
PLANNED_AND_AFTER = [s for s in S if s not in (S.REQUESTED, S.CANCELLED)]
ISSUED_AND_AFTER = [S.ISSUED, S.RECTIFYING, S.FOLLOW_UP, S.CLOSED]


def _clean(text, names):
    return redact_workers(text, names)


def checkup_context(checkup: Checkup, document) -> dict:
    names = worker_names()
    assessments = list(checkup.assessments.select_related("item"))
    findings = []
    for f in checkup.findings.select_related("item", "repeat_of__checkup").prefetch_related("replies", "letters"):
        findings.append({
            "finding": f, "item": f.item, "found": _clean(f.found, names), "risk": _clean(f.risk, names),
            "recommendation": _clean(f.recommendation, names),
            "replies": [{"plan": _clean(r.plan, names), "responsible": r.responsible, "target_on": r.target_on,
                         "done": r.done} for r in f.replies.all()],
            "letters": list(f.letters.all()),
            "reassessment_note": _clean(f.reassessment_note, names),
        })
    first = score((a.item.severity, a.result) for a in assessments)
    final = score(final_results(checkup)) if checkup.state == S.CLOSED else None
    rows = [{"item": a.item, "result": a.get_result_display(), "weight": WEIGHTS[a.item.severity],
             "examined": _clean(a.examined, names), "na_reason": _clean(a.not_applicable_reason, names),
             "reassessed": a.get_reassessed_result_display()} for a in assessments]
    return {
        "checkup": checkup,
        "company": checkup.company,
        "findings": findings,
        "rows": rows,
        "score": first,
        "final": final,
        "computation": first.explain(),
        "final_computation": final.explain() if final else "",
        "lead_name": person_name(checkup.lead),
        "team_names": [person_name(u) for u in checkup.team.all()],
        "scope": _clean(checkup.scope, names),
        "rectification_days": law.RECTIFICATION_DAYS,
        "state_label": dict(CheckupState.choices).get(document.owner_state, document.owner_state),
    }


def issuer(checkup) -> str:
    return checkup.union.name if checkup.union else documents.issuing_organisation(checkup.lead)


def _register(name, title, code, states, subject):
    documents.register(Checkup, name, title=title, code=code, template=f"documents/legal_checkup/{name}.html",
                       context=checkup_context, issuer=issuer, subject=subject, states=states)


_register("engagement_notice", "法治体检通知书", "TZ", PLANNED_AND_AFTER,
          "法治体检通知书：检查事项、时间、检查组与企业须准备的材料")
_register("report", "法治体检报告", "BG", ISSUED_AND_AFTER,
          "法治体检报告：概况、得分与等级及其计算、逐项问题（依据、风险、建议、整改期限）、全部事项表")
_register("rectification_notice", "整改通知书", "ZG", ISSUED_AND_AFTER, "法治体检整改通知书：问题与整改期限")
_register("follow_up_report", "法治体检复查报告", "FC", [S.CLOSED], "法治体检复查报告：整改前后对照与最终得分")


def letter_context(letter: Letter, document) -> dict:
    names = worker_names()
    finding = letter.finding
    return {
        "letter": letter, "finding": finding, "checkup": finding.checkup, "company": finding.checkup.company,
        "found": _clean(finding.found, names), "recommendation": _clean(finding.recommendation, names),
        "previous": list(finding.letters.filter(id__lt=letter.id)),
        "reply_days": law.SUPERVISION_LETTER_REPLY_DAYS[letter.kind],
    }


for _kind, _code in ((Letter.Kind.REMINDER, "TS"), (Letter.Kind.OPINION, "YJ"), (Letter.Kind.RECOMMENDATION, "JY")):
    documents.register(
        Letter, f"{_kind}_letter", title=str(Letter.Kind(_kind).label), code=_code,
        template=f"documents/legal_checkup/{_kind}_letter.html", context=letter_context,
        issuer=lambda letter: issuer(letter.finding.checkup),
        reference=lambda letter: f"{letter.finding.checkup.number}-{letter.finding.item.code}",
        subject=f"工会劳动法律监督：{Letter.Kind(_kind).label}",
    )
