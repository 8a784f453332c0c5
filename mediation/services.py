"""Every change to a mediation: one function per action, keyword-only, one transaction each.

The admin, the API, the demo, flows and tasks all call these (the deadline and performance sweeps,
set-based, are in `sweeps.py`; the bulk import in `importers.py`). Errors, as in casework:
`ValidationError` (bad input, field by field) -> 400, `PermissionDenied` -> 403,
`TransitionRefused` / `ConcurrentTransition` -> 409.

What screens need (docs/mediation.md): `mediator_workload()` for the assignment form,
`mediator_conflicts()` to grey out conflicted mediators, `create_referral()` for single entry,
`importers.import_referrals(..., progress=callback)` for the import page's progress bar.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from casework import journal, legal_calendar
from casework import rules_of_law as law
from casework import services as casework_services
from casework.services import require_perm, required_text
from casework.models import Case, CaseState, Organisation, Worker
from casework.permissions import Role
from casework.transitions import TransitionRefused, run_transition

from .models import (
    COURT_SOURCES,
    MEDIATOR_ACTIVE_STATES,
    MEDIATOR_FOLLOW_UP_STATES,
    OPEN_STATES,
    PAYMENT_STATES,
    Agreement,
    Extension,
    Instalment,
    Mediation,
    MediationClaim,
    MediationNumberSequence,
    MediationSession,
    MediationState,
    Payment,
    Procedure,
    Source,
)
from .permissions import court_of

S = MediationState
NUMBER_PREFIX = "TJ"  # 调解
CENT = Decimal("0.01")


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _money(value, field: str, *, allow_zero=True) -> Decimal:
    try:
        amount = Decimal(str(value))
        if not amount.is_finite() or amount != amount.quantize(CENT):
            raise ValueError
    except (ValueError, ArithmeticError, InvalidOperation):
        raise ValidationError({field: ["金额应为数字（元，最多两位小数）。"]}) from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field: ["金额不能为负数。" if amount < 0 else "金额应大于零。"]})
    return amount


def _fmt(day) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


# --------------------------------------------------------------------------------------------------
# Periods, windows and figures (every date through casework.legal_calendar)
# --------------------------------------------------------------------------------------------------


def base_period_days(source: str, procedure: str = "") -> int:
    """The mediation period for a source (casework/rules_of_law.py)."""
    if source == Source.COURT_PRE_SUIT:
        return law.COURT_PRE_SUIT_MEDIATION_DAYS
    if source == Source.COURT_IN_SUIT:
        return law.COURT_IN_SUIT_MEDIATION_DAYS[procedure or Procedure.ORDINARY]
    return law.UNION_MEDIATION_DAYS


def extension_limits(source: str) -> tuple[int | None, int | None]:
    """(how many extensions per period, how many days each) — None: no limit set by the rules."""
    if source == Source.UNION:
        return law.UNION_MEDIATION_MAX_EXTENSIONS, law.UNION_MEDIATION_MAX_EXTENSION_DAYS
    return law.COURT_MEDIATION_MAX_EXTENSIONS, law.COURT_MEDIATION_MAX_EXTENSION_DAYS


def confirmation_window(mediation) -> legal_calendar.Deadline | None:
    """The last day to apply jointly for judicial confirmation: 30 days from the agreement taking
    effect (Civil Procedure Law Art. 205), a statutory period, so counted by `deadline()` and
    rolled past rest days and holidays."""
    agreement = mediation.agreement
    if agreement is None:
        return None
    return legal_calendar.deadline(agreement.effective_on, law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS)


def payment_cutoff(today: datetime.date) -> datetime.date:
    """The latest due date whose grace period has run out by `today`.

    An instalment is overdue when it is not fully paid by the end of WEIQUAN_MEDIATION_PAYMENT_GRACE_DAYS
    after its due date, the grace counted like any period (calendar days, the last day rolled past
    rest days and holidays): overdue iff due_on <= payment_cutoff(today). Computed once per sweep,
    so the sweep compares a column with one date.
    """
    grace = settings.WEIQUAN_MEDIATION_PAYMENT_GRACE_DAYS
    day = today - datetime.timedelta(days=grace + 1)
    while legal_calendar.deadline(day, grace).date >= today:
        day -= datetime.timedelta(days=1)
    return day


def next_step_for(mediation) -> str:
    """After a default: what the worker can do next (the mediator is told)."""
    if mediation.state == S.CONFIRMED or mediation.ruling_number:
        return "enforcement"
    agreement = mediation.agreement
    if agreement is not None and agreement.basis in law.PAYMENT_ORDER_AGREEMENT_BASES:
        return "payment_order"
    return "arbitration"


NEXT_STEP_TEXT = {
    "enforcement": "调解协议已经人民法院司法确认，劳动者可向作出确认裁定的人民法院申请强制执行"
                   "（民事诉讼法第二百零六条、第二百五十条：申请执行期间二年）。",
    "payment_order": "协议涉及劳动报酬、工伤医疗费、经济补偿或赔偿金，劳动者可持调解协议书向人民法院申请支付令"
                     "（劳动争议调解仲裁法第十六条；民事诉讼法第二百二十五条至第二百二十八条）。",
    "arbitration": "协议未经司法确认且不属于可申请支付令的事项，劳动者可就协议的履行申请劳动争议仲裁或依法起诉。",
}


def next_mediation_numbers(year: int, count: int) -> list[str]:
    """TJ-2026-000001...: the casework numbering mechanism on the mediation sequence."""
    return casework_services.next_numbers(MediationNumberSequence, NUMBER_PREFIX, year, count)


# --------------------------------------------------------------------------------------------------
# Who is told (casework.services.notify: once per key and person, mail after commit)
# --------------------------------------------------------------------------------------------------


def supervisors():
    return list(get_user_model().objects.filter(groups__name=Role.SUPERVISOR, is_active=True))


def court_liaisons(court_id):
    if not court_id:
        return []
    return list(get_user_model().objects.filter(
        groups__name=Role.COURT_LIAISON, is_active=True, profile__organisation_id=court_id,
    ))


def _notify(people, mediation, key, message):
    seen = set()
    for person in people:
        if person is None or person.pk in seen or not person.is_active:
            continue
        seen.add(person.pk)
        casework_services.notify(recipient=person, subject=mediation, key=f"mediation:{mediation.pk}:{key}", message=message)


def _case_followers(mediation):
    case = mediation.case
    if case is None:
        return []
    return casework_services._recipients(case)


def _after_ending(mediation, what: str):
    """A mediation ended without agreement: the court gets its referral back; the case handler is told."""
    if mediation.is_court_referral:
        _notify(court_liaisons(mediation.court_id), mediation, "returned_to_court",
                f"{mediation.court.name} 委派/委托的调解 {mediation.number}（案号 {mediation.court_case_number}）"
                f"{what}，已退回法院依法处理。")
    if mediation.case_id:
        case = mediation.case
        _notify(_case_followers(mediation), mediation, "case_follow_up",
                f"案件 {case.number} 的调解 {mediation.number} {what}：可申请劳动仲裁或提起诉讼。")


# --------------------------------------------------------------------------------------------------
# Referral intake: single entry, from a case, and (importers.py) bulk
# --------------------------------------------------------------------------------------------------


def intake_court_of(actor):
    """The court `actor` may enter referrals for only (a court liaison's own court), or None when
    they may enter any (union mediators and supervisors)."""
    own = court_of(actor)
    if own is None or actor.groups.filter(name__in=[Role.MEDIATOR, Role.SUPERVISOR]).exists():
        return None
    return own


_ANY_COURT = object()


def check_intake_court(actor, court, source, *, restricted_to=_ANY_COURT):
    """A court liaison enters and imports referrals of their own court only (`restricted_to`:
    intake_court_of(actor), when the caller has it already)."""
    own = intake_court_of(actor) if restricted_to is _ANY_COURT else restricted_to
    if own is not None and (source not in COURT_SOURCES or court is None or court.pk != own.pk):
        raise PermissionDenied("法院联络员只能登记本院委派或委托的调解。")


def create_referral(*, actor, source, referred_on, claimants, respondents, claims=(), court=None,
                    court_case_number="", procedure="", title="", facts="", comment="") -> Mediation:
    """Single entry of a referral: the court's (or the union's own) intake of one dispute.

    `claimants`: Workers, or dicts {name, id_number, phone, occupation} (found by ID number or
    registered); `respondents`: Organisations, or dicts {name, credit_code, kind}; `claims`: dicts
    {description, amount, category}. The same checks as the bulk import (importers.clean_referral).
    """
    from . import importers

    require_perm(actor, "mediation.add_mediation")
    if any(not isinstance(c, dict) or isinstance(c.get("worker"), Worker) for c in claimants) and \
            not actor.has_perm("casework.view_worker"):
        # Choosing a registered worker by id is for those who may look workers up (not court liaisons).
        raise PermissionDenied("You may name claimants by name and ID number only.")
    data = {
        "source": source, "court": court, "court_case_number": court_case_number, "procedure": procedure,
        "referred_on": referred_on, "title": title, "facts": facts,
        "claimants": list(claimants), "respondents": list(respondents), "claims": list(claims),
    }
    lookups = importers.Lookups()
    cleaned = importers.clean_referral(data, lookups=lookups)
    check_intake_court(actor, cleaned.court, cleaned.source)
    duplicate = lookups.existing_referral(cleaned.court, cleaned.court_case_number)
    if duplicate:
        raise ValidationError({"court_case_number": [f"该法院案号已登记为调解 {duplicate}。"]})
    with transaction.atomic():
        (mediation,) = importers.write_referrals([cleaned], actor=actor, lookups=lookups, comment=comment)
    return mediation


def open_for_case(*, case, actor, source=Source.UNION, court=None, court_case_number="", procedure="",
                  referred_on=None, organisation=None, comment="") -> Mediation:
    """The mediation a case referred to mediation (casework.services.refer_to_mediation) opens.

    It starts `referred`: the mediation organisation still accepts it (setting the deadline) or
    declines it (e.g. the employer refuses to mediate). Parties and claims are the case's; the
    two are linked both ways (mediation.case, case.mediations). Runs inside the caller's
    transaction, so the case's transition and the new mediation land together.
    """
    errors = {}
    referred_on = referred_on or timezone.localdate()
    if source not in Source.values:
        errors["source"] = [f"未知的调解来源：{source}"]
    elif source in COURT_SOURCES:
        if court is None or court.kind != Organisation.Kind.COURT:
            errors["court"] = ["法院委派或委托的调解须指明法院。"]
        if not (court_case_number or "").strip():
            errors["court_case_number"] = ["请填写法院案号。"]
        if source == Source.COURT_IN_SUIT and procedure not in Procedure.values:
            errors["procedure"] = ["诉中委托调解须注明适用普通程序或简易程序。"]
    elif court is not None:
        errors["court"] = ["工会调解不填写法院。"]
    if referred_on > timezone.localdate():
        errors["referred_on"] = ["日期不能晚于今天。"]
    if source in COURT_SOURCES and court is not None and court_case_number and Mediation.objects.filter(
        court=court, court_case_number=court_case_number.strip()
    ).exists():
        errors["court_case_number"] = ["该法院案号已登记。"]
    if case.mediations.filter(state__in=OPEN_STATES).exists():
        errors["case"] = ["该案件已有进行中的调解。"]
    if errors:
        raise ValidationError(errors)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_for_case() runs inside the transaction of the case's referral")
    (number,) = next_mediation_numbers(referred_on.year, 1)
    mediation = Mediation.objects.create(
        number=number, source=source, procedure=procedure or "", title=case.title, facts=case.facts,
        court=court if source in COURT_SOURCES else None,
        court_case_number=(court_case_number or "").strip() if source in COURT_SOURCES else "",
        case=case, organisation=organisation, referred_on=referred_on, created_by=actor,
    )
    Mediation.claimants.through.objects.bulk_create(  # in the case's order (documents list them so)
        Mediation.claimants.through(mediation=mediation, worker_id=link.worker_id)
        for link in case.case_claimants.order_by("id")
    )
    mediation.respondents.set(case.respondents.all())
    MediationClaim.objects.bulk_create(
        MediationClaim(mediation=mediation, category=c.category, description=c.description, amount=c.amount)
        for c in case.claims.all()
    )
    journal.record(
        subject=mediation, transition="create", from_state="", to_state=mediation.state, actor=actor,
        comment=comment, payload={"number": number, "source": source, "case": case.number,
                                  "court": court.name if court else None, "court_case_number": mediation.court_case_number},
    )
    return mediation


# --------------------------------------------------------------------------------------------------
# Mediators: conflicts, workload
# --------------------------------------------------------------------------------------------------


def related_organisations(organisations) -> list[Organisation]:
    """The organisations and their corporate relatives: parent (up the chain) and partners."""
    found = {}
    frontier = list(organisations)
    for org in frontier:
        found[org.pk] = org
    for org in list(found.values()):
        parent = org.parent
        while parent is not None and parent.pk not in found:
            found[parent.pk] = parent
            parent = parent.parent
    for partner in Organisation.objects.filter(parent_id__in=list(found)):
        found.setdefault(partner.pk, partner)
    return list(found.values())


def mediator_conflicts(mediator, mediation) -> list[str]:
    """Why `mediator` may not mediate this dispute (empty: no conflict).

    - works for, acts for or is retained by a respondent or a company of its group
      (casework.services.find_conflicts over the respondents and their parents and partners);
    - acted for a claimant (their legal-aid lawyer or volunteer on a case);
    - acted against a respondent or its group (legal aid for a worker on a case against it).
    """
    respondents = list(mediation.respondents.all())
    direct = {o.pk for o in respondents}
    related = related_organisations(respondents)
    reasons = []
    for org in casework_services.find_conflicts(person=mediator, organisations=related):
        how = "被申请单位" if org.pk in direct else "被申请单位的关联单位"
        reasons.append(f"任职于、代理或受聘于{how}（{org.name}）")
    claimants = list(mediation.claimants.all())
    acted_for = (Case.objects.filter(legal_aid_by=mediator, claimants__in=claimants)
                 .exclude(pk=mediation.case_id or 0).distinct().order_by("number"))
    for case in acted_for:
        names = "、".join(sorted({w.name for w in case.claimants.all() if w in claimants}))
        reasons.append(f"曾在案件 {case.number} 中为申请人（{names}）提供法律援助")
    acted_against = (Case.objects.filter(legal_aid_by=mediator, respondents__in=related)
                     .exclude(pk__in=[c.pk for c in acted_for]).exclude(pk=mediation.case_id or 0)
                     .distinct().order_by("number"))
    for case in acted_against:
        names = "、".join(sorted({o.name for o in case.respondents.all() if o.pk in {r.pk for r in related}}))
        reasons.append(f"曾在案件 {case.number} 中代理劳动者一方与{names}对立")
    return reasons


def _check_mediator(mediator, mediation, field="mediator"):
    if mediator is None or not mediator.is_active or not mediator.groups.filter(name=Role.MEDIATOR).exists():
        raise ValidationError({field: ["请选择一名在职调解员。"]})
    reasons = mediator_conflicts(mediator, mediation)
    if reasons:
        raise ValidationError({field: [f"利益冲突：{_name(mediator)} " + "；".join(reasons) + "，应当回避，不能主持本调解。"]})


def mediator_workload(*, mediators=None, today=None):
    """Mediators with their work in hand, fewest first: what the assignment screen shows.

    Each user carries `in_progress` (mediating now), `follow_up` (agreed, awaiting confirmation or
    performance), `open_total` and `due_soon` (deadline within WEIQUAN_MEDIATION_WARNING_DAYS).
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.WEIQUAN_MEDIATION_WARNING_DAYS)
    users = mediators if mediators is not None else get_user_model().objects.filter(
        groups__name=Role.MEDIATOR, is_active=True
    )
    return (
        users.annotate(
            in_progress=Count("mediations", filter=Q(mediations__state__in=MEDIATOR_ACTIVE_STATES), distinct=True),
            follow_up=Count("mediations", filter=Q(mediations__state__in=MEDIATOR_FOLLOW_UP_STATES), distinct=True),
            due_soon=Count("mediations", filter=Q(mediations__state=S.IN_PROGRESS, mediations__deadline__lte=horizon),
                           distinct=True),
        )
        .annotate(open_total=F("in_progress") + F("follow_up"))
        .order_by("in_progress", "open_total", "username")
    )


