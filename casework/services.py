"""Every change to dispute intake data: one function per action, keyword-only, one transaction each.

The admin, the API, the demo, flows and tasks all call these; none of them change state themselves.
Errors: `ValidationError` (bad input, field by field) -> 400, `PermissionDenied` -> 403,
`TransitionRefused` / `ConcurrentTransition` -> 409 (core/errors.py).
"""

import datetime
import hashlib
import os
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import journal, legal_calendar, limits, links
from core.legal_figures import ARBITRATION_LIMITATION_YEARS
from core.notices import send as send_notices
from core.roles import Role, may_act
from core.services import find_conflicts, next_number, reassign, require_perm, required_text
from core.errors import TransitionRefused
from core.transitions import check, run_transition

from . import notices as casework_notices
from .models import OPEN_STATES, Case, CaseClaimant, CaseState, Category, Claim, Evidence
from .rules import EDITABLE_STATES, LIMITATION_WATCH_STATES, limitation_for

S = CaseState


# --------------------------------------------------------------------------------------------------
# Cases: intake
# --------------------------------------------------------------------------------------------------


def _next_case_number(year: int) -> str:
    """WQ-2026-000123."""
    return next_number("WQ", year)


def _refresh_derived(case: Case) -> None:
    """Recompute what follows from the parties and dates (kept in columns so lists can filter)."""
    limitation = limitation_for(case)
    case.limitation_ends_on = limitation.date if limitation else None
    case.is_group = case.should_be_group()
    Case.objects.filter(pk=case.pk).update(limitation_ends_on=case.limitation_ends_on, is_group=case.is_group)


def create_case(
    *, actor, title, channel, claimants, respondents, categories, claims=(), representatives=(),
    facts="", received_on=None, infringement_known_on=None, employment_ended_on=None,
    limitation_interrupted_on=None, handler=None, comment="",
) -> Case:
    """Register a complaint (受理登记). `claims` is a list of dicts: category (code), description, amount."""
    require_perm(actor, "casework.add_case")
    received_on = received_on or timezone.localdate()
    errors = {}
    title = limits.collect_text(errors, "title", title, required_message=_("请填写案由。"), max_length=200)
    facts = limits.collect_text(errors, "facts", facts, multiline=True)
    if channel not in Case.Channel.values:
        errors["channel"] = [_("未知的来源渠道：%(channel)s") % {"channel": channel}]
    by_code = {c.code: c for c in Category.objects.all()}  # a short reference table
    category_objs = [by_code[code] for code in dict.fromkeys(categories) if code in by_code]
    if len(category_objs) != len(set(categories)):
        errors["categories"] = [_("包含未知的争议类别。")]
    claim_rows = []
    for i, claim in enumerate(claims):
        amount = claim.get("amount")
        if amount is not None:
            amount = Decimal(str(amount))
            if amount < 0:
                errors.setdefault("claims", []).append(_("第%(n)d项请求金额不能为负数。") % {"n": i + 1})
        category = by_code.get(claim.get("category"))
        if category is None:
            errors.setdefault("claims", []).append(_("第%(n)d项请求的类别未知。") % {"n": i + 1})
        description = limits.clean_text(claim.get("description", ""))
        if claim.get("description") and not limits.has_visible(description):
            errors.setdefault("claims", []).append(_("第%(n)d项请求：%(problem)s") % {"n": i + 1, "problem": limits.invisible_message()})
        claim_rows.append((category, description, amount))
    # Each says when something happened: in the plausible range, not after today (core/limits.py).
    limits.check_dates(errors, {
        "received_on": received_on, "infringement_known_on": infringement_known_on,
        "employment_ended_on": employment_ended_on, "limitation_interrupted_on": limitation_interrupted_on,
    })
    if any(r not in claimants for r in representatives):
        errors["representatives"] = [_("推举代表必须是本案申请人。")]
    if handler is not None:
        _collect_handler_errors(errors, handler, respondents)
    if errors:
        raise ValidationError(errors)

    sla = legal_calendar.add_working_days(received_on, settings.WEIQUAN_SCREENING_SLA_WORKING_DAYS)
    with transaction.atomic():
        case = Case.objects.create(
            number=_next_case_number(received_on.year), title=title, channel=channel,
            facts=facts, received_on=received_on, infringement_known_on=infringement_known_on,
            employment_ended_on=employment_ended_on, limitation_interrupted_on=limitation_interrupted_on,
            screening_due_on=sla.date, handler=handler or actor, created_by=actor,
        )
        CaseClaimant.objects.bulk_create(
            CaseClaimant(case=case, worker=w, is_representative=w in representatives) for w in claimants
        )
        case.respondents.set(respondents)
        case.categories.set(category_objs)
        Claim.objects.bulk_create(
            Claim(case=case, category=c, description=d, amount=a) for c, d, a in claim_rows
        )
        _refresh_derived(case)
        journal.record(
            subject=case, transition="create", from_state="", to_state=case.state, actor=actor,
            comment=comment, payload={"number": case.number, "channel": channel, "claimants": len(claimants)},
        )
    return case


