"""The Negotiation machine's transitions: one service each, named as its declaration
(bargaining/transitions.py), which says who may run it, what it journals, whom it tells and which
documents it issues. A service checks the input and sets the data; `core.transitions` does the
rest. `take_effect` by lapse and `expire` are the one-row case of the sweeps (services/sweeps.py).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import legal_figures as law
from core.errors import TransitionRefused
from core.models import Organisation
from core.services import required_text
from core.transitions import check, run_on_one, run_transition

from ..models import Ballot, NegotiationState, Vote
from ..rules import VoteResult, composition_problems, expiry, filing_due, objection_window_ends, reply_due
from .common import as_date, check_date, fmt, locked
from .table import add_version, assemble_clauses

S = NegotiationState


def send_proposal(*, negotiation, actor, proposed_on=None, comment=""):
    """Send the written proposal (要约): the team must be lawful; the reply is due in 20 days."""
    try:
        check(negotiation, "send_proposal", actor)
    except TransitionRefused:
        problems = composition_problems(negotiation) if negotiation.state == S.PREPARING else []
        if not problems:
            raise
        # Say exactly which rule the team breaks, not only that it breaks one.
        raise TransitionRefused(negotiation, "send_proposal", _("暂不能发出要约：%(reasons)s") % {
            "reasons": "；".join(problems)}, unmet=problems) from None
    proposed_on = as_date("proposed_on", proposed_on) or timezone.localdate()
    # A proposal sent before it was entered here is recorded on its real date.
    check_date("proposed_on", proposed_on)
    due = reply_due(proposed_on)

    def apply(n):
        n.proposed_on = proposed_on
        n.reply_due = due.date
        n.reply_due_provisional = due.provisional

    return run_transition(negotiation, "send_proposal", actor=actor, comment=comment, apply=apply,
                          payload={"days": law.PROPOSAL_REPLY_DAYS})


def _replied_on(negotiation, replied_on):
    replied_on = as_date("replied_on", replied_on) or timezone.localdate()
    check_date("replied_on", replied_on, not_before=negotiation.proposed_on, not_before_label=_("要约发出日期"))
    return replied_on


def accept_proposal(*, negotiation, actor, replied_on=None, reply_text="", comment=""):
    check(negotiation, "accept_proposal", actor)
    replied_on = _replied_on(negotiation, replied_on)

    def apply(n):
        n.replied_on = replied_on
        n.reply_text = reply_text or ""

    return run_transition(negotiation, "accept_proposal", actor=actor, comment=comment, apply=apply,
                          payload={"late": bool(negotiation.reply_due and replied_on > negotiation.reply_due)})


def refuse_proposal(*, negotiation, actor, reason, replied_on=None, comment=""):
    """Refusal needs a proper reason (Art. 32)."""
    check(negotiation, "refuse_proposal", actor)
    reason = required_text("reason", reason, _("拒绝协商须书面说明理由（《集体合同规定》第三十二条）。"))
    replied_on = _replied_on(negotiation, replied_on)

    def apply(n):
        n.replied_on = replied_on
        n.refusal_reason = reason

    return run_transition(negotiation, "refuse_proposal", actor=actor, comment=comment or reason, apply=apply)


def suspend(*, negotiation, actor, reason, comment=""):
    check(negotiation, "suspend", actor)
    reason = required_text("reason", reason, _("中止协商须说明理由。"))

    def apply(n):
        n.suspension_reason = reason

    return run_transition(negotiation, "suspend", actor=actor, comment=comment or reason, apply=apply)


def resume(*, negotiation, actor, comment=""):
    return run_transition(negotiation, "resume", actor=actor, comment=comment)


def draft_agreement(*, negotiation, actor, note="", comment=""):
    """The draft (集体合同草案): a clause per agreed topic, as the next version of the text."""
    check(negotiation, "draft_agreement", actor)
    with transaction.atomic():
        version = add_version(negotiation, actor=actor, clauses=assemble_clauses(negotiation),
                              note=note or _("由一致议题生成"))
        return run_transition(negotiation, "draft_agreement", actor=actor, comment=comment,
                              payload={"version": version.number, "clauses": len(version.clauses)})


def submit_for_vote(*, negotiation, actor, comment=""):
    check(negotiation, "submit_for_vote", actor)
    return run_transition(negotiation, "submit_for_vote", actor=actor, comment=comment, payload={
        "version": negotiation.current_version().number, "electorate": negotiation.electors.count()})


def _ballots(negotiation, ballots):
    roll = {e.reference: e for e in negotiation.electors.all()}
    electors, approvals, errors, seen = [], 0, [], set()
    for n, item in enumerate(ballots or (), start=1):
        reference = str(item.get("elector", "")).strip()
        elector = roll.get(reference)
        if elector is None:
            errors.append(_("第%(n)d张：%(ref)s 不在表决名册上。") % {"n": n, "ref": reference})
        elif reference in seen:
            errors.append(_("第%(n)d张：%(ref)s 已经投过票（每人只能投一次）。") % {"n": n, "ref": reference})
        else:
            seen.add(reference)
            electors.append(elector)
            approvals += bool(item.get("approve"))
    if not electors and not errors:
        errors.append(_("请登记选票。"))
    if errors:
        raise ValidationError({"ballots": errors})
    return electors, approvals


def record_vote(*, negotiation, actor, method=Vote.Method.COUNTED, held_on=None, attendance=None, approvals=None,
                ballots=(), comment=""):
    """The vote on the draft (Art. 36): ratified only with at least 2/3 of the electorate present
    and more than half of the WHOLE electorate approving; otherwise back to negotiating.
    Per-voter ballots record who voted (each elector once), never how."""
    check(negotiation, "record_vote", actor)
    held_on = as_date("held_on", held_on) or timezone.localdate()
    check_date("held_on", held_on)
    electorate = negotiation.electors.count()
    electors = []
    if method == Vote.Method.BALLOTS:
        electors, approvals = _ballots(negotiation, ballots)
        attendance = len(electors)
    elif method == Vote.Method.COUNTED:
        errors = {}
        if attendance is None:
            errors["attendance"] = [_("请填写实到人数。")]
        elif not 0 <= attendance <= electorate:
            errors["attendance"] = [_("实到人数应在 0 到应到人数（%(n)d）之间。") % {"n": electorate}]
        if approvals is None:
            errors["approvals"] = [_("请填写赞成票数。")]
        elif attendance is not None and not 0 <= approvals <= attendance:
            errors["approvals"] = [_("赞成票不能多于实到人数。")]
        if errors:
            raise ValidationError(errors)
    else:
        raise ValidationError({"method": [_("请选择表决方式。")]})
    result = VoteResult(electorate=electorate, attendance=attendance, approvals=approvals)
    version = negotiation.current_version()

    def apply(n):
        n._vote_passed = result.passed

    with transaction.atomic():
        vote = Vote.objects.create(negotiation=negotiation, version=version, held_on=held_on, method=method,
                                   electorate=electorate, attendance=attendance, approvals=approvals,
                                   passed=result.passed, recorded_by=actor)
        Ballot.objects.bulk_create([Ballot(vote=vote, elector=e) for e in electors])
        run_transition(negotiation, "record_vote", actor=actor, comment=comment, apply=apply, payload={
            "vote": vote.pk, "version": version.number, "held_on": held_on, "method": method,
            "electorate": electorate, "attendance": attendance, "approvals": approvals,
            "quorate": result.quorate, "approved": result.approved, "passed": result.passed})
    return negotiation


def sign(*, negotiation, actor, term_years, signed_on=None, comment=""):
    """Sign the ratified contract for 1–3 years (Art. 38); filing is due within 10 days (Art. 42)."""
    check(negotiation, "sign", actor)
    low, high = law.CONTRACT_TERM_YEARS
    if term_years is None or not low <= int(term_years) <= high:
        raise ValidationError({"term_years": [_("集体合同期限为%(low)d至%(high)d年（《集体合同规定》第三十八条）。") % {
            "low": low, "high": high}]})
    signed_on = as_date("signed_on", signed_on) or timezone.localdate()
    vote = negotiation.votes.filter(passed=True).order_by("-id").first()
    check_date("signed_on", signed_on, not_before=vote.held_on if vote else None, not_before_label=_("表决通过日期"))
    due = filing_due(signed_on)

    def apply(n):
        n.signed_on = signed_on
        n.term_years = int(term_years)
        n.filing_due = due.date

    return run_transition(negotiation, "sign", actor=actor, comment=comment, apply=apply)


def file(*, negotiation, actor, authority, filed_on=None, comment=""):
    """Send the contract to the labor administration for review (Art. 42): late filing is flagged,
    not refused. The objection window (15 days) runs from filing."""
    check(negotiation, "file", actor)
    if authority is None or authority.kind != Organisation.Kind.LABOR_BUREAU:
        raise ValidationError({"authority": [_("请选择受理审查的劳动行政部门。")]})
    filed_on = as_date("filed_on", filed_on) or timezone.localdate()
    check_date("filed_on", filed_on, not_before=negotiation.signed_on, not_before_label=_("签订日期"))
    window = objection_window_ends(filed_on)

    def apply(n):
        n.filed_on = filed_on
        n.filing_authority = authority
        n.filed_late = filed_on > n.filing_due
        n.objection_window_ends = window.date
        # In force the day after the window unless the reviewer answers sooner (take_effect recounts).
        n.expires_on = expiry(window.date + datetime.timedelta(days=1), n.term_years)

    return run_transition(negotiation, "file", actor=actor, comment=comment, apply=apply,
                          payload={"filing_due": negotiation.filing_due})


def take_effect(*, negotiation, actor, no_objection_on=None, comment=""):
    """In force on the reviewer's written no-objection (`no_objection_on`), or, with none, once the
    15-day window after filing has passed (Art. 47: the same change as the sweep's)."""
    no_objection_on = as_date("no_objection_on", no_objection_on)
    if no_objection_on is None:
        check(negotiation, "take_effect", actor)
        if timezone.localdate() <= negotiation.objection_window_ends:
            raise TransitionRefused(negotiation, "take_effect", _(
                "审查异议期限（%(day)s）尚未届满：请登记审查机关的无异议日期，或待期满后生效。") % {
                "day": fmt(negotiation.objection_window_ends)})
        return run_on_one(negotiation, "take_effect", actor=actor, comment=comment)
    check(negotiation, "take_effect", actor)
    check_date("no_objection_on", no_objection_on, not_before=negotiation.filed_on, not_before_label=_("报送日期"))

    def apply(n):
        n.effective_on = no_objection_on
        n.effect_basis = "no_objection"
        n.expires_on = expiry(no_objection_on, n.term_years)

    return run_transition(negotiation, "take_effect", actor=actor, comment=comment, apply=apply)


def object(*, negotiation, actor, reason, objected_on=None, comment=""):  # noqa: A001 - the contract's name
    """The labor administration objects within its window (Art. 45): back to the table."""
    check(negotiation, "object", actor)
    reason = required_text("reason", reason, _("请登记审查机关的异议意见。"))
    objected_on = as_date("objected_on", objected_on) or timezone.localdate()
    check_date("objected_on", objected_on, not_before=negotiation.filed_on, not_before_label=_("报送日期"))
    if objected_on > negotiation.objection_window_ends:
        raise ValidationError({"objected_on": [_("审查异议须在报送后%(days)d日内（%(day)s 前）提出；逾期未提出异议的，合同依法生效。") % {
            "days": law.OBJECTION_DAYS, "day": fmt(negotiation.objection_window_ends)}]})

    def apply(n):
        n.objection_reason = reason

    return run_transition(negotiation, "object", actor=actor, comment=comment or reason, apply=apply,
                          payload={"objected_on": objected_on})


def expire(*, negotiation, actor, comment=""):
    check(negotiation, "expire", actor)
    if negotiation.expires_on is None or negotiation.expires_on >= timezone.localdate():
        raise TransitionRefused(negotiation, "expire", _("合同期限尚未届满（期满日 %(day)s）。") % {
            "day": fmt(negotiation.expires_on)})
    return run_on_one(negotiation, "expire", actor=actor, comment=comment)