def workload_of(mediator) -> dict:
    row = mediator_workload(mediators=get_user_model().objects.filter(pk=mediator.pk)).first()
    return {"in_progress": row.in_progress, "follow_up": row.follow_up, "open_total": row.open_total} if row else {}


# --------------------------------------------------------------------------------------------------
# The transitions
# --------------------------------------------------------------------------------------------------


def _check_date(field, day, *, not_before=None, not_before_label="", allow_future=False):
    if day is None:
        return
    if not allow_future and day > timezone.localdate():
        raise ValidationError({field: ["日期不能晚于今天。"]})
    if not_before is not None and day < not_before:
        raise ValidationError({field: [f"日期不能早于{not_before_label}（{_fmt(not_before)}）。"]})


def _union_of(actor):
    profile = getattr(actor, "profile", None)
    org = getattr(profile, "organisation", None)
    if org is not None and org.kind in (Organisation.Kind.UNION, Organisation.Kind.MEDIATION_ORGANISATION):
        return org
    return None


def accept(*, mediation, actor, accepted_on=None, organisation=None, procedure="", comment="") -> Mediation:
    """Accept a referral: the period (per source) runs from the acceptance date, by the legal calendar."""
    _refuse_unless_from_here(mediation, "accept")
    accepted_on = accepted_on or timezone.localdate()
    _check_date("accepted_on", accepted_on, not_before=mediation.referred_on, not_before_label="委派/申请日期")
    procedure = procedure or mediation.procedure
    if mediation.source == Source.COURT_IN_SUIT and procedure not in Procedure.values:
        raise ValidationError({"procedure": ["诉中委托调解须注明适用普通程序（15日）或简易程序（7日）。"]})
    days = base_period_days(mediation.source, procedure)
    due = legal_calendar.deadline(accepted_on, days)
    organisation = organisation or mediation.organisation or _union_of(actor)

    def apply(m):
        m.accepted_on = accepted_on
        m.period_started_on = accepted_on
        m.deadline = due.date
        m.deadline_provisional = due.provisional
        m.procedure = procedure or ""
        m.organisation = organisation

    return run_transition(mediation, "accept", actor=actor, comment=comment, apply=apply, payload={
        "accepted_on": accepted_on, "days": days, "deadline": due.date, "provisional": due.provisional,
    })


