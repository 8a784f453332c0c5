"""The check-up documents, on core's pipeline (docs/documents.md): which PDFs, from which templates.

| kind | title | issued in | asked for automatically | dated |
|---|---|---|---|---|
| engagement_notice | 法治体检通知书 | planned and after | by `plan` | the day of the plan |
| report | 法治体检报告 | issued and after | by `issue` | `issued_on` |
| rectification_notice | 整改通知书 | issued and after | by `issue` | `issued_on` |
| follow_up_report | 法治体检复查报告 | closed | by `close` | `closed_on` |
| reminder_letter / opinion_letter / recommendation_letter (owner: the letter) | 提示函 / 意见书 / 建议书 | — | by `escalate` | the letter's `issued_on` |

Each document is dated by its act, not by the day it is printed: the context's `issued_on` (the
letterhead's 出具日期 and the seal's date) is the act's day, so a copy printed later says the same.

Every one of them leaves the union, so none carries a worker's identity:

- no context holds the assessors' notes or the interviews (union-internal), nor the reviewer's
  comments; findings, assessments, replies and letters reach the templates as plain rows built
  here, never as the model objects that could lead to them;
- every free text passes `clean()`: registered workers' names become 某某 (`redact_workers`), and
  an ID-like or phone-like string, which the services refuse at entry in the texts of a finding,
  an assessment, a reply's plan and a letter's reply (services/common.py `no_identity`), is
  masked here too for the texts no service checks (a reply's person responsible, the request's
  reason).

A letter's three kinds are registered on the one Letter model, and core offers every kind of a
model for every object of it (by state, and a letter has none). So a kind renders the letter of
its own rung on the same finding (the 意见书 of a finding asked from its 建议书 is that 意见书);
each kind's `permission` (`legal_checkup.ask_<kind>_letter`) lets pages and the API offer and
accept it only where the finding has reached that rung, and a rendering asked for anyway fails
with a plain reason (`LetterNotIssued`).
"""

from __future__ import annotations

import rules
from django.utils import timezone

from core import documents, journal
from core import legal_figures as law
from core.documents import person_name
from core.models import Organisation

from .models import Checkup, CheckupState, Letter, Profile, Result
from .rules import RESULT_VALUES, WEIGHTS, grade_of, score
from .services.common import ID_LIKE, PHONE_LIKE, redact_workers, worker_names
from .services.transitions import final_results

S = CheckupState
PLANNED_AND_AFTER = [s for s in S if s not in (S.REQUESTED, S.CANCELLED)]
ISSUED_AND_AFTER = [S.ISSUED, S.RECTIFYING, S.FOLLOW_UP, S.CLOSED]
RESULT_LABELS = dict(Result.choices)
SEVERITY_LABELS = {"H": "高", "M": "中", "L": "低"}
KIND_LABELS = dict(Organisation.Kind.choices)
LETTER_LABELS = dict(Letter.Kind.choices)
ID_MASK = "［身份证号码已略去］"
PHONE_MASK = "［电话号码已略去］"

# What the company is asked to have ready for the fieldwork (the engagement notice), beside each
# item's own points to check.
PREPARE = [
    "营业执照，组织架构及用工主体情况说明（含合作用工企业、外包企业、劳务派遣单位名单）",
    "用工台账及各类劳动者用工关系的认定材料",
    "劳动合同、书面协议、合作协议文本及签订记录",
    "规章制度与平台规则、算法规则（进入退出、派单、计价、抽成、工作时间、奖惩），及其协商、公示记录",
    "报酬结算规则、结算记录与扣款明细",
    "工作时间、休息提示、强制下线等规则及其执行数据",
    "社会保险与新就业形态人员职业伤害保障参保记录",
    "劳动防护用品发放、安全培训及恶劣天气保护措施记录",
    "劳动者投诉申诉渠道及处理记录；工会组建、集体协商记录",
]


class LetterNotIssued(documents.DocumentError):
    """The kind asked for is a rung of the supervision ladder the letter's finding has not reached."""


def clean(text, names) -> str:
    """A text for a document that leaves the union: workers' names → 某某, ID-like and phone-like
    strings masked."""
    if not text:
        return ""
    text = redact_workers(str(text), names)
    text = ID_LIKE.sub(ID_MASK, text)
    return PHONE_LIKE.sub(PHONE_MASK, text)


