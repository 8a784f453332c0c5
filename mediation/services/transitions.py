"""The Mediation machine's transitions: one service each, named as its declaration
(mediation/transitions.py), which says who may run it, what it journals, whom it tells and which
documents it issues. A service checks the input and sets the data; `core.transitions` does the
rest. `expire`, `fulfil` and `default` are the one-row case of the sweeps (services/sweeps.py).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import legal_calendar, limits
from core import legal_figures as law
from core.models import Organisation
from core.roles import organisation_of
from core.services import required_text
from core.transitions import TransitionRefused, check, run_on_one, run_transition

from ..models import Agreement, Extension, Instalment, Mediation, MediationState, Procedure, Source
from ..rules import base_period_days, confirmation_window, extension_limits
from .common import check_date, fmt, lock_unchanged, money
from .mediators import check_mediator, workload_of

S = MediationState


def _union_of(actor):
    org = organisation_of(actor)
    if org is not None and org.kind in (Organisation.Kind.UNION, Organisation.Kind.MEDIATION_ORGANISATION):
        return org
    return None


def accept(*, mediation, actor, accepted_on=None, organisation=None, procedure="", comment="") -> Mediation:
    """Accept a referral: the period (per source) runs from the acceptance date, by the legal calendar."""
    check(mediation, "accept", actor)
    accepted_on = limits.happened_on("accepted_on", accepted_on, not_before=mediation.referred_on,
                                     not_before_label=_("委派/申请日期"))
    procedure = procedure or mediation.procedure
    if mediation.source == Source.COURT_IN_SUIT and procedure not in Procedure.values:
        days = law.COURT_IN_SUIT_MEDIATION_DAYS
        raise ValidationError({"procedure": [_("诉中委托调解须注明适用普通程序（%(ordinary)d日）或简易程序（%(simple)d日）。") % {
            "ordinary": days["ordinary"], "simple": days["simple"]}]})
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

    return run_transition(mediation, "accept", actor=actor, comment=comment, apply=apply, payload={"days": days})


def _ending(reason_field, reason, ended_on):
    """What a mediation ending without agreement by hand sets (the sweep's `expire` writes the
    same through its declared changes): the reason, the day it ended, a court referral's return."""

    def apply(m):
        setattr(m, reason_field, reason)
        m.ended_on = ended_on
        m.returned_to_court_on = ended_on if m.is_court_referral else None

    return apply


def _ended_on(mediation, ended_on):
    """The day it ended (core.limits.happened_on): not before the current period began, or before
    the referral when it never began."""
    if mediation.period_started_on:
        return limits.happened_on("ended_on", ended_on, not_before=mediation.period_started_on,
                                  not_before_label=_("本期调解起算日"))
    return limits.happened_on("ended_on", ended_on, not_before=mediation.referred_on,
                              not_before_label=_("委派/申请日期"))


def decline(*, mediation, actor, reason, ended_on=None, comment="") -> Mediation:
    check(mediation, "decline", actor)
    reason = required_text("reason", reason, _("不予受理须说明理由。"))
    ended_on = _ended_on(mediation, ended_on)
    return run_transition(mediation, "decline", actor=actor, comment=comment or reason,
                          apply=_ending("decline_reason", reason, ended_on))


def assign_mediator(*, mediation, actor, mediator, comment="") -> Mediation:
    """Give the mediation to a mediator, refusing a conflict of interest; records their workload."""
    check(mediation, "assign_mediator", actor)
    check_mediator(mediator, mediation)
    load = workload_of(mediator)

    def apply(m):
        m.mediator = mediator
        m.mediator_assigned_at = timezone.now()

    return run_transition(mediation, "assign_mediator", actor=actor, comment=comment, apply=apply, payload={
        "mediator_name": mediator.get_username(), "workload": load,
    })