def _mark_ended(m, today) -> None:
    """A mediation that ends without agreement ends today; a court referral goes back to the court."""
    m.ended_on = today
    if m.is_court_referral:
        m.returned_to_court_on = today


def decline(*, mediation, actor, reason, comment="") -> Mediation:
    _refuse_unless_from_here(mediation, "decline")
    reason = required_text("reason", reason, "不予受理须说明理由。")
    today = timezone.localdate()

    def apply(m):
        m.decline_reason = reason
        _mark_ended(m, today)

    with transaction.atomic():
        run_transition(mediation, "decline", actor=actor, comment=comment or reason, apply=apply, payload={
            "reason": reason, "returned_to_court": mediation.is_court_referral,
        })
        _after_ending(mediation, "不予受理")
    return mediation


def assign_mediator(*, mediation, actor, mediator, comment="") -> Mediation:
    """Give the mediation to a mediator, refusing a conflict of interest; records their workload."""
    _refuse_unless_from_here(mediation, "assign_mediator")
    _check_mediator(mediator, mediation)
    load = workload_of(mediator)

    def apply(m):
        m.mediator = mediator
        m.mediator_assigned_at = timezone.now()

    return run_transition(mediation, "assign_mediator", actor=actor, comment=comment, apply=apply, payload={
        "mediator": mediator.pk, "mediator_name": mediator.get_username(), "workload": load,
    })


