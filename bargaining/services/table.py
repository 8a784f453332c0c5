"""At the table: the rounds with each side's position per topic, and the contract's text versions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import documents as core_documents
from core.services import require_perm

from ..models import ContractVersion, NegotiationState, Position, Round, Unit
from .common import as_date, check_date, locked, number_or_none, record_step

S = NegotiationState


def record_round(*, negotiation, actor, held_on=None, mode=Round.Mode.IN_PERSON, place="", attendees="",
                 minutes="", positions=(), comment="") -> Round:
    """One round (协商会议): per topic each side's position and whether they agreed. A topic's
    standing (agreed, and on what) is that of its latest round."""
    require_perm(actor, "bargaining.change_negotiation", negotiation)
    if negotiation.state != S.NEGOTIATING:
        raise ValidationError({"__all__": [_("只有协商中的集体协商可以记录协商会议（当前：%(state)s）。") % {
            "state": negotiation.get_state_display()}]})
    held_on = as_date("held_on", held_on) or timezone.localdate()
    check_date("held_on", held_on, not_before=negotiation.replied_on, not_before_label=_("企业方回应日期"))
    if mode not in Round.Mode.values:
        raise ValidationError({"mode": [_("请选择会议方式。")]})
    previous = negotiation.rounds.order_by("-number").first()
    if previous and held_on < previous.held_on:
        raise ValidationError({"held_on": [_("会议日期不能早于上一轮（%(day)s）。") % {"day": previous.held_on}]})
    topics = {t.pk: t for t in negotiation.topics.all()}
    cleaned, errors, seen = [], [], set()
    for n, item in enumerate(positions or (), start=1):
        topic = topics.get(getattr(item.get("topic"), "pk", item.get("topic")))
        if topic is None:
            errors.append(_("第%(n)d项：议题不属于本次协商。") % {"n": n})
            continue
        if topic.pk in seen:
            errors.append(_("第%(n)d项：议题“%(name)s”重复。") % {"n": n, "name": topic.name})
            continue
        seen.add(topic.pk)
        try:
            union_value = number_or_none("positions", item.get("union_value"))
            employer_value = number_or_none("positions", item.get("employer_value"))
        except ValidationError:
            errors.append(_("第%(n)d项（%(name)s）：数值应为数字。") % {"n": n, "name": topic.name})
            continue
        if topic.unit == Unit.TEXT and (union_value is not None or employer_value is not None):
            errors.append(_("第%(n)d项（%(name)s）：文字议题不填数值。") % {"n": n, "name": topic.name})
            continue
        union_text, employer_text = (item.get("union_text") or "").strip(), (item.get("employer_text") or "").strip()
        if union_value is None and employer_value is None and not union_text and not employer_text:
            errors.append(_("第%(n)d项（%(name)s）：请填写至少一方的立场。") % {"n": n, "name": topic.name})
            continue
        agreed = bool(item.get("agreed"))
        if agreed and topic.numeric and union_value != employer_value:
            errors.append(_("第%(n)d项（%(name)s）：达成一致时双方数值应相同。") % {"n": n, "name": topic.name})
            continue
        cleaned.append((topic, union_value, union_text, employer_value, employer_text, agreed))
    if not cleaned and not errors:
        errors.append(_("请至少记录一个议题的双方立场。"))
    if errors:
        raise ValidationError({"positions": errors})
    with transaction.atomic():
        locked(negotiation)
        row = Round.objects.create(
            negotiation=negotiation, number=(previous.number + 1) if previous else 1, held_on=held_on, mode=mode,
            place=place or "", attendees=attendees or "", minutes=minutes or "", recorded_by=actor,
        )
        for topic, union_value, union_text, employer_value, employer_text, agreed in cleaned:
            Position.objects.create(round=row, topic=topic, union_value=union_value, union_text=union_text,
                                    employer_value=employer_value, employer_text=employer_text, agreed=agreed)
            topic.agreed = agreed
            topic.agreed_value = union_value if agreed else None
            topic.agreed_text = (union_text or employer_text) if agreed else ""
            topic.save(update_fields=["agreed", "agreed_value", "agreed_text"])
        record_step(negotiation, "record_round", actor=actor, comment=comment, payload={
            "round": row.number, "held_on": held_on, "agreed": [t.name for t, *_r, a in cleaned if a]})
        core_documents.request(row, "round_minutes", actor=actor)
    return row


def figure(value) -> str:
    """A figure as a contract prints it: 20, 5.05, 1.5 (not 20.00)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def clause_for(topic) -> dict:
    """A clause drafted from an agreed topic: its agreed text, else its agreed figure in its unit."""
    if topic.agreed_text:
        text = topic.agreed_text
    else:
        text = _("双方约定%(name)s为 %(value)s %(unit)s。") % {
            "name": topic.name, "value": figure(topic.agreed_value), "unit": topic.get_unit_display()}
    return {"topic": topic.pk, "title": topic.name, "text": text}


def assemble_clauses(negotiation) -> list[dict]:
    return [clause_for(t) for t in negotiation.topics.filter(agreed=True)]


def add_version(negotiation, *, actor, clauses, note="") -> ContractVersion:
    last = negotiation.versions.order_by("-number").first()
    return ContractVersion.objects.create(negotiation=negotiation, number=(last.number + 1) if last else 1,
                                          clauses=clauses, note=note or "", created_by=actor)


def revise_contract(*, negotiation, actor, clauses, note="", comment="") -> ContractVersion:
    """A new version of the draft's text (the clauses edited); earlier versions stay for the redline."""
    require_perm(actor, "bargaining.change_negotiation", negotiation)
    if negotiation.state != S.DRAFTED:
        raise ValidationError({"__all__": [_("只有已拟定的草案可以修改文本（当前：%(state)s）。") % {
            "state": negotiation.get_state_display()}]})
    rows, errors = [], []
    for n, clause in enumerate(clauses or (), start=1):
        title, text = str(clause.get("title", "")).strip(), str(clause.get("text", "")).strip()
        if not title or not text:
            errors.append(_("第%(n)d条：请填写条款标题和内容。") % {"n": n})
        rows.append({"topic": clause.get("topic"), "title": title, "text": text})
    if not rows:
        errors.append(_("合同至少要有一条条款。"))
    if errors:
        raise ValidationError({"clauses": errors})
    with transaction.atomic():
        locked(negotiation)
        version = add_version(negotiation, actor=actor, clauses=rows, note=note)
        record_step(negotiation, "revise_contract", actor=actor, comment=comment,
                    payload={"version": version.number, "note": note})
    return version