def _paragraphs(text) -> list[str]:
    return [p.strip() for p in (text or "").splitlines() if p.strip()]


def _day(moment):
    return timezone.localdate(moment) if moment else None


def plan_day(checkup):
    """The day the plan was made (the engagement notice's date): the journal's `plan` entry."""
    event = journal.events_for(checkup).filter(transition="plan").order_by("id").first()
    return _day(event.created_at) if event else None


def act_day(checkup, kind_name):
    """The day of the act a checkup's document records (falls back to today if it has none yet)."""
    day = {
        "engagement_notice": plan_day(checkup),
        "report": checkup.issued_on,
        "rectification_notice": checkup.issued_on,
        "follow_up_report": checkup.closed_on,
    }.get(kind_name)
    return day or timezone.localdate()


def _letter_row(letter, names) -> dict:
    return {
        "kind": letter.kind, "label": LETTER_LABELS.get(letter.kind, letter.kind),
        "issued_on": letter.issued_on, "reply_due": letter.reply_due, "replied_on": letter.replied_on,
        "reply_text": clean(letter.reply_text, names), "addressee": letter.addressee.name,
        "reply_days": law.SUPERVISION_LETTER_REPLY_DAYS[letter.kind],
    }


def _reply_rows(finding, names) -> list[dict]:
    return [{"plan": clean(r.plan, names), "responsible": clean(r.responsible, names), "target_on": r.target_on,
             "done": r.done, "on": _day(r.created_at)} for r in finding.replies.all()]


def finding_row(f, names, number=None) -> dict:
    """One finding as the documents print it; no notes, no reviewer's comment."""
    earlier = f.repeat_of
    assessment = f.assessment
    return {
        "number": number,
        "code": f.item.code, "title": f.item.title,
        "severity": f.severity, "severity_label": SEVERITY_LABELS[f.severity], "weight": WEIGHTS[f.severity],
        "legal_basis": clean(f.legal_basis, names),
        "result": assessment.result, "result_label": RESULT_LABELS.get(assessment.result, ""),
        "examined": clean(assessment.examined, names),
        # the report prints what was examined with the finding only when its text does not say it already
        "examined_in_found": clean(assessment.examined, names) in clean(f.found, names),
        "found": _paragraphs(clean(f.found, names)),
        "risk": _paragraphs(clean(f.risk, names)),
        "recommendation": _paragraphs(clean(f.recommendation, names)),
        "due_on": f.due_on, "due_days": law.RECTIFICATION_DAYS[f.severity],
        "repeat": earlier is not None,
        "repeat_of": {"number": earlier.checkup.number, "issued_on": earlier.checkup.issued_on,
                      "found": clean(earlier.found, names)} if earlier is not None else None,
        "status": f.status, "status_label": f.get_status_display(),
        "escalation": f.escalation,
        "replies": _reply_rows(f, names),
        "letters": [_letter_row(x, names) for x in f.letters.all()],
        "reassessed": f.reassessed_result,
        "reassessed_label": RESULT_LABELS.get(f.reassessed_result, ""),
        "reassessed_on": f.reassessed_on,
        "reassessment_note": _paragraphs(clean(f.reassessment_note, names)),
    }


def score_rows(assessments, results=None) -> list[dict]:
    """The item table with what the score adds up: weight, the result's value, weight × value.
    `results`: the result to count per assessment (default: the fieldwork's)."""
    rows = []
    for a in assessments:
        result = results[a.pk] if results is not None else a.result
        value = RESULT_VALUES.get(result)
        weight = WEIGHTS[a.item.severity]
        rows.append({
            "code": a.item.code, "title": a.item.title, "severity": a.item.severity,
            "severity_label": SEVERITY_LABELS[a.item.severity], "legal_basis": a.item.legal_basis,
            "result": result, "result_label": RESULT_LABELS.get(result, ""),
            "counted": value is not None, "weight": weight,
            "value": _figure(value) if value is not None else "—",
            "earned": _figure(weight * value) if value is not None else "—",
        })
    return rows