def _refuse_unless_from_here(mediation, name):
    """What run_transition would say first, for services that compute from the state's data."""
    if not can_proceed(getattr(mediation, name), check_conditions=False):
        raise TransitionRefused(mediation, name, f"'{name}' is not allowed from state '{mediation.state}'")


def _lock_unchanged(mediation) -> Mediation:
    """Lock the row and make sure nobody changed it since `mediation` was read (else 409 conflict)."""
    fresh = Mediation.objects.select_for_update().get(pk=mediation.pk)
    if fresh.state != mediation.state or fresh.updated_at != mediation.updated_at:
        raise ConcurrentTransition("该调解刚被他人修改，请刷新后重试。")
    return fresh


def extend(*, mediation, actor, days, claimant_consent_on, respondent_consent_on, consent_note="", comment="") -> Mediation:
    """Extend the mediation period with both parties' consent, within the source's limits.

    The extension runs from the current deadline (by the legal calendar). A union mediation may be
    extended once, by at most 15 days (人社厅发〔2024〕4号); court referrals by consent, without a
    set limit. Both parties must have agreed before the period ran out.
    """
    _refuse_unless_from_here(mediation, "extend")
    errors = {}
    try:
        days = int(days)
        if days < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["days"] = ["延长天数应为正整数。"]
        days = None
    max_count, max_days = extension_limits(mediation.source)
    source_label = Source(mediation.source).label
    if days is not None and max_days is not None and days > max_days:
        errors["days"] = [f"{source_label}每次延长不得超过 {max_days} 日。"]
    if max_count is not None and mediation.extensions_in_period >= max_count:
        errors["days"] = [f"{source_label}只能延长 {max_count} 次，本调解已经延长过。"]
    for field, day, who in (("claimant_consent_on", claimant_consent_on, "申请人"),
                            ("respondent_consent_on", respondent_consent_on, "被申请人")):
        if day is None:
            errors[field] = [f"延长调解期限须经双方同意：请记录{who}同意的日期。"]
        elif day > timezone.localdate():
            errors[field] = ["日期不能晚于今天。"]
        elif mediation.deadline and day > mediation.deadline:
            errors[field] = [f"须在调解期限（{_fmt(mediation.deadline)}）届满前取得{who}同意。"]
        elif mediation.period_started_on and day < mediation.period_started_on:
            errors[field] = ["同意日期不能早于本期调解起算日。"]
    if errors:
        raise ValidationError(errors)
    previous = mediation.deadline
    due = legal_calendar.deadline(previous, days)

    def apply(m):
        m.deadline = due.date
        m.deadline_provisional = m.deadline_provisional or due.provisional
        m.extensions_in_period += 1
        m.extended_days += days

    with transaction.atomic():
        _lock_unchanged(mediation)
        run_transition(mediation, "extend", actor=actor, comment=comment, apply=apply, payload={
            "days": days, "previous_deadline": previous, "deadline": due.date,
            "claimant_consent_on": claimant_consent_on, "respondent_consent_on": respondent_consent_on,
        })
        Extension.objects.create(
            mediation=mediation, days=days, previous_deadline=previous, new_deadline=due.date,
            claimant_consent_on=claimant_consent_on, respondent_consent_on=respondent_consent_on,
            consent_note=consent_note or "", recorded_by=actor,
        )
    return mediation