def _editable(case: Case, actor) -> None:
    require_perm(actor, "casework.change_case", case)
    if case.state not in EDITABLE_STATES:
        raise ValidationError({"case": [_("案件受理后当事人和请求不能再修改；如需变更请主管重新审查。")]})


EDITABLE_FIELDS = {
    "title", "facts", "channel", "received_on", "infringement_known_on", "employment_ended_on",
    "limitation_interrupted_on", "handler",
}
EDITABLE_RELATIONS = {"respondents", "categories"}
# The dates of a case: each says when something happened (core.limits.check_dates).
DATE_FIELDS = ("received_on", "infringement_known_on", "employment_ended_on", "limitation_interrupted_on")


def edit_case(*, case, actor, changes: dict) -> Case:
    """Correct intake data before acceptance; the journal records which fields changed."""
    _editable(case, actor)
    unknown = set(changes) - EDITABLE_FIELDS - EDITABLE_RELATIONS
    if unknown:
        raise ValidationError({name: [_("此项不能在此修改。")] for name in sorted(unknown)})
    errors = {}
    if "channel" in changes and changes["channel"] not in Case.Channel.values:
        errors["channel"] = [_("未知的来源渠道：%(channel)s") % {"channel": changes["channel"]}]
    changes = dict(changes)
    if "title" in changes:
        changes["title"] = limits.collect_text(errors, "title", changes["title"], required_message=_("请填写案由。"), max_length=200)
    if "facts" in changes:
        changes["facts"] = limits.collect_text(errors, "facts", changes["facts"], multiline=True)
    limits.check_dates(errors, {name: changes[name] for name in DATE_FIELDS if name in changes})
    if "received_on" in changes and changes["received_on"] is None:
        errors.setdefault("received_on", []).append(_("请填写登记日期。"))
    if changes.get("handler") is not None and changes["handler"] != case.handler:
        _collect_handler_errors(errors, changes["handler"], changes.get("respondents", case.respondents.all()))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plain = [name for name in changes if name in EDITABLE_FIELDS]
        for name in plain:
            setattr(case, name, changes[name])
        if plain:
            case.save(update_fields=[*plain, "updated_at"])
        for name in EDITABLE_RELATIONS & set(changes):
            getattr(case, name).set(changes[name])
        _refresh_derived(case)
        journal.record(
            subject=case, transition="edit", from_state=case.state, to_state=case.state,
            actor=actor, payload={"fields": sorted(changes)},
        )
    return case


def add_claimant(*, case, actor, worker, is_representative=False) -> CaseClaimant:
    _editable(case, actor)
    with transaction.atomic():
        link, created = CaseClaimant.objects.get_or_create(
            case=case, worker=worker, defaults={"is_representative": is_representative}
        )
        if not created and link.is_representative != is_representative:
            link.is_representative = is_representative
            link.save(update_fields=["is_representative"])
        _refresh_derived(case)
    return link