def extend(*, mediation, actor, days, claimant_consent_on, respondent_consent_on, consent_note="", comment="") -> Mediation:
    """Extend the mediation period with both parties' consent, within the source's limits.

    The extension runs from the current deadline (by the legal calendar). A union mediation may be
    extended once, by at most 15 days (人社厅发〔2024〕4号); court referrals by consent, without a
    set limit. Both parties must have agreed before the period ran out.
    """
    check(mediation, "extend", actor)
    errors = {}
    try:
        days = int(days)
        if days < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["days"] = [_("延长天数应为正整数。")]
        days = None
    max_count, max_days = extension_limits(mediation.source)
    source_label = Source(mediation.source).label
    if days is not None and max_days is not None and days > max_days:
        errors["days"] = [_("%(source)s每次延长不得超过 %(days)d 日。") % {"source": source_label, "days": max_days}]
    if max_count is not None and mediation.extensions_in_period >= max_count:
        errors["days"] = [_("%(source)s只能延长 %(count)d 次，本调解已经延长过。") % {"source": source_label, "count": max_count}]
    for field, day, who in (("claimant_consent_on", claimant_consent_on, _("申请人")),
                            ("respondent_consent_on", respondent_consent_on, _("被申请人"))):
        if day is None:
            errors[field] = [_("延长调解期限须经双方同意：请记录%(who)s同意的日期。") % {"who": who}]
        elif limits.date_problem(day, past=True):
            errors[field] = [limits.date_problem(day, past=True)]
        elif mediation.deadline and day > mediation.deadline:
            errors[field] = [_("须在调解期限（%(deadline)s）届满前取得%(who)s同意。") % {"deadline": fmt(mediation.deadline), "who": who}]
        elif mediation.period_started_on and day < mediation.period_started_on:
            errors[field] = [_("同意日期不能早于本期调解起算日。")]
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
        lock_unchanged(mediation)
        run_transition(mediation, "extend", actor=actor, comment=comment, apply=apply, payload={
            "days": days, "previous_deadline": previous,
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
            errors.append(_("第%(n)d期：请填写履行期限。") % {"n": i})
            continue
        problem = limits.date_problem(due_on, past=False)  # ahead, but within the plausible range
        if problem:
            errors.append(_("第%(n)d期：%(problem)s") % {"n": i, "problem": problem})
            continue
        try:
            amount = money(amount, "instalments", allow_zero=False)
        except ValidationError:
            errors.append(_("第%(n)d期：金额应为大于零的数字（元，最多两位小数）。") % {"n": i})
            continue
        if due_on < effective_on:
            errors.append(_("第%(n)d期：履行期限不能早于协议生效日期。") % {"n": i})
        if rows and due_on < rows[-1][0]:
            errors.append(_("第%(n)d期：履行期限应按先后顺序排列。") % {"n": i})
        rows.append((due_on, amount))
    if not errors:
        paid_in = sum((a for _d, a in rows), Decimal("0"))
        if total > 0 and not rows:
            errors.append(_("请列明分期履行安排（每期的履行期限和金额）；一次付清即一期。"))
        elif paid_in != total:
            errors.append(_("各期金额合计 ¥%(sum)s 与协议总额 ¥%(total)s 不一致。") % {"sum": f"{paid_in:,.2f}", "total": f"{total:,.2f}"})
    if errors:
        raise ValidationError({"instalments": errors})
    return rows


def reach_agreement(*, mediation, actor, total, basis, instalments=(), obligations="", terms="",
                    signed_on=None, effective_on=None, comment="") -> Mediation:
    """Record the mediation agreement (调解协议): total, instalments, other obligations, effective date."""
    check(mediation, "reach_agreement", actor)
    total = money(total, "total")
    if basis not in Agreement.Basis.values:
        raise ValidationError({"basis": [_("请选择协议款项的性质。")]})
    signed_on = limits.happened_on("signed_on", signed_on, not_before=mediation.period_started_on,
                                   not_before_label=_("本期调解起算日"))
    effective_on = effective_on or signed_on
    if mediation.deadline and signed_on > mediation.deadline:
        raise ValidationError({"signed_on": [
            _("调解期限已于 %(deadline)s 届满：经双方同意可先延长期限，否则调解终结。") % {"deadline": fmt(mediation.deadline)}
        ]})
    if effective_on < signed_on:
        raise ValidationError({"effective_on": [_("生效日期不能早于签订日期。")]})
    check_date("effective_on", effective_on, allow_future=True)
    obligations = limits.visible_text("obligations", obligations, multiline=True)
    terms = limits.visible_text("terms", terms, multiline=True)
    if total == 0 and not (obligations or "").strip():
        raise ValidationError({"obligations": [_("协议既无给付金额，也未约定其他义务。")]})
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
            "version": version, "instalments": [[fmt(d), str(a)] for d, a in rows], "obligations": obligations or "",
        })
    return mediation


def fail(*, mediation, actor, reason, ended_on=None, comment="") -> Mediation:
    """Mediation ends without agreement (调解终结) on `ended_on` (default today); a court referral
    returns to the court."""
    check(mediation, "fail", actor)
    reason = required_text("reason", reason, _("调解终结须说明理由。"))
    ended_on = _ended_on(mediation, ended_on)
    return run_transition(mediation, "fail", actor=actor, comment=comment or reason,
                          apply=_ending("failure_reason", reason, ended_on))


def expire(*, mediation, actor, comment="") -> Mediation:
    """By hand what the deadline sweep does to every mediation that ran out (services/sweeps.py)."""
    return run_on_one(mediation, "expire", actor=actor, comment=comment)