def _clean_instalments(instalments, total, effective_on):
    rows, errors = [], []
    for i, item in enumerate(instalments or (), start=1):
        due_on, amount = item.get("due_on"), item.get("amount")
        if isinstance(due_on, str):
            try:
                due_on = datetime.date.fromisoformat(due_on)
            except ValueError:
                due_on = None
        if not isinstance(due_on, datetime.date):
            errors.append(f"第{i}期：请填写履行期限。")
            continue
        try:
            amount = _money(amount, "instalments", allow_zero=False)
        except ValidationError:
            errors.append(f"第{i}期：金额应为大于零的数字（元，最多两位小数）。")
            continue
        if due_on < effective_on:
            errors.append(f"第{i}期：履行期限不能早于协议生效日期。")
        if rows and due_on < rows[-1][0]:
            errors.append(f"第{i}期：履行期限应按先后顺序排列。")
        rows.append((due_on, amount))
    if not errors:
        paid_in = sum((a for _d, a in rows), Decimal("0"))
        if total > 0 and not rows:
            errors.append("请列明分期履行安排（每期的履行期限和金额）；一次付清即一期。")
        elif paid_in != total:
            errors.append(f"各期金额合计 ¥{paid_in:,.2f} 与协议总额 ¥{total:,.2f} 不一致。")
    if errors:
        raise ValidationError({"instalments": errors})
    return rows


def reach_agreement(*, mediation, actor, total, basis, instalments=(), obligations="", terms="",
                    signed_on=None, effective_on=None, comment="") -> Mediation:
    """Record the mediation agreement (调解协议): total, instalments, other obligations, effective date."""
    _refuse_unless_from_here(mediation, "reach_agreement")
    total = _money(total, "total")
    if basis not in Agreement.Basis.values:
        raise ValidationError({"basis": ["请选择协议款项的性质。"]})
    signed_on = signed_on or timezone.localdate()
    effective_on = effective_on or signed_on
    _check_date("signed_on", signed_on, not_before=mediation.period_started_on, not_before_label="本期调解起算日")
    if mediation.deadline and signed_on > mediation.deadline:
        raise ValidationError({"signed_on": [
            f"调解期限已于 {_fmt(mediation.deadline)} 届满：经双方同意可先延长期限，否则调解终结。"
        ]})
    if effective_on < signed_on:
        raise ValidationError({"effective_on": ["生效日期不能早于签订日期。"]})
    if total == 0 and not (obligations or "").strip():
        raise ValidationError({"obligations": ["协议既无给付金额，也未约定其他义务。"]})
    rows = _clean_instalments(instalments, total, effective_on)
    version = (mediation.agreements.aggregate(v=Max("version"))["v"] or 0) + 1

    with transaction.atomic():
        agreement = Agreement.objects.create(
            mediation=mediation, version=version, total=total, basis=basis, obligations=obligations or "",
            terms=terms or "", signed_on=signed_on, effective_on=effective_on, recorded_by=actor,
        )
        Instalment.objects.bulk_create(
            Instalment(agreement=agreement, seq=i, due_on=d, amount=a) for i, (d, a) in enumerate(rows, start=1)
        )

        def apply(m):
            m.agreement = agreement

        run_transition(mediation, "reach_agreement", actor=actor, comment=comment, apply=apply, payload={
            "agreement": agreement.pk, "version": version, "total": total, "basis": basis,
            "signed_on": signed_on, "effective_on": effective_on,
            "instalments": [[_fmt(d), str(a)] for d, a in rows], "obligations": obligations or "",
        })
    return mediation


def fail(*, mediation, actor, reason, comment="") -> Mediation:
    """Mediation ends without agreement (调解终结); a court referral returns to the court."""
    _refuse_unless_from_here(mediation, "fail")
    reason = required_text("reason", reason, "调解终结须说明理由。")
    today = timezone.localdate()

    def apply(m):
        m.failure_reason = reason
        _mark_ended(m, today)

    with transaction.atomic():
        run_transition(mediation, "fail", actor=actor, comment=comment or reason, apply=apply, payload={
            "reason": reason, "returned_to_court": mediation.is_court_referral,
        })
        _after_ending(mediation, "调解不成")
    return mediation


EXPIRY_REASON = "调解期限届满未达成调解协议。"


def expire(*, mediation, actor, comment="") -> Mediation:
    """By hand what the deadline sweep does set-based (sweeps.sweep_deadlines)."""
    _refuse_unless_from_here(mediation, "expire")
    today = timezone.localdate()

    def apply(m):
        m.failure_reason = EXPIRY_REASON
        m.expired = True
        _mark_ended(m, today)

    with transaction.atomic():
        run_transition(mediation, "expire", actor=actor, comment=comment, apply=apply, payload={
            "deadline": mediation.deadline, "returned_to_court": mediation.is_court_referral,
        })
        _after_ending(mediation, "期满未达成协议")
    return mediation