def add_respondent(*, case, actor, organisation) -> None:
    _editable(case, actor)
    case.respondents.add(organisation)


# What a worker brings: photos and screenshots, scans, documents, chat exports, recordings, videos.
EVIDENCE_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".pdf", ".doc", ".docx", ".xls", ".xlsx",
    ".txt", ".csv", ".mp3", ".m4a", ".amr", ".wav", ".mp4", ".mov", ".zip",
)


def validate_evidence_file(file) -> None:
    """Type (by extension) and size limits for evidence, the same for the API and the web forms."""
    ext = os.path.splitext(file.name)[1].lower()
    if ext not in EVIDENCE_EXTENSIONS:
        raise ValidationError(
            _("不支持的文件类型“%(ext)s”。可上传：图片、PDF、Word/Excel、文本、录音、视频或 ZIP 压缩包。"),
            params={"ext": ext or file.name},
        )
    limit = settings.WEIQUAN_EVIDENCE_MAX_BYTES
    if file.size > limit:
        raise ValidationError(_("文件过大（%(size).1f MB，上限 %(limit)d MB）。"),
                              params={"size": file.size / 1048576, "limit": limit // 1048576})


def add_evidence(*, case, actor, file, description="") -> Evidence:
    """Store an evidence file with its SHA-256, so a copy can later be shown to be unaltered."""
    require_perm(actor, "casework.view_case", case)
    if not actor.has_perm("casework.change_case", case) and case.legal_aid_by_id != actor.pk:
        raise PermissionDenied(_("您不能为本案上传证据。"))
    if case.state not in OPEN_STATES:
        # A rejected, resolved or closed case's file is complete; reopening it comes first.
        raise TransitionRefused(case, None, _("案件已办结，不能再上传证据；如有新证据请先重新审查。"))
    try:
        validate_evidence_file(file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        evidence = Evidence(
            case=case, original_name=file.name, description=description,
            sha256=digest.hexdigest(), size=file.size, uploaded_by=actor,
        )
        evidence.file.save(file.name, file, save=False)
        evidence.save()
        journal.record(
            subject=case, transition="add_evidence", from_state=case.state, to_state=case.state,
            actor=actor, payload={"evidence": evidence.pk, "name": file.name, "sha256": evidence.sha256},
        )
    return evidence


# --------------------------------------------------------------------------------------------------
# Cases: the transitions
# --------------------------------------------------------------------------------------------------


def start_screening(*, case, actor, comment="") -> Case:
    return run_transition(case, "start_screening", actor=actor, comment=comment)


def accept(*, case, actor, comment="", override_limitation=False, override_reason="", accepted_on=None) -> Case:
    """Accept a screened case on `accepted_on` (default today; not before it was registered). A case
    whose limitation had run by that day needs a supervisor's reasoned override."""
    check(case, "accept", actor)  # not now, or not you, before what was typed
    accepted_on = limits.happened_on("accepted_on", accepted_on, not_before=case.received_on,
                                     not_before_label=_("登记日期"))
    limitation = limitation_for(case)
    expired = limitation is not None and limitation.date < accepted_on
    if override_limitation and not actor.has_perm("casework.override_limitation", case):
        raise PermissionDenied(_("只有主管可以受理仲裁时效已届满的案件。"))
    if expired and not override_limitation:
        raise ValidationError({
            "override_limitation": [
                _("仲裁时效（%(years)d年）已于 %(date)s 届满（劳动争议调解仲裁法第二十七条）。"
                  "如有中断、中止等事由，须由主管勾选“时效例外受理”并说明理由。")
                % {"years": ARBITRATION_LIMITATION_YEARS, "date": f"{limitation.date:%Y-%m-%d}"}
            ]
        })
    if override_limitation and not (override_reason or "").strip():
        raise ValidationError({"override_reason": [_("时效例外受理须说明理由。")]})

    def apply(c):
        c.is_group = c.should_be_group()
        c.accepted_at = _moment_of(accepted_on)
        c.limitation_overridden = bool(override_limitation)
        c.limitation_override_reason = (override_reason or "").strip() if override_limitation else ""

    return run_transition(case, "accept", actor=actor, comment=comment, apply=apply,
                          payload={"accepted_on": accepted_on})


def _moment_of(day):
    """When something done on `day` happened: now when that is today; else the start of that day
    (Asia/Shanghai), its hour unknown (the journal keeps the time it was entered)."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def reject(*, case, actor, reason, comment="") -> Case:
    check(case, "reject", actor)  # not now, or not you, before what was typed
    reason = required_text("reason", reason, _("不予受理须说明理由。"))

    def apply(c):
        c.rejection_reason = reason

    return run_transition(case, "reject", actor=actor, comment=comment or reason, apply=apply)


def provide_consultation(*, case, actor, comment="") -> Case:
    return run_transition(case, "provide_consultation", actor=actor, comment=comment)


def conflict_message(person, conflicts) -> str:
    names = "、".join(o.name for o in conflicts)
    return _("利益冲突：%(person)s 代理或受聘于被申请单位（%(names)s），不能承办本案。") % {
        "person": person.get_full_name() or person.username, "names": names}


def assign_legal_aid(*, case, actor, lawyer, comment="") -> Case:
    """Give the case to a lawyer or legal-aid volunteer, refusing anyone who acts for a respondent."""
    check(case, "assign_legal_aid", actor)  # not now, or not you, before what was typed
    if lawyer is None or not lawyer.groups.filter(name__in=[Role.LAWYER, Role.LEGAL_AID_VOLUNTEER]).exists():
        raise ValidationError({"lawyer": [_("请选择一名律师或法律援助志愿者。")]})
    conflicts = find_conflicts(person=lawyer, organisations=case.respondents.all())
    if conflicts:
        raise ValidationError({"lawyer": [conflict_message(lawyer, conflicts)]})

    def apply(c):
        c.legal_aid_by = lawyer

    return run_transition(case, "assign_legal_aid", actor=actor, comment=comment, apply=apply,
                          payload={"lawyer_name": lawyer.get_username()})


def refer_to_mediation(*, case, actor, comment="", mediator_organisation=None, source="union", court=None,
                       court_case_number="", procedure="", referred_on=None) -> Case:
    """Send the case to mediation. The mediation module, when installed, opens the linked
    mediation in the same transaction (it reacts to this transition: mediation/services/intake.py),
    so the case and the mediation change together or not at all; it is on `case.opened_mediation`,
    and the case's journal records the link.

    By default a union mediation (`referred`, for the mediation organisation to accept); when a
    court referred the dispute, `source` court_pre_suit / court_in_suit with the court, its case
    number and (in-suit) the procedure.
    """
    return run_transition(case, "refer_to_mediation", actor=actor, comment=comment, payload={
        "mediator_organisation": mediator_organisation.name if mediator_organisation else None,
        "source": source,
    }, inputs={
        "organisation": mediator_organisation, "source": source, "court": court,
        "court_case_number": court_case_number, "procedure": procedure, "referred_on": referred_on,
        "comment": comment,
    })


def refer_to_arbitration(*, case, actor, comment="", commission="") -> Case:
    return run_transition(case, "refer_to_arbitration", actor=actor, comment=comment, payload={"commission": commission})


def file_lawsuit(*, case, actor, comment="", court=None) -> Case:
    return run_transition(case, "file_lawsuit", actor=actor, comment=comment,
                          payload={"court": court.name if court else None})


def resolve(*, case, actor, outcome, amount_recovered, outcome_detail="", comment="") -> Case:
    check(case, "resolve", actor)  # not now, or not you, before what was typed
    errors = {}
    if outcome not in Case.Outcome.values:
        errors["outcome"] = [_("请选择处理结果。")]
    try:
        amount = Decimal(str(amount_recovered))
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["amount_recovered"] = [_("挽回金额应为不小于零的金额（元，最多两位小数）。")]
    if errors:
        raise ValidationError(errors)

    def apply(c):
        c.outcome = outcome
        c.outcome_detail = outcome_detail
        c.amount_recovered = amount
        c.resolved_at = timezone.now()

    return run_transition(case, "resolve", actor=actor, comment=comment, apply=apply)


@links.resolver("casework.Case")
def resolve_from_linked(case, *, by, actor, outcome, amount, detail, comment=""):
    """Another module's object opened for this case (a mediation) ended with an outcome: resolve
    the case with it, as `actor` and under the case's own rules."""
    return resolve(case=case, actor=actor, outcome=outcome, amount_recovered=amount,
                   outcome_detail=detail, comment=comment)


def close(*, case, actor, comment="") -> Case:
    def apply(c):
        c.closed_at = timezone.now()

    return run_transition(case, "close", actor=actor, comment=comment, apply=apply)


def reopen(*, case, actor, reason, comment="") -> Case:
    check(case, "reopen", actor)  # not now, or not you, before what was typed
    reason = required_text("reason", reason, _("重新审查须说明理由。"))

    def apply(c):
        c.closed_at = None
        c.screening_due_on = legal_calendar.add_working_days(
            timezone.localdate(), settings.WEIQUAN_SCREENING_SLA_WORKING_DAYS
        ).date

    return run_transition(case, "reopen", actor=actor, comment=comment or reason, apply=apply, payload={"reason": reason})


# --------------------------------------------------------------------------------------------------
# Notifications and the deadline sweep
# --------------------------------------------------------------------------------------------------


# A stored limitation date moves when holidays are published after it was computed: by a holiday run
# (at most ~10 days later) or a make-up workday (a few days earlier). Dates this close to the warning
# window are recomputed by the sweep before it reads the window.
_LIMITATION_RECHECK_DAYS = 15


def _refresh_limitation_dates(today, horizon) -> int:
    """Recompute `limitation_ends_on` near the warning window from the current legal calendar.

    A case registered before the State Council published next year's holidays got a provisional
    date (weekends only); without this the sweep would warn with that stale date.
    """
    slack = timezone.timedelta(days=_LIMITATION_RECHECK_DAYS)
    changed = 0
    near = Case.objects.filter(
        state__in=LIMITATION_WATCH_STATES,
        limitation_ends_on__gte=today - slack, limitation_ends_on__lte=horizon + slack,
    ).only("pk", "infringement_known_on", "limitation_interrupted_on", "employment_ended_on", "limitation_ends_on")
    for case in near:
        limitation = limitation_for(case)
        ends_on = limitation.date if limitation else None
        if ends_on != case.limitation_ends_on:
            Case.objects.filter(pk=case.pk).update(limitation_ends_on=ends_on)
            changed += 1
    return changed


def sweep_case_deadlines(*, today=None) -> dict:
    """Warn handlers about overdue screening and limitation periods about to run out.

    Set-based reads; each warning is keyed by the deadline it is about, so the sweep is idempotent.
    """
    today = today or timezone.localdate()
    horizon = today + timezone.timedelta(days=settings.WEIQUAN_LIMITATION_WARNING_DAYS)
    refreshed = _refresh_limitation_dates(today, horizon)
    overdue = Case.objects.filter(state__in=EDITABLE_STATES, screening_due_on__lt=today)
    expiring = Case.objects.filter(
        state__in=LIMITATION_WATCH_STATES, limitation_ends_on__gte=today, limitation_ends_on__lte=horizon
    )
    sent = {
        "screening_overdue": send_notices(Case, [casework_notices.SCREENING_OVERDUE], list(overdue.values_list("pk", flat=True)), digest=False),
        "limitation_ending": send_notices(Case, [casework_notices.LIMITATION_ENDING], list(expiring.values_list("pk", flat=True)), digest=False),
    }
    sent["overdue_cases"] = overdue.count()
    sent["expiring_cases"] = expiring.count()
    sent["limitation_dates_refreshed"] = refreshed
    return sent


# --------------------------------------------------------------------------------------------------
# Who works a case: reassignment and claiming (the web interface's inbox; docs/ui.md)
# --------------------------------------------------------------------------------------------------


def _staff_member_errors(person, roles, message, respondents) -> list[str]:
    """Why `person` may not take this work: not an active member of `roles`, or in conflict with
    one of the respondents; [] when they may."""
    if person is None or not person.is_active:
        return [_("请选择一名在职人员。")]
    if not person.groups.filter(name__in=roles).exists():
        return [message]
    conflicts = find_conflicts(person=person, organisations=list(respondents))
    return [conflict_message(person, conflicts)] if conflicts else []


# Who may handle a case, wherever a handler is named: at intake, in a correction, in a reassignment.
HANDLER_ROLES = [Role.INTAKE_OFFICER, Role.LAWYER, Role.MEDIATOR, Role.SUPERVISOR]
HANDLER_ROLES_MESSAGE = gettext_lazy("承办人须为受理员、律师、调解员或主管。")


def _collect_handler_errors(errors, handler, respondents) -> None:
    problems = _staff_member_errors(handler, HANDLER_ROLES, HANDLER_ROLES_MESSAGE, respondents)
    if problems:
        errors.setdefault("handler", []).extend(problems)


def _staff_member_for(case, person, field, roles, message):
    problems = _staff_member_errors(person, roles, message, case.respondents.all())
    if problems:
        raise ValidationError({field: problems})


def reassign_handler(*, case, actor, handler, comment="") -> Case:
    """Give the case to another handler (a supervisor), or take it yourself (claim).

    Claiming is open to casework staff only while nobody can work the case: no handler, a handler
    who has left, or one whose role may not act in the case's current state.
    """
    _staff_member_for(case, handler, "handler", HANDLER_ROLES, HANDLER_ROLES_MESSAGE)
    if handler.pk == actor.pk and not actor.has_perm("casework.reassign_case", case):
        require_perm(actor, "casework.claim_case", case)
        current = case.handler
        if current is not None and current.pk != actor.pk and may_act(current, case):
            raise PermissionDenied(_("该案件已有承办人，只有主管可以改派。"))
    else:
        require_perm(actor, "casework.reassign_case", case)
    if not may_act(handler, case):
        raise ValidationError({"handler": [_("%(name)s 在案件当前阶段没有可办理的操作。") % {
            "name": handler.get_full_name() or handler.username}]})
    return reassign(case, field="handler", to=handler, actor=actor, transition="reassign_handler", comment=comment)


def reassign_legal_aid(*, case, actor, lawyer, comment="") -> Case:
    """Hand a case in legal aid to another lawyer or volunteer (a supervisor), with the conflict check.

    A lawyer may take it over (claim) only when the assigned one has left.
    """
    if case.state != S.LEGAL_AID:
        raise ValidationError({"lawyer": [_("只有处于法律援助阶段的案件可以更换援助律师/志愿者。")]})
    _staff_member_for(case, lawyer, "lawyer", [Role.LAWYER, Role.LEGAL_AID_VOLUNTEER], _("请选择一名律师或法律援助志愿者。"))
    if not actor.has_perm("casework.reassign_case", case):
        current = case.legal_aid_by
        if lawyer.pk != actor.pk or (current is not None and current.is_active):
            raise PermissionDenied(_("只有主管可以更换援助律师/志愿者。"))
    return reassign(case, field="legal_aid_by", to=lawyer, actor=actor, transition="reassign_legal_aid", comment=comment)
