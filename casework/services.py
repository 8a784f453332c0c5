"""Every change to dispute intake data: one function per action, keyword-only, one transaction each.

The admin, the API, the demo, flows and tasks all call these; none of them change state themselves.
Errors: `ValidationError` (bad input, field by field) -> 400, `PermissionDenied` -> 403,
`TransitionRefused` / `ConcurrentTransition` -> 409 (see api_errors.py).
"""

import hashlib
import os
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import identifiers, journal, legal_calendar
from .models import (
    Case,
    CaseClaimant,
    CaseNumberSequence,
    CaseState,
    Category,
    Claim,
    Evidence,
    Notification,
    Organisation,
    Worker,
    resident_id_digest,
)
from .permissions import Role
from .transitions import run_transition

S = CaseState
# Before arbitration or a lawsuit is filed the worker's limitation period is still running.
LIMITATION_WATCH_STATES = [S.RECEIVED, S.SCREENING, S.ACCEPTED, S.CONSULTING, S.LEGAL_AID]
UNPAID_PAY = "unpaid_pay"
EDITABLE_STATES = [S.RECEIVED, S.SCREENING]


def require_perm(actor, perm, obj=None):
    """403 unless `actor` holds the rules permission (object-level when `obj` is given)."""
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(f"You do not have permission '{perm}'.")