def _figure(value) -> str:
    """1, 0.5, 0, 1.5 (no trailing zeros)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def score_summary(result) -> dict:
    """The score with the figures the computation shows."""
    return {
        "value": result.value, "grade": result.grade, "capped": result.capped,
        "uncapped_grade": grade_of(result.value) if result.value is not None else "",
        "earned": str(result.earned), "possible": result.possible, "explain": result.explain(),
    }


def _counts(results) -> dict:
    counts = {r: 0 for r in Result.values}
    for r in results:
        if r in counts:
            counts[r] += 1
    return {"compliant": counts[Result.COMPLIANT], "partial": counts[Result.PARTIAL],
            "non_compliant": counts[Result.NON_COMPLIANT], "not_applicable": counts[Result.NOT_APPLICABLE]}


def _final_by_assessment(checkup, assessments) -> dict:
    """The result counted after the follow-up, per assessment (services.transitions.final_results)."""
    out = {}
    for a in assessments:
        finding = getattr(a, "finding", None)
        out[a.pk] = (finding.reassessed_result if finding is not None and finding.reassessed_result
                     else a.reassessed_result or a.result)
    return out


def _with_before(rows, assessments) -> list[dict]:
    for row, a in zip(rows, assessments):
        row["before"], row["before_label"] = a.result, RESULT_LABELS.get(a.result, "")
    return rows


def applicable_items(checkup) -> list:
    version = checkup.checklist_version
    if version is None:
        return []
    return [i for i in version.items.all() if i.applies_to(checkup.company, checkup.profile)]


def checkup_context(checkup: Checkup, document) -> dict:
    names = worker_names()
    assessments = list(checkup.assessments.select_related("item", "finding"))
    findings_qs = checkup.findings.select_related("item", "assessment", "repeat_of__checkup").prefetch_related(
        "replies", "letters__addressee")
    findings = [finding_row(f, names, n) for n, f in enumerate(findings_qs, start=1)]
    number_by_assessment = {f.assessment_id: n for n, f in enumerate(findings_qs, start=1)}
    first = score((a.item.severity, a.result) for a in assessments)
    closed = checkup.state == S.CLOSED
    final = score(final_results(checkup)) if closed else None
    final_by = _final_by_assessment(checkup, assessments) if closed else None
    rows = score_rows(assessments)
    for row, a in zip(rows, assessments):
        row["examined"] = clean(a.examined, names)
        row["na_reason"] = clean(a.not_applicable_reason, names)
        row["finding"] = hasattr(a, "finding")
        row["finding_number"] = number_by_assessment.get(a.pk)
        row["code_parts"] = a.item.code.split("-")  # the report's narrow code column breaks after a hyphen
        row["result_pad"] = "　" * (4 - len(row["result_label"]))  # results aligned in the report's item table
        if final_by is not None:
            row["final_result"] = final_by[a.pk]
            row["final_label"] = RESULT_LABELS.get(final_by[a.pk], "")
    items = applicable_items(checkup)
    lead_name = person_name(checkup.lead)
    return {
        "issued_on": act_day(checkup, document.kind),
        "printed_on": timezone.localdate(),
        "checkup": checkup,
        "company": checkup.company,
        "company_kind": KIND_LABELS.get(checkup.company.kind, checkup.company.kind),
        "union_name": issuer(checkup),
        "checklist": checkup.checklist_version.checklist.name if checkup.checklist_version else "",
        "version_number": checkup.checklist_version.number if checkup.checklist_version else None,
        "profile_label": dict(Profile.choices).get(checkup.profile, checkup.profile),
        "plan_day": plan_day(checkup),
        "items": [{"code": i.code, "title": i.title, "severity": i.severity,
                   "severity_label": SEVERITY_LABELS[i.severity], "legal_basis": i.legal_basis,
                   "check": i.evidence or i.guidance} for i in items],
        "prepare": PREPARE,
        "findings": findings,
        "findings_by_severity": {s: sum(1 for f in findings if f["severity"] == s) for s in ("H", "M", "L")},
        "repeats": [f for f in findings if f["repeat"]],
        "rows": rows,
        "counts": _counts(a.result for a in assessments),
        "score": score_summary(first),
        "final": score_summary(final) if final else None,
        "final_rows": _with_before(score_rows(assessments, final_by), assessments) if final_by is not None else [],
        "final_counts": _counts(final_by.values()) if final_by is not None else None,
        "computation": first.explain(),
        "final_computation": final.explain() if final else "",
        "weights": WEIGHTS,
        "lead_name": lead_name,
        "team_names": [n for n in (person_name(u) for u in checkup.team.order_by("last_name", "first_name", "pk"))
                       if n != lead_name],
        "approver_name": person_name(checkup.approved_by),
        "reason": _paragraphs(clean(checkup.reason, names)),
        "scope": _paragraphs(clean(checkup.scope, names)),
        "rectification_days": law.RECTIFICATION_DAYS,
        "letter_reply_days": law.SUPERVISION_LETTER_REPLY_DAYS,
        "rectified": [f for f in findings if f["status"] == "rectified"],
        "not_rectified": [f for f in findings if f["status"] == "not_rectified"],
        "letters": [x for f in findings for x in f["letters"]],
        "state_label": dict(CheckupState.choices).get(document.owner_state, document.owner_state),
    }


def issuer(checkup) -> str:
    return checkup.union.name if checkup.union else documents.issuing_organisation(checkup.lead)


def _register(name, title, code, states, subject, template_version="1"):
    documents.register(Checkup, name, title=title, code=code, template=f"documents/legal_checkup/{name}.html",
                       context=checkup_context, issuer=issuer, subject=subject, states=states,
                       template_version=template_version)


_register("engagement_notice", "法治体检通知书", "TZ", PLANNED_AND_AFTER,
          "法治体检通知书：检查事项、时间、检查组与企业须准备的材料")
_register("report", "法治体检报告", "BG", ISSUED_AND_AFTER,
          "法治体检报告：概况、得分与等级及其计算、逐项问题（依据、风险、建议、整改期限）、全部事项表",
          template_version="2")  # 2: the item table's rows point to their finding instead of repeating its basis
_register("rectification_notice", "整改通知书", "ZG", ISSUED_AND_AFTER, "法治体检整改通知书：问题与整改期限")
_register("follow_up_report", "法治体检复查报告", "FC", [S.CLOSED], "法治体检复查报告：整改前后对照与最终得分")


def letter_context(letter: Letter, document) -> dict:
    """The letter of the document's rung on the letter's finding (see the module's docstring)."""
    names = worker_names()
    kind = document.kind.removesuffix("_letter")
    if kind != letter.kind:
        letter = letter.finding.letters.filter(kind=kind).first()
        if letter is None:
            raise LetterNotIssued(f"该问题尚未发出{LETTER_LABELS.get(kind, kind)}。")
    finding = letter.finding
    checkup = finding.checkup
    earlier = [_letter_row(x, names) for x in finding.letters.filter(id__lt=letter.id).select_related("addressee")]
    return {
        "issued_on": letter.issued_on,
        "printed_on": timezone.localdate(),
        "letter": _letter_row(letter, names),
        "checkup": checkup,
        "company": checkup.company,
        "union_name": issuer(checkup),
        "addressee": letter.addressee.name,
        "finding": finding_row(finding, names),
        "previous": earlier,
        "reply_days": law.SUPERVISION_LETTER_REPLY_DAYS[letter.kind],
        "handed_over": letter.kind == Letter.Kind.RECOMMENDATION,
        "issued_by_name": person_name(letter.issued_by),
    }


def _has_rung(kind):
    """Whoever may see the letter's checkup, where the letter's finding has a letter of `kind`."""

    @rules.predicate(name=f"finding_has_{kind}_letter")
    def has_rung(user, letter):
        if letter is None or not user.has_perm("legal_checkup.view_checkup", letter.finding.checkup):
            return False
        return letter.kind == kind or letter.finding.letters.filter(kind=kind).exists()

    return has_rung


for _kind, _code in ((Letter.Kind.REMINDER, "TS"), (Letter.Kind.OPINION, "YJ"), (Letter.Kind.RECOMMENDATION, "JY")):
    rules.set_perm(f"legal_checkup.ask_{_kind}_letter", _has_rung(_kind))
    documents.register(
        Letter, f"{_kind}_letter", title=str(Letter.Kind(_kind).label), code=_code,
        template=f"documents/legal_checkup/{_kind}_letter.html", context=letter_context,
        issuer=lambda letter: issuer(letter.finding.checkup),
        # TJC-2026-000001-07-2-YJ01: the checkup, the item, the letter's rung (two letters of one
        # finding never share a number, even when one is asked for the other's rung).
        reference=lambda letter: (f"{letter.finding.checkup.number}-{letter.finding.item.code}"
                                  f"-{Letter.LADDER.index(letter.kind) + 1}"),
        subject=f"工会劳动法律监督：{Letter.Kind(_kind).label}",
        permission=f"legal_checkup.ask_{_kind}_letter",
    )
