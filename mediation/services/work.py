"""Work on a mediation that does not move its state: sessions (调解会) and their minutes,
payments against the agreement, corrections; and resolving the case it came from.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import documents, journal, limits, links
from core.errors import TransitionRefused
from core.services import require_perm

from ..models import PAYMENT_STATES, Agreement, Instalment, Mediation, MediationSession, MediationState, Payment
from .common import check_date, money

S = MediationState


def _not_now(mediation, detail):
    """An action that is not a transition, refused in this state: the same 409 as a transition
    (`transition_not_allowed` with the state and what the user may do instead)."""
    return TransitionRefused(mediation, None, detail)


def record_session(*, mediation, actor, held_at, mode, minutes, attendees=(), location="") -> MediationSession:
    """A mediation session (调解会) and its minutes; the session record (调解笔录) is issued from it."""
    require_perm(actor, "mediation.record_session", mediation)
    errors = {}
    if mode not in MediationSession.Mode.values:
        errors["mode"] = [_("请选择调解方式：现场、视频或电话。")]
    minutes = limits.collect_text(errors, "minutes", minutes, required_message=_("请填写调解笔录。"), multiline=True)
    location = limits.collect_text(errors, "location", location)
    names = [limits.clean_text(a) for a in (attendees or ())]
    if any(name and not limits.has_visible(name) for name in names):
        errors["attendees"] = [_("参加人员：%(problem)s") % {"problem": limits.invisible_message()}]
    attendees = [name for name in names if name]
    if not attendees:
        errors.setdefault("attendees", [_("请列明参加人员。")])
    if held_at is None:
        errors["held_at"] = [_("请填写调解时间。")]
    else:
        if timezone.is_naive(held_at):
            held_at = timezone.make_aware(held_at)
        if held_at > timezone.now() + datetime.timedelta(minutes=5):
            errors["held_at"] = [_("调解时间不能晚于现在。")]
        elif mediation.accepted_on and timezone.localtime(held_at).date() < mediation.accepted_on:
            errors["held_at"] = [_("调解时间不能早于受理日期。")]
        elif limits.date_problem(held_at, past=False):  # the plausible range (now is checked above)
            errors["held_at"] = [limits.date_problem(held_at, past=False)]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = Mediation.objects.select_for_update().get(pk=mediation.pk)
        if fresh.state != S.IN_PROGRESS:
            raise _not_now(fresh, _("只能在调解中记录调解会（当前状态：%(state)s）。") % {"state": fresh.get_state_display()})
        seq = (fresh.sessions.aggregate(n=Max("seq"))["n"] or 0) + 1
        session = MediationSession.objects.create(
            mediation=fresh, seq=seq, held_at=held_at, mode=mode, location=location or "",
            attendees=attendees, minutes=minutes, recorded_by=actor,
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
    amount = money(amount, "amount", allow_zero=False)
    reference = limits.visible_text("reference", reference, max_length=100)
    note = limits.visible_text("note", note, max_length=300)
    if paid_on is None:
        raise ValidationError({"paid_on": [_("请填写支付日期。")]})
    with transaction.atomic():
        fresh = Mediation.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=mediation.pk)
        agreement = fresh.agreement
        if fresh.state not in PAYMENT_STATES or agreement is None:
            raise _not_now(fresh, _("只有已达成协议的调解可以记录履行款项（当前状态：%(state)s）。") % {"state": fresh.get_state_display()})
        check_date("paid_on", paid_on, not_before=agreement.signed_on, not_before_label=_("协议签订日期"))
        if amount > agreement.outstanding:
            raise ValidationError({"amount": [_("超出协议未履行金额（尚欠 ¥%(left)s）。") % {"left": f"{agreement.outstanding:,.2f}"}]})
        open_instalments = list(agreement.instalments.select_for_update().filter(paid__lt=F("amount")).order_by("seq"))
        if instalment is not None:
            if instalment.agreement_id != agreement.pk:
                raise ValidationError({"instalment": [_("该期款项不属于本调解的现行协议。")]})
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
            raise ValidationError({"amount": [_("该期及以后各期的未付金额不足以容纳这笔款项，请选择更早的一期。")]})
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


def edit_mediation(*, mediation, actor, changes: dict) -> Mediation:
    """Correct the description of the dispute (title, facts); the journal records which fields."""
    require_perm(actor, "mediation.change_mediation", mediation)
    unknown = set(changes) - {"title", "facts"}
    if unknown:
        raise ValidationError({name: [_("此项不能在此修改。")] for name in sorted(unknown)})
    errors = {}
    changes = {
        name: limits.collect_text(errors, name, value, multiline=name == "facts",
                                  required_message=_("请填写案由。") if name == "title" else None,
                                  max_length=200 if name == "title" else None)
        for name, value in changes.items()
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(mediation, name, value)
        mediation.save(update_fields=[*changes, "updated_at"])
        journal.record(subject=mediation, transition="edit", from_state=mediation.state, to_state=mediation.state,
                       actor=actor, payload={"fields": sorted(changes)})
    return mediation


def resolve_linked_case(*, mediation, actor, comment=""):
    """Resolve the case this mediation came from as "mediated" with the agreement's amount.

    The case follows the mediation's outcome but is resolved by its own people and rules (its
    module records it: core.links.resolve_origin, as `actor`): with the amount paid once
    fulfilled, else with the agreed total. A failed mediation leaves the case in mediation, from
    where it goes to arbitration or litigation.
    """
    case = mediation.case
    if case is None:
        raise ValidationError({"case": [_("本调解不是由维权案件转来的。")]})
    agreement = mediation.agreement
    if agreement is None or mediation.state not in (S.AGREED, S.CONFIRMATION_PENDING, S.CONFIRMED, S.FULFILLED):
        raise ValidationError({"case": [_("调解尚未达成协议，案件不能以调解成功办结。")]})
    amount = agreement.amount_paid if mediation.state == S.FULFILLED else agreement.total
    detail = _("经调解（%(number)s）达成调解协议，协议总额 ¥%(total)s") % {"number": mediation.number, "total": f"{agreement.total:,.2f}"}
    if mediation.ruling_number:
        detail += _("，已经人民法院司法确认（%(ruling)s）") % {"ruling": mediation.ruling_number}
    detail += _("，已全部履行。") if mediation.state == S.FULFILLED else _("，已履行 ¥%(paid)s。") % {"paid": f"{agreement.amount_paid:,.2f}"}
    if agreement.obligations:
        detail += _("其他约定：%(obligations)s") % {"obligations": agreement.obligations}
    return links.resolve_origin(origin=case, by=mediation, actor=actor, outcome="mediated", amount=amount,
                                detail=detail, comment=comment)