def withdraw(*, mediation, actor, reason, comment="") -> Mediation:
    _refuse_unless_from_here(mediation, "withdraw")
    reason = required_text("reason", reason, "请说明哪一方撤回及理由。")
    today = timezone.localdate()

    def apply(m):
        m.withdrawal_reason = reason
        _mark_ended(m, today)

    with transaction.atomic():
        run_transition(mediation, "withdraw", actor=actor, comment=comment or reason, apply=apply, payload={
            "reason": reason, "returned_to_court": mediation.is_court_referral,
        })
        _after_ending(mediation, "已撤回")
    return mediation


def request_confirmation(*, mediation, actor, court=None, comment="") -> Mediation:
    """The parties' joint application for judicial confirmation (司法确认), within 30 days of the
    agreement taking effect (Civil Procedure Law Art. 205): day 30 is in time, day 31 is not
    (when day 30 is a rest day or holiday, the next working day is still in time)."""
    _refuse_unless_from_here(mediation, "request_confirmation")
    window = confirmation_window(mediation)
    today = timezone.localdate()
    if mediation.state == S.AGREED and window is not None and today > window.date:
        effective = mediation.agreement.effective_on
        detail = (
            f"申请司法确认已逾期：须自调解协议生效之日（{_fmt(effective)}）起三十日内、最迟于 {_fmt(window.date)}"
            f"由双方共同提出（民事诉讼法第二百零五条），今天是第 {(today - effective).days} 日。"
            "双方可重新达成协议或就争议申请仲裁、起诉；协议涉及劳动报酬等事项的，未履行时可申请支付令。"
        )
        raise TransitionRefused(mediation, "request_confirmation", detail, unmet=[detail])
    court = court or mediation.court
    if court is None or court.kind != Organisation.Kind.COURT:
        raise ValidationError({"court": ["请选择受理司法确认申请的人民法院（委派法院，或当事人住所地、调解组织所在地的基层人民法院）。"]})

    def apply(m):
        m.confirmation_requested_on = today
        m.confirmation_court = court

    return run_transition(mediation, "request_confirmation", actor=actor, comment=comment, apply=apply, payload={
        "court": court.name, "window_ends_on": window.date if window else None,
    })


def confirm(*, mediation, actor, ruling_number, ruling_date, comment="") -> Mediation:
    _refuse_unless_from_here(mediation, "confirm")
    ruling_number = required_text("ruling_number", ruling_number, "请填写司法确认裁定书文号。")
    if ruling_date is None:
        raise ValidationError({"ruling_date": ["请填写裁定日期。"]})
    _check_date("ruling_date", ruling_date, not_before=mediation.confirmation_requested_on, not_before_label="申请日期")

    def apply(m):
        m.ruling_number = ruling_number
        m.ruling_date = ruling_date

    return run_transition(mediation, "confirm", actor=actor, comment=comment, apply=apply, payload={
        "ruling_number": ruling_number, "ruling_date": ruling_date,
    })


def reject_confirmation(*, mediation, actor, reason, ruling_number="", ruling_date=None, comment="") -> Mediation:
    _refuse_unless_from_here(mediation, "reject_confirmation")
    reason = required_text("reason", reason, "请填写法院驳回申请的理由。")
    _check_date("ruling_date", ruling_date, not_before=mediation.confirmation_requested_on, not_before_label="申请日期")

    def apply(m):
        m.confirmation_rejection_reason = reason
        m.ruling_number = (ruling_number or "").strip()
        m.ruling_date = ruling_date

    with transaction.atomic():
        run_transition(mediation, "reject_confirmation", actor=actor, comment=comment or reason, apply=apply, payload={
            "reason": reason, "ruling_number": ruling_number or "", "ruling_date": ruling_date,
        })
        _notify([mediation.mediator], mediation, f"confirmation_rejected:{mediation.ruling_date or timezone.localdate()}",
                f"调解 {mediation.number} 的司法确认申请被驳回：{reason}。双方可变更原协议或达成新协议（恢复调解），也可申请仲裁或起诉。")
    return mediation


def resume(*, mediation, actor, comment="") -> Mediation:
    """Mediate again after the court refused confirmation: a fresh period from today (per source)."""
    _refuse_unless_from_here(mediation, "resume")
    today = timezone.localdate()
    days = base_period_days(mediation.source, mediation.procedure)
    due = legal_calendar.deadline(today, days)

    def apply(m):
        m.period_started_on = today
        m.deadline = due.date
        m.deadline_provisional = due.provisional
        m.extensions_in_period = 0
        m.extended_days = 0
        m.agreement = None
        m.confirmation_requested_on = None

    return run_transition(mediation, "resume", actor=actor, comment=comment, apply=apply, payload={
        "period_started_on": today, "days": days, "deadline": due.date,
    })


def fulfil(*, mediation, actor, comment="") -> Mediation:
    """The recorded payments cover the agreed total (the performance sweep does this set-based)."""
    _refuse_unless_from_here(mediation, "fulfil")
    today = timezone.localdate()

    def apply(m):
        m.fulfilled_on = today

    agreement = mediation.agreement
    with transaction.atomic():
        run_transition(mediation, "fulfil", actor=actor, comment=comment, apply=apply, payload={
            "total": agreement.total if agreement else None, "paid": agreement.amount_paid if agreement else None,
        })
        _after_fulfilment(mediation)
    return mediation


def _after_fulfilment(mediation):
    if mediation.case_id and mediation.case.state in (CaseState.IN_MEDIATION,):
        case = mediation.case
        _notify(_case_followers(mediation), mediation, "case_can_resolve",
                f"调解 {mediation.number} 的协议已履行完毕（¥{mediation.agreement.amount_paid:,.2f}）："
                f"案件 {case.number} 可以“调解成功”办结。")