def required_text(field: str, value: str, message: str) -> str:
    """The stripped text, or a 400 field error with `message` when it is blank."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


# --------------------------------------------------------------------------------------------------
# Organisations and workers
# --------------------------------------------------------------------------------------------------


def register_organisation(
    *, actor, name, kind, credit_code=None, override_credit_code=False, override_reason="",
    parent=None, address="", contact_person="", contact_phone="",
) -> Organisation:
    """Register an organisation. A credit code failing the GB 32100 checksum needs a supervisor's override."""
    require_perm(actor, "casework.add_organisation")
    errors = {}
    overridden_by = None
    if credit_code:
        try:
            credit_code = identifiers.validate_credit_code_format(credit_code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
        else:
            if not identifiers.credit_code_checksum_ok(credit_code):
                if not override_credit_code:
                    errors["credit_code"] = [
                        "统一社会信用代码校验码不符（GB 32100）。如确认为早期试点合法代码，"
                        "可由主管勾选“例外登记”并说明理由。"
                    ]
                elif not actor.has_perm("casework.override_credit_code"):
                    raise PermissionDenied("Only a supervisor may register a credit code that fails its checksum.")
                elif not (override_reason or "").strip():
                    errors["override_reason"] = ["例外登记须说明理由。"]
                else:
                    overridden_by = actor
        if credit_code and Organisation.objects.filter(credit_code=credit_code).exists():
            errors.setdefault("credit_code", []).append("该统一社会信用代码已登记。")
    else:
        credit_code = None
    if contact_phone:
        try:
            contact_phone = identifiers.normalise_phone(contact_phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages
    if kind not in Organisation.Kind.values:
        errors["kind"] = [f"未知的单位类型：{kind}"]
    if Organisation.objects.filter(name=name).exists():
        errors["name"] = ["同名单位已登记。"]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Organisation.objects.create(
                name=name, kind=kind, credit_code=credit_code, parent=parent, address=address,
                contact_person=contact_person, contact_phone=contact_phone,
                credit_code_overridden_by=overridden_by,
                credit_code_override_reason=(override_reason or "").strip() if overridden_by else "",
            )
    except IntegrityError:  # registered by someone else between our check and this insert
        raise ValidationError({"name": ["同名或同一信用代码的单位刚刚已被登记，请刷新后选用。"]}) from None


def find_worker(*, id_number=None, phone=None):
    """Look a worker up by resident ID (through its keyed digest) or phone; None if not found."""
    if id_number:
        return Worker.objects.filter(id_number_digest=resident_id_digest(id_number)).first()
    if phone:
        try:
            return Worker.objects.filter(phone=identifiers.normalise_phone(phone)).first()
        except ValidationError:
            return None
    return None


def register_worker(
    *, actor, name, id_number, occupation, phone="", platforms=(),
    relationship_type=Worker.Relationship.UNKNOWN, is_union_member=False,
) -> Worker:
    require_perm(actor, "casework.add_worker")
    errors = {}
    try:
        id_number = identifiers.validate_resident_id(id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    else:
        if find_worker(id_number=id_number):
            errors["id_number"] = ["该身份证号码已登记，请直接选用已有劳动者。"]
    if phone:
        try:
            phone = identifiers.normalise_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if not (name or "").strip():
        errors["name"] = ["请填写姓名。"]
    if occupation not in Worker.Occupation.values:
        errors["occupation"] = [f"未知的职业：{occupation}"]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            worker = Worker.objects.create(
                name=name.strip(), id_number=id_number, phone=phone, occupation=occupation,
                relationship_type=relationship_type, is_union_member=is_union_member,
            )
            worker.platforms.set(platforms)
    except IntegrityError:  # the same ID registered by someone else between our check and this insert
        raise ValidationError({"id_number": ["该身份证号码刚刚已被登记，请直接选用已有劳动者。"]}) from None
    return worker


# --------------------------------------------------------------------------------------------------
# Cases: intake
# --------------------------------------------------------------------------------------------------


def next_numbers(sequence_model, prefix: str, year: int, count: int = 1) -> list[str]:
    """`count` consecutive numbers PREFIX-2026-000123 from `sequence_model`'s row for the year (a
    model with a `year` primary key and a `last` counter; one such model per numbered kind of
    object: cases, mediations...). The row stays locked until the caller's transaction ends, so
    concurrent intakes never share or skip a number (a rolled-back intake gives its numbers back)."""
    try:
        with transaction.atomic():
            sequence_model.objects.get_or_create(year=year)
    except IntegrityError:  # another intake created this year's row at the same moment
        pass
    seq = sequence_model.objects.select_for_update().get(year=year)
    first = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return [f"{prefix}-{year}-{n:06d}" for n in range(first, seq.last + 1)]


def next_number(sequence_model, prefix: str, year: int) -> str:
    return next_numbers(sequence_model, prefix, year, 1)[0]


def _next_case_number(year: int) -> str:
    """WQ-2026-000123."""
    return next_number(CaseNumberSequence, "WQ", year)


def limitation_for(case: Case):
    """The case's arbitration limitation deadline (a legal_calendar.Deadline) or None."""
    codes = set(case.categories.values_list("code", flat=True))
    return legal_calendar.limitation_deadline(
        known_on=case.infringement_known_on,
        interrupted_on=case.limitation_interrupted_on,
        employment_ended_on=case.employment_ended_on,
        unpaid_pay_only=codes == {UNPAID_PAY},
    )


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
    if not (title or "").strip():
        errors["title"] = ["请填写案由。"]
    if channel not in Case.Channel.values:
        errors["channel"] = [f"未知的来源渠道：{channel}"]
    by_code = {c.code: c for c in Category.objects.all()}  # a short reference table
    category_objs = [by_code[code] for code in dict.fromkeys(categories) if code in by_code]
    if len(category_objs) != len(set(categories)):
        errors["categories"] = ["包含未知的争议类别。"]
    claim_rows = []
    for i, claim in enumerate(claims):
        amount = claim.get("amount")
        if amount is not None:
            amount = Decimal(str(amount))
            if amount < 0:
                errors.setdefault("claims", []).append(f"第{i + 1}项请求金额不能为负数。")
        category = by_code.get(claim.get("category"))
        if category is None:
            errors.setdefault("claims", []).append(f"第{i + 1}项请求的类别未知。")
        claim_rows.append((category, claim.get("description", ""), amount))
    for field, day in (("infringement_known_on", infringement_known_on), ("received_on", received_on)):
        if day and day > timezone.localdate():
            errors[field] = ["日期不能晚于今天。"]
    if any(r not in claimants for r in representatives):
        errors["representatives"] = ["推举代表必须是本案申请人。"]
    if errors:
        raise ValidationError(errors)

    sla = legal_calendar.add_working_days(received_on, settings.WEIQUAN_SCREENING_SLA_WORKING_DAYS)
    with transaction.atomic():
        case = Case.objects.create(
            number=_next_case_number(received_on.year), title=title.strip(), channel=channel,
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
        raise ValidationError({"case": ["案件受理后当事人和请求不能再修改；如需变更请主管重新审查。"]})


EDITABLE_FIELDS = {
    "title", "facts", "channel", "received_on", "infringement_known_on", "employment_ended_on",
    "limitation_interrupted_on", "handler",
}
EDITABLE_RELATIONS = {"respondents", "categories"}


def edit_case(*, case, actor, changes: dict) -> Case:
    """Correct intake data before acceptance; the journal records which fields changed."""
    _editable(case, actor)
    unknown = set(changes) - EDITABLE_FIELDS - EDITABLE_RELATIONS
    if unknown:
        raise ValidationError({name: ["此项不能在此修改。"] for name in sorted(unknown)})
    if "channel" in changes and changes["channel"] not in Case.Channel.values:
        raise ValidationError({"channel": [f"未知的来源渠道：{changes['channel']}"]})
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
        raise PermissionDenied("You may not add evidence to this case.")
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


def find_conflicts(*, person, organisations) -> list[Organisation]:
    """The organisations among `organisations` that `person` acts for or belongs to."""
    profile = getattr(person, "profile", None)
    if profile is None:
        return []
    own = set(profile.acts_for.values_list("pk", flat=True))
    if profile.organisation_id:
        own.add(profile.organisation_id)
    return [o for o in organisations if o.pk in own]


def start_screening(*, case, actor, comment="") -> Case:
    return run_transition(case, "start_screening", actor=actor, comment=comment)


def accept(*, case, actor, comment="", override_limitation=False, override_reason="") -> Case:
    """Accept a screened case. A case whose limitation has run needs a supervisor's reasoned override."""
    limitation = limitation_for(case)
    today = timezone.localdate()
    expired = limitation is not None and limitation.date < today
    if override_limitation and not actor.has_perm("casework.override_limitation", case):
        raise PermissionDenied("Only a supervisor may accept a case whose limitation period has run.")
    if expired and not override_limitation:
        raise ValidationError({
            "override_limitation": [
                f"仲裁时效已于 {limitation.date:%Y-%m-%d} 届满（劳动争议调解仲裁法第二十七条）。"
                "如有中断、中止等事由，须由主管勾选“时效例外受理”并说明理由。"
            ]
        })
    if override_limitation and not (override_reason or "").strip():
        raise ValidationError({"override_reason": ["时效例外受理须说明理由。"]})

    def apply(c):
        c.is_group = c.should_be_group()
        c.accepted_at = timezone.now()
        c.limitation_overridden = bool(override_limitation)
        c.limitation_override_reason = (override_reason or "").strip() if override_limitation else ""

    return run_transition(case, "accept", actor=actor, comment=comment, apply=apply, payload={
        "limitation_ends_on": limitation.date if limitation else None,
        "limitation_overridden": bool(override_limitation),
        "override_reason": override_reason if override_limitation else "",
        "is_group": case.should_be_group(),
    })


def reject(*, case, actor, reason, comment="") -> Case:
    reason = required_text("reason", reason, "不予受理须说明理由。")

    def apply(c):
        c.rejection_reason = reason

    return run_transition(case, "reject", actor=actor, comment=comment or reason, apply=apply, payload={"reason": reason})


def provide_consultation(*, case, actor, comment="") -> Case:
    return run_transition(case, "provide_consultation", actor=actor, comment=comment)


def assign_legal_aid(*, case, actor, lawyer, comment="") -> Case:
    """Give the case to a lawyer or legal-aid volunteer, refusing anyone who acts for a respondent."""
    if lawyer is None or not lawyer.groups.filter(name__in=[Role.LAWYER, Role.LEGAL_AID_VOLUNTEER]).exists():
        raise ValidationError({"lawyer": ["请选择一名律师或法律援助志愿者。"]})
    conflicts = find_conflicts(person=lawyer, organisations=case.respondents.all())
    if conflicts:
        names = "、".join(o.name for o in conflicts)
        raise ValidationError({"lawyer": [f"利益冲突：{lawyer.get_full_name() or lawyer.username} 代理或受聘于被申请单位（{names}），不能承办本案。"]})

    def apply(c):
        c.legal_aid_by = lawyer

    return run_transition(case, "assign_legal_aid", actor=actor, comment=comment, apply=apply,
                          payload={"lawyer": lawyer.pk, "lawyer_name": lawyer.get_username()})


def refer_to_mediation(*, case, actor, comment="", mediator_organisation=None, source="union", court=None,
                       court_case_number="", procedure="", referred_on=None) -> Case:
    """Send the case to mediation and open the linked mediation (mediation.services.open_for_case).

    By default a union mediation (`referred`, for the mediation organisation to accept); when a
    court referred the dispute, `source` court_pre_suit / court_in_suit with the court, its case
    number and (in-suit) the procedure. The case and the mediation change together or not at all.
    """
    from mediation import services as mediation_services  # the module builds on casework

    with transaction.atomic():
        run_transition(case, "refer_to_mediation", actor=actor, comment=comment, payload={
            "mediator_organisation": mediator_organisation.name if mediator_organisation else None,
            "source": source,
        })
        mediation = mediation_services.open_for_case(
            case=case, actor=actor, source=source, court=court, court_case_number=court_case_number,
            procedure=procedure, referred_on=referred_on, organisation=mediator_organisation, comment=comment,
        )
    case.opened_mediation = mediation
    return case


def refer_to_arbitration(*, case, actor, comment="", commission="") -> Case:
    return run_transition(case, "refer_to_arbitration", actor=actor, comment=comment, payload={"commission": commission})


def file_lawsuit(*, case, actor, comment="", court=None) -> Case:
    return run_transition(case, "file_lawsuit", actor=actor, comment=comment,
                          payload={"court": court.name if court else None})


def resolve(*, case, actor, outcome, amount_recovered, outcome_detail="", comment="") -> Case:
    errors = {}
    if outcome not in Case.Outcome.values:
        errors["outcome"] = ["请选择处理结果。"]
    try:
        amount = Decimal(str(amount_recovered))
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["amount_recovered"] = ["挽回金额应为不小于零的金额（元，最多两位小数）。"]
    if errors:
        raise ValidationError(errors)

    def apply(c):
        c.outcome = outcome
        c.outcome_detail = outcome_detail
        c.amount_recovered = amount
        c.resolved_at = timezone.now()

    return run_transition(case, "resolve", actor=actor, comment=comment, apply=apply,
                          payload={"outcome": outcome, "amount_recovered": amount})


def close(*, case, actor, comment="") -> Case:
    def apply(c):
        c.closed_at = timezone.now()

    return run_transition(case, "close", actor=actor, comment=comment, apply=apply)


def reopen(*, case, actor, reason, comment="") -> Case:
    reason = required_text("reason", reason, "重新审查须说明理由。")

    def apply(c):
        c.closed_at = None
        c.screening_due_on = legal_calendar.add_working_days(
            timezone.localdate(), settings.WEIQUAN_SCREENING_SLA_WORKING_DAYS
        ).date

    return run_transition(case, "reopen", actor=actor, comment=comment or reason, apply=apply, payload={"reason": reason})


# --------------------------------------------------------------------------------------------------
# Notifications and the deadline sweep
# --------------------------------------------------------------------------------------------------


def notify(*, recipient, subject, key, message) -> Notification | None:
    """Tell someone once: the same key for the same person is never sent twice, even by two sweeps at once."""
    try:
        with transaction.atomic():
            note = Notification.objects.create(recipient=recipient, subject=subject, key=key, message=message)
    except IntegrityError:
        return None
    if recipient.email:
        # Mail only once the notification row is committed: a rolled-back caller sends nothing.
        transaction.on_commit(lambda: _email(note))
    return note


def _email(note: Notification) -> None:
    # send_mail returns how many messages went out: 0 when the mail server failed (silently).
    if send_mail("【维权】" + note.message[:40], note.message, None, [note.recipient.email], fail_silently=True):
        Notification.objects.filter(pk=note.pk).update(emailed=True)
        note.emailed = True


def _recipients(case):
    """The case's handler; the active supervisors when it has none or the handler has left."""
    from django.contrib.auth import get_user_model

    if case.handler_id and case.handler.is_active:
        return [case.handler]
    return list(get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True))


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
    overdue = Case.objects.filter(state__in=EDITABLE_STATES, screening_due_on__lt=today).select_related("handler")
    expiring = Case.objects.filter(
        state__in=LIMITATION_WATCH_STATES, limitation_ends_on__gte=today, limitation_ends_on__lte=horizon
    ).select_related("handler")
    sent = {"screening_overdue": 0, "limitation_ending": 0}
    for case in overdue:
        for person in _recipients(case):
            if notify(recipient=person, subject=case, key=f"case:{case.pk}:screening_overdue:{case.screening_due_on}",
                      message=f"案件 {case.number} 审查已超期（期限 {case.screening_due_on:%Y-%m-%d}），请尽快完成审查。"):
                sent["screening_overdue"] += 1
    for case in expiring:
        for person in _recipients(case):
            if notify(recipient=person, subject=case, key=f"case:{case.pk}:limitation:{case.limitation_ends_on}",
                      message=f"案件 {case.number} 的仲裁时效将于 {case.limitation_ends_on:%Y-%m-%d} 届满，"
                              f"请及时申请仲裁或采取中断时效的措施。"):
                sent["limitation_ending"] += 1
    sent["overdue_cases"] = overdue.count()
    sent["expiring_cases"] = expiring.count()
    sent["limitation_dates_refreshed"] = refreshed
    return sent


# --------------------------------------------------------------------------------------------------
# Who works a case: reassignment and claiming (the web interface's inbox; docs/ui.md)
# --------------------------------------------------------------------------------------------------


def _staff_member_for(case, person, field, roles, message):
    from .permissions import may_act

    if person is None or not person.is_active:
        raise ValidationError({field: ["请选择一名在职人员。"]})
    if not person.groups.filter(name__in=roles).exists():
        raise ValidationError({field: [message]})
    conflicts = find_conflicts(person=person, organisations=case.respondents.all())
    if conflicts:
        names = "、".join(o.name for o in conflicts)
        raise ValidationError({field: [f"利益冲突：{person.get_full_name() or person.username} 代理或受聘于被申请单位（{names}），不能承办本案。"]})
    return may_act


def reassign_handler(*, case, actor, handler, comment="") -> Case:
    """Give the case to another handler (a supervisor), or take it yourself (claim).

    Claiming is open to casework staff only while nobody can work the case: no handler, a handler
    who has left, or one whose role may not act in the case's current state.
    """
    may_act = _staff_member_for(
        case, handler, "handler", [Role.INTAKE_OFFICER, Role.LAWYER, Role.MEDIATOR, Role.SUPERVISOR],
        "承办人须为受理员、律师、调解员或主管。",
    )
    if handler.pk == actor.pk and not actor.has_perm("casework.reassign_case", case):
        require_perm(actor, "casework.claim_case", case)
        current = case.handler
        if current is not None and current.pk != actor.pk and may_act(current, case):
            raise PermissionDenied("该案件已有承办人，只有主管可以改派。")
    else:
        require_perm(actor, "casework.reassign_case", case)
    if not may_act(handler, case):
        raise ValidationError({"handler": [f"{handler.get_full_name() or handler.username} 在案件当前阶段没有可办理的操作。"]})
    if case.handler_id == handler.pk:
        return case
    previous = case.handler
    with transaction.atomic():
        case.handler = handler
        case.save(update_fields=["handler", "updated_at"])
        journal.record(
            subject=case, transition="reassign_handler", from_state=case.state, to_state=case.state,
            actor=actor, comment=comment, payload={
                "from": previous.pk if previous else None,
                "from_name": previous.get_username() if previous else "",
                "to": handler.pk, "to_name": handler.get_username(),
            },
        )
    return case


def reassign_legal_aid(*, case, actor, lawyer, comment="") -> Case:
    """Hand a case in legal aid to another lawyer or volunteer (a supervisor), with the conflict check.

    A lawyer may take it over (claim) only when the assigned one has left.
    """
    if case.state != S.LEGAL_AID:
        raise ValidationError({"lawyer": ["只有处于法律援助阶段的案件可以更换援助律师/志愿者。"]})
    _staff_member_for(case, lawyer, "lawyer", [Role.LAWYER, Role.LEGAL_AID_VOLUNTEER], "请选择一名律师或法律援助志愿者。")
    if not actor.has_perm("casework.reassign_case", case):
        current = case.legal_aid_by
        if lawyer.pk != actor.pk or (current is not None and current.is_active):
            raise PermissionDenied("只有主管可以更换援助律师/志愿者。")
    if case.legal_aid_by_id == lawyer.pk:
        return case
    previous = case.legal_aid_by
    with transaction.atomic():
        case.legal_aid_by = lawyer
        case.save(update_fields=["legal_aid_by", "updated_at"])
        journal.record(
            subject=case, transition="reassign_legal_aid", from_state=case.state, to_state=case.state,
            actor=actor, comment=comment, payload={
                "from": previous.pk if previous else None,
                "from_name": previous.get_username() if previous else "",
                "to": lawyer.pk, "to_name": lawyer.get_username(),
            },
        )
    return case