def withdraw(*, mediation, actor, reason, ended_on=None, comment="") -> Mediation:
    check(mediation, "withdraw", actor)
    reason = required_text("reason", reason, _("请说明哪一方撤回及理由。"))
    ended_on = _ended_on(mediation, ended_on)
    return run_transition(mediation, "withdraw", actor=actor, comment=comment or reason,
                          apply=_ending("withdrawal_reason", reason, ended_on))


def request_confirmation(*, mediation, actor, court=None, requested_on=None, comment="") -> Mediation:
    """The parties' joint application for judicial confirmation (司法确认), made on `requested_on`
    (default today; not before the agreement was signed), within 30 days of the agreement taking
    effect (Civil Procedure Law Art. 205): day 30 is in time, day 31 is not (when day 30 is a rest
    day or holiday, the next working day is still in time). An application made in time and
    recorded after the window closed is in time."""
    if mediation.state != S.AGREED:
        check(mediation, "request_confirmation", actor)  # not now: 409 before what was typed
    agreement = mediation.agreement
    requested_on = limits.happened_on(
        "requested_on", requested_on, not_before=agreement.signed_on if agreement else None,
        not_before_label=_("调解协议签订日期"))
    window = confirmation_window(mediation)
    if mediation.state == S.AGREED and window is not None and requested_on > window.date:
        effective = agreement.effective_on
        detail = _(
            "申请司法确认已逾期：须自调解协议生效之日（%(effective)s）起%(days)d日内、最迟于 %(last)s"
            "由双方共同提出（民事诉讼法第二百零五条），申请之日（%(on)s）是第 %(today)d 日。"
            "双方可重新达成协议或就争议申请仲裁、起诉；协议涉及劳动报酬等事项的，未履行时可申请支付令。"
        ) % {"effective": fmt(effective), "days": law.JUDICIAL_CONFIRMATION_APPLICATION_DAYS,
             "last": fmt(window.date), "on": fmt(requested_on), "today": (requested_on - effective).days}
        raise TransitionRefused(mediation, "request_confirmation", detail, unmet=[detail])
    # the model's condition (the window is open) asks about the day of the application
    mediation._confirmation_applied_on = requested_on
    try:
        check(mediation, "request_confirmation", actor)
        court = court or mediation.court
        if court is None or court.kind != Organisation.Kind.COURT:
            raise ValidationError({"court": [_("请选择受理司法确认申请的人民法院（委派法院，或当事人住所地、调解组织所在地的基层人民法院）。")]})

        def apply(m):
            m.confirmation_requested_on = requested_on
            m.confirmation_court = court

        return run_transition(mediation, "request_confirmation", actor=actor, comment=comment, apply=apply, payload={
            "court_name": court.name, "window_ends_on": window.date if window else None,
        })
    finally:
        del mediation._confirmation_applied_on


def confirm(*, mediation, actor, ruling_number, ruling_date, comment="") -> Mediation:
    check(mediation, "confirm", actor)
    ruling_number = required_text("ruling_number", ruling_number, _("请填写司法确认裁定书文号。"), multiline=False)
    if ruling_date is None:
        raise ValidationError({"ruling_date": [_("请填写裁定日期。")]})
    check_date("ruling_date", ruling_date, not_before=mediation.confirmation_requested_on, not_before_label=_("申请日期"))

    def apply(m):
        m.ruling_number = ruling_number
        m.ruling_date = ruling_date

    return run_transition(mediation, "confirm", actor=actor, comment=comment, apply=apply)


def reject_confirmation(*, mediation, actor, reason, ruling_number="", ruling_date=None, comment="") -> Mediation:
    check(mediation, "reject_confirmation", actor)
    reason = required_text("reason", reason, _("请填写法院驳回申请的理由。"))
    ruling_number = limits.visible_text("ruling_number", ruling_number)
    check_date("ruling_date", ruling_date, not_before=mediation.confirmation_requested_on, not_before_label=_("申请日期"))

    def apply(m):
        m.confirmation_rejection_reason = reason
        m.ruling_number = (ruling_number or "").strip()
        m.ruling_date = ruling_date

    return run_transition(mediation, "reject_confirmation", actor=actor, comment=comment or reason, apply=apply)


def resume(*, mediation, actor, comment="") -> Mediation:
    """Mediate again after the court refused confirmation: a fresh period from today (per source)."""
    check(mediation, "resume", actor)
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

    return run_transition(mediation, "resume", actor=actor, comment=comment, apply=apply, payload={"days": days})


def fulfil(*, mediation, actor, comment="") -> Mediation:
    """The recorded payments cover the agreed total (the performance sweep does this set-based)."""
    return run_on_one(mediation, "fulfil", actor=actor, comment=comment)


def default(*, mediation, actor, comment="") -> Mediation:
    """An instalment is overdue past the grace period: record the default and the next legal step
    (the performance sweep does this set-based)."""
    return run_on_one(mediation, "default", actor=actor, comment=comment)