def default(*, mediation, actor, comment="") -> Mediation:
    """An instalment is overdue past the grace period: record the default and the next legal step."""
    _refuse_unless_from_here(mediation, "default")
    today = timezone.localdate()
    step = next_step_for(mediation)

    def apply(m):
        m.defaulted_on = today
        m.next_step = step

    agreement = mediation.agreement
    with transaction.atomic():
        run_transition(mediation, "default", actor=actor, comment=comment, apply=apply, payload={
            "next_step": step, "paid": agreement.amount_paid if agreement else None,
            "total": agreement.total if agreement else None,
        })
        _notify([mediation.mediator] if mediation.mediator_id else supervisors(), mediation, "defaulted",
                f"调解 {mediation.number} 的协议未按期履行（已履行 ¥{mediation.agreement.amount_paid:,.2f}，"
                f"协议总额 ¥{mediation.agreement.total:,.2f}）。下一步：{NEXT_STEP_TEXT[step]}")
    return mediation


# --------------------------------------------------------------------------------------------------
# Work on a mediation that does not move its state: sessions, payments, recusal
# --------------------------------------------------------------------------------------------------


def _not_now(mediation, detail):
    """An action that is not a transition, refused in this state: the same 409 as a transition
    (`transition_not_allowed` with the state and what the user may do instead). The error handler
    finds the state field through a transition name, so one of the model's is given."""
    return TransitionRefused(mediation, "accept", detail)


def record_session(*, mediation, actor, held_at, mode, minutes, attendees=(), location="") -> MediationSession:
    """A mediation session (调解会) and its minutes; the session record (调解笔录) is issued from it."""
    from casework import documents

    require_perm(actor, "mediation.record_session", mediation)
    errors = {}
    if mode not in MediationSession.Mode.values:
        errors["mode"] = ["请选择调解方式：现场、视频或电话。"]
    if not (minutes or "").strip():
        errors["minutes"] = ["请填写调解笔录。"]
    attendees = [str(a).strip() for a in (attendees or ()) if str(a).strip()]
    if not attendees:
        errors["attendees"] = ["请列明参加人员。"]
    if held_at is None:
        errors["held_at"] = ["请填写调解时间。"]
    else:
        if timezone.is_naive(held_at):
            held_at = timezone.make_aware(held_at)
        if held_at > timezone.now() + datetime.timedelta(minutes=5):
            errors["held_at"] = ["调解时间不能晚于现在。"]
        elif mediation.accepted_on and timezone.localtime(held_at).date() < mediation.accepted_on:
            errors["held_at"] = ["调解时间不能早于受理日期。"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = Mediation.objects.select_for_update().get(pk=mediation.pk)
        if fresh.state != S.IN_PROGRESS:
            raise _not_now(fresh, f"只能在调解中记录调解会（当前状态：{fresh.get_state_display()}）。")
        seq = (fresh.sessions.aggregate(n=Max("seq"))["n"] or 0) + 1
        session = MediationSession.objects.create(
            mediation=fresh, seq=seq, held_at=held_at, mode=mode, location=location or "",
            attendees=attendees, minutes=minutes.strip(), recorded_by=actor,
        )
        journal.record(
            subject=fresh, transition="record_session", from_state=fresh.state, to_state=fresh.state, actor=actor,
            payload={"session": session.pk, "seq": seq, "held_at": held_at, "mode": mode},
        )
        documents.request(session, "session_minutes", actor=actor)
    return session


def record_payment(*, mediation, actor, amount, paid_on, instalment=None, reference="", note="") -> list[Payment]:
    """Money received under the agreement, allocated to its instalments in order (from `instalment`,
    else from the earliest not fully paid). Overpaying the agreement is refused. The state does not
    change here: the performance sweep (or a mediator's `fulfil`) does that."""
    require_perm(actor, "mediation.record_payment", mediation)
    amount = _money(amount, "amount", allow_zero=False)
    if paid_on is None:
        raise ValidationError({"paid_on": ["请填写支付日期。"]})
    with transaction.atomic():
        fresh = Mediation.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=mediation.pk)
        agreement = fresh.agreement
        if fresh.state not in PAYMENT_STATES or agreement is None:
            raise _not_now(fresh, f"只有已达成协议的调解可以记录履行款项（当前状态：{fresh.get_state_display()}）。")
        _check_date("paid_on", paid_on, not_before=agreement.signed_on, not_before_label="协议签订日期")
        if amount > agreement.outstanding:
            raise ValidationError({"amount": [f"超出协议未履行金额（尚欠 ¥{agreement.outstanding:,.2f}）。"]})
        open_instalments = list(agreement.instalments.select_for_update().filter(paid__lt=F("amount")).order_by("seq"))
        if instalment is not None:
            if instalment.agreement_id != agreement.pk:
                raise ValidationError({"instalment": ["该期款项不属于本调解的现行协议。"]})
            open_instalments = [i for i in open_instalments if i.seq >= instalment.seq]
        left, payments, allocations = amount, [], []
        for inst in open_instalments:
            if left <= 0:
                break
            part = min(left, inst.outstanding)
            payments.append(Payment(mediation=fresh, agreement=agreement, instalment=inst, amount=part,
                                    paid_on=paid_on, reference=reference or "", note=note or "", recorded_by=actor))
            Instalment.objects.filter(pk=inst.pk).update(paid=F("paid") + part)
            allocations.append([inst.seq, str(part)])
            left -= part
        if left > 0:
            raise ValidationError({"amount": ["该期及以后各期的未付金额不足以容纳这笔款项，请选择更早的一期。"]})
        Payment.objects.bulk_create(payments)
        Agreement.objects.filter(pk=agreement.pk).update(amount_paid=F("amount_paid") + amount)
        agreement.refresh_from_db(fields=["amount_paid"])
        journal.record(
            subject=fresh, transition="record_payment", from_state=fresh.state, to_state=fresh.state, actor=actor,
            payload={"amount": amount, "paid_on": paid_on, "reference": reference or "",
                     "allocations": allocations, "paid_total": agreement.amount_paid, "total": agreement.total},
        )
    if mediation.agreement_id == agreement.pk:
        mediation.agreement.amount_paid = agreement.amount_paid
    return payments


def recuse(*, mediation, actor, reason, replacement=None, comment="") -> Mediation:
    """The mediator steps aside (回避), or a supervisor removes them; a replacement is conflict-checked.

    Without a replacement the mediation keeps its state with no mediator and the supervisors are
    told; `reassign_mediator` gives it to someone else.
    """
    require_perm(actor, "mediation.recuse", mediation)
    reason = required_text("reason", reason, "请说明回避理由。")
    if mediation.mediator_id is None:
        raise ValidationError({"mediator": ["本调解目前没有调解员。"]})
    if replacement is not None:
        if replacement.pk == mediation.mediator_id:
            raise ValidationError({"replacement": ["接替的调解员不能是回避的调解员本人。"]})
        _check_mediator(replacement, mediation, field="replacement")
    previous = mediation.mediator
    with transaction.atomic():
        _lock_unchanged(mediation)
        mediation.mediator = replacement
        mediation.mediator_assigned_at = timezone.now() if replacement else None
        mediation.save(update_fields=["mediator", "mediator_assigned_at", "updated_at"])
        journal.record(
            subject=mediation, transition="recuse", from_state=mediation.state, to_state=mediation.state,
            actor=actor, comment=comment or reason, payload={
                "reason": reason, "from": previous.pk, "from_name": previous.get_username(),
                "to": replacement.pk if replacement else None,
                "to_name": replacement.get_username() if replacement else "",
            },
        )
        if replacement is None:
            _notify(supervisors(), mediation, f"recused:{previous.pk}",
                    f"调解员 {_name(previous)} 已回避调解 {mediation.number}（{reason}），请另行指定调解员。")
    return mediation


def reassign_mediator(*, mediation, actor, mediator, comment="") -> Mediation:
    """A supervisor gives an assigned mediation to another mediator (conflict-checked)."""
    require_perm(actor, "mediation.reassign_mediator", mediation)
    if mediation.state not in OPEN_STATES or mediation.state in (S.REFERRED, S.ACCEPTED):
        raise ValidationError({"mediator": ["只有已指定调解员的调解可以改派；待受理或已受理的调解请使用“指定调解员”。"]})
    _check_mediator(mediator, mediation)
    if mediation.mediator_id == mediator.pk:
        return mediation
    previous = mediation.mediator
    with transaction.atomic():
        _lock_unchanged(mediation)
        mediation.mediator = mediator
        mediation.mediator_assigned_at = timezone.now()
        mediation.save(update_fields=["mediator", "mediator_assigned_at", "updated_at"])
        journal.record(
            subject=mediation, transition="reassign_mediator", from_state=mediation.state, to_state=mediation.state,
            actor=actor, comment=comment, payload={
                "from": previous.pk if previous else None, "from_name": previous.get_username() if previous else "",
                "to": mediator.pk, "to_name": mediator.get_username(), "workload": workload_of(mediator),
            },
        )
    return mediation


def edit_mediation(*, mediation, actor, changes: dict) -> Mediation:
    """Correct the description of the dispute (title, facts); the journal records which fields."""
    require_perm(actor, "mediation.change_mediation", mediation)
    unknown = set(changes) - {"title", "facts"}
    if unknown:
        raise ValidationError({name: ["此项不能在此修改。"] for name in sorted(unknown)})
    if "title" in changes and not (changes["title"] or "").strip():
        raise ValidationError({"title": ["请填写案由。"]})
    with transaction.atomic():
        for name, value in changes.items():
            setattr(mediation, name, (value or "").strip())
        mediation.save(update_fields=[*changes, "updated_at"])
        journal.record(subject=mediation, transition="edit", from_state=mediation.state, to_state=mediation.state,
                       actor=actor, payload={"fields": sorted(changes)})
    return mediation


def resolve_linked_case(*, mediation, actor, comment="") -> Case:
    """Resolve the case this mediation came from as "mediated" with the agreement's amount.

    The case follows the mediation's outcome but is resolved by its own people (this runs
    casework.services.resolve as `actor`, with the case's permission rules): with the amount paid
    once fulfilled, else with the agreed total. A failed mediation leaves the case in mediation,
    from where it goes to arbitration or litigation.
    """
    case = mediation.case
    if case is None:
        raise ValidationError({"case": ["本调解不是由维权案件转来的。"]})
    agreement = mediation.agreement
    if agreement is None or mediation.state not in (S.AGREED, S.CONFIRMATION_PENDING, S.CONFIRMED, S.FULFILLED):
        raise ValidationError({"case": ["调解尚未达成协议，案件不能以调解成功办结。"]})
    amount = agreement.amount_paid if mediation.state == S.FULFILLED else agreement.total
    detail = f"经调解（{mediation.number}）达成调解协议，协议总额 ¥{agreement.total:,.2f}"
    if mediation.ruling_number:
        detail += f"，已经人民法院司法确认（{mediation.ruling_number}）"
    detail += "，已全部履行。" if mediation.state == S.FULFILLED else f"，已履行 ¥{agreement.amount_paid:,.2f}。"
    if agreement.obligations:
        detail += f"其他约定：{agreement.obligations}"
    return casework_services.resolve(
        case=case, actor=actor, outcome=Case.Outcome.MEDIATED, amount_recovered=amount,
        outcome_detail=detail, comment=comment,
    )
